// Fuzz target: the rule-file parser, then the checker on what parsed cleanly; the same bytes are
// also parsed as a lone expression and as a type (the DSL embedded in YAML scalars).
// Never crashes, hangs or leaks: every problem must come out as a diagnostic.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "dsl/ast.hpp"
#include "dsl/checker.hpp"
#include "dsl/parser.hpp"

using namespace merit::dsl;

namespace {

// A small fixed input schema and two parameters, so that paths in fuzzed rules can resolve.
CheckUnit base_unit() {
  CheckUnit u;
  u.input = types::record({
      {"x", types::number()},
      {"charges", types::money()},
      {"name", types::string()},
      {"flag", types::boolean()},
      {"items", types::list(types::record({{"id", types::string()}, {"v", types::number()}}))},
  });
  auto src = Source::from_text("params.yaml", "p.rate: 60%\np.limit: $90,000\n");
  u.parameters.push_back({"p.rate", types::number(), Location{src, {0, 6}}, {"cite"}});
  u.parameters.push_back({"p.limit", types::money(), Location{src, {12, 19}}, {}});
  auto row = types::record({{"id", types::string()}, {"bounds", types::list(types::number())}});
  u.parameters.push_back({"p.table", types::table(row, {"id"}), Location{src, {0, 1}}, {}});
  return u;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);

  {
    Diagnostics diags;
    auto src = Source::from_text("fuzz.merit", text);
    RuleFile file = parse_rule_file(src, diags);
    (void)dump(file);
    if (!diags.has_errors()) {
      // The loader keeps one item per qualified name (duplicates are its errors); so does this.
      CheckUnit unit = base_unit();
      std::set<std::string> seen;
      for (auto& d : file.definitions)
        if (seen.insert(d->qualified()).second) unit.definitions.push_back(d);
      seen.clear();
      for (auto& f : file.functions)
        if (seen.insert(f->qualified()).second) unit.functions.push_back(f);
      unit.require_citations = size % 2 == 0;
      if (!unit.definitions.empty() && size % 3 == 0) {
        unit.outputs.push_back(unit.definitions.front()->qualified());
        unit.outputs_where = Location{src, {0, 0}};
      }
      CheckResult r = check(unit, diags);
      (void)r;
    }
    (void)diags.render();
  }
  {
    Diagnostics diags;
    auto src = Source::from_text("fuzz-expr", text);
    if (ExprPtr e = parse_expression(src, diags)) (void)dump(*e);
    (void)diags.render();
  }
  {
    Diagnostics diags;
    auto src = Source::from_text("fuzz-type", text);
    if (auto t = parse_type(src, diags)) (void)to_string(*t);
    (void)diags.render();
  }
  {
    Diagnostics diags;
    auto src = Source::from_text("fuzz-literal", text);
    if (ExprPtr e = parse_literal(src, diags)) (void)dump(*e);
  }
  return 0;
}
