#include "engine/compiler.hpp"

#include "engine/planner.hpp"

namespace merit::engine {

std::vector<std::string> pipeline_stages() {
  std::vector<std::string> s{"load"};
  for (const auto& st : dsl::kCheckStages) s.emplace_back(st.name);
  s.emplace_back("plan");
  return s;
}

dsl::CheckUnit make_check_unit(const Policy& policy) {
  dsl::CheckUnit u;
  u.definitions = policy.definitions;
  u.functions = policy.functions;
  for (const auto& p : policy.parameters) u.parameters.push_back({p.name, p.type, p.where, p.citations});
  u.input = policy.input_type();
  u.outputs = policy.outputs;
  u.outputs_where = policy.outputs_where;
  u.output_where = policy.output_where;
  u.require_citations = policy.require_citations;
  return u;
}

std::shared_ptr<const Program> compile_loaded(const Policy& policy, dsl::Diagnostics& diags,
                                              const CompileOptions& options) {
  if (options.stop_after == "load") return nullptr;
  dsl::CheckUnit unit = make_check_unit(policy);
  dsl::CheckResult checked = dsl::check(unit, diags, options.stop_after);
  if (diags.has_errors() || !options.stop_after.empty()) return nullptr;
  return std::make_shared<const Program>(Planner::plan(policy, unit, checked));
}

CompiledPolicy compile_policy(const std::filesystem::path& dir, dsl::Diagnostics& diags,
                              const CompileOptions& options) {
  CompiledPolicy out;
  out.policy = load_policy(dir, diags);
  if (diags.has_errors()) {
    diags.sort();
    return out;
  }
  out.program = compile_loaded(out.policy, diags, options);
  diags.sort();
  return out;
}

}  // namespace merit::engine
