// The QPP Submissions API reader (engine/cms/submission.hpp): CMS's JSON -> the normalised
// `entity_type`, `performance_year` and `measurement_sets` of docs/inputs.md ("The submission").
// The small policy below has a `submission:` block like policies/2018 and tiny measure tables;
// the real CMS sample files (../shared/cms/samples) are read against tables made from the real
// measures-data.json of their year, and their expected values are the numbers in the samples.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/cms/submission.hpp"
#include "support/policy_fixture.hpp"
#include "support/test_files.hpp"

using namespace merit;
namespace fs = std::filesystem;

namespace {

const char* const kMeasurementSetsType =
    "\"list<{category: string, method: string, measures: list<{id: string, kind: string, flag: bool, numerator: "
    "number, denominator: number, end_to_end: bool, score: number, strata: list<{name: string, met: number, "
    "not_met: number, eligible: number, exclusions: number, exceptions: number}>}>}>\"";

// A policy for `year` with the 2018 submission block; `tables` maps file name -> table text.
struct SubPolicy {
  test::TempPolicy files;
  engine::CompiledPolicy compiled;
  std::string rendered;
};

std::unique_ptr<SubPolicy> make_policy(const std::string& year, const std::map<std::string, std::string>& tables,
                                       const std::string& submission_block) {
  auto p = std::make_unique<SubPolicy>();
  std::string names;
  for (const auto& [file, text] : tables) {
    p->files.file(file, text);
    names += (names.empty() ? "" : ", ") + file;
  }
  p->files.file("rules.merit",
                "module s\n"
                "def sets = count(input.measurement_sets)\n"
                "def measures = sum(input.measurement_sets, s => count(s.measures))\n");
  p->files.file("policy.yaml", fmt::format("name: sub\nyear: \"{}\"\nrequire_citations: false\n"
                                           "tables: [{}]\nrules: [rules.merit]\n{}"
                                           "inputs:\n  entity_type: string\n  performance_year: number\n"
                                           "  measurement_sets: {}\n",
                                           year, names, submission_block, kMeasurementSetsType));
  dsl::Diagnostics diags;
  p->compiled = engine::compile_policy(p->files.dir(), diags);
  p->rendered = diags.render();
  return p;
}

const char* const kSubmissionBlock = R"(submission:
  categories:
    quality: {table: quality.measures}
    ia: {table: ia.activities}
    pi: {table: aci.measures}
    aci: {table: aci.measures, as: pi}
    cost: {}
  id_prefix_aliases:
    "ACI_": "PI_"
)";

std::string table(const std::string& name, const std::string& rows) {
  return fmt::format("table: {}\nkey: [id]\n"
                     "columns: {{id: string, metric_type: string, first_year: number, last_year: number}}\n"
                     "rows:\n{}",
                     name, rows);
}

// The tiny 2018 policy most tests use.
const SubPolicy& policy2018() {
  static auto p = make_policy(
      "2018",
      {{"quality.yaml", table("quality.measures", R"(  - {id: "001", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "046", metric_type: multiPerformanceRate, first_year: 2017, last_year: 0}
  - {id: "110", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "236", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: ACEP32, metric_type: nonProportion, first_year: 2017, last_year: 0}
  - {id: CAHPS_1, metric_type: cahps, first_year: 2017, last_year: 0}
  - {id: OLD_1, metric_type: singlePerformanceRate, first_year: 2017, last_year: 2017}
  - {id: OLD_2, metric_type: singlePerformanceRate, first_year: 2015, last_year: 2017}
  - {id: OLD_3, metric_type: singlePerformanceRate, first_year: 0, last_year: 2016}
  - {id: NEW_1, metric_type: singlePerformanceRate, first_year: 2019, last_year: 0}
)")},
       {"ia.yaml", table("ia.activities", R"(  - {id: IA_EPA_4, metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: IA_PM_2, metric_type: boolean, first_year: 2017, last_year: 0}
)")},
       {"aci.yaml", table("aci.measures", R"(  - {id: PI_EP_1, metric_type: proportion, first_year: 2017, last_year: 0}
  - {id: PI_HIE_1, metric_type: proportion, first_year: 2017, last_year: 0}
  - {id: PI_INFBLO_1, metric_type: boolean, first_year: 2017, last_year: 0}
)")}},
      kSubmissionBlock);
  return *p;
}

// The same categories with no measure tables: nothing to check ids against, no metric types.
const SubPolicy& policy_without_tables() {
  static auto p = make_policy("2018", {{"empty.yaml", "table: unused\nkey: [id]\nrows:\n  - {id: a}\n"}},
                              "submission:\n  categories:\n    quality: {}\n    pi: {}\n    aci: {as: pi}\n");
  return *p;
}

// A compact, deterministic text for a Document: {key: value, ...}, strings quoted.
std::string dump(const engine::Document& d) {
  using K = engine::Document::Kind;
  switch (d.kind) {
    case K::Null: return "null";
    case K::Bool: return d.flag ? "true" : "false";
    case K::Number: return d.text;
    case K::String: return fmt::format("\"{}\"", d.text);
    case K::Array: {
      std::string s = "[";
      for (size_t i = 0; i < d.items.size(); ++i) s += (i ? ", " : "") + dump(d.items[i]);
      return s + "]";
    }
    case K::Object: {
      std::string s = "{";
      for (size_t i = 0; i < d.items.size(); ++i) s += (i ? ", " : "") + d.keys[i] + ": " + dump(d.items[i]);
      return s + "}";
    }
  }
  return "?";
}

struct Read {
  bool ok = false;
  engine::Document out;  // the object the fields were appended to
  std::string rendered;  // the diagnostics, sorted, as the CLI prints them
  bool has(const std::string& text) const { return rendered.find(text) != std::string::npos; }
  const engine::Document& sets() const { return *out.find("measurement_sets"); }
  // Set i, measure j, as text.
  std::string measure(size_t i, size_t j) const {
    return dump(sets().items.at(i).find("measures")->items.at(j));
  }
};

Read read_text(const SubPolicy& p, const std::string& text, const std::string& file = "submission.json") {
  INFO(p.rendered);
  REQUIRE(!p.compiled.policy.name.empty());
  Read r;
  dsl::Diagnostics diags;
  auto src = dsl::Source::from_text(file, text);
  auto doc = engine::parse_document(src, diags);
  REQUIRE(doc);
  r.out.kind = engine::Document::Kind::Object;
  r.ok = engine::cms::read_submission(*doc, p.compiled.policy, src, r.out, diags);
  diags.sort();
  r.rendered = diags.render();
  return r;
}

// A submission with one measurement set of `category` holding `measurements` (JSON text).
std::string one_set(const std::string& category, const std::string& measurements, int year = 2018) {
  return fmt::format(R"({{"entityType": "individual", "performanceYear": {}, "measurementSets": [
  {{"category": "{}", "submissionMethod": "registry", "measurements": [{}]}}]}})",
                     year, category, measurements);
}

// A measure's normalised text, with defaults for what a test does not name.
std::string measure(const std::string& id, const std::string& kind, const std::string& rest) {
  return fmt::format("{{id: \"{}\", kind: \"{}\", {}}}", id, kind, rest);
}

std::string stratum(const std::string& name, const std::string& met, const std::string& not_met,
                    const std::string& eligible, const std::string& exclusions, const std::string& exceptions) {
  return fmt::format("{{name: \"{}\", met: {}, not_met: {}, eligible: {}, exclusions: {}, exceptions: {}}}", name, met,
                     not_met, eligible, exclusions, exceptions);
}

}  // namespace

