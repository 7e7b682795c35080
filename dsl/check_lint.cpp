// Stage "lint": warnings that never stop a policy from running: unused definitions, functions
// and parameters, and rules or parameters without a citation.
#include <algorithm>

#include <fmt/format.h>

#include "dsl/check_context.hpp"

namespace merit::dsl::detail {

void stage_lint(const CheckUnit& unit, CheckResult& r, Diagnostics& diags) {
  NameIndex names(unit);
  const auto& defs = unit.definitions;

  if (!unit.outputs.empty()) {
    std::vector<bool> reached(defs.size(), false);
    std::vector<int> work;
    bool unknown_output = false;
    for (size_t i = 0; i < unit.outputs.size(); ++i) {
      const auto& o = unit.outputs[i];
      auto it = names.definitions.find(o);
      if (it == names.definitions.end()) {
        std::vector<std::string> cands;
        for (const auto& d : defs) cands.push_back(d->qualified());
        auto& d = diags.add(Code::UnknownRule, i < unit.output_where.size() ? unit.output_where[i] : unit.outputs_where,
                            fmt::format("'outputs' names '{}', which is not defined", o));
        if (auto s = did_you_mean(o, cands); !s.empty()) d.help = fmt::format("did you mean '{}'?", s);
        unknown_output = true;
        continue;
      }
      work.push_back(it->second);
    }
    // A misspelled output leaves out what it meant to name: call nothing unused until it is fixed.
    if (unknown_output) std::fill(reached.begin(), reached.end(), true);
    while (!work.empty()) {
      int d = work.back();
      work.pop_back();
      if (reached[d]) continue;
      reached[d] = true;
      for (int x : r.reads_definitions[d]) work.push_back(x);
    }
    std::vector<bool> called(unit.functions.size(), false);
    for (size_t d = 0; d < defs.size(); ++d) {
      if (!reached[d]) {
        diags.add(Code::UnusedDefinition, at(defs[d]->source, defs[d]->name_span),
                  fmt::format("'{}' is not used by any output", defs[d]->qualified()),
                  "list it under 'outputs:' in policy.yaml, use it, or remove it");
        continue;
      }
      for (int f : r.definition_calls[d]) called[f] = true;
    }
    for (size_t f = 0; f < unit.functions.size(); ++f)
      if (called[f])
        for (int g : r.function_calls[f]) called[g] = true;
    // Calls between functions may be deeper than one level: close over them.
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t f = 0; f < unit.functions.size(); ++f)
        if (called[f])
          for (int g : r.function_calls[f])
            if (!called[g]) called[g] = changed = true;
    }
    for (size_t f = 0; f < unit.functions.size(); ++f)
      if (!called[f])
        diags.add(Code::UnusedFunction, at(unit.functions[f]->source, unit.functions[f]->name_span),
                  fmt::format("function '{}' is never called by an output", unit.functions[f]->qualified()),
                  "call it or remove it");
    for (size_t p = 0; p < unit.parameters.size(); ++p)
      if (!r.used_parameter[p])
        diags.add(Code::UnusedParameter, unit.parameters[p].where,
                  fmt::format("parameter '{}' is never read", unit.parameters[p].name),
                  "read it as param." + unit.parameters[p].name + ", or remove it");
  }

  if (unit.require_citations) {
    for (const auto& d : defs)
      if (d->citations.empty())
        diags.add(Code::MissingCitation, at(d->source, d->name_span),
                  fmt::format("'{}' cites no source", d->qualified()),
                  "add a line such as: cite \"42 CFR 414.1380(b)\"");
    for (const auto& p : unit.parameters)
      if (p.citations.empty())
        diags.add(Code::MissingCitation, p.where, fmt::format("parameter '{}' cites no source", p.name),
                  "add 'cite: \"...\"' to the parameter");
  }
}

}  // namespace merit::dsl::detail
