// merit diff (engine/diff): the static diff of two policies, the behavioural diff of case files
// and its attribution, the renderers, and the worked example of docs/diff.md.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dsl/parser.hpp"
#include "engine/diff/diff.hpp"
#include "engine/diff/expr_text.hpp"
#include "support/policy_fixture.hpp"
#include "support/test_files.hpp"

using namespace merit;
namespace fs = std::filesystem;
namespace diff = engine::diff;

namespace {

// ---- small hand-written policies ----

using Files = std::map<std::string, std::string>;

struct Built {
  std::unique_ptr<test::TempPolicy> dir;
  engine::CompiledPolicy cp;
};

Built build(const Files& files) {
  Built b;
  b.dir = std::make_unique<test::TempPolicy>();
  for (const auto& [name, text] : files) b.dir->file(name, text);
  dsl::Diagnostics diags;
  b.cp = engine::compile_policy(b.dir->dir(), diags);
  INFO(diags.render(false));
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(b.cp.program);
  return b;
}

Built build_dir(const fs::path& dir) {
  Built b;
  dsl::Diagnostics diags;
  b.cp = engine::compile_policy(dir, diags);
  INFO(diags.render(false));
  REQUIRE_FALSE(diags.has_errors());
  return b;
}

const char* kPolicyYaml = R"(name: t
year: "2017"
require_citations: false
strict_inputs: false
parameters: [params.yaml]
tables: [measures.yaml, redistribution.yaml]
rules: [quality.merit, final.merit]
inputs:
  a: number
  b: number
outputs: [final.score]
)";

// Year A of the hand-written pair: score = a*w1 + b*w2 + the points of measure 001.
Files year_a() {
  return {
      {"policy.yaml", kPolicyYaml},
      {"params.yaml", R"(parameters:
  w1: {value: 60%, unit: percent, cite: "A 1"}
  w2: {value: 40%, unit: percent, cite: "A 2"}
  quality.limit: {value: 10, cite: "A 3", note: "[U] guess"}
  old_param: 3
  payment.performance_threshold: {value: 15, unit: points}
)"},
      {"measures.yaml", R"(table: quality.measures
key: [id]
columns: {id: string, weight: string, capped: bool, points: number}
rows:
  - {id: "001", weight: medium, capped: false, points: 10}
  - {id: "002", weight: high, capped: false, points: 20}
  - {id: "003", weight: medium, capped: true, points: 10}
)"},
      {"redistribution.yaml", R"(table: weights.redistribution
key: [standard, cost_reweighted]
columns: {standard: string, cost_reweighted: bool, quality: number, cost: number}
rows:
  - {standard: mips, cost_reweighted: false, quality: 50, cost: 10}
  - {standard: mips, cost_reweighted: true, quality: 60, cost: 0}
)"},
      {"quality.merit", R"(module quality
def a_part = input.a * param.w1
def b_part = input.b * param.w2
def big = if input.a > param.quality.limit then 1 else 0
def twice = let t = input.a in t * 2
def parts = a_part + b_part
def measure_points = param.quality.measures["001"].points
def old_rule = 1
)"},
      {"final.merit", R"(module final
def score = quality.a_part + quality.b_part + quality.measure_points
)"},
  };
}

// Year B: w1 60% -> 50%, w2 40% -> 70%, a new bonus read by b_part, measure 001 worth 12 points
// (and weighted high), 002 removed, 004 added, 003 no longer capped, one redistribution row
// changed, a citation-only change, a renamed let variable, a qualified name, a definition added
// and one removed, and a higher performance threshold.
Files year_b() {
  Files f = year_a();
  f["params.yaml"] = R"(parameters:
  w1: {value: 50%, unit: percent, cite: "B 1"}
  w2: {value: 70%, unit: percent, cite: "A 2"}
  quality.limit: {value: 10, cite: "B 3", note: "[U] guess"}
  bonus: {value: 2, unit: points, cite: "B 4"}
  payment.performance_threshold: {value: 90, unit: points}
)";
  f["measures.yaml"] = R"(table: quality.measures
key: [id]
columns: {id: string, weight: string, capped: bool, points: number}
rows:
  - {id: "001", weight: high, capped: false, points: 12}
  - {id: "003", weight: medium, capped: false, points: 10}
  - {id: "004", weight: medium, capped: false, points: 5}
)";
  f["redistribution.yaml"] = R"(table: weights.redistribution