// ---- shapes -------------------------------------------------------------------------------

TEST_CASE("submission: the top-level fields become entity_type, performance_year, measurement_sets", "[submission]") {
  Read r = read_text(policy2018(), one_set("ia", R"({"measureId": "IA_EPA_4", "value": true})"));
  INFO(r.rendered);
  REQUIRE(r.ok);
  CHECK(r.rendered.empty());
  CHECK(dump(r.out) ==
        "{entity_type: \"individual\", performance_year: 2018, measurement_sets: [{category: \"ia\", method: "
        "\"registry\", measures: [{id: \"IA_EPA_4\", kind: \"boolean\", flag: true, numerator: 0, denominator: 0, "
        "end_to_end: false, score: 0, strata: []}]}]}");
}

TEST_CASE("submission: a boolean value is kind boolean with its flag", "[submission]") {
  Read r = read_text(policy2018(), one_set("ia", R"({"measureId": "IA_EPA_4", "value": true},
                                                     {"measureId": "IA_PM_2", "value": false})"));
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) == measure("IA_EPA_4", "boolean",
                                    "flag: true, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: []"));
  CHECK(r.measure(0, 1) == measure("IA_PM_2", "boolean",
                                    "flag: false, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: []"));
}

TEST_CASE("submission: numerator and denominator make a proportion", "[submission]") {
  Read r = read_text(policy2018(), one_set("pi", R"({"measureId": "PI_EP_1", "value": {"numerator": 150, "denominator": 200}})"));
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) == measure("PI_EP_1", "proportion",
                                    "flag: false, numerator: 150, denominator: 200, end_to_end: false, score: 0, strata: []"));
}

TEST_CASE("submission: a single performance rate is one stratum named \"\"", "[submission]") {
  Read r = read_text(policy2018(), one_set("quality", R"({"measureId": "110", "value": {
      "eligiblePopulationExclusion": 0, "eligiblePopulation": 562, "performanceMet": 305,
      "eligiblePopulationException": 2, "performanceNotMet": 255, "isEndToEndReported": true}})"));
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) == measure("110", "performance",
                                    "flag: false, numerator: 0, denominator: 0, end_to_end: true, score: 0, strata: [" +
                                        stratum("", "305", "255", "562", "0", "2") + "]"));
}

TEST_CASE("submission: a multi performance rate keeps one stratum per entry, in order", "[submission]") {
  Read r = read_text(policy2018(), one_set("quality", R"({"measureId": "046", "value": {"strata": [
      {"eligiblePopulationExclusion": 0, "eligiblePopulation": 60, "performanceMet": 47, "eligiblePopulationException": 0, "performanceNotMet": 13, "stratum": "18-64"},
      {"eligiblePopulationExclusion": 1, "eligiblePopulation": 86, "performanceMet": 73, "eligiblePopulationException": 2, "performanceNotMet": 10, "stratum": "65+"},
      {"eligiblePopulation": 147, "performanceMet": 121, "performanceNotMet": 26, "stratum": "overall"}],
      "isEndToEndReported": false}})"));
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) ==
        measure("046", "performance",
                "flag: false, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: [" +
                    stratum("18-64", "47", "13", "60", "0", "0") + ", " + stratum("65+", "73", "10", "86", "1", "2") +
                    ", " + stratum("overall", "121", "26", "147", "0", "0") + "]"));
}

TEST_CASE("submission: the metric type nonProportion makes a QCDR value non_proportion", "[submission]") {
  // ACEP32 is nonProportion in the table: numerator and denominator are then a QCDR measure's.
  Read r = read_text(policy2018(), one_set("quality", R"({"measureId": "ACEP32", "value": {"numerator": 1.26, "denominator": 2.91}})"));
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) == measure("ACEP32", "non_proportion",
                                    "flag: false, numerator: 1.26, denominator: 2.91, end_to_end: false, score: 0, strata: []"));
  // A non-proportion may exceed 1 (it is a ratio, not a share) and be fractional.
  Read big = read_text(policy2018(), one_set("quality", R"({"measureId": "ACEP32", "value": {"numerator": 9.5, "denominator": 2}})"));
  CHECK(big.ok);
}

TEST_CASE("submission: a proportion measure stays a proportion whatever extra fields it carries", "[submission]") {
  Read r = read_text(policy2018(), one_set("pi", R"({"measureId": "PI_EP_1", "value": {"numerator": 1, "denominator": 2, "isEndToEndReported": true}})"));
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) == measure("PI_EP_1", "proportion",
                                    "flag: false, numerator: 1, denominator: 2, end_to_end: true, score: 0, strata: []"));
}

TEST_CASE("submission: without a metric type the shape decides proportion or non_proportion", "[submission]") {
  const SubPolicy& p = policy_without_tables();
  Read prop = read_text(p, one_set("pi", R"({"measureId": "PI_X", "value": {"numerator": 3, "denominator": 4}})"));
  REQUIRE(prop.ok);
  CHECK(prop.measure(0, 0) == measure("PI_X", "proportion",
                                       "flag: false, numerator: 3, denominator: 4, end_to_end: false, score: 0, strata: []"));
  // Fields only a QCDR non-proportion value has (the 2019 CMS example's ACRAD15).
  for (const char* extra : {"\"isEndToEndReported\": false", "\"numeratorExclusion\": 0", "\"denominatorException\": 30",
                            "\"observationInstances\": 80"}) {
    INFO(extra);
    Read np = read_text(p, one_set("quality", fmt::format(R"({{"measureId": "ANY9", "value": {{"numerator": 3, "denominator": 1000, {}}}}})", extra)));
    REQUIRE(np.ok);
    CHECK(np.measure(0, 0).find("kind: \"non_proportion\"") != std::string::npos);
  }
  // And with no table, any id is accepted.
  Read any = read_text(p, one_set("quality", R"({"measureId": "999", "value": {"performanceMet": 1, "eligiblePopulation": 1}})"));
  CHECK(any.ok);
}

TEST_CASE("submission: a CAHPS value is kind cahps with its score", "[submission]") {
  Read r = read_text(policy2018(), one_set("quality", R"({"measureId": "CAHPS_1", "value": {"score": 78.25, "reliability": "moderate", "mask": false, "isBelowMinimum": false}})"));
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) == measure("CAHPS_1", "cahps",
                                    "flag: false, numerator: 0, denominator: 0, end_to_end: false, score: 78.25, strata: []"));
}

// ---- defaults, aliases, wrapper, extra fields, numbers -------------------------------------

TEST_CASE("submission: absent and null counts are 0, absent isEndToEndReported is false", "[submission]") {
  Read r = read_text(policy2018(), one_set("quality", R"({"measureId": "110", "value": {"performanceMet": 10, "eligiblePopulation": 12,
      "eligiblePopulationExclusion": null, "eligiblePopulationException": null}},
    {"measureId": "046", "value": {"strata": [{"performanceMet": 2, "eligiblePopulation": 3}]}})"));
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) == measure("110", "performance",
                                    "flag: false, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: [" +
                                        stratum("", "10", "0", "12", "0", "0") + "]"));
  // A stratum without a name is named "".
  CHECK(r.measure(0, 1).find(stratum("", "2", "0", "3", "0", "0")) != std::string::npos);
  // A set without measurements (or with null) has none.
  Read e = read_text(policy2018(), R"({"entityType": "group", "performanceYear": 2018, "measurementSets": [
      {"category": "ia", "submissionMethod": "registry"}, {"category": "ia", "submissionMethod": "claims", "measurements": null}]})");
  REQUIRE(e.ok);
  CHECK(dump(e.sets()) == "[{category: \"ia\", method: \"registry\", measures: []}, "
                          "{category: \"ia\", method: \"claims\", measures: []}]");
  // No sets at all is a valid (empty) submission.
  Read none = read_text(policy2018(), R"({"entityType": "group", "performanceYear": 2018, "measurementSets": []})");
  CHECK(none.ok);
  CHECK(dump(none.sets()) == "[]");
}

