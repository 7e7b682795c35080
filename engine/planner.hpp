// Planner: checked policy -> Program (the evaluation graph).
// In:  a Policy whose definitions passed every check stage, and the checker's result.
// Out: an immutable Program: definitions in dependency order, each lowered to stack-machine
//      code; parameters folded to constants; user functions inlined (the checker has ruled out
//      recursion); names turned into slots and indices.
// Invariant: the interpreter needs nothing else -- it never sees the AST.
#pragma once

#include "dsl/checker.hpp"
#include "engine/policy.hpp"
#include "engine/program.hpp"

namespace merit::engine {

class Planner {
 public:
  // Precondition: `checked` came from dsl::check(unit) with no errors.
  static Program plan(const Policy& policy, const dsl::CheckUnit& unit, const dsl::CheckResult& checked);

 private:
  // Compile once: a definition that reads no input (only parameters, literals and other such
  // definitions) has the same value for every case, so it is evaluated here, once, and its
  // untraced entry becomes `Const value; Return`. Traced evaluations (merit explain) still run
  // its code, so the parameters it read are still shown. A definition that fails here is left
  // as it is and reports its error at run time, as before.
  static void fold_constant_definitions(Program& p);
};

// Converts a constant into program-owned storage (used for parameters and literals).
Value constant_value(const Datum& d, const dsl::Type& type, std::deque<std::string>& strings,
                     std::deque<std::vector<Value>>& arrays, std::deque<TableData>& tables);

}  // namespace merit::engine