key: [standard, cost_reweighted]
columns: {standard: string, cost_reweighted: bool, quality: number, cost: number}
rows:
  - {standard: mips, cost_reweighted: false, quality: 50, cost: 10}
  - {standard: mips, cost_reweighted: true, quality: 65, cost: 0}
)";
  f["quality.merit"] = R"(module quality
def a_part = input.a * param.w1
def b_part = input.b * param.w2 + param.bonus
def big = if input.a > param.quality.limit then 2 else 0
def twice = let u = input.a in u * 2   # the same rule with another variable name
def parts = quality.a_part + b_part
def measure_points
  cite "QMD"
  = param.quality.measures["001"].points
def new_rule = 2
)";
  return f;
}

const char* kCase = R"(case: t1
profile: {a: 80, b: 50}
submission: {entityType: individual, performanceYear: 2017, measurementSets: []}
)";

const diff::ParamDiff* param(const diff::StaticDiff& d, const std::string& name) {
  for (const auto& p : d.parameters)
    if (p.name == name) return &p;
  return nullptr;
}
const diff::DefDiff* def(const diff::StaticDiff& d, const std::string& name) {
  for (const auto& x : d.definitions)
    if (x.name == name) return &x;
  return nullptr;
}
const diff::TableDiff* table(const diff::StaticDiff& d, const std::string& name) {
  for (const auto& t : d.tables)
    if (t.name == name) return &t;
  return nullptr;
}

std::string dec(const dsl::Decimal& d) { return d.normalized().to_string(); }

// Parts of a case's final score by step label.
std::map<std::string, std::string> parts_by_step(const diff::Behaviour& b, const diff::CaseDiff& c) {
  std::map<std::string, std::string> out;
  REQUIRE(c.contributions.size() == b.steps.size());
  for (size_t k = 0; k < b.steps.size(); ++k) out[b.steps[k].label()] = dec(c.contributions[k]);
  return out;
}

}  // namespace

TEST_CASE("diff: a policy compared with itself has no difference", "[diff]") {
  Built a = build_dir(test::source_path("policies/2018"));
  Built b = build_dir(test::source_path("policies/2018"));
  auto d = diff::compare(a.cp, b.cp, {"policies/2018", "2018", "2018"}, {"policies/2018", "2018", "2018"});
  CHECK(d.empty());
  diff::RenderOptions o;
  CHECK_THAT(diff::render_text(d, nullptr, o), Catch::Contains("No differences: the two policies are the same."));
  CHECK_THAT(diff::render_markdown(d, nullptr, o), Catch::Contains("No differences"));
  auto j = nlohmann::json::parse(diff::render_json(d, nullptr, o));
  CHECK(j["identical"] == true);
  CHECK(j["parameters"].empty());

  SECTION("and its cases score the same, with no attribution step") {
    std::vector<fs::path> cases{test::source_path("tests/regression/2018/p08d-fs-15-neutral.yaml"),
                                test::source_path("tests/regression/2018/d10-full-final-score-with-bonuses.yaml")};
    auto beh = diff::compare_cases(a.cp, b.cp, d, cases);
    CHECK(beh.steps.empty());
    REQUIRE(beh.cases.size() == 2);
    for (const auto& c : beh.cases) {
      INFO(c.id << ": " << c.error);
      CHECK(c.error.empty());
      REQUIRE(c.delta);
      CHECK(c.delta->is_zero());
    }
  }
}