TEST_CASE("submission: category and measure id aliases (aci -> pi, ACI_ -> PI_)", "[submission]") {
  Read r = read_text(policy2018(), one_set("aci", R"({"measureId": "ACI_EP_1", "value": {"numerator": 1, "denominator": 1}},
                                                      {"measureId": "PI_HIE_1", "value": {"numerator": 0, "denominator": 0}},
                                                      {"measureId": "ACI_INFBLO_1", "value": true})"));
  INFO(r.rendered);
  REQUIRE(r.ok);
  const auto& set = r.sets().items.at(0);
  CHECK(dump(*set.find("category")) == "\"pi\"");
  CHECK(r.measure(0, 0).rfind("{id: \"PI_EP_1\", kind: \"proportion\"", 0) == 0);
  CHECK(r.measure(0, 1).rfind("{id: \"PI_HIE_1\", kind: \"proportion\"", 0) == 0);
  CHECK(r.measure(0, 2).rfind("{id: \"PI_INFBLO_1\", kind: \"boolean\", flag: true", 0) == 0);
  // The canonical name is a category too.
  Read pi = read_text(policy2018(), one_set("pi", R"({"measureId": "ACI_EP_1", "value": {"numerator": 1, "denominator": 1}})"));
  REQUIRE(pi.ok);
  CHECK(dump(*pi.sets().items.at(0).find("category")) == "\"pi\"");
}

TEST_CASE("submission: the API's response wrapper {data: {submission: ...}} is read through", "[submission]") {
  std::string inner = one_set("ia", R"({"measureId": "IA_EPA_4", "value": true})");
  Read r = read_text(policy2018(), "{\"data\": {\"submission\": " + inner + "}}");
  REQUIRE(r.ok);
  CHECK(dump(r.out).rfind("{entity_type: \"individual\", performance_year: 2018, measurement_sets: [{category: \"ia\"", 0) == 0);
  // Its paths name the wrapper.
  Read bad = read_text(policy2018(), R"({"data": {"submission": {"entityType": "group", "performanceYear": 2018,
      "measurementSets": [{"category": "ia", "submissionMethod": 3}]}}})");
  CHECK_FALSE(bad.ok);
  CHECK(bad.has("error[I801]: $.data.submission.measurementSets[0].submissionMethod: expected string, found 3\n"));
}

TEST_CASE("submission: identifiers and the fields the API adds are accepted and not scored", "[submission]") {
  Read r = read_text(policy2018(), R"({"id": "a1b2", "createdAt": "2018-02-01T00:00:00Z", "updatedAt": "2018-02-02T00:00:00Z",
    "programName": "mips", "entityType": "group", "taxpayerIdentificationNumber": "000123456",
    "nationalProviderIdentifier": null, "entityId": null, "performanceYear": 2018,
    "measurementSets": [{"id": "s1", "submissionId": "a1b2", "submitterId": "x", "submitterType": "organization",
      "category": "quality", "submissionMethod": "electronicHealthRecord", "programName": "mips",
      "performanceStart": "2018-01-01", "performanceEnd": "2018-12-31", "cehrtId": "0015E181NBE3YEG",
      "measureSet": "generalPracticeFamilyMedicine", "practiceId": 7, "source": "qrda3",
      "measurements": [{"id": "m1", "measurementSetId": "s1", "measureId": "110", "value": {
        "isEndToEndReported": true, "performanceMet": 10, "performanceNotMet": 0, "eligiblePopulation": 10,
        "reportingRate": 100, "performanceRate": 100, "numeratorExclusion": 0}}]}]})");
  INFO(r.rendered);
  REQUIRE(r.ok);
  CHECK(dump(r.out) ==
        "{entity_type: \"group\", performance_year: 2018, measurement_sets: [{category: \"quality\", method: "
        "\"electronicHealthRecord\", measures: [" +
            measure("110", "performance",
                    "flag: false, numerator: 0, denominator: 0, end_to_end: true, score: 0, strata: [" +
                        stratum("", "10", "0", "10", "0", "0") + "]") +
            "]}]}");
}

TEST_CASE("submission: numbers keep their text; the output binds to the policy's input type", "[submission]") {
  Read r = read_text(policy2018(), R"({"entityType": "individual", "performanceYear": 2018, "measurementSets": [
    {"category": "quality", "submissionMethod": "registry", "measurements": [
      {"measureId": "110", "value": {"performanceMet": 1e2, "performanceNotMet": 10.0, "eligiblePopulation": 120}},
      {"measureId": "ACEP32", "value": {"numerator": 0.100000000000000005, "denominator": 1.50}}]},
    {"category": "aci", "submissionMethod": "registry", "measurements": [{"measureId": "ACI_EP_1", "value": {"numerator": 1, "denominator": 2}}]}]})");
  INFO(r.rendered);
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0).find(stratum("", "1e2", "10.0", "120", "0", "0")) != std::string::npos);
  CHECK(r.measure(0, 1).find("numerator: 0.100000000000000005, denominator: 1.50") != std::string::npos);

  // The normalised fields are exactly what the policy declares (strict binding).
  const engine::Program& program = *policy2018().compiled.program;
  engine::Evaluator ev(program);
  engine::Value input;
  dsl::Diagnostics diags;
  REQUIRE(engine::bind_input(r.out, program.inputs(), program.input_type(), true, ev.arena(), input, diags, nullptr));
  const engine::Outcome& o = ev.evaluate(input);
  for (size_t d = 0; d < program.definitions().size(); ++d) {
    const auto& def = program.definitions()[d];
    REQUIRE(o.state[d] == engine::Outcome::State::Ok);
    if (def.name == "s.sets") CHECK(engine::to_string(o.values[d], def.type) == "2");
    if (def.name == "s.measures") CHECK(engine::to_string(o.values[d], def.type) == "3");
  }
}

TEST_CASE("submission: existing fields of the output object are kept or replaced, never duplicated", "[submission]") {
  const SubPolicy& p = policy2018();
  auto src = dsl::Source::from_text("submission.json", one_set("ia", R"({"measureId": "IA_EPA_4", "value": true})"));
  dsl::Diagnostics diags;
  auto doc = engine::parse_document(src, diags);
  REQUIRE(doc);
  engine::Document out;
  out.kind = engine::Document::Kind::Object;
  out.keys = {"clinicians", "entity_type"};
  out.items.resize(2);
  out.items[0].kind = engine::Document::Kind::Number;
  out.items[0].text = "4";
  REQUIRE(engine::cms::read_submission(*doc, p.compiled.policy, src, out, diags));
  CHECK(out.keys == std::vector<std::string>{"clinicians", "entity_type", "performance_year", "measurement_sets"});
  CHECK(dump(out).rfind("{clinicians: 4, entity_type: \"individual\", performance_year: 2018", 0) == 0);
}

