// merit import-cms (engine/cms/import.cpp) and the `checks:` of table files (engine/loader.cpp).
// Small hand-written CMS files cover each column mapping of docs/inputs.md ("Reference tables"),
// sorting, null handling, --measures, --override/--extends and determinism, and each C90x code.
// The expected values are read off the JSON written in each test, not copied from the output.
// When ../shared/cms/<year> exists, the real 2017-2019 files are imported and loaded; their row
// counts were counted independently with jq (e.g. `jq '[.[]|select(.category=="quality")]|length'
// measures-data.json`; benchmarks: `jq '[.[]|select(.performanceYear==2018)]|length'`).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "engine/cms/import.hpp"
#include "engine/loader.hpp"
#include "support/policy_fixture.hpp"
#include "support/test_files.hpp"

using namespace merit;
namespace fs = std::filesystem;

namespace {

size_t count_code(const dsl::Diagnostics& diags, const std::string& code) {
  return static_cast<size_t>(std::count_if(diags.items().begin(), diags.items().end(),
                                           [&](const dsl::Diagnostic& d) { return dsl::code_info(d.code).id == code; }));
}

// One import of two JSON texts (written into a temporary folder) into <tmp>/out.
struct Import {
  std::unique_ptr<test::TempPolicy> dir = std::make_unique<test::TempPolicy>();
  dsl::Diagnostics diags;
  bool ok = false;
  std::string rendered;
  fs::path out() const { return dir->path("out"); }
  std::string file(const std::string& name) const { return test::read_text(out() / name); }
  size_t count(const std::string& code) const { return count_code(diags, code); }
  bool has(const std::string& text) const { return rendered.find(text) != std::string::npos; }
};

std::unique_ptr<Import> run(const std::string& measures, const std::string& benchmarks,
                            engine::cms::ImportOptions options = {}) {
  auto r = std::make_unique<Import>();
  r->dir->file("in/measures-data.json", measures).file("in/benchmarks.json", benchmarks);
  if (options.year == 0) options.year = 2018;
  r->ok = engine::cms::import_cms(r->dir->path("in/measures-data.json"), r->dir->path("in/benchmarks.json"), options,
                                  r->out(), r->diags);
  r->diags.sort();
  r->rendered = r->diags.render();
  return r;
}

// Loads a policy listing the five imported files (plus a trivial rule); returns it with its diagnostics.
struct Loaded {
  engine::Policy policy;
  dsl::Diagnostics diags;
  std::string rendered;
  const engine::Datum* row(const std::string& table, std::vector<std::string> key) const {
    const engine::Parameter* p = policy.find_parameter(table);
    if (!p) return nullptr;
    for (const auto& r : p->value.items) {
      bool match = true;
      for (size_t i = 0; i < key.size() && match; ++i) match = field(r, p->value.names[i]) == "\"" + key[i] + "\"";
      if (match) return &r;
    }
    return nullptr;
  }
  static std::string field(const engine::Datum& row, const std::string& name) {
    for (size_t i = 0; i < row.names.size(); ++i)
      if (row.names[i] == name) return engine::to_string(row.items[i]);
    return "<no field " + name + ">";
  }
  size_t rows(const std::string& table) const {
    const engine::Parameter* p = policy.find_parameter(table);
    return p ? p->value.items.size() : 0;
  }
};

// A temporary policy folder that lives until the process ends (the loaded sources name its
// files); owned here so that LeakSanitizer sees it freed.
test::TempPolicy* keep_for_process() {
  static std::vector<std::unique_ptr<test::TempPolicy>> kept;
  kept.push_back(std::make_unique<test::TempPolicy>());
  return kept.back().get();
}

std::unique_ptr<Loaded> load_tables(const fs::path& tables_dir, bool json = false) {
  test::TempPolicy* t = keep_for_process();
  std::string list;
  for (const auto& f : engine::cms::import_file_names(json)) list += fmt::format("  - {}\n", (tables_dir / f).string());
  t->file("policy.yaml", "name: p\nrequire_citations: false\ntables:\n" + list + "rules: [r.merit]\n")
      .file("r.merit", "module m\ndef n = 1\n");
  auto l = std::make_unique<Loaded>();
  l->policy = engine::load_policy(t->dir(), l->diags);
  l->diags.sort();
  l->rendered = l->diags.render();
  return l;
}

const char* kMeasures = R"json([
  {"measureId": "046", "category": "quality", "title": "Medication Reconciliation", "metricType": "multiPerformanceRate",
   "measureType": "process", "isHighPriority": true, "isInverse": false, "overallAlgorithm": "overallStratumOnly",
   "isToppedOutByProgram": true, "submissionMethods": ["claims", "registry"],
   "strata": [{"name": "18-64", "description": "a"}, {"name": "65+"}, {"name": "overall"}],
   "firstPerformanceYear": 2017, "lastPerformanceYear": null},
  {"measureId": "001", "category": "quality", "title": "Diabetes: \"A1c\" Poor Control (>9%)", "metricType": "singlePerformanceRate",
   "measureType": "intermediateOutcome", "isHighPriority": true, "isInverse": true,
   "submissionMethods": ["registry", "claims"], "strata": [{"description": "unnamed"}],
   "firstPerformanceYear": 2017, "lastPerformanceYear": 2019},
  {"measureId": "IA_PCMH", "category": "ia", "title": "PCMH", "metricType": "boolean", "weight": null,
   "subcategoryId": null, "cehrtEligible": false, "firstPerformanceYear": 2017, "lastPerformanceYear": null},
  {"measureId": "IA_AHE_1", "category": "ia", "title": "Engagement", "metricType": "boolean", "weight": "high",
   "subcategoryId": "achievingHealthEquity", "cehrtEligible": true, "firstPerformanceYear": 2017, "lastPerformanceYear": null},
  {"measureId": "PI_TRANS_PEA_1", "category": "pi", "title": "Provide Patient Access", "metricType": "proportion",
   "weight": 20, "isRequired": true, "isBonus": false, "reportingCategory": "base", "measureSets": ["transition"],
   "objective": "patientElectronicAccess", "substitutes": ["PI_PEA_1"], "firstPerformanceYear": 2017, "lastPerformanceYear": null},
  {"measureId": "PI_INFBLO_1", "category": "pi", "title": "Prevention of Information Blocking", "metricType": "boolean",
   "weight": null, "isRequired": true, "isBonus": false, "reportingCategory": null, "measureSets": [],
   "objective": null, "substitutes": [], "firstPerformanceYear": 2017, "lastPerformanceYear": null},
  {"measureId": "TPCC_1", "category": "cost", "title": "Total Per Capita Costs", "metricType": "costScore",
   "isInverse": true, "submissionMethods": ["administrativeClaims"], "firstPerformanceYear": 2017, "lastPerformanceYear": null}
])json";