TEST_CASE("diff: parameters changed, added and removed, with both sides' values and sources", "[diff]") {
  Built a = build(year_a()), b = build(year_b());
  auto d = diff::compare(a.cp, b.cp, {"A", "", ""}, {"B", "", ""});
  const auto* w1 = param(d, "w1");
  REQUIRE(w1);
  CHECK(w1->change == diff::Change::Changed);
  CHECK(w1->before->value == "0.60");
  CHECK(w1->after->value == "0.50");
  CHECK(w1->before->unit == "percent");
  CHECK(w1->before->citations == std::vector<std::string>{"A 1"});
  CHECK(w1->after->citations == std::vector<std::string>{"B 1"});
  CHECK(w1->fields == std::vector<std::string>{"value", "cite"});
  CHECK(w1->value_changed());

  const auto* w2 = param(d, "w2");
  REQUIRE(w2);
  CHECK(w2->fields == std::vector<std::string>{"value"});

  const auto* limit = param(d, "quality.limit");  // only its citation changed
  REQUIRE(limit);
  CHECK(limit->fields == std::vector<std::string>{"cite"});
  CHECK_FALSE(limit->value_changed());
  CHECK(limit->before->note == "[U] guess");

  const auto* bonus = param(d, "bonus");
  REQUIRE(bonus);
  CHECK(bonus->change == diff::Change::Added);
  CHECK_FALSE(bonus->before);
  CHECK(bonus->after->value == "2");

  const auto* old = param(d, "old_param");
  REQUIRE(old);
  CHECK(old->change == diff::Change::Removed);
  CHECK(old->before->value == "3");

  CHECK(param(d, "quality.measures") == nullptr);  // tables are reported as tables
  CHECK(d.misaligned.empty());

  std::string text = diff::render_text(d, nullptr, {});
  CHECK_THAT(text, Catch::Contains("~ w1  0.60 → 0.50  percent"));
  CHECK_THAT(text, Catch::Contains("+ bonus = 2 points"));
  CHECK_THAT(text, Catch::Contains("- old_param = 3"));
  CHECK_THAT(text, Catch::Contains("~ quality.limit  10 (value unchanged)"));
}

TEST_CASE("diff: definitions whose logic changed, with the differing sub-expression marked", "[diff]") {
  Built a = build(year_a()), b = build(year_b());
  auto d = diff::compare(a.cp, b.cp, {"A", "", ""}, {"B", "", ""});

  SECTION("the smallest differing part is marked, and only it") {
    const auto* big = def(d, "quality.big");
    REQUIRE(big);
    CHECK(big->logic_changed);
    CHECK(diff::replace_marks(big->before, "⟦", "⟧") == "if input.a > param.quality.limit then ⟦1⟧ else 0");
    CHECK(diff::replace_marks(big->after, "⟦", "⟧") == "if input.a > param.quality.limit then ⟦2⟧ else 0");
    REQUIRE(big->parts.size() == 1);
    CHECK(big->parts[0] == std::pair<std::string, std::string>{"1", "2"});
    std::string text = diff::render_text(d, nullptr, {});
    CHECK_THAT(text, Catch::Contains("A: if input.a > param.quality.limit then ⟦1⟧ else 0"));
  }
  SECTION("a new read is a dependency change") {
    const auto* bp = def(d, "quality.b_part");
    REQUIRE(bp);
    CHECK(bp->logic_changed);
    // B wraps A's expression: only what was put around it is marked, on B's side.
    CHECK(diff::replace_marks(bp->before, "<", ">") == "input.b * param.w2");
    CHECK(diff::replace_marks(bp->after, "<", ">") == "input.b * param.w2 + <param.bonus>");
    CHECK(bp->parts == std::vector<std::pair<std::string, std::string>>{{"", "param.bonus"}});
    CHECK(bp->reads_added == std::vector<std::string>{"param.bonus"});
    CHECK(bp->reads_removed.empty());
  }
  SECTION("renaming a local value, or qualifying a name, is no change") {
    CHECK(def(d, "quality.twice") == nullptr);
    CHECK(def(d, "quality.parts") == nullptr);
    CHECK(def(d, "final.score") == nullptr);
  }
  SECTION("a citation change is reported apart from logic") {
    const auto* mp = def(d, "quality.measure_points");
    REQUIRE(mp);
    CHECK_FALSE(mp->logic_changed);
    CHECK(mp->citations_changed());
    CHECK(mp->citations_after == std::vector<std::string>{"QMD"});
  }
  SECTION("added and removed definitions") {
    const auto* added = def(d, "quality.new_rule");
    REQUIRE(added);
    CHECK(added->change == diff::Change::Added);
    CHECK(added->after == "2");
    CHECK(added->type_after == "number");
    const auto* removed = def(d, "quality.old_rule");
    REQUIRE(removed);
    CHECK(removed->change == diff::Change::Removed);
  }
}