TEST_CASE("submission: a YAML submission (as a case file carries it) reads the same, with located errors",
          "[submission]") {
  const std::string yaml = R"(entityType: group
performanceYear: 2018
measurementSets:
  - category: quality
    submissionMethod: registry
    measurements:
      - measureId: "110"
        value: {performanceMet: 5, performanceNotMet: 1, eligiblePopulation: 8, isEndToEndReported: true}
      - measureId: ACEP32
        value: {numerator: 1.5, denominator: 3}
)";
  Read r = read_text(policy2018(), yaml, "case.yaml");
  INFO(r.rendered);
  REQUIRE(r.ok);
  CHECK(r.measure(0, 0) == measure("110", "performance",
                                    "flag: false, numerator: 0, denominator: 0, end_to_end: true, score: 0, strata: [" +
                                        stratum("", "5", "1", "8", "0", "0") + "]"));
  CHECK(r.measure(0, 1).find("numerator: 1.5, denominator: 3") != std::string::npos);

  Read bad = read_text(policy2018(), R"(entityType: group
performanceYear: 2018
measurementSets:
  - category: qualty
    submissionMethod: registry
    measurements:
      - measureId: "110"
        value: {performanceMet: -5, eligiblePopulation: "8"}
)", "case.yaml");
  CHECK_FALSE(bad.ok);
  CHECK(bad.rendered ==
        "case.yaml:4:15: error[I804]: $.measurementSets[0].category: 'qualty' is not a category\n"
        "   |\n"
        " 4 |   - category: qualty\n"
        "   |               ^\n"
        "   = help: did you mean 'quality'?\n"
        "case.yaml:8:33: error[I807]: $.measurementSets[0].measurements[0].value.performanceMet: -5 is negative\n"
        "   |\n"
        " 8 |         value: {performanceMet: -5, eligiblePopulation: \"8\"}\n"
        "   |                                 ^\n"
        "case.yaml:8:57: error[I801]: $.measurementSets[0].measurements[0].value.eligiblePopulation: expected a "
        "whole number, found \"8\"\n"
        "   |\n"
        " 8 |         value: {performanceMet: -5, eligiblePopulation: \"8\"}\n"
        "   |                                                         ^\n"
        "3 errors, 0 warnings\n");
}

// ---- errors -------------------------------------------------------------------------------

TEST_CASE("submission: I801 wrong types name the JSON path and the file", "[submission]") {
  struct Case {
    std::string json, message;
  };
  std::vector<Case> cases = {
      {"[1, 2]", "$: expected an object (a QPP submission), found a list"},
      {R"({"entityType": 1, "performanceYear": 2018, "measurementSets": []})", "$.entityType: expected string, found 1"},
      {R"({"entityType": "group", "performanceYear": "2018", "measurementSets": []})",
       "$.performanceYear: expected a whole number, found \"2018\""},
      {R"({"entityType": "group", "performanceYear": 2018.5, "measurementSets": []})",
       "$.performanceYear: expected a whole number, found 2018.5"},
      {R"({"entityType": "group", "performanceYear": 2018, "measurementSets": {}})",
       "$.measurementSets: expected a list, found an object"},
      {R"({"entityType": "group", "performanceYear": 2018, "measurementSets": [7]})",
       "$.measurementSets[0]: expected an object, found 7"},
      {R"({"entityType": "group", "performanceYear": 2018, "measurementSets": [{"category": null, "submissionMethod": "x"}]})",
       "$.measurementSets[0].category: expected string, found null"},
      {R"({"entityType": "group", "performanceYear": 2018, "measurementSets": [{"category": "ia", "submissionMethod": "x", "measurements": true}]})",
       "$.measurementSets[0].measurements: expected a list, found true"},
      {one_set("ia", "\"IA_EPA_4\""), "$.measurementSets[0].measurements[0]: expected an object, found \"IA_EPA_4\""},
      {one_set("ia", R"({"measureId": 4, "value": true})"), "$.measurementSets[0].measurements[0].measureId: expected string, found 4"},
      {one_set("ia", R"({"measureId": "IA_EPA_4", "value": "yes"})"),
       "$.measurementSets[0].measurements[0].value: expected bool or an object, found \"yes\""},
      {one_set("ia", R"({"measureId": "IA_EPA_4", "value": {"answer": true}})"),
       "$.measurementSets[0].measurements[0].value: expected bool, found an object"},
      {one_set("quality", R"({"measureId": "110", "value": {"isEndToEndReported": "yes", "performanceMet": 1, "eligiblePopulation": 1}})"),
       "$.measurementSets[0].measurements[0].value.isEndToEndReported: expected bool, found \"yes\""},
      {one_set("quality", R"({"measureId": "110", "value": {"performanceMet": "800", "eligiblePopulation": 1000}})"),
       "$.measurementSets[0].measurements[0].value.performanceMet: expected a whole number, found \"800\""},
      {one_set("quality", R"({"measureId": "110", "value": {"performanceMet": 1.5, "eligiblePopulation": 1000}})"),
       "$.measurementSets[0].measurements[0].value.performanceMet: expected a whole number, found 1.5"},
      {one_set("quality", R"({"measureId": "110", "value": {"performanceMet": 1e-20, "eligiblePopulation": 1000}})"),
       "$.measurementSets[0].measurements[0].value.performanceMet: expected a whole number, found 1e-20"},
      {one_set("quality", R"({"measureId": "046", "value": {"strata": {"stratum": "overall"}}})"),
       "$.measurementSets[0].measurements[0].value.strata: expected a list, found an object"},
      {one_set("quality", R"({"measureId": "046", "value": {"strata": [3]}})"),
       "$.measurementSets[0].measurements[0].value.strata[0]: expected an object, found 3"},
      {one_set("quality", R"({"measureId": "046", "value": {"strata": [{"stratum": 65, "performanceMet": 1, "eligiblePopulation": 1}]}})"),
       "$.measurementSets[0].measurements[0].value.strata[0].stratum: expected string, found 65"},
      {one_set("quality", R"({"measureId": "ACEP32", "value": {"numerator": "1.26", "denominator": 2.91}})"),
       "$.measurementSets[0].measurements[0].value.numerator: expected number, found \"1.26\""},
      {one_set("pi", R"({"measureId": "PI_EP_1", "value": {"numerator": 1.5, "denominator": 2}})"),
       "$.measurementSets[0].measurements[0].value.numerator: expected a whole number, found 1.5"},
      {one_set("quality", R"({"measureId": "CAHPS_1", "value": {"score": true}})"),
       "$.measurementSets[0].measurements[0].value.score: expected number, found true"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    Read r = read_text(policy2018(), c.json);
    CHECK_FALSE(r.ok);
    CHECK(r.has("error[I801]: " + c.message + "\n"));
    CHECK(r.has("   = note: in submission.json\n"));
    CHECK(r.out.keys.empty());  // nothing appended on error
  }
}

TEST_CASE("submission: I802 each required field", "[submission]") {
  struct Case {
    std::string json, message;
  };
  std::vector<Case> cases = {
      {R"({"performanceYear": 2018, "measurementSets": []})", "$.entityType: required field is missing"},
      {R"({"entityType": "group", "measurementSets": []})", "$.performanceYear: required field is missing"},
      {R"({"entityType": "group", "performanceYear": 2018})", "$.measurementSets: required field is missing"},
      {R"({"entityType": "group", "performanceYear": 2018, "measurementSets": [{"submissionMethod": "registry"}]})",
       "$.measurementSets[0].category: required field is missing"},
      {R"({"entityType": "group", "performanceYear": 2018, "measurementSets": [{"category": "ia"}]})",
       "$.measurementSets[0].submissionMethod: required field is missing"},
      {one_set("ia", R"({"value": true})"), "$.measurementSets[0].measurements[0].measureId: required field is missing"},
      {one_set("ia", R"({"measureId": "IA_EPA_4"})"), "$.measurementSets[0].measurements[0].value: required field is missing"},
      {one_set("pi", R"({"measureId": "PI_EP_1", "value": {"numerator": 1}})"),
       "$.measurementSets[0].measurements[0].value.denominator: required field is missing"},
      {one_set("pi", R"({"measureId": "PI_EP_1", "value": {"denominator": 1}})"),
       "$.measurementSets[0].measurements[0].value.numerator: required field is missing"},
      {one_set("quality", R"({"measureId": "110", "value": {"performanceNotMet": 1, "eligiblePopulation": 1}})"),
       "$.measurementSets[0].measurements[0].value.performanceMet: required field is missing"},
      {one_set("quality", R"({"measureId": "110", "value": {"isEndToEndReported": true, "performanceMet": 1}})"),
       "$.measurementSets[0].measurements[0].value.eligiblePopulation: required field is missing"},
      {one_set("quality", R"({"measureId": "046", "value": {"strata": [{"stratum": "a", "eligiblePopulation": 1}]}})"),
       "$.measurementSets[0].measurements[0].value.strata[0].performanceMet: required field is missing"},
      {one_set("quality", R"({"measureId": "046", "value": {"strata": [{"stratum": "a", "performanceMet": 1}]}})"),
       "$.measurementSets[0].measurements[0].value.strata[0].eligiblePopulation: required field is missing"},
      // A value with no telling field: the metric type says which fields it lacks.
      {one_set("quality", R"({"measureId": "110", "value": {"isEndToEndReported": true}})"),
       "$.measurementSets[0].measurements[0].value.performanceMet: required field is missing"},
      {one_set("quality", R"({"measureId": "046", "value": {"isEndToEndReported": true}})"),
       "$.measurementSets[0].measurements[0].value.strata: expected a list, found an object"},
      {one_set("quality", R"({"measureId": "CAHPS_1", "value": {"reliability": "low"}})"),
       "$.measurementSets[0].measurements[0].value.score: required field is missing"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    Read r = read_text(policy2018(), c.json);
    CHECK_FALSE(r.ok);
    CHECK(r.has(c.message + "\n"));
    CHECK(r.out.keys.empty());
  }
  // A value with no telling field and no metric type to ask.
  Read u = read_text(policy_without_tables(), one_set("quality", R"({"measureId": "110", "value": {"isEndToEndReported": true}})"));
  CHECK(u.has("error[I801]: $.measurementSets[0].measurements[0].value: expected bool or a measure value, found an object\n"));
}

TEST_CASE("submission: I804 an unknown category, with did-you-mean or the list", "[submission]") {
  Read r = read_text(policy2018(), R"({"entityType": "group", "performanceYear": 2018, "measurementSets": [
    {"category": "ia", "submissionMethod": "registry", "measurements": []},
    {"category": "qualty", "submissionMethod": "registry", "measurements": []},
    {"category": "promoting", "submissionMethod": "registry", "measurements": []}]})");
  CHECK_FALSE(r.ok);
  CHECK(r.rendered ==
        "error[I804]: $.measurementSets[1].category: 'qualty' is not a category\n"
        "   = note: in submission.json\n"
        "   = help: did you mean 'quality'?\n"
        "error[I804]: $.measurementSets[2].category: 'promoting' is not a category\n"
        "   = note: in submission.json\n"
        "   = help: the categories are quality, ia, pi, aci, cost\n"
        "2 errors, 0 warnings\n");
  // A measure in an unknown set is not looked up (no second error for it).
  Read m = read_text(policy2018(), one_set("iaa", R"({"measureId": "XYZ", "value": true})"));
  CHECK(m.rendered.find("I805") == std::string::npos);
  CHECK(m.has("error[I804]"));
}

