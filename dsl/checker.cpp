#include "dsl/checker.hpp"

#include "dsl/check_context.hpp"

namespace merit::dsl {

const std::vector<CheckStage> kCheckStages = {
    {"resolve", detail::stage_resolve},  // names -> indices, local slots, "did you mean"
    {"types", detail::stage_types},      // needs resolve; types every node, checks arity
    {"cycles", detail::stage_cycles},    // needs resolve; cycles and recursion, then the order
    {"lint", detail::stage_lint},        // needs cycles' reachability data; warnings only
};

CheckResult check(const CheckUnit& unit, Diagnostics& diags, std::string_view stop_after) {
  CheckResult r;
  size_t nd = unit.definitions.size(), nf = unit.functions.size();
  r.definition_types.assign(nd, nullptr);
  r.reads_definitions.assign(nd, {});
  r.reads_parameters.assign(nd, {});
  r.function_calls.assign(nf, {});
  r.function_reads_definitions.assign(nf, {});
  r.function_reads_parameters.assign(nf, {});
  r.definition_calls.assign(nd, {});
  r.definition_locals.assign(nd, 0);
  r.function_locals.assign(nf, 0);
  r.function_results.assign(nf, nullptr);
  r.used_parameter.assign(unit.parameters.size(), false);
  // Every stage runs even after errors, so that one run reports all of a file's problems: an
  // unresolved name has the error type, which is compatible with everything, so it does not
  // cascade into type errors.
  for (const auto& stage : kCheckStages) {
    stage.run(unit, r, diags);
    if (stop_after == stage.name) break;
  }
  diags.sort();
  return r;
}

namespace detail {

NameIndex::NameIndex(const CheckUnit& u) {
  for (size_t i = 0; i < u.definitions.size(); ++i)
    definitions.emplace(u.definitions[i]->qualified(), static_cast<int>(i));
  for (size_t i = 0; i < u.functions.size(); ++i)
    functions.emplace(u.functions[i]->qualified(), static_cast<int>(i));
  for (size_t i = 0; i < u.parameters.size(); ++i)
    parameters.emplace(u.parameters[i].name, static_cast<int>(i));
}

Location at(const SourcePtr& s, Span span) { return Location{s, span}; }

}  // namespace detail
}  // namespace merit::dsl