const char* kBenchmarks = R"([
  {"measureId": "046", "benchmarkYear": 2016, "performanceYear": 2018, "submissionMethod": "registry", "isToppedOut": true,
   "deciles": [0, 10.5, 20, 30, 40, 50, 60, 70, 100]},
  {"measureId": "001", "benchmarkYear": 2016, "performanceYear": 2018, "submissionMethod": "registry", "isToppedOut": false,
   "deciles": [100, 33.30, 23.53, 18.24, 14.29, 11.54, 8.89, 6.25, 3.33]},
  {"measureId": "001", "benchmarkYear": 2016, "performanceYear": 2018, "submissionMethod": "claims",
   "deciles": [100, 1.5e1, 12, 11, 10, 9, 8, 7, 6]},
  {"measureId": "TPCC_1", "benchmarkYear": 2018, "performanceYear": 2018, "submissionMethod": "administrativeClaims",
   "isToppedOut": false, "deciles": [43284, 24418, 23155, 22358, 21726, 21180, 20670, 20136, 19511, 18657]},
  {"measureId": "046", "benchmarkYear": 2015, "performanceYear": 2017, "submissionMethod": "claims",
   "deciles": [9, 8, 7]}
])";

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("import-cms maps every column of docs/inputs.md", "[import]") {
  auto im = run(kMeasures, kBenchmarks);
  INFO(im->rendered);
  REQUIRE(im->ok);
  CHECK(im->diags.empty());
  auto l = load_tables(im->out());
  INFO(l->rendered);
  REQUIRE(!l->diags.has_errors());

  SECTION("quality.measures") {
    const auto* m = l->row("quality.measures", {"046"});
    REQUIRE(m);
    CHECK(Loaded::field(*m, "title") == "\"Medication Reconciliation\"");
    CHECK(Loaded::field(*m, "measure_type") == "\"process\"");
    CHECK(Loaded::field(*m, "high_priority") == "true");
    CHECK(Loaded::field(*m, "inverse") == "false");
    CHECK(Loaded::field(*m, "metric_type") == "\"multiPerformanceRate\"");
    CHECK(Loaded::field(*m, "overall_algorithm") == "\"overallStratumOnly\"");
    CHECK(Loaded::field(*m, "capped") == "true");
    CHECK(Loaded::field(*m, "methods") == "[\"claims\", \"registry\"]");
    CHECK(Loaded::field(*m, "strata") == "[\"18-64\", \"65+\", \"overall\"]");
    CHECK(Loaded::field(*m, "first_year") == "2017");
    CHECK(Loaded::field(*m, "last_year") == "0");  // null
    const auto* a1c = l->row("quality.measures", {"001"});
    REQUIRE(a1c);
    CHECK(Loaded::field(*a1c, "title") == "\"Diabetes: \"A1c\" Poor Control (>9%)\"");  // quotes survive
    CHECK(Loaded::field(*a1c, "inverse") == "true");
    CHECK(Loaded::field(*a1c, "overall_algorithm") == "\"\"");  // absent
    CHECK(Loaded::field(*a1c, "capped") == "false");            // absent (2017 files have no isToppedOutByProgram)
    CHECK(Loaded::field(*a1c, "methods") == "[\"registry\", \"claims\"]");  // as published, not sorted
    CHECK(Loaded::field(*a1c, "strata") == "[\"\"]");           // an unnamed stratum
    CHECK(Loaded::field(*a1c, "last_year") == "2019");
    CHECK(l->rows("quality.measures") == 2);
  }
  SECTION("quality.benchmarks") {
    const auto* b = l->row("quality.benchmarks", {"046", "registry"});
    REQUIRE(b);
    CHECK(Loaded::field(*b, "deciles") == "[0, 10.5, 20, 30, 40, 50, 60, 70, 100]");
    CHECK(Loaded::field(*b, "topped_out") == "true");
    CHECK(Loaded::field(*b, "benchmark_year") == "2016");
    CHECK(Loaded::field(*b, "inverse") == "false");
    const auto* inv = l->row("quality.benchmarks", {"001", "registry"});
    REQUIRE(inv);
    CHECK(Loaded::field(*inv, "deciles") == "[100, 33.30, 23.53, 18.24, 14.29, 11.54, 8.89, 6.25, 3.33]");  // 33.30 as written
    CHECK(Loaded::field(*inv, "inverse") == "true");  // from the measure's isInverse
    const auto* claims = l->row("quality.benchmarks", {"001", "claims"});
    REQUIRE(claims);
    CHECK(Loaded::field(*claims, "deciles") == "[100, 15, 12, 11, 10, 9, 8, 7, 6]");  // 1.5e1: the point moved in the text
    CHECK(Loaded::field(*claims, "topped_out") == "false");                           // absent
    const auto* cost = l->row("quality.benchmarks", {"TPCC_1", "administrativeClaims"});
    REQUIRE(cost);
    CHECK(Loaded::field(*cost, "deciles") == "[43284, 24418, 23155, 22358, 21726, 21180, 20670, 20136, 19511, 18657]");
    CHECK(Loaded::field(*cost, "inverse") == "true");
    CHECK(l->rows("quality.benchmarks") == 4);  // the performanceYear 2017 entry is skipped
  }
  SECTION("ia.activities") {
    const auto* p = l->row("ia.activities", {"IA_PCMH"});
    REQUIRE(p);
    CHECK(Loaded::field(*p, "weight") == "\"none\"");  // null
    CHECK(Loaded::field(*p, "subcategory") == "\"\"");  // null
    CHECK(Loaded::field(*p, "cehrt_eligible") == "false");
    const auto* a = l->row("ia.activities", {"IA_AHE_1"});
    REQUIRE(a);
    CHECK(Loaded::field(*a, "title") == "\"Engagement\"");
    CHECK(Loaded::field(*a, "weight") == "\"high\"");
    CHECK(Loaded::field(*a, "cehrt_eligible") == "true");
    CHECK(Loaded::field(*a, "subcategory") == "\"achievingHealthEquity\"");
    CHECK(Loaded::field(*a, "first_year") == "2017");
    CHECK(Loaded::field(*a, "last_year") == "0");
  }
  SECTION("aci.measures") {
    const auto* t = l->row("aci.measures", {"PI_TRANS_PEA_1"});
    REQUIRE(t);
    CHECK(Loaded::field(*t, "title") == "\"Provide Patient Access\"");
    CHECK(Loaded::field(*t, "metric_type") == "\"proportion\"");
    CHECK(Loaded::field(*t, "weight") == "20");
    CHECK(Loaded::field(*t, "required") == "true");
    CHECK(Loaded::field(*t, "bonus") == "false");
    CHECK(Loaded::field(*t, "reporting_category") == "\"base\"");
    CHECK(Loaded::field(*t, "transition") == "true");
    CHECK(Loaded::field(*t, "objective") == "\"patientElectronicAccess\"");
    CHECK(Loaded::field(*t, "substitutes") == "[\"PI_PEA_1\"]");
    const auto* b = l->row("aci.measures", {"PI_INFBLO_1"});
    REQUIRE(b);
    CHECK(Loaded::field(*b, "weight") == "0");                 // null
    CHECK(Loaded::field(*b, "reporting_category") == "\"\"");  // null
    CHECK(Loaded::field(*b, "transition") == "false");
    CHECK(Loaded::field(*b, "objective") == "\"\"");           // null
    CHECK(Loaded::field(*b, "substitutes") == "[]");
  }
  SECTION("cost.measures") {
    const auto* c = l->row("cost.measures", {"TPCC_1"});
    REQUIRE(c);
    CHECK(Loaded::field(*c, "title") == "\"Total Per Capita Costs\"");
    CHECK(Loaded::field(*c, "inverse") == "true");
    CHECK(Loaded::field(*c, "first_year") == "2017");
    CHECK(Loaded::field(*c, "last_year") == "0");
  }
  SECTION("each file names its table, citation and source") {
    std::string q = im->file("quality-measures.yaml");
    CHECK(q.find("table: quality.measures\n") != std::string::npos);
    CHECK(q.find("cite: \"QMD\"\n") != std::string::npos);
    CHECK(q.find("source: \"CMSgov/qpp-measures-data measures-data.json, performance year 2018\"\n") != std::string::npos);
    CHECK(q.find("override:") == std::string::npos);
    std::string b = im->file("quality-benchmarks.yaml");
    CHECK(b.find("source: \"CMSgov/qpp-measures-data benchmarks.json, performance year 2018\"\n") != std::string::npos);
    CHECK(b.find("key: [id, method]\n") != std::string::npos);
    CHECK(b.find("  - monotone: deciles\n    direction_from: inverse\n") != std::string::npos);
    CHECK(!fs::exists(im->out() / "policy.yaml"));
  }
}