TEST_CASE("diff: tables compared row by row on their key columns", "[diff]") {
  Built a = build(year_a()), b = build(year_b());
  auto d = diff::compare(a.cp, b.cp, {"A", "", ""}, {"B", "", ""});
  const auto* m = table(d, "quality.measures");
  REQUIRE(m);
  CHECK(m->noun() == "measures");
  CHECK(m->rows_before == 3);
  CHECK(m->rows_after == 3);
  CHECK(m->added == std::vector<std::vector<std::string>>{{"004"}});
  CHECK(m->removed == std::vector<std::vector<std::string>>{{"002"}});
  REQUIRE(m->changed.size() == 2);
  CHECK(m->changed[0].key == std::vector<std::string>{"001"});
  REQUIRE(m->changed[0].columns.size() == 2);
  CHECK(m->changed[0].columns[0].column == "points");
  CHECK(m->changed[0].columns[0].before == "10");
  CHECK(m->changed[0].columns[0].after == "12");
  CHECK(m->changed[0].columns[1].column == "weight");
  CHECK(m->changed[0].columns[1].before == "\"medium\"");
  CHECK(m->changed[0].columns[1].after == "\"high\"");
  CHECK(m->changed[1].key == std::vector<std::string>{"003"});
  REQUIRE(m->flips.size() == 1);
  CHECK(m->flips[0].column == "capped");
  CHECK(m->flips[0].to_false == 1);
  CHECK(m->flips[0].to_true == 0);
  CHECK(m->per_column == std::vector<std::pair<std::string, size_t>>{{"capped", 1}, {"points", 1}, {"weight", 1}});

  const auto* r = table(d, "weights.redistribution");
  REQUIRE(r);
  CHECK(r->key_after == std::vector<std::string>{"standard", "cost_reweighted"});
  CHECK(r->added.empty());
  CHECK(r->removed.empty());
  REQUIRE(r->changed.size() == 1);
  CHECK(r->changed[0].key == std::vector<std::string>{"mips", "true"});
  REQUIRE(r->changed[0].columns.size() == 1);
  CHECK(r->changed[0].columns[0].column == "quality");
  CHECK(r->changed[0].columns[0].before == "60");
  CHECK(r->changed[0].columns[0].after == "65");

  std::string text = diff::render_text(d, nullptr, {});
  CHECK_THAT(text, Catch::Contains("~ quality.measures (3 → 3 measures: 1 added, 1 removed, 2 changed)"));
  CHECK_THAT(text, Catch::Contains("capped in 1 row (0 became true, 1 became false)"));
  CHECK_THAT(text, Catch::Contains("~ [mips, true]  quality: 60 → 65"));

  SECTION("long lists only with --list") {
    Files fa = year_a(), fb = year_b();
    std::string rows_a = "table: quality.measures\nkey: [id]\ncolumns: {id: string, weight: string, capped: bool, points: number}\nrows:\n";
    std::string rows_b = rows_a;
    for (int i = 0; i < 20; ++i) {
      rows_a += fmt::format("  - {{id: \"{:03}\", weight: medium, capped: false, points: 10}}\n", i + 1);
      rows_b += fmt::format("  - {{id: \"{:03}\", weight: high, capped: false, points: 10}}\n", i + 1);
    }
    fa["measures.yaml"] = rows_a;
    fb["measures.yaml"] = rows_b;
    Built la = build(fa), lb = build(fb);
    auto ld = diff::compare(la.cp, lb.cp, {"A", "", ""}, {"B", "", ""});
    diff::RenderOptions o;
    CHECK_THAT(diff::render_text(ld, nullptr, o), Catch::Contains("(--list shows every row)"));
    CHECK_THAT(diff::render_text(ld, nullptr, o), !Catch::Contains("~ 017"));
    o.list = true;
    CHECK_THAT(diff::render_text(ld, nullptr, o), Catch::Contains("~ 017  weight: \"medium\" → \"high\""));
    auto j = nlohmann::json::parse(diff::render_json(ld, nullptr, {}));  // JSON always lists everything
    CHECK(j["tables"][0]["changed"].size() == 20);
  }
}

