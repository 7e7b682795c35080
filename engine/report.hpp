// Rendering outcomes and traces for people (text) and tools (JSON).
#pragma once

#include <string>
#include <vector>

#include "engine/interpreter.hpp"

namespace merit::engine {

struct ReportOptions {
  std::vector<int> rules;  // definitions to show; empty: outputs (or all if none are marked)
};

std::string render_text(const Program& p, const Outcome& o, const ReportOptions& opts);
std::string render_json(const Program& p, const Outcome& o, const ReportOptions& opts);

// "Why": a tree per rule of the definitions and parameters it read, with values and citations.
// Needs an Outcome evaluated with tracing on.
std::string render_explanation(const Program& p, const Outcome& o, const std::vector<int>& rules);
std::string render_trace_json(const Program& p, const Outcome& o);

// Runtime errors as diagnostics (file:line:col, source line, caret), in evaluation order.
// FailedDependency errors are left out: each root cause is shown once, where it happened.
dsl::Diagnostics eval_diagnostics(const Program& p, const Outcome& o);

// Graphviz DOT of the dependency graph (all definitions, or what `rules` need).
std::string render_dot(const Program& p, const std::vector<int>& rules);

// One value as JSON text (records with field names from `type`), as render_json writes it.
std::string render_value_json(const Value& v, const dsl::Type& type);

// An exact decimal as JSON text: a JSON number (never rounded through a double).
std::string json_number(const dsl::Decimal& d);

}  // namespace merit::engine