TEST_CASE("import-cms sorts rows by key and is deterministic", "[import]") {
  auto a = run(kMeasures, kBenchmarks);
  REQUIRE(a->ok);
  auto qm = lines_starting(a->file("quality-measures.yaml"), "  - {id: ");
  REQUIRE(qm.size() == 2);
  CHECK(qm[0].rfind("  - {id: \"001\"", 0) == 0);  // the input lists 046 first
  CHECK(qm[1].rfind("  - {id: \"046\"", 0) == 0);
  auto ids = lines_starting(a->file("quality-benchmarks.yaml"), "  - {id: ");
  REQUIRE(ids.size() == 4);
  CHECK(ids[0].rfind("  - {id: \"001\", method: \"claims\"", 0) == 0);
  CHECK(ids[1].rfind("  - {id: \"001\", method: \"registry\"", 0) == 0);
  CHECK(ids[2].rfind("  - {id: \"046\", method: \"registry\"", 0) == 0);
  CHECK(ids[3].rfind("  - {id: \"TPCC_1\"", 0) == 0);
  auto ia = lines_starting(a->file("ia-activities.yaml"), "  - {id: ");
  REQUIRE(ia.size() == 2);
  CHECK(ia[0].find("IA_AHE_1") != std::string::npos);  // before IA_PCMH, unlike the input

  // The same data again, and with the entries of both files in reverse order: the same bytes.
  auto b = run(kMeasures, kBenchmarks);
  auto reversed = [](const std::string& json) {
    // Entries are separated by "},\n  {" at the top level in these literals.
    std::vector<std::string> parts;
    std::string body = json.substr(json.find('{'), json.rfind('}') - json.find('{') + 1);
    size_t start = 0;
    for (size_t pos; (pos = body.find("},\n  {", start)) != std::string::npos; start = pos + 5)
      parts.push_back(body.substr(start, pos + 1 - start));
    parts.push_back(body.substr(start));
    std::reverse(parts.begin(), parts.end());
    std::string out = "[";
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? ",\n  " : "\n  ") + parts[i];
    return out + "\n]";
  };
  auto c = run(reversed(kMeasures), reversed(kBenchmarks));
  REQUIRE(b->ok);
  REQUIRE(c->ok);
  for (const auto& f : engine::cms::import_file_names()) {
    INFO(f);
    CHECK(a->file(f) == b->file(f));
    CHECK(a->file(f) == c->file(f));
  }
}