TEST_CASE("diff: a definition that changes type is reported precisely, and the rest still compared", "[diff]") {
  Files fa = year_a(), fb = year_a();
  fa["final.merit"] = "module final\ndef flag = input.a > 10\ndef score = if flag then 1 else 0\n";
  fb["final.merit"] = "module final\ndef flag = if input.a > 10 then 1 else 0\ndef score = flag * 5\n";
  fb["params.yaml"] = year_b()["params.yaml"];
  Built a = build(fa), b = build(fb);
  auto d = diff::compare(a.cp, b.cp, {"A", "", ""}, {"B", "", ""});
  REQUIRE(d.misaligned.size() == 1);
  CHECK(d.misaligned[0].kind == "definition");
  CHECK(d.misaligned[0].name == "final.flag");
  CHECK(d.misaligned[0].before == "bool");
  CHECK(d.misaligned[0].after == "number");
  const auto* flag = def(d, "final.flag");
  REQUIRE(flag);
  CHECK(flag->type_changed());
  CHECK(param(d, "w1"));  // everything else is still there
  std::string text = diff::render_text(d, nullptr, {});
  CHECK_THAT(text, Catch::Contains("cannot be aligned"));
  CHECK_THAT(text, Catch::Contains("definition final.flag: bool → number"));

  SECTION("attribution merges the step that cannot compile alone with the next") {
    test::TempPolicy cases;
    cases.file("t1.yaml", kCase);
    auto beh = diff::compare_cases(a.cp, b.cp, d, {cases.path("t1.yaml")});
    REQUIRE(beh.cases.size() == 1);
    const auto& c = beh.cases[0];
    INFO(c.error);
    REQUIRE(c.error.empty());
    CHECK(dec(*c.delta) == "4");  // 1 -> 5
    bool merged = false;
    for (size_t k = 0; k < beh.steps.size(); ++k)
      if (beh.steps[k].label() == "def final.flag + def final.score") {
        merged = true;
        CHECK_THAT(beh.steps[k].note, Catch::Contains("'def final.flag' does not compile without the next change"));
        CHECK(dec(c.contributions[k]) == "4");
      }
    CHECK(merged);
    CHECK(dec(diff::sum(c.contributions)) == "4");
  }
}

TEST_CASE("diff: attribution splits the change of the final score exactly", "[diff]") {
  Built a = build(year_a()), b = build(year_b());
  auto d = diff::compare(a.cp, b.cp, {"A", "", ""}, {"B", "", ""});
  test::TempPolicy cases;
  cases.file("t1.yaml", kCase);
  cases.file("t2.yaml", "case: t2\nprofile: {a: 7, b: 3}\nsubmission: {entityType: individual, performanceYear: 2017, measurementSets: []}\n");
  cases.file("bad.yaml", std::string(kCase) + "expected_error: I802\n");
  auto beh = diff::compare_cases(a.cp, b.cp, d, {cases.path("t1.yaml"), cases.path("t2.yaml"), cases.path("bad.yaml")});
  CHECK(beh.skipped == 1);
  REQUIRE(beh.cases.size() == 2);

  // The stated order: parameters by name, then tables by name, then definitions (dependencies
  // first), then every removal as one step.
  std::vector<std::string> labels;
  for (const auto& s : beh.steps) labels.push_back(s.label());
  REQUIRE(labels.size() >= 8);
  CHECK(labels[0] == "param bonus");
  CHECK(labels[1] == "param payment.performance_threshold");
  CHECK(labels[2] == "param w1");
  CHECK(labels[3] == "param w2");
  CHECK(labels[4] == "table quality.measures");
  CHECK(labels[5] == "table weights.redistribution");
  CHECK(labels.back() == "removed: param old_param, def quality.old_rule");

  for (const auto& c : beh.cases) {
    INFO(c.id << " " << c.error);
    REQUIRE(c.error.empty());
    auto parts = parts_by_step(beh, c);
    // score = a*w1 + b*w2 + points(001) [+ bonus]: each change's part in closed form.
    const bool t1 = c.id == "t1";
    CHECK(parts["param bonus"] == "0");                                   // nothing reads it yet
    CHECK(parts["param w1"] == (t1 ? "-8" : "-0.7"));                     // a * (0.5 - 0.6)
    CHECK(parts["param w2"] == (t1 ? "15" : "0.9"));                      // b * (0.7 - 0.4)
    CHECK(parts["table quality.measures"] == "2");                        // 001: 10 -> 12 points
    CHECK(parts["def quality.b_part"] == "2");                            // + bonus
    CHECK(parts["def quality.big"] == "0");
    CHECK(parts["table weights.redistribution"] == "0");
    // The parts sum exactly to B - A.
    std::string total = t1 ? "11" : "4.2";  // t1: 89 - 78; t2: (3.5 + 2.1 + 2 + 12) - (4.2 + 1.2 + 10)
    CHECK(dec(*c.delta) == total);
    CHECK(dec(diff::sum(c.contributions)) == total);
  }
  const auto& t1 = beh.cases[0];
  REQUIRE(t1.crossings.size() == 1);  // no exceptional threshold in these policies
  CHECK(t1.crossings[0].threshold == "performance");
  CHECK(t1.crossings[0].direction() == -1);  // 78 >= 15, 89 < 90
  CHECK(t1.metrics[0].name == "final.score");
  CHECK(t1.metrics[0].a_text == "78");
  CHECK(t1.metrics[0].b_text == "89");
  CHECK_FALSE(t1.adjustment_delta);  // no payment.adjustment rule

  std::string text = diff::render_text(d, &beh, {});
  CHECK_THAT(text, Catch::Contains("performance: at or above 15 → below 90"));
  CHECK_THAT(text, Catch::Contains("1 bad-input cases skipped"));
  std::string memo = diff::render_markdown(d, &beh, {});
  CHECK_THAT(memo, Catch::Contains("| 3 | param w1 | -8.7 | -4.35 | 2 |"));
}

