// Fuzz target: QPP Submissions API documents -> engine::cms::read_submission, against a small
// 2018-like policy (a `submission:` block with an alias category and id prefix, measure tables
// with metric types and year ranges) written to a temporary directory and compiled once per process.
// The bytes are parsed as JSON with engine::parse_document; bytes that start with '#' (a YAML
// comment, never valid JSON) are parsed as YAML instead, the way a case file carries a submission.
// Besides never crashing, hanging or leaking, the target checks the reader's contract and aborts
// when it is broken: it returns true exactly when it reported no error, and what it returns binds
// (strictly) to the policy's declared input type and evaluates.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "engine/cms/submission.hpp"
#include "engine/compiler.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"

namespace fs = std::filesystem;
using namespace merit;

namespace {

const char* const kPolicy = R"(name: fuzz-submission
year: "2018"
require_citations: false
tables: [quality.yaml, ia.yaml, aci.yaml]
rules: [rules.merit]
submission:
  categories:
    quality: {table: quality.measures}
    ia: {table: ia.activities}
    pi: {table: aci.measures}
    aci: {table: aci.measures, as: pi}
    cost: {}
  id_prefix_aliases:
    "ACI_": "PI_"
    "X": ""
inputs:
  entity_type: string
  performance_year: number
  measurement_sets: "list<{category: string, method: string, measures: list<{id: string, kind: string, flag: bool, numerator: number, denominator: number, end_to_end: bool, score: number, strata: list<{name: string, met: number, not_met: number, eligible: number, exclusions: number, exceptions: number}>}>}>"
)";

const char* const kRules = R"(module s
def sets = count(input.measurement_sets)
def measures = sum(input.measurement_sets, s => count(s.measures))
def met = sum(input.measurement_sets, s => sum(s.measures, m => sum(m.strata, x => x.met)))
def share = sum(input.measurement_sets, s => sum(s.measures, m => if m.denominator > 0 then m.numerator / m.denominator else 0))
def booleans = sum(input.measurement_sets, s => count(filter(s.measures, m => m.kind == "boolean" and m.flag)))
)";

const char* const kQuality = R"(table: quality.measures
key: [id]
columns: {id: string, metric_type: string, first_year: number, last_year: number}
rows:
  - {id: "001", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "005", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "093", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "110", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "112", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "113", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "117", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "128", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "191", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "192", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "236", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "281", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "309", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "310", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "318", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "374", metric_type: singlePerformanceRate, first_year: 2017, last_year: 0}
  - {id: "046", metric_type: multiPerformanceRate, first_year: 2017, last_year: 0}
  - {id: "226", metric_type: multiPerformanceRate, first_year: 2017, last_year: 0}
  - {id: "238", metric_type: multiPerformanceRate, first_year: 2017, last_year: 0}
  - {id: "305", metric_type: multiPerformanceRate, first_year: 2017, last_year: 0}
  - {id: "391", metric_type: registryMultiPerformanceRate, first_year: 2017, last_year: 0}
  - {id: "ACEP32", metric_type: nonProportion, first_year: 2017, last_year: 0}
  - {id: "ACRAD15", metric_type: nonProportion, first_year: 2017, last_year: 0}
  - {id: "CAHPS_1", metric_type: cahps, first_year: 2017, last_year: 0}
  - {id: "MSPB_1", metric_type: costScore, first_year: 2017, last_year: 0}
  - {id: "OLD_1", metric_type: singlePerformanceRate, first_year: 2017, last_year: 2017}
  - {id: "OLD_2", metric_type: singlePerformanceRate, first_year: 0, last_year: 2016}
  - {id: "NEW_1", metric_type: singlePerformanceRate, first_year: 2019, last_year: 0}
  - {id: "SPAN_1", metric_type: singlePerformanceRate, first_year: 2015, last_year: 2016}
)";

const char* const kIa = R"(table: ia.activities
key: [id]
columns: {id: string, metric_type: string, first_year: number, last_year: number}
rows:
  - {id: "IA_AHE_1", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "IA_AHE_2", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "IA_AHE_3", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "IA_AHE_4", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "IA_EPA_1", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "IA_EPA_4", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "IA_PM_2", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "IA_PSPA_4", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "IA_PSPA_5", metric_type: boolean, first_year: 2017, last_year: 0}
)";