TEST_CASE("import-cms --measures keeps only the named quality and cost measures", "[import]") {
  engine::cms::ImportOptions o;
  o.only_measures = {"001", "TPCC_1"};
  o.source_note = "excerpt for a test";
  auto im = run(kMeasures, kBenchmarks, o);
  INFO(im->rendered);
  REQUIRE(im->ok);
  auto l = load_tables(im->out());
  INFO(l->rendered);
  REQUIRE(!l->diags.has_errors());
  CHECK(l->rows("quality.measures") == 1);
  CHECK(l->row("quality.measures", {"001"}));
  CHECK(l->rows("quality.benchmarks") == 3);  // 001 claims, 001 registry, TPCC_1
  CHECK(!l->row("quality.benchmarks", {"046", "registry"}));
  CHECK(l->rows("cost.measures") == 1);
  CHECK(l->rows("ia.activities") == 2);  // always complete
  CHECK(l->rows("aci.measures") == 2);
  CHECK(im->file("quality-measures.yaml").find("; excerpt: only the measures named by --measures (2 ids); excerpt for a test\"") !=
        std::string::npos);
  CHECK(im->file("ia-activities.yaml").find("performance year 2018; excerpt for a test\"") != std::string::npos);

  SECTION("an id that is not a quality or cost measure is a warning") {
    o.only_measures = {"001", "IA_PCMH", "999"};
    auto w = run(kMeasures, kBenchmarks, o);
    CHECK(w->ok);
    CHECK(w->count("C903") == 2);
    CHECK(w->has("warning[C903]: the measure '999' to keep (--measures) is not a quality or cost measure of measures-data.json"));
  }
}

TEST_CASE("import-cms --override and --extends write an overlay of the year's policy", "[import]") {
  // The base: a policy with the five tables (imported without override) and a rule reading one.
  test::TempPolicy t;
  engine::cms::ImportOptions base_opts;
  base_opts.year = 2018;
  base_opts.only_measures = {"046"};
  dsl::Diagnostics diags;
  t.file("in/m.json", kMeasures).file("in/b.json", kBenchmarks);
  REQUIRE(engine::cms::import_cms(t.path("in/m.json"), t.path("in/b.json"), base_opts, t.path("base/data"), diags));
  std::string tables;
  for (const auto& f : engine::cms::import_file_names()) tables += "  - data/" + f + "\n";
  t.file("base/policy.yaml", "name: base\nyear: \"2018\"\nrequire_citations: false\ntables:\n" + tables +
                                 "rules: [r.merit]\ninputs:\n  id: string\n")
      .file("base/r.merit", "module m\ndef inverse = param.quality.measures[input.id].inverse\n");

  engine::cms::ImportOptions o;
  o.year = 2018;
  o.override_tables = true;
  o.extends = "base";  // a sibling of the overlay
  REQUIRE(engine::cms::import_cms(t.path("in/m.json"), t.path("in/b.json"), o, t.path("full"), diags));
  INFO(diags.render());
  CHECK(!diags.has_errors());
  for (const auto& f : engine::cms::import_file_names())
    CHECK(test::read_text(t.path("full/" + f)).find("\noverride: true\n") != std::string::npos);
  std::string policy = test::read_text(t.path("full/policy.yaml"));
  CHECK(policy.find("name: \"2018-qpp-measures-data\"\n") != std::string::npos);
  CHECK(policy.find("extends: \"base\"\n") != std::string::npos);
  CHECK(policy.find("tables:\n  - quality-measures.yaml\n  - quality-benchmarks.yaml\n  - ia-activities.yaml\n"
                    "  - aci-measures.yaml\n  - cost-measures.yaml\n") != std::string::npos);

  dsl::Diagnostics load_diags;
  engine::Policy merged = engine::load_policy(t.path("full"), load_diags);
  INFO(load_diags.render());
  CHECK(!load_diags.has_errors());
  const engine::Parameter* qm = merged.find_parameter("quality.measures");
  REQUIRE(qm);
  CHECK(qm->value.items.size() == 2);  // the overlay's complete table replaced the base's excerpt
  CHECK(qm->origin == "2018-qpp-measures-data");
  CHECK(merged.find_definition("m.inverse"));  // the base's rules are inherited

  SECTION("without --override the overlay's tables clash with the base's (E205)") {
    o.override_tables = false;
    REQUIRE(engine::cms::import_cms(t.path("in/m.json"), t.path("in/b.json"), o, t.path("plain"), diags));
    dsl::Diagnostics d2;
    engine::load_policy(t.path("plain"), d2);
    CHECK(count_code(d2, "E205") == 5);
  }
}