TEST_CASE("diff: ids renamed by the submission format still match their rows", "[diff]") {
  auto with_aci = [](const std::string& prefix, const std::string& weight, const std::string& year) {
    Files f = year_a();
    std::string policy = kPolicyYaml;
    policy.replace(policy.find("year: \"2017\""), 12, "year: \"" + year + "\"");
    policy.replace(policy.find("tables: [measures.yaml, redistribution.yaml]"), 44,
                   "tables: [measures.yaml, redistribution.yaml, aci.yaml]\nsubmission:\n  categories: {aci: {table: aci.measures}}\n"
                   "  id_prefix_aliases: {\"ACI_\": \"PI_\"}");
    f["policy.yaml"] = policy;
    f["aci.yaml"] = "table: aci.measures\nkey: [id]\ncolumns: {id: string, weight: number, substitutes: \"list<string>\"}\nrows:\n"
                    "  - {id: \"" + prefix + "EP_1\", weight: " + weight + ", substitutes: [\"" + prefix + "LVPP_1\"]}\n"
                    "  - {id: \"" + prefix + "HIE_1\", weight: 10, substitutes: []}\n";
    return f;
  };
  Built a = build(with_aci("ACI_", "5", "2017")), b = build(with_aci("PI_", "10", "2018"));
  auto d = diff::compare(a.cp, b.cp, {"A", "", ""}, {"B", "", ""});
  const auto* t = table(d, "aci.measures");
  REQUIRE(t);
  CHECK(t->added.empty());
  CHECK(t->removed.empty());
  CHECK(t->renamed == 2);
  REQUIRE(t->changed.size() == 2);
  CHECK(t->changed[0].key == std::vector<std::string>{"PI_EP_1"});
  CHECK(t->changed[0].renamed_from == std::vector<std::string>{"ACI_EP_1"});
  REQUIRE(t->changed[0].columns.size() == 1);  // the id and the substitutes differ only by the prefix
  CHECK(t->changed[0].columns[0].column == "weight");
  CHECK(t->changed[1].columns.empty());
  CHECK_THAT(diff::render_text(d, nullptr, {}), Catch::Contains("~ PI_EP_1 (was ACI_EP_1)  weight: 5 → 10"));

  SECTION("a case is scored under each policy as submitted for that policy's year") {
    test::TempPolicy cases;
    cases.file("t1.yaml", kCase);  // performanceYear 2017
    auto beh = diff::compare_cases(a.cp, b.cp, d, {cases.path("t1.yaml")});
    REQUIRE(beh.cases.size() == 1);
    INFO(beh.cases[0].error);
    CHECK(beh.cases[0].error.empty());
    REQUIRE_FALSE(beh.steps.empty());
    CHECK(beh.steps[0].label() == "year");
  }
}

