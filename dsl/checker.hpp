// Checker: parsed definitions -> checked definitions.
// In:  a CheckUnit (every definition, function, parameter and the input schema of one policy).
// Out: names resolved to indices and slots, every node typed, a dependency order.
// Invariant after a run without errors: every Path/Call is resolved, every node has a type,
// the definition graph is acyclic, and functions do not recurse -- what the planner assumes.
// The stages run in a fixed order (kCheckStages); each is one function in its own file.
#pragma once

#include <string>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostic.hpp"

namespace merit::dsl {

struct ParameterDecl {
  std::string name;  // dotted, e.g. "quality.data_completeness"
  Type type;
  Location where;
  std::vector<std::string> citations;
};

struct CheckUnit {
  std::vector<std::shared_ptr<Definition>> definitions;  // unique qualified names
  std::vector<std::shared_ptr<Function>> functions;
  std::vector<ParameterDecl> parameters;
  Type input = types::record({});  // the input record
  std::vector<std::string> outputs;  // roots for the unused-definition lint (empty: no lint)
  Location outputs_where;
  std::vector<Location> output_where;  // per entry of `outputs`, when known
  bool require_citations = true;
};

struct CheckResult {
  std::vector<Type> definition_types;
  std::vector<std::vector<int>> reads_definitions;  // per definition, sorted, incl. via functions
  std::vector<std::vector<int>> reads_parameters;   // per definition, sorted, incl. via functions
  std::vector<std::vector<int>> function_calls;     // per function: functions it calls
  std::vector<std::vector<int>> function_reads_definitions;  // direct reads of a function body
  std::vector<std::vector<int>> function_reads_parameters;
  std::vector<std::vector<int>> definition_calls;   // functions a definition calls directly
  std::vector<int> definition_locals;               // local slots each definition needs
  std::vector<int> function_locals;
  std::vector<Type> function_results;
  std::vector<int> order;                           // definitions, dependencies first
  std::vector<bool> used_parameter;
};

struct CheckStage {
  const char* name;
  void (*run)(const CheckUnit&, CheckResult&, Diagnostics&);
};

// resolve -> types -> cycles -> lint. "types" needs resolved names; "cycles" runs after "types"
// because typing follows references lazily and leaves cycles for it to report with their path.
extern const std::vector<CheckStage> kCheckStages;

// Runs every stage (or up to and including `stop_after`). Returns what it could work out;
// trust it only if diags has no errors.
CheckResult check(const CheckUnit& unit, Diagnostics& diags, std::string_view stop_after = {});

}  // namespace merit::dsl