TEST_CASE("submission: I805 a measure that is not in the year's table", "[submission]") {
  Read r = read_text(policy2018(), one_set("quality", R"({"measureId": "999", "value": {"performanceMet": 1, "eligiblePopulation": 1}})"));
  CHECK_FALSE(r.ok);
  CHECK(r.rendered ==
        "error[I805]: $.measurementSets[0].measurements[0].measureId: '999' is not a 2018 quality measure\n"
        "   = note: in submission.json\n"
        "   = help: the 2018 measures of 'quality' are the rows of table 'quality.measures'\n"
        "1 error, 0 warnings\n");
  // A near miss gets a suggestion (case, or a small edit for ids with letters).
  Read c = read_text(policy2018(), one_set("ia", R"({"measureId": "ia_epa_4", "value": true})"));
  CHECK(c.has("error[I805]: $.measurementSets[0].measurements[0].measureId: 'ia_epa_4' is not a 2018 ia measure\n"));
  CHECK(c.has("   = help: did you mean 'IA_EPA_4'?\n"));
  Read q = read_text(policy2018(), one_set("quality", R"({"measureId": "ACEP23", "value": {"numerator": 1, "denominator": 2}})"));
  CHECK(q.has("   = help: did you mean 'ACEP32'?\n"));
  // An aliased id says what it was looked up as.
  Read a = read_text(policy2018(), one_set("aci", R"({"measureId": "ACI_PHCDRR_5", "value": true})"));
  CHECK(a.has("error[I805]: $.measurementSets[0].measurements[0].measureId: 'ACI_PHCDRR_5' is not a 2018 aci measure\n"));
  CHECK(a.has("   = help: looked up as 'PI_PHCDRR_5' in table 'aci.measures'\n"));
  // A measure of another category's table.
  Read o = read_text(policy2018(), one_set("ia", R"({"measureId": "PI_INFBLO_1", "value": true})"));
  CHECK(o.has("'PI_INFBLO_1' is not a 2018 ia measure"));
}

TEST_CASE("submission: I805 a measure outside its first_year..last_year", "[submission]") {
  auto msg = [](const std::string& id) {
    Read r = read_text(policy2018(), one_set("quality", fmt::format(R"({{"measureId": "{}", "value": {{"performanceMet": 1, "eligiblePopulation": 1}}}})", id)));
    CHECK_FALSE(r.ok);
    CHECK(r.has("   = help: the policy is for 2018\n"));
    return r.rendered.substr(0, r.rendered.find('\n'));
  };
  CHECK(msg("OLD_1") == "error[I805]: $.measurementSets[0].measurements[0].measureId: 'OLD_1' is a quality measure of 2017 only");
  CHECK(msg("OLD_2") == "error[I805]: $.measurementSets[0].measurements[0].measureId: 'OLD_2' is a quality measure of 2015 to 2017");
  CHECK(msg("OLD_3") == "error[I805]: $.measurementSets[0].measurements[0].measureId: 'OLD_3' is a quality measure until 2016");
  CHECK(msg("NEW_1") == "error[I805]: $.measurementSets[0].measurements[0].measureId: 'NEW_1' is a quality measure from 2019 on");
}

TEST_CASE("submission: I806 a submission for another year", "[submission]") {
  Read r = read_text(policy2018(), one_set("ia", R"({"measureId": "IA_EPA_4", "value": true})", 2017));
  CHECK_FALSE(r.ok);
  CHECK(r.rendered ==
        "error[I806]: $.performanceYear: 2017, but the policy is for 2018\n"
        "   = note: in submission.json\n"
        "   = help: read it with the 2017 policy, or correct performanceYear\n"
        "1 error, 0 warnings\n");
  CHECK(r.out.keys.empty());
}