TEST_CASE("import-cms reports each problem with the JSON path and writes nothing", "[import]") {
  SECTION("C900: a missing field, a wrong type, a bad number") {
    auto im = run(R"([
      {"category": "quality", "title": "t", "metricType": "proportion"},
      {"measureId": "002", "category": "quality", "title": "t", "metricType": "proportion", "measureType": "process",
       "isHighPriority": "yes", "isInverse": false, "submissionMethods": ["claims", 3]},
      {"measureId": "003", "category": "qualty", "title": "t", "metricType": "proportion"}
    ])",
                  R"([{"measureId": "002", "benchmarkYear": 2016, "submissionMethod": "claims",
                       "deciles": [0, 1, 2, "3", 4, 5, 6, 7, 1e-30]}])");
    CHECK(!im->ok);
    CHECK(!fs::exists(im->out()));
    CHECK(im->count("C900") == 6);
    CHECK(im->has("error[C900]: $[0].measureId: required field is missing\n   = note: in "));
    CHECK(im->has("error[C900]: $[1].isHighPriority: expected true or false, found \"yes\""));
    CHECK(im->has("error[C900]: $[1].submissionMethods[1]: expected a string, found 3"));
    CHECK(im->has("error[C900]: $[2].category: 'qualty' is not a category of the measures file"));
    CHECK(im->has("error[C900]: $[0].deciles[3]: expected a number, found \"3\""));
    CHECK(im->has("error[C900]: $[0].deciles[8]: 1e-30 is not an exact decimal of at most 18 digits after the point"));
    CHECK(im->has("benchmarks.json\n"));  // the note names the file
  }
  SECTION("C900: a file that is not a list") {
    auto im = run(R"({"measures": []})", "[]");
    CHECK(!im->ok);
    CHECK(im->has("error[C900]: $: expected a list of measures, found an object"));
  }
  SECTION("C900: no benchmark of the year") {
    engine::cms::ImportOptions o;
    o.year = 2019;
    auto im = run(kMeasures, kBenchmarks, o);
    CHECK(!im->ok);
    CHECK(im->has("error[C900]: $: no benchmark is for performance year 2019 (the entries are for 2017, 2018)"));
  }
  SECTION("C901: deciles against the measure's direction") {
    auto im = run(kMeasures, R"([
      {"measureId": "001", "benchmarkYear": 2016, "submissionMethod": "claims", "deciles": [0, 1, 2, 3, 4, 5, 6, 7, 8]},
      {"measureId": "046", "benchmarkYear": 2016, "submissionMethod": "claims", "deciles": [0, 1, 2, 3, 4, 5, 6, 8, 7]},
      {"measureId": "TPCC_1", "benchmarkYear": 2016, "submissionMethod": "administrativeClaims", "deciles": [9, 8, 7, 6, 5, 4, 3, 2, 1, 1]}
    ])");
    CHECK(!im->ok);
    CHECK(im->count("C901") == 2);
    CHECK(im->has("error[C901]: $[0].deciles: deciles of inverse measure '001' (claims) must not increase, but deciles[1] = 1 "
                  "is more than deciles[0] = 0"));
    CHECK(im->has("error[C901]: $[1].deciles: deciles of direct measure '046' (claims) must not decrease, but deciles[8] = 7 "
                  "is less than deciles[7] = 8"));
  }
  SECTION("C901: a benchmark without a measure may go either way, but only one way") {
    auto im = run(kMeasures, R"([
      {"measureId": "777", "benchmarkYear": 2016, "submissionMethod": "claims", "deciles": [9, 8, 7, 6, 5, 4, 3, 2, 1]},
      {"measureId": "778", "benchmarkYear": 2016, "submissionMethod": "claims", "deciles": [0, 1, 2, 3, 4, 5, 6, 7, 8]},
      {"measureId": "779", "benchmarkYear": 2016, "submissionMethod": "claims", "deciles": [0, 1, 2, 3, 2, 5, 6, 7, 8]}
    ])");
    CHECK(im->count("C901") == 1);
    CHECK(im->has("error[C901]: $[2].deciles: deciles of measure '779' (claims) neither increase nor decrease"));
    CHECK(im->count("C903") == 3);
  }
  SECTION("C902: the number of deciles") {
    auto im = run(kMeasures, R"([
      {"measureId": "046", "benchmarkYear": 2016, "submissionMethod": "claims", "deciles": [0, 1, 2, 3, 4, 5, 6, 7]},
      {"measureId": "TPCC_1", "benchmarkYear": 2016, "submissionMethod": "administrativeClaims", "deciles": [9, 8, 7, 6, 5, 4, 3, 2, 1]}
    ])");
    CHECK(!im->ok);
    CHECK(im->count("C902") == 2);
    CHECK(im->has("error[C902]: $[0].deciles: expected 9 deciles for quality measure '046', found 8"));
    CHECK(im->has("error[C902]: $[1].deciles: expected 10 deciles for cost measure 'TPCC_1', found 9"));
  }
  SECTION("C903: a benchmark for a measure the measures file does not list is kept, with a warning") {
    auto im = run(kMeasures, R"([
      {"measureId": "002", "benchmarkYear": 2015, "submissionMethod": "registry", "deciles": [0, 1, 2, 3, 4, 5, 6, 7, 8]},
      {"measureId": "IA_PCMH", "benchmarkYear": 2015, "submissionMethod": "registry", "deciles": [0, 1, 2, 3, 4, 5, 6, 7, 8]}
    ])");
    INFO(im->rendered);
    CHECK(im->ok);
    CHECK(im->count("C903") == 2);
    CHECK(im->has("warning[C903]: $[0].measureId: measure '002' (registry) is not a quality or cost measure of measures-data.json"));
    std::string b = im->file("quality-benchmarks.yaml");
    CHECK(b.find("  - {id: \"002\", method: \"registry\", deciles: [0, 1, 2, 3, 4, 5, 6, 7, 8], topped_out: false, "
                 "benchmark_year: 2015, inverse: false}") != std::string::npos);
    // The references check exempts it, with a note, so that the tables still load.
    CHECK(b.find("      - {key: [\"002\"], note: ") != std::string::npos);
    auto l = load_tables(im->out());
    INFO(l->rendered);
    CHECK(!l->diags.has_errors());
  }
  SECTION("C904: duplicates") {
    std::string m = kMeasures;
    m.insert(m.rfind(']'), R"(, {"measureId": "046", "category": "ia", "title": "again", "metricType": "boolean"})");
    auto im = run(m, R"([
      {"measureId": "046", "benchmarkYear": 2016, "submissionMethod": "claims", "deciles": [0, 1, 2, 3, 4, 5, 6, 7, 8]},
      {"measureId": "046", "benchmarkYear": 2016, "submissionMethod": "registry", "deciles": [0, 1, 2, 3, 4, 5, 6, 7, 8]},
      {"measureId": "046", "benchmarkYear": 2015, "submissionMethod": "claims", "deciles": [0, 1, 2, 3, 4, 5, 6, 7, 8]}
    ])");
    CHECK(!im->ok);
    CHECK(im->count("C904") == 2);
    CHECK(im->has("error[C904]: $[7].measureId: measure '046' is listed twice (first at $[0])"));
    CHECK(im->has("error[C904]: $[2]: benchmark for measure '046' and method 'claims' is listed twice (first at $[0])"));
  }
  SECTION("C905: a known quirk is kept as published, exempt from the table's monotone check") {
    std::string m = kMeasures;
    m.insert(m.rfind(']'), R"(, {"measureId": "CAHPS_9", "category": "quality", "title": "CAHPS", "metricType": "cahps",
      "measureType": "patientEngagementExperience", "isHighPriority": true, "isInverse": false,
      "submissionMethods": ["certifiedSurveyVendor"], "firstPerformanceYear": 2017, "lastPerformanceYear": null})");
    const char* b = R"([{"measureId": "CAHPS_9", "benchmarkYear": 2016, "performanceYear": 2018,
      "submissionMethod": "certifiedSurveyVendor", "isToppedOut": false,
      "deciles": [0, 91.15, 91.76, 92.41, 93.07, 93.55, 92.24, 94.7, 95.17]}])";
    auto im = run(m, b);
    INFO(im->rendered);
    CHECK(im->ok);
    CHECK(im->count("C905") == 1);
    CHECK(im->count("C901") == 0);
    CHECK(im->has("warning[C905]: $[0].deciles: deciles of direct measure 'CAHPS_9' (certifiedSurveyVendor) must not "
                  "decrease, but deciles[6] = 92.24 is less than deciles[5] = 93.55; kept as published"));
    CHECK(im->file("quality-benchmarks.yaml").find("      - {key: [\"CAHPS_9\", \"certifiedSurveyVendor\"], note: \"CMS publishes") !=
          std::string::npos);
    auto l = load_tables(im->out());
    INFO(l->rendered);
    CHECK(!l->diags.has_errors());
    // The quirk is matched by year: in another year the same deciles are an error.
    std::string b2019 = b;
    b2019.replace(b2019.find("2018"), 4, "2019");
    engine::cms::ImportOptions o;
    o.year = 2019;
    auto other = run(m, b2019, o);
    CHECK(!other->ok);
    CHECK(other->count("C901") == 1);
  }
  SECTION("malformed JSON is I800, and a missing file E100") {
    auto im = run("[{\"measureId\": }]", "[]");
    CHECK(!im->ok);
    CHECK(im->count("I800") == 1);
    dsl::Diagnostics d;
    CHECK(!engine::cms::import_cms("/nonexistent/m.json", "/nonexistent/b.json", {2018, {}, false, {}, {}}, "/tmp/x", d));
    CHECK(count_code(d, "E100") == 2);
  }
  SECTION("an import with errors leaves existing files alone") {
    auto good = run(kMeasures, kBenchmarks);
    REQUIRE(good->ok);
    std::string before = good->file("quality-measures.yaml");
    dsl::Diagnostics d;
    good->dir->file("in/bad.json", "[{\"measureId\": \"9\", \"category\": \"cost\"}]");
    CHECK(!engine::cms::import_cms(good->dir->path("in/bad.json"), good->dir->path("in/benchmarks.json"),
                                   {2018, {}, false, {}, {}}, good->out(), d));
    CHECK(good->file("quality-measures.yaml") == before);
    for (const auto& e : fs::directory_iterator(good->out())) CHECK(e.path().filename().string()[0] != '.');
  }
}