const char* const kAci = R"(table: aci.measures
key: [id]
columns: {id: string, metric_type: string, first_year: number, last_year: number}
rows:
  - {id: "PI_EP_1", metric_type: proportion, first_year: 2017, last_year: 0}
  - {id: "PI_HIE_1", metric_type: proportion, first_year: 2017, last_year: 0}
  - {id: "PI_HIE_2", metric_type: proportion, first_year: 2017, last_year: 0}
  - {id: "PI_HIE_3", metric_type: proportion, first_year: 2017, last_year: 0}
  - {id: "PI_PEA_1", metric_type: proportion, first_year: 2017, last_year: 0}
  - {id: "PI_HIE_4", metric_type: proportion, first_year: 2019, last_year: 0}
  - {id: "PI_IACEHRT_1", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "PI_INFBLO_1", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "PI_ONCACB_1", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "PI_ONCDIR_1", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "PI_PHCDRR_1", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "PI_PHCDRR_5", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "PI_PPHI_1", metric_type: boolean, first_year: 2017, last_year: 0}
  - {id: "PI_PHCDRR_1_MULTI", metric_type: boolean, first_year: 2018, last_year: 0}
)";

std::string g_root;  // the temporary policy directory; removed at exit

void remove_tree() {
  std::error_code ec;
  if (!g_root.empty()) fs::remove_all(g_root, ec);
}

void write(const fs::path& p, const char* text) { std::ofstream(p, std::ios::binary) << text; }

struct Fixture {
  engine::CompiledPolicy compiled;
  std::unique_ptr<engine::Evaluator> evaluator;
  Fixture() {
    fs::path dir = fs::temp_directory_path() / ("merit-fuzz-submission-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    g_root = dir.string();
    std::atexit(remove_tree);
    write(dir / "policy.yaml", kPolicy);
    write(dir / "rules.merit", kRules);
    write(dir / "quality.yaml", kQuality);
    write(dir / "ia.yaml", kIa);
    write(dir / "aci.yaml", kAci);
    dsl::Diagnostics diags;
    compiled = engine::compile_policy(dir, diags);
    if (!compiled.program) {
      std::fprintf(stderr, "fuzz_submission: the fixture policy does not compile:\n%s\n", diags.render().c_str());
      std::abort();
    }
    evaluator = std::make_unique<engine::Evaluator>(*compiled.program);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fx = fixture();
  std::string text(reinterpret_cast<const char*>(data), size);
  const bool yaml = !text.empty() && text[0] == '#';
  auto src = dsl::Source::from_text(yaml ? "submission.yaml" : "submission.json", std::move(text));
  dsl::Diagnostics diags;
  auto doc = engine::parse_document(src, diags, yaml ? "yaml" : "json");
  if (!doc) {
    (void)diags.render();
    return 0;
  }
  engine::Document fields;
  fields.kind = engine::Document::Kind::Object;
  bool ok = engine::cms::read_submission(*doc, fx.compiled.policy, src, fields, diags);
  diags.sort();
  (void)diags.render();
  if (ok == diags.has_errors() || (!ok && !fields.keys.empty())) {
    std::fprintf(stderr, "fuzz_submission: read_submission returned %d with %zu errors and %zu fields\n", ok,
                 diags.error_count(), fields.keys.size());
    std::abort();
  }
  if (!ok) return 0;
  const engine::Program& program = *fx.compiled.program;
  engine::Evaluator& ev = *fx.evaluator;
  ev.arena().reset();
  engine::Value input;
  dsl::Diagnostics bind_diags;
  if (!engine::bind_input(fields, program.inputs(), program.input_type(), true, ev.arena(), input, bind_diags, src)) {
    std::fprintf(stderr, "fuzz_submission: the normalised submission does not bind:\n%s\n", bind_diags.render().c_str());
    std::abort();
  }
  (void)ev.evaluate(input);
  return 0;
}