TEST_CASE("submission: I807 negative and inconsistent counts", "[submission]") {
  struct Case {
    std::string measurements, message;
  };
  std::vector<Case> cases = {
      {R"({"measureId": "110", "value": {"performanceMet": -3, "eligiblePopulation": 10}})",
       "$.measurementSets[0].measurements[0].value.performanceMet: -3 is negative"},
      {R"({"measureId": "110", "value": {"performanceMet": 3, "performanceNotMet": -1, "eligiblePopulation": 10}})",
       "$.measurementSets[0].measurements[0].value.performanceNotMet: -1 is negative"},
      {R"({"measureId": "110", "value": {"performanceMet": 3, "eligiblePopulation": -10}})",
       "$.measurementSets[0].measurements[0].value.eligiblePopulation: -10 is negative"},
      {R"({"measureId": "110", "value": {"performanceMet": 3, "eligiblePopulation": 10, "eligiblePopulationExclusion": -2}})",
       "$.measurementSets[0].measurements[0].value.eligiblePopulationExclusion: -2 is negative"},
      {R"({"measureId": "110", "value": {"performanceMet": 3, "eligiblePopulation": 10, "eligiblePopulationException": -2}})",
       "$.measurementSets[0].measurements[0].value.eligiblePopulationException: -2 is negative"},
      {R"({"measureId": "110", "value": {"performanceMet": 50, "performanceNotMet": 20, "eligiblePopulation": 60}})",
       "$.measurementSets[0].measurements[0].value: performanceMet + performanceNotMet (70) exceeds eligiblePopulation (60)"},
      {R"({"measureId": "046", "value": {"strata": [{"stratum": "a", "performanceMet": 1, "eligiblePopulation": 1},
          {"stratum": "b", "performanceMet": 5, "performanceNotMet": 1, "eligiblePopulation": 5}]}})",
       "$.measurementSets[0].measurements[0].value.strata[1]: performanceMet + performanceNotMet (6) exceeds "
       "eligiblePopulation (5)"},
      {R"({"measureId": "PI_EP_1", "value": {"numerator": 11, "denominator": 10}})",
       "$.measurementSets[0].measurements[0].value: numerator (11) exceeds denominator (10)"},
      {R"({"measureId": "PI_EP_1", "value": {"numerator": 1, "denominator": 0}})",
       "$.measurementSets[0].measurements[0].value: numerator (1) exceeds denominator (0)"},
      {R"({"measureId": "PI_EP_1", "value": {"numerator": -1, "denominator": 0}})",
       "$.measurementSets[0].measurements[0].value.numerator: -1 is negative"},
  };
  for (const auto& c : cases) {
    INFO(c.measurements);
    std::string category = c.measurements.find("PI_") != std::string::npos ? "pi" : "quality";
    Read r = read_text(policy2018(), one_set(category, c.measurements));
    CHECK_FALSE(r.ok);
    CHECK(r.has("error[I807]: " + c.message + "\n"));
    CHECK(r.out.keys.empty());
  }
  // Counts at the limit are fine: met + not met == eligible, numerator == denominator, 0/0.
  Read ok = read_text(policy2018(), one_set("quality", R"({"measureId": "110", "value": {"performanceMet": 50, "performanceNotMet": 10, "eligiblePopulation": 60}})"));
  CHECK(ok.ok);
  Read zero = read_text(policy2018(), one_set("pi", R"({"measureId": "PI_EP_1", "value": {"numerator": 0, "denominator": 0}})"));
  CHECK(zero.ok);
  // Counts too large to add still compare (no overflow).
  Read huge = read_text(policy2018(), one_set("quality", R"({"measureId": "110", "value": {"performanceMet": 99999999999999999999999999999999999999, "performanceNotMet": 99999999999999999999999999999999999999, "eligiblePopulation": 1}})"));
  CHECK(huge.has("performanceMet + performanceNotMet (99999999999999999999999999999999999999 + "
                 "99999999999999999999999999999999999999) exceeds eligiblePopulation (1)"));
}

TEST_CASE("submission: I808 the same measure twice in one set, with a note at the first", "[submission]") {
  Read r = read_text(policy2018(), one_set("quality", R"({"measureId": "110", "value": {"performanceMet": 1, "eligiblePopulation": 1}},
      {"measureId": "046", "value": {"strata": []}},
      {"measureId": "110", "value": {"performanceMet": 2, "eligiblePopulation": 2}})"));
  CHECK_FALSE(r.ok);
  CHECK(r.rendered ==
        "error[I808]: $.measurementSets[0].measurements[2]: measure '110' already reported at [0]\n"
        "   = note: first reported at $.measurementSets[0].measurements[0]\n"
        "   = note: in submission.json\n"
        "   = help: report each measure once per measurement set\n"
        "1 error, 0 warnings\n");
  // After aliases: ACI_EP_1 and PI_EP_1 are the same measure.
  Read a = read_text(policy2018(), one_set("aci", R"({"measureId": "ACI_EP_1", "value": {"numerator": 1, "denominator": 1}},
      {"measureId": "PI_EP_1", "value": {"numerator": 1, "denominator": 1}})"));
  CHECK(a.has("error[I808]: $.measurementSets[0].measurements[1]: measure 'PI_EP_1' already reported at [0]\n"));
  // The same measure in two sets is fine (CMS scores each set and picks the best).
  Read two = read_text(policy2018(), R"({"entityType": "group", "performanceYear": 2018, "measurementSets": [
      {"category": "ia", "submissionMethod": "registry", "measurements": [{"measureId": "IA_EPA_4", "value": true}]},
      {"category": "ia", "submissionMethod": "claims", "measurements": [{"measureId": "IA_EPA_4", "value": true}]}]})");
  CHECK(two.ok);
  // In YAML the note points at the first one.
  Read y = read_text(policy2018(), R"(entityType: group
performanceYear: 2018
measurementSets:
  - category: ia
    submissionMethod: registry
    measurements:
      - {measureId: IA_EPA_4, value: true}
      - {measureId: IA_EPA_4, value: false}
)", "case.yaml");
  CHECK(y.rendered ==
        "case.yaml:8:9: error[I808]: $.measurementSets[0].measurements[1]: measure 'IA_EPA_4' already reported at [0]\n"
        "   |\n"
        " 8 |       - {measureId: IA_EPA_4, value: false}\n"
        "   |         ^\n"
        "case.yaml:7:9: note: first reported here\n"
        "   |\n"
        " 7 |       - {measureId: IA_EPA_4, value: true}\n"
        "   |         ^\n"
        "   = help: report each measure once per measurement set\n"
        "1 error, 0 warnings\n");
}