TEST_CASE("diff: filters select parameters, rules, data and a module", "[diff]") {
  Built a = build(year_a()), b = build(year_b());
  auto d = diff::compare(a.cp, b.cp, {"A", "", ""}, {"B", "", ""});
  diff::Filter f;
  std::string error;
  REQUIRE(diff::parse_only({"params"}, f, error));
  auto only_params = diff::filtered(d, f);
  CHECK_FALSE(only_params.parameters.empty());
  CHECK(only_params.definitions.empty());
  CHECK(only_params.tables.empty());

  f = {};
  REQUIRE(diff::parse_only({"rules,data"}, f, error));
  auto rules_data = diff::filtered(d, f);
  CHECK(rules_data.parameters.empty());
  CHECK_FALSE(rules_data.definitions.empty());
  CHECK_FALSE(rules_data.tables.empty());

  f = {};
  REQUIRE(diff::parse_only({"rules", "data"}, f, error));
  CHECK((f.rules && f.data && !f.params));

  f = {};
  f.module = "quality";
  auto quality = diff::filtered(d, f);
  for (const auto& p : quality.parameters) CHECK(p.name.rfind("quality.", 0) == 0);
  CHECK(param(quality, "quality.limit"));
  CHECK(param(quality, "w1") == nullptr);
  CHECK(table(quality, "quality.measures"));
  CHECK(table(quality, "weights.redistribution") == nullptr);
  for (const auto& x : quality.definitions) CHECK(x.module == "quality");

  f = {};
  f.module = "final";
  auto final_only = diff::filtered(d, f);
  CHECK(final_only.empty());
  diff::RenderOptions o;
  o.filter = f;
  CHECK_THAT(diff::render_text(final_only, nullptr, o), Catch::Contains("No differences in what is shown."));

  f = {};
  CHECK_FALSE(diff::parse_only({"params,bogus"}, f, error));
  CHECK_THAT(error, Catch::Contains("'bogus'"));
}

TEST_CASE("diff: JSON has a stable shape and key order", "[diff]") {
  Built a = build(year_a()), b = build(year_b());
  auto d = diff::compare(a.cp, b.cp, {"A", "t", "2017"}, {"B", "t", "2017"});
  test::TempPolicy cases;
  cases.file("t1.yaml", kCase);
  auto beh = diff::compare_cases(a.cp, b.cp, d, {cases.path("t1.yaml")});
  std::string text = diff::render_json(d, &beh, {});
  CHECK(text == diff::render_json(d, &beh, {}));  // deterministic
  auto j = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"a", "b", "filter", "identical", "summary", "misaligned", "settings", "inputs",
                                         "parameters", "definitions", "functions", "tables", "cases"});
  CHECK(j["identical"] == false);
  CHECK(j["summary"]["parameters"] == nlohmann::ordered_json::parse(R"({"changed": 4, "added": 1, "removed": 1})"));
  const auto& w1 = j["parameters"][4];
  CHECK(w1["name"] == "w1");
  CHECK(w1["before"]["value"] == "0.60");
  CHECK(w1["after"]["value"] == "0.50");
  CHECK(w1["before"]["cite"][0] == "A 1");
  bool big = false;
  for (const auto& x : j["definitions"])
    if (x["name"] == "quality.big") {
      big = true;
      CHECK(x["before"] == "if input.a > param.quality.limit then ⟦1⟧ else 0");
      CHECK(x["differing_parts"][0]["after"] == "2");
    }
  CHECK(big);
  const auto& c = j["cases"]["cases"][0];
  CHECK(c["id"] == "t1");
  CHECK(c["delta"] == 11);
  CHECK(c["metrics"]["final.score"]["a"] == 78);
  CHECK(c["metrics"]["payment.adjustment"]["a"] == "-");
  CHECK(c["crossings"][0]["crossing"] == "down");
  CHECK(j["cases"]["summary"]["final_score"]["total_delta"] == 11);
}

