// Consistency of the 2018 policy's own parameters with CMS's reference data: where the policy
// states a list that CMS's files also carry, the two must agree.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "engine/cms/import.hpp"
#include "engine/cms/tables.hpp"
#include "engine/loader.hpp"
#include "support/policy_fixture.hpp"
#include "support/test_files.hpp"

using namespace merit;
namespace fs = std::filesystem;

namespace {

std::set<std::string> capped_in_table(const engine::Policy& p) {
  std::set<std::string> out;
  const engine::Datum* t = engine::cms::find_table(p, "quality.measures");
  REQUIRE(t);
  for (const auto& row : t->items) {
    const engine::Datum* c = engine::cms::find_field(row, "capped");
    if (c && c->flag) out.insert(std::string(engine::cms::field_text(row, "id")));
  }
  return out;
}

std::set<std::string> capped_parameter(const engine::Policy& p) {
  std::set<std::string> out;
  const engine::Parameter* param = p.find_parameter("quality.capped_measures");
  REQUIRE(param);
  for (const auto& e : param->value.items) out.insert(e.text);
  return out;
}

}  // namespace

TEST_CASE("the 2018 topped-out cap list agrees with CMS's measures-data", "[policy2018]") {
  dsl::Diagnostics diags;
  auto policy = engine::load_policy(test::source_path("policies/2018"), diags);
  INFO(diags.render(false));
  REQUIRE_FALSE(diags.has_errors());
  std::set<std::string> listed = capped_parameter(policy);
  CHECK(listed == std::set<std::string>{"021", "023", "052", "224", "262", "359"});  // the seed's list
  SECTION("bundled excerpt") { CHECK(capped_in_table(policy) == listed); }
  SECTION("CMS's full 2018 measures-data") {
    fs::path cms = test::source_path("../shared/cms/2018");
    if (!fs::exists(cms / "measures-data.json")) {
      WARN("skipped: " << cms.string() << " does not exist");
      return;
    }
    test::TempPolicy t;
    engine::cms::ImportOptions o;
    o.year = 2018;
    o.json = true;
    o.override_tables = true;
    o.extends = test::source_path("policies/2018").string();
    dsl::Diagnostics import_diags;
    REQUIRE(engine::cms::import_cms(cms / "measures-data.json", cms / "benchmarks.json", o, t.path("full"), import_diags));
    dsl::Diagnostics full_diags;
    auto full = engine::load_policy(t.path("full"), full_diags);
    INFO(full_diags.render(false));
    REQUIRE_FALSE(full_diags.has_errors());
    CHECK(capped_in_table(full) == listed);
  }
}