// ---------------------------------------------------------------------------------------------
// Declared checks in table files (engine/loader.cpp, docs/policy-format.md#declared-checks)

namespace {

const char* kCheckedTable = R"(table: b
key: [id, method]
columns: {id: string, method: string, deciles: "list<number>", inverse: bool}
checks:
  - monotone: deciles
    direction_from: inverse
    allow:
      - {key: ["Q", "survey"], note: "published out of order"}
  - {length: deciles, in: [3, 4]}
  - {references: [m, c], column: id}
rows:
  - {id: "001", method: "claims", deciles: [9, 5, 1], inverse: true}
  - {id: "046", method: "claims", deciles: [1, 5, 9, 9], inverse: false}
  - {id: "Q", method: "survey", deciles: [1, 5, 3], inverse: false}
  - {id: "X", method: "claims", deciles: [1, 2, 3], inverse: false}
)";

std::unique_ptr<Loaded> load_checked(const std::string& table_text, const std::string& m_rows = "[{id: \"001\"}, {id: \"046\"}, {id: \"Q\"}]") {
  auto* t = keep_for_process();
  // The referenced tables are listed after the table that refers to them.
  t->file("policy.yaml", "name: p\nrequire_citations: false\ntables: [b.yaml, m.yaml, c.yaml]\nrules: [r.merit]\n")
      .file("r.merit", "module r\ndef n = 1\n")
      .file("b.yaml", table_text)
      .file("m.yaml", "table: m\nkey: [id]\nrows: " + m_rows + "\n")
      .file("c.yaml", "table: c\nkey: [id]\nrows: [{id: \"X\"}]\n");
  auto l = std::make_unique<Loaded>();
  l->policy = engine::load_policy(t->dir(), l->diags);
  l->diags.sort();
  std::string prefix = t->dir().string() + "/";
  l->rendered = l->diags.render();
  for (size_t pos; (pos = l->rendered.find(prefix)) != std::string::npos;) l->rendered.erase(pos, prefix.size());
  return l;
}

}  // namespace

TEST_CASE("table files' checks pass on good rows, with exemptions and references in any order", "[import][checks]") {
  auto l = load_checked(kCheckedTable);
  INFO(l->rendered);
  CHECK(l->diags.empty());
  CHECK(l->rows("b") == 4);
}