TEST_CASE("submission: every problem is reported in one run", "[submission]") {
  Read r = read_text(policy2018(), R"({"entityType": "group", "performanceYear": 2017, "measurementSets": [
    {"category": "qualty", "submissionMethod": "registry", "measurements": [{"measureId": "110", "value": true}]},
    {"category": "quality", "measurements": [
      {"measureId": "999", "value": {"performanceMet": 1, "eligiblePopulation": 1}},
      {"measureId": "110", "value": {"performanceMet": -1, "eligiblePopulation": 1}},
      {"measureId": "046", "value": {"strata": [{"stratum": "x", "performanceMet": 9, "performanceNotMet": 9, "eligiblePopulation": 10}]}},
      {"measureId": "110", "value": {"performanceMet": 1, "eligiblePopulation": "1"}}]},
    {"category": "pi", "submissionMethod": "registry", "measurements": [{"measureId": "PI_EP_1", "value": {"numerator": 3, "denominator": 2}}]}]})");
  CHECK_FALSE(r.ok);
  CHECK(r.out.keys.empty());
  // Sorted by code (JSON has no positions), in document order within a code.
  CHECK(r.rendered ==
        "error[I801]: $.measurementSets[1].measurements[3].value.eligiblePopulation: expected a whole number, found \"1\"\n"
        "   = note: in submission.json\n"
        "error[I802]: $.measurementSets[1].submissionMethod: required field is missing\n"
        "   = note: in submission.json\n"
        "error[I804]: $.measurementSets[0].category: 'qualty' is not a category\n"
        "   = note: in submission.json\n"
        "   = help: did you mean 'quality'?\n"
        "error[I805]: $.measurementSets[1].measurements[0].measureId: '999' is not a 2018 quality measure\n"
        "   = note: in submission.json\n"
        "   = help: the 2018 measures of 'quality' are the rows of table 'quality.measures'\n"
        "error[I806]: $.performanceYear: 2017, but the policy is for 2018\n"
        "   = note: in submission.json\n"
        "   = help: read it with the 2017 policy, or correct performanceYear\n"
        "error[I807]: $.measurementSets[1].measurements[1].value.performanceMet: -1 is negative\n"
        "   = note: in submission.json\n"
        "error[I807]: $.measurementSets[1].measurements[2].value.strata[0]: performanceMet + performanceNotMet (18) "
        "exceeds eligiblePopulation (10)\n"
        "   = note: in submission.json\n"
        "error[I807]: $.measurementSets[2].measurements[0].value: numerator (3) exceeds denominator (2)\n"
        "   = note: in submission.json\n"
        "error[I808]: $.measurementSets[1].measurements[3]: measure '110' already reported at [1]\n"
        "   = note: first reported at $.measurementSets[1].measurements[1]\n"
        "   = note: in submission.json\n"
        "   = help: report each measure once per measurement set\n"
        "9 errors, 0 warnings\n");
}

// ---- the real CMS sample files -------------------------------------------------------------

namespace {

fs::path shared_cms(const std::string& relative) { return test::source_path("../shared/cms/" + relative); }

// Tables for `year` made from CMS's own measures-data.json (id, metric_type, first/last year),
// as merit import-cms names them; null when the file is not there.
const SubPolicy* real_policy(int year) {
  static std::map<int, std::unique_ptr<SubPolicy>> cache;
  if (auto it = cache.find(year); it != cache.end()) return it->second.get();
  fs::path file = shared_cms(fmt::format("{}/measures-data.json", year));
  if (!fs::exists(file)) return nullptr;
  dsl::Diagnostics diags;
  auto src = dsl::Source::from_text(file.string(), test::read_text(file));
  auto doc = engine::parse_document(src, diags, "json");
  REQUIRE(doc);
  std::map<std::string, std::string> rows;  // table file -> rows
  const std::map<std::string, std::string> files = {
      {"quality", "quality.yaml"}, {"ia", "ia.yaml"}, {"aci", "aci.yaml"}, {"pi", "aci.yaml"}, {"cost", "cost.yaml"}};
  for (const auto& m : doc->items) {
    const engine::Document* category = m.find("category");
    REQUIRE(category);
    auto year_text = [&](const char* key) {
      const engine::Document* y = m.find(key);
      return y && y->kind == engine::Document::Kind::Number ? y->text : std::string("0");
    };
    rows[files.at(category->text)] +=
        fmt::format("  - {{id: \"{}\", metric_type: \"{}\", first_year: {}, last_year: {}}}\n", m.find("measureId")->text,
                    m.find("metricType")->text, year_text("firstPerformanceYear"), year_text("lastPerformanceYear"));
  }
  const std::map<std::string, std::string> names = {{"quality.yaml", "quality.measures"},
                                                    {"ia.yaml", "ia.activities"},
                                                    {"aci.yaml", "aci.measures"},
                                                    {"cost.yaml", "cost.measures"}};
  std::map<std::string, std::string> tables;
  for (const auto& [f, text] : rows) tables[f] = table(names.at(f), text);
  // 2017 calls the category aci; 2018 renamed it pi (policies/2018/policy.yaml).
  std::string block = year == 2017 ? "submission:\n  categories:\n    quality: {table: quality.measures}\n"
                                     "    ia: {table: ia.activities}\n    aci: {table: aci.measures}\n"
                                     "    cost: {table: cost.measures}\n"
                                   : std::string(kSubmissionBlock);
  auto p = make_policy(std::to_string(year), tables, block);
  INFO(p->rendered);
  REQUIRE(p->compiled.program);
  return (cache[year] = std::move(p)).get();
}

// Reads a CMS sample against the real tables of its year; null (with a warning) when absent.
std::optional<Read> read_sample(const std::string& relative, int year) {
  fs::path file = shared_cms("samples/" + relative);
  const SubPolicy* p = real_policy(year);
  if (!fs::exists(file) || !p) {
    WARN("skipped: " << file.string() << " or the " << year << " measures-data.json is not there");
    return std::nullopt;
  }
  return read_text(*p, test::read_text(file), file.filename().string());
}

// Every measurement of the sample, checked field by field against the normalised output (the
// expected values are the sample's own numbers; a count the sample leaves out or sets to null is 0).
void check_against_source(const Read& r, const std::string& relative) {
  dsl::Diagnostics diags;
  fs::path file = shared_cms("samples/" + relative);
  auto doc = engine::parse_document(dsl::Source::from_text(file.string(), test::read_text(file)), diags, "json");
  REQUIRE(doc);
  const engine::Document* sub = &*doc;
  if (const auto* d = sub->find("data")) sub = d->find("submission");
  const auto& sets = sub->find("measurementSets")->items;
  REQUIRE(r.sets().items.size() == sets.size());
  auto num = [](const engine::Document* v) { return v && v->kind == engine::Document::Kind::Number ? v->text : "0"; };
  for (size_t i = 0; i < sets.size(); ++i) {
    const auto& ms = sets[i].find("measurements")->items;
    const auto& out = r.sets().items[i].find("measures")->items;
    REQUIRE(out.size() == ms.size());
    CHECK(r.sets().items[i].find("method")->text == sets[i].find("submissionMethod")->text);
    for (size_t j = 0; j < ms.size(); ++j) {
      INFO(relative << " set " << i << " measure " << j);
      const engine::Document& v = *ms[j].find("value");
      const engine::Document& o = out[j];
      if (v.kind == engine::Document::Kind::Bool) {
        CHECK(o.find("kind")->text == "boolean");
        CHECK(o.find("flag")->flag == v.flag);
        continue;
      }
      const engine::Document* e2e = v.find("isEndToEndReported");
      CHECK(o.find("end_to_end")->flag == (e2e && e2e->flag));
      if (v.find("numerator")) {
        CHECK(o.find("numerator")->text == v.find("numerator")->text);
        CHECK(o.find("denominator")->text == v.find("denominator")->text);
        continue;
      }
      std::vector<const engine::Document*> strata;
      if (const auto* s = v.find("strata"))
        for (const auto& x : s->items) strata.push_back(&x);
      else
        strata.push_back(&v);
      const auto& os = o.find("strata")->items;
      REQUIRE(os.size() == strata.size());
      for (size_t k = 0; k < strata.size(); ++k) {
        const engine::Document& s = *strata[k];
        const engine::Document* name = s.find("stratum");
        CHECK(os[k].find("name")->text == (name ? name->text : ""));
        CHECK(os[k].find("met")->text == num(s.find("performanceMet")));
        CHECK(os[k].find("not_met")->text == num(s.find("performanceNotMet")));
        CHECK(os[k].find("eligible")->text == num(s.find("eligiblePopulation")));
        CHECK(os[k].find("exclusions")->text == num(s.find("eligiblePopulationExclusion")));
        CHECK(os[k].find("exceptions")->text == num(s.find("eligiblePopulationException")));
      }
    }
  }
}

}  // namespace