TEST_CASE("diff: the infix printer writes text that parses back to the same tree", "[diff]") {
  Built p = build_dir(test::source_path("policies/2018"));
  size_t n = 0;
  auto round_trip = [&](const dsl::Expr& body, const std::string& name) {
    std::string text = diff::expr_text(body);
    dsl::Diagnostics diags;
    auto parsed = dsl::parse_expression(dsl::Source::from_text(name, text), diags);
    INFO(name << ": " << text << "\n" << diags.render(false));
    REQUIRE(parsed);
    CHECK(dsl::dump(*parsed) == dsl::dump(body));
    ++n;
  };
  for (const auto& d : p.cp.policy.definitions) round_trip(*d->body, d->qualified());
  for (const auto& f : p.cp.policy.functions) round_trip(*f->body, f->qualified());
  CHECK(n > 100);

  SECTION("precedence and associativity") {
    for (std::string src : {"(1 - 2) - 3", "1 - (2 - 3)", "-(1 + 2) * 3", "not (a and b) or c", "(a ?? b) ?? c", "a ?? (b ?? c)",
                            "(if a then 1 else 2) + 3", "1 + (if a then 1 else 2)", "f(x => x + 1, [1, 2], {a: 1})[0].b",
                            "(1 + 2).x", "- -1", "(a < b) == c", "let x = 1, y = 2 in x + y", "case when a then 1 else 2 end + 1",
                            "\"a\\\"b\" == :sym", "$90,000 * 2"}) {
      dsl::Diagnostics diags;
      auto e = dsl::parse_expression(dsl::Source::from_text("t", src), diags);
      INFO(src << "\n" << diags.render(false));
      REQUIRE(e);
      std::string printed = diff::expr_text(*e);
      auto again = dsl::parse_expression(dsl::Source::from_text("t", printed), diags);
      INFO(printed);
      REQUIRE(again);
      CHECK(dsl::dump(*again) == dsl::dump(*e));
    }
  }
}

// docs/diff.md's worked example is this test's output: the markdown between the markers must be
// exactly what the tool prints. UPDATE_GOLDEN=1 rewrites it. To show another pair of years,
// change kExample (and, if the cases do not fit the years, kExampleCases).
TEST_CASE("diff: the worked example in docs/diff.md is the tool's output", "[diff][docs]") {
  const std::pair<std::string, std::string> kExample{"policies/2017", "policies/2018"};
  const std::vector<std::string> kExampleCases{"policies/2017/examples/clinic.yaml",
                                               "policies/2018/examples/clinic.yaml",
                                               "tests/regression/2017/d01-test-pace-one-measure-fs-3.yaml",
                                               "tests/regression/2018/d05b-large-practice-dc-failure-cost-reweighted.yaml"};
  Built a = build_dir(test::source_path(kExample.first));
  Built b = build_dir(test::source_path(kExample.second));
  auto d = diff::compare(a.cp, b.cp, {kExample.first, a.cp.policy.name, a.cp.policy.year},
                         {kExample.second, b.cp.policy.name, b.cp.policy.year});
  std::vector<fs::path> cases;
  for (const auto& c : kExampleCases) cases.push_back(test::source_path(c));
  auto beh = diff::compare_cases(a.cp, b.cp, d, cases);
  for (auto& c : beh.cases) c.file = fs::relative(c.file, test::source_path("")).string();
  diff::RenderOptions o;
  o.heading = 3;
  std::string memo = diff::render_markdown(d, &beh, o);
  // Paths in notes (a case that does not bind after a step) are shown relative to the repository,
  // so that the page is the same in every checkout.
  const std::string root = test::source_path("").string() + (test::source_path("").string().ends_with('/') ? "" : "/");
  for (size_t pos; (pos = memo.find(root)) != std::string::npos;) memo.erase(pos, root.size());

  const std::string begin = "<!-- diff-example:begin -->\n", end = "<!-- diff-example:end -->";
  fs::path doc = test::source_path("docs/diff.md");
  std::string text = test::read_text(doc);
  auto from = text.find(begin), to = text.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  from += begin.size();
  REQUIRE(from <= to);
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    text.replace(from, to - from, memo);
    std::ofstream(doc, std::ios::binary) << text;
    SUCCEED("rewrote the example in " << doc.string());
    return;
  }
  std::string shown = text.substr(from, to - from);
  INFO("docs/diff.md's example differs from the tool's output (run this test with UPDATE_GOLDEN=1):\n" << memo);
  CHECK(shown == memo);
}