TEST_CASE("a row that breaks a table file's check is E208 at its value", "[import][checks]") {
  SECTION("monotone, in the direction its bool column gives") {
    std::string t = kCheckedTable;
    t.replace(t.find("[9, 5, 1], inverse: true"), 24, "[9, 5, 7], inverse: true");
    auto l = load_checked(t);
    INFO(l->rendered);
    CHECK(count_code(l->diags, "E208") == 1);
    // Line 12, column 44: the '[' of the deciles (counted in kCheckedTable).
    CHECK(l->rendered.find("b.yaml:12:44: error[E208]: table 'b', row [\"001\", \"claims\"]: 'deciles' must not increase "
                           "('inverse' is true), but deciles[2] = 7 is more than deciles[1] = 5\n") != std::string::npos);
    CHECK(l->rendered.find("b.yaml:5:15: note: the check is declared here") != std::string::npos);
    CHECK(l->rendered.find("= help: correct the row; if its source publishes it this way, exempt it: add {key: [\"001\", "
                           "\"claims\"], note: \"why\"} under the check's 'allow:'") != std::string::npos);
  }
  SECTION("length") {
    std::string t = kCheckedTable;
    t.replace(t.find("[1, 2, 3]"), 9, "[1, 2]");
    auto l = load_checked(t);
    INFO(l->rendered);
    CHECK(count_code(l->diags, "E208") == 1);
    CHECK(l->rendered.find("b.yaml:15:42: error[E208]: table 'b', row [\"X\", \"claims\"]: 'deciles' has 2 values; the check "
                           "allows 3 or 4") != std::string::npos);
  }
  SECTION("references, with a suggestion") {
    auto l = load_checked(kCheckedTable, "[{id: \"001\"}, {id: \"046\"}]");  // no Q: but Q is exempt only from monotone
    CHECK(count_code(l->diags, "E208") == 1);
    CHECK(l->rendered.find("b.yaml:14:10: error[E208]: table 'b', row [\"Q\", \"survey\"]: 'id' is \"Q\", which is not a key "
                           "of m or c") != std::string::npos);
  }
  SECTION("an exemption that matches no row") {
    std::string t = kCheckedTable;
    t.replace(t.find("[\"Q\", \"survey\"]"), 15, "[\"R\"]");
    auto l = load_checked(t);
    CHECK(count_code(l->diags, "E208") == 2);  // Q now fails, and the exemption is stale
    CHECK(l->rendered.find("b.yaml:8:15: error[E208]: the exemption [R] matches no row of table 'b'") != std::string::npos);
  }
  SECTION("an exemption by the leading key column covers every row that starts with it") {
    std::string t = kCheckedTable;
    t.replace(t.find("[\"Q\", \"survey\"]"), 15, "[\"Q\"]");
    auto l = load_checked(t);
    INFO(l->rendered);
    CHECK(l->diags.empty());
  }
}