TEST_CASE("submission: CMS PY2017 scoring example (response wrapper, aci, null counts)", "[submission][cms]") {
  const std::string rel = "submissions-docs/py2017_scoring-example-submission-input.json";
  auto r = read_sample(rel, 2017);
  if (!r) return;
  INFO(r->rendered);
  REQUIRE(r->ok);
  CHECK(dump(*r->out.find("entity_type")) == "\"group\"");
  CHECK(dump(*r->out.find("performance_year")) == "2017");
  CHECK(r->sets().items.size() == 3);
  CHECK(dump(*r->sets().items[2].find("category")) == "\"aci\"");  // 2017 has no pi
  CHECK(r->measure(0, 0) == measure("IA_AHE_1", "boolean",
                                     "flag: true, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: []"));
  // "005": met 10000, exclusion and exception null, not met 0, eligible 10000.
  CHECK(r->measure(1, 0) == measure("005", "performance",
                                     "flag: false, numerator: 0, denominator: 0, end_to_end: true, score: 0, strata: [" +
                                         stratum("", "10000", "0", "10000", "0", "0") + "]"));
  CHECK(r->measure(2, 0) == measure("ACI_EP_1", "proportion",
                                     "flag: false, numerator: 10, denominator: 10, end_to_end: false, score: 0, strata: []"));
  CHECK(r->measure(2, 5) == measure("ACI_ONCACB_1", "boolean",
                                     "flag: false, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: []"));
  check_against_source(*r, rel);
}

TEST_CASE("submission: CMS PY2017 schema sample (multi-rate strata without performanceNotMet)", "[submission][cms]") {
  const std::string rel = "submissions-schema/py2017_submission.json";
  auto r = read_sample(rel, 2017);
  if (!r) return;
  INFO(r->rendered);
  REQUIRE(r->ok);
  CHECK(r->measure(2, 0) == measure("391", "performance",
                                     "flag: false, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: [" +
                                         stratum("30days", "2", "0", "10", "2", "0") + ", " +
                                         stratum("overall", "2", "0", "6", "0", "1") + "]"));
  CHECK(r->measure(2, 1) == measure("093", "performance",
                                     "flag: false, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: [" +
                                         stratum("", "1", "1", "5", "1", "1") + "]"));
  check_against_source(*r, rel);
}

TEST_CASE("submission: CMS PY2018 examples (quality with a QCDR measure, ia, pi)", "[submission][cms]") {
  const std::string q = "submissions-docs/py2018_submission-example-quality.json";
  if (auto r = read_sample(q, 2018)) {
    INFO(r->rendered);
    // The example's performanceStart/End are 2016 dates: dates are not scored, so not checked.
    REQUIRE(r->ok);
    CHECK(r->measure(0, 0) == measure("046", "performance",
                                       "flag: false, numerator: 0, denominator: 0, end_to_end: true, score: 0, strata: [" +
                                           stratum("18-64", "47", "13", "60", "0", "0") + ", " +
                                           stratum("65+", "73", "13", "86", "0", "0") + ", " +
                                           stratum("overall", "121", "26", "147", "0", "0") + "]"));
    CHECK(r->measure(0, 1) == measure("110", "performance",
                                       "flag: false, numerator: 0, denominator: 0, end_to_end: true, score: 0, strata: [" +
                                           stratum("", "305", "255", "562", "0", "2") + "]"));
    // ACEP32 is a QCDR measure, nonProportion in CMS's 2018 measures-data.json.
    CHECK(r->measure(0, 2) == measure("ACEP32", "non_proportion",
                                       "flag: false, numerator: 150, denominator: 5320, end_to_end: true, score: 0, strata: []"));
    check_against_source(*r, q);
  }
  const std::string ia = "submissions-docs/py2018_submission-example-ia.json";
  if (auto r = read_sample(ia, 2018)) {
    REQUIRE(r->ok);
    CHECK(r->sets().items.at(0).find("measures")->items.size() == 4);
    CHECK(r->measure(0, 3) == measure("IA_PM_2", "boolean",
                                       "flag: true, numerator: 0, denominator: 0, end_to_end: false, score: 0, strata: []"));
    check_against_source(*r, ia);
  }
  const std::string pi = "submissions-docs/py2018_submission-example-aci.json";
  if (auto r = read_sample(pi, 2018)) {
    INFO(r->rendered);
    REQUIRE(r->ok);
    CHECK(dump(*r->sets().items.at(0).find("category")) == "\"pi\"");
    CHECK(r->measure(0, 2) == measure("PI_EP_1", "proportion",
                                       "flag: false, numerator: 150, denominator: 200, end_to_end: false, score: 0, strata: []"));
    check_against_source(*r, pi);
  }
}

TEST_CASE("submission: CMS PY2019 examples and the QRDA converter output", "[submission][cms]") {
  for (const char* rel : {"submissions-docs/py2019_submission-example-quality.json",
                          "submissions-docs/py2019_submission-example-ia.json",
                          "submissions-docs/py2019_submission-example-pi.json",
                          "conversion-tool/py2019_valid-mips-sample-file-qpp.json"}) {
    INFO(rel);
    auto r = read_sample(rel, 2019);
    if (!r) continue;
    INFO(r->rendered);
    REQUIRE(r->ok);
    check_against_source(*r, rel);
  }
  if (auto r = read_sample("submissions-docs/py2019_submission-example-quality.json", 2019)) {
    // ACRAD15 (QCDR, nonProportion) with its extra fields.
    CHECK(r->measure(0, 2) == measure("ACRAD15", "non_proportion",
                                       "flag: false, numerator: 3, denominator: 1000, end_to_end: false, score: 0, strata: []"));
  }
  if (auto r = read_sample("conversion-tool/py2019_valid-mips-sample-file-qpp.json", 2019)) {
    CHECK(r->sets().items.size() == 3);
    CHECK(r->measure(0, 5) == measure("305", "performance",
                                       "flag: false, numerator: 0, denominator: 0, end_to_end: true, score: 0, strata: [" +
                                           stratum("14DaysOfDiagnosis", "800", "100", "1000", "100", "0") + ", " +
                                           stratum("30DaysOfVisit", "800", "100", "1000", "100", "0") + "]"));
    CHECK(r->measure(1, 0) == measure("PI_PEA_1", "proportion",
                                       "flag: false, numerator: 600, denominator: 800, end_to_end: false, score: 0, strata: []"));
  }
}

TEST_CASE("submission: a CMS sample read against the wrong year's policy", "[submission][cms]") {
  // The 2019 PI example under the 2018 rules: I806, and PI_HIE_4, which CMS added in 2019.
  auto r = read_sample("submissions-docs/py2019_submission-example-pi.json", 2018);
  if (!r) return;
  CHECK_FALSE(r->ok);
  CHECK(r->rendered.find("error[I806]: $.performanceYear: 2019, but the policy is for 2018\n") != std::string::npos);
  CHECK(r->rendered.find("error[I805]: $.measurementSets[0].measurements[5].measureId: 'PI_HIE_4' is not a 2018 pi "
                         "measure\n") != std::string::npos);
  CHECK(r->rendered.find("2 errors, 0 warnings") != std::string::npos);
}