TEST_CASE("mistakes in a table file's checks are located", "[import][checks]") {
  auto with_checks = [](const std::string& checks) {
    std::string t = kCheckedTable;
    size_t b = t.find("checks:\n"), e = t.find("rows:\n");
    t.replace(b, e - b, "checks:\n" + checks);
    return load_checked(t);
  };
  auto l = with_checks("  - {monotone: decile}\n");
  CHECK(l->rendered.find("b.yaml:5:16: error[E206]: the check names 'decile', which is not a column of table 'b'") !=
        std::string::npos);
  CHECK(l->rendered.find("did you mean 'deciles'?") != std::string::npos);
  l = with_checks("  - {monotone: id}\n");
  CHECK(l->rendered.find("error[E206]: 'id' is string; a monotone check needs a list of numbers") != std::string::npos);
  l = with_checks("  - {monotone: deciles, direction_from: method}\n");
  CHECK(l->rendered.find("error[E206]: 'method' is string; 'direction_from' names a bool column") != std::string::npos);
  l = with_checks("  - {length: deciles}\n");
  CHECK(count_code(l->diags, "E113") == 1);
  l = with_checks("  - {length: deciles, in: [nine]}\n");
  CHECK(count_code(l->diags, "E115") == 1);
  l = with_checks("  - {references: mm, column: id}\n");
  CHECK(l->rendered.find("b.yaml:5:18: error[E206]: the check refers to table 'mm', which the policy does not define") !=
        std::string::npos);
  l = with_checks("  - {monotone: deciles, length: deciles}\n");
  CHECK(l->rendered.find("error[E113]: a check has one kind, but this one has monotone and length") != std::string::npos);
  l = with_checks("  - {monotone: deciles, allow: [{key: [\"Q\", \"survey\"]}]}\n");
  CHECK(l->rendered.find("error[E113]: an exemption needs a 'note' key") != std::string::npos);
  l = with_checks("  - {monotone: deciles, allow: [{key: [a, b, c], note: n}]}\n");
  CHECK(l->rendered.find("error[E206]: table 'b' has 2 key columns (id, method), but this exemption's key has 3 values") !=
        std::string::npos);
  l = with_checks("  - {monotone: deciles, directon_from: inverse}\n");
  CHECK(count_code(l->diags, "E111") == 1);
  l = with_checks("  monotone: deciles\n");
  CHECK(l->rendered.find("error[E114]: 'checks' must be a list of checks") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The real CMS files (../shared/cms/<year>), when present.

TEST_CASE("import-cms imports the real 2017, 2018 and 2019 files, which then load", "[import][real]") {
  struct Year {
    int year;
    size_t quality, benchmarks, ia, aci, cost, c903, c905;
  };
  // Counts from jq (see the top of this file); warnings: 2017 has 20 benchmarks for 14 measures the
  // measures file does not list and the AQI18 quirk, 2018 the CAHPS_9 quirk (cms-data.md §2.1).
  for (const Year& y : {Year{2017, 894, 572, 93, 35, 2, 20, 1}, Year{2018, 996, 480, 113, 43, 2, 0, 1},
                        Year{2019, 813, 449, 118, 39, 10, 0, 0}}) {
    DYNAMIC_SECTION("year " << y.year) {
      fs::path dir = test::source_path(fmt::format("../shared/cms/{}", y.year));
      if (!fs::exists(dir / "measures-data.json")) {
        WARN("skipped: " << dir.string() << " does not exist");
        continue;
      }
      test::TempPolicy t;
      engine::cms::ImportOptions o;
      o.year = y.year;
      dsl::Diagnostics diags;
      bool ok = engine::cms::import_cms(dir / "measures-data.json", dir / "benchmarks.json", o, t.path("out"), diags);
      INFO(diags.render());
      REQUIRE(ok);
      CHECK(diags.error_count() == 0);
      CHECK(count_code(diags, "C903") == y.c903);
      CHECK(count_code(diags, "C905") == y.c905);
      CHECK(diags.warning_count() == y.c903 + y.c905);
      auto l = load_tables(t.path("out"));
      INFO(l->rendered);
      CHECK(!l->diags.has_errors());
      CHECK(l->rows("quality.measures") == y.quality);
      CHECK(l->rows("quality.benchmarks") == y.benchmarks);
      CHECK(l->rows("ia.activities") == y.ia);
      CHECK(l->rows("aci.measures") == y.aci);
      CHECK(l->rows("cost.measures") == y.cost);

      // The JSON table files hold exactly the same tables (values, types, keys, citations).
      o.json = true;
      dsl::Diagnostics jdiags;
      REQUIRE(engine::cms::import_cms(dir / "measures-data.json", dir / "benchmarks.json", o, t.path("json"), jdiags));
      auto j = load_tables(t.path("json"), true);
      INFO(j->rendered);
      CHECK(!j->diags.has_errors());
      for (const char* table : {"quality.measures", "quality.benchmarks", "ia.activities", "aci.measures", "cost.measures"}) {
        INFO("table " << table);
        const engine::Parameter* a = l->policy.find_parameter(table);
        const engine::Parameter* b = j->policy.find_parameter(table);
        REQUIRE((a && b));
        CHECK(a->value == b->value);
        CHECK(dsl::to_string(a->type) == dsl::to_string(b->type));
        CHECK(a->citations == b->citations);
      }
    }
  }
}

TEST_CASE("the bundled excerpts load and match their regeneration commands", "[import][real]") {
  // Each year's bundled tables are an excerpt written by the command in their `source:`.
  // 42 ids: 40 quality and 2 cost measures (counted with python from the CMS files).
  struct Year {
    const char* year;
    size_t quality, benchmarks, ia, aci;
  };
  for (const Year& y : {Year{"2017", 40, 89, 93, 35}, Year{"2018", 40, 88, 113, 43}}) {
    DYNAMIC_SECTION("year " << y.year) {
      fs::path data = test::source_path(std::string("policies/") + y.year + "/data");
      dsl::Diagnostics load_diags;
      auto policy = engine::load_policy(test::source_path(std::string("policies/") + y.year), load_diags);
      INFO(load_diags.render(false));
      CHECK(!load_diags.has_errors());
      auto rows = [&](const char* table) {
        const engine::Parameter* p = policy.find_parameter(table);
        return p ? p->value.items.size() : size_t{0};
      };
      CHECK(rows("cost.measures") == 2);
      CHECK(rows("quality.measures") == y.quality);
      CHECK(rows("quality.benchmarks") == y.benchmarks);
      CHECK(rows("ia.activities") == y.ia);
      CHECK(rows("aci.measures") == y.aci);
      fs::path dir = test::source_path(std::string("../shared/cms/") + y.year);
      if (!fs::exists(dir / "measures-data.json")) {
        WARN("skipped the comparison: " << dir.string() << " does not exist");
        continue;
      }
      // Regenerate with the options of the command in the files' source (policies/<year>/data/README.md).
      std::string source = test::read_text(data / "quality-measures.yaml");
      REQUIRE(source.find("regenerate") != std::string::npos);
      std::string note = source.substr(source.find("regenerate"));
      note = note.substr(0, note.find("\"\n"));
      engine::cms::ImportOptions o;
      o.year = std::stoi(y.year);
      o.source_note = note;
      o.override_tables = note.find(" --override") != std::string::npos;
      // The ids are the command's --measures list, so README, files and test cannot drift apart.
      std::string ids = note.substr(note.find("--measures ") + 11);
      ids = ids.substr(0, ids.find(' '));
      for (size_t start = 0, comma; start < ids.size(); start = comma + 1) {
        comma = ids.find(',', start);
        if (comma == std::string::npos) comma = ids.size();
        o.only_measures.push_back(ids.substr(start, comma - start));
      }
      CHECK(o.only_measures.size() == 42);
      test::TempPolicy t;
      dsl::Diagnostics diags;
      REQUIRE(engine::cms::import_cms(dir / "measures-data.json", dir / "benchmarks.json", o, t.path("out"), diags));
      for (const auto& f : engine::cms::import_file_names()) {
        INFO(f);
        CHECK(test::read_text(t.path("out/" + f)) == test::read_text(data / f));
      }
    }
  }
}

TEST_CASE("a JSON table file's mistakes name the JSON path", "[import][json]") {
  test::TempPolicy t;
  t.file("policy.yaml", "name: p\nrequire_citations: false\ntables: [t.json]\nrules: [r.merit]\n")
      .file("r.merit", "module m\ndef n = 1\n");
  SECTION("a cell of the wrong type") {
    t.file("t.json", R"({"table": "t", "key": ["id"], "columns": {"id": "string", "x": "number"},
                         "rows": [{"id": "a", "x": 1.5}, {"id": "b", "x": "2"}]})");
    dsl::Diagnostics diags;
    engine::load_policy(t.dir(), diags);
    CHECK(diags.render(false).find("error[E206]: $.rows[1].x: expected a number") != std::string::npos);
  }
  SECTION("two rows with one key") {
    t.file("t.json", R"({"table": "t", "key": ["id"], "columns": {"id": "string"}, "rows": [{"id": "a"}, {"id": "a"}]})");
    dsl::Diagnostics diags;
    engine::load_policy(t.dir(), diags);
    CHECK(diags.render(false).find("$.rows[1]: two rows have the same key") != std::string::npos);
  }
  SECTION("a good table loads with exact numbers") {
    t.file("t.json", R"({"table": "t", "key": ["id"], "columns": {"id": "string", "x": "list<number>"},
                         "rows": [{"id": "a", "x": [0.1, 100]}]})");
    dsl::Diagnostics diags;
    auto policy = engine::load_policy(t.dir(), diags);
    INFO(diags.render(false));
    REQUIRE(!diags.has_errors());
    CHECK(engine::to_string(policy.find_parameter("t")->value.items[0].items[1]) == "[0.1, 100]");
  }
}
