// The batch fast path (engine/cms/fast_case.hpp) against the reference path (parse_document,
// read_submission, bind_input): on every line it takes, the reference path must take it too and
// build the same input record; a line the reference path refuses, it must decline. Lines: the
// generated populations of 2017 and 2018, CMS's sample submissions, and edits of a generated
// line that reach each rule of the submission reader.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "engine/cms/case_file.hpp"
#include "engine/cms/fast_case.hpp"
#include "engine/cms/submission.hpp"
#include "engine/compiler.hpp"
#include "engine/population/generator.hpp"
#include "support/test_files.hpp"

using namespace merit;
using engine::Value;
using engine::ValueKind;

namespace {

struct Year {
  engine::CompiledPolicy compiled;
  std::unique_ptr<engine::cms::MeasureIndex> index;
  std::string population;  // generated JSON lines
};

const Year& year(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Year>> cache;
  auto& slot = cache[name];
  if (!slot) {
    slot = std::make_unique<Year>();
    dsl::Diagnostics diags;
    slot->compiled = engine::compile_policy(test::source_path("policies/" + name), diags);
    REQUIRE(slot->compiled.program);
    slot->index = std::make_unique<engine::cms::MeasureIndex>(slot->compiled.policy);
    std::string error;
    auto catalog = engine::population::read_catalog(slot->compiled.policy, error);
    REQUIRE(catalog);
    slot->population = engine::population::generate_text(*catalog, 11, 1500);
  }
  return *slot;
}


// The reference path, as merit batch runs it when the fast path declines.
bool reference(const Year& y, const std::string& line, engine::Arena& arena, Value& out, std::string& id,
               std::string& paid) {
  dsl::Diagnostics diags;
  auto source = dsl::Source::from_text("line", line);
  auto doc = engine::parse_document(source, diags, "json");
  if (!doc || doc->kind != engine::Document::Kind::Object) return false;
  const engine::Document* profile = doc->find("profile");
  const engine::Document* submission = doc->find("submission");
  if (!profile || !submission) return false;
  if (const auto* c = doc->find("case"); c && c->kind == engine::Document::Kind::String) id = c->text;
  if (const auto* p = doc->find("part_b_paid"); p && p->kind == engine::Document::Kind::Number) paid = p->text;
  engine::cms::CaseFile c;
  c.profile = engine::cms::Part{*profile, source, "$.profile"};
  c.submission = engine::cms::Part{*submission, source, "$.submission"};
  return engine::cms::bind_case(c, y.compiled.policy, *y.compiled.program, arena, out, diags, y.index.get());
}

struct Tally {
  size_t lines = 0, taken = 0, refused = 0;
};

// The property, for one line. Returns whether the fast path took it.
bool check_line(const Year& y, engine::cms::FastCaseReader& fast, const std::string& line, Tally& t) {
  INFO(line.substr(0, 400));
  engine::Arena fast_arena, ref_arena;
  Value a, b;
  std::string fast_id = "default", fast_paid, ref_id = "default", ref_paid;
  bool took = fast.read(line, fast_arena, a, fast_id, fast_paid);
  bool ref_ok = reference(y, line, ref_arena, b, ref_id, ref_paid);
  ++t.lines;
  if (!ref_ok) ++t.refused;
  if (took) {
    ++t.taken;
    REQUIRE(ref_ok);  // the fast path took a line the reference path refuses
    CHECK(engine::identical(a, b));
    CHECK(fast_id == ref_id);
    CHECK(fast_paid == ref_paid);
  }
  return took;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// `line` with the first occurrence of `from` replaced by `to` (the edit must apply).
std::string edit(const std::string& line, const std::string& from, const std::string& to) {
  auto at = line.find(from);
  REQUIRE(at != std::string::npos);
  return line.substr(0, at) + to + line.substr(at + from.size());
}

// The submission (the line's last field) inside the API's response wrapper {"data": {"submission": ...}}.
std::string wrapped(const std::string& line) {
  std::string w = edit(line, "\"submission\":", "\"submission\":{\"data\":{\"submission\":");
  w.insert(w.size() - 1, "}}");
  return w;
}

}  // namespace

TEST_CASE("batch fast path: every generated line, the same record as the reference path", "[batch][fast]") {
  for (std::string name : {"2018", "2017"}) {
    INFO(name);
    const Year& y = year(name);
    engine::cms::FastCaseReader fast(y.compiled.policy, *y.compiled.program, *y.index);
    REQUIRE(fast.enabled());
    Tally t;
    for (const auto& line : lines_of(y.population)) check_line(y, fast, line, t);
    CHECK(t.lines == 1500);
    CHECK(t.refused == 0);
    CHECK(t.taken == 1500);  // the generator writes only shapes the fast path takes
  }
}

TEST_CASE("batch fast path: edited lines are taken alike or declined", "[batch][fast]") {
  const Year& y = year("2018");
  engine::cms::FastCaseReader fast(y.compiled.policy, *y.compiled.program, *y.index);
  // A generated line with every kind of value: quality (counts), ia (booleans), pi (proportions).
  std::string base;
  for (const auto& line : lines_of(y.population))
    if (line.find("\"category\":\"quality\"") != std::string::npos && line.find("\"numerator\"") != std::string::npos &&
        line.find("\"eligiblePopulationExclusion\"") != std::string::npos) {
      base = line;
      break;
    }
  REQUIRE(!base.empty());
  Tally t;
  REQUIRE(check_line(y, fast, base, t));
  struct Edit {
    const char* what;
    std::string line;
    bool taken;  // what the fast path is expected to do (the property is checked either way)
  };
  std::vector<Edit> edits = {
      {"whitespace and a trailing newline", edit(base, "{\"case\":", "  { \"case\" :") + " \r\n", true},
      {"case is not a string", edit(base, "\"case\":\"", "\"case\":7,\"x\":\""), true},
      {"part_b_paid -0", edit(base, "\"part_b_paid\":", "\"part_b_paid\":-0,\"y\":"), true},
      {"an unknown top-level field", edit(base, "{\"case\":", "{\"note\":[1,{\"a\":null}],\"case\":"), true},
      {"an extra field in a set", edit(base, "\"submissionMethod\":", "\"programName\":\"mips\",\"submissionMethod\":"), true},
      {"escapes in a string", edit(base, "\"entityType\":\"", "\"entityType\":\"\\u0069"), true},
      {"a second value after the line", base + " {}", false},
      {"a stray word after the line", base + " x", false},
      {"a stray bracket after the line", base + "]", false},
      {"a duplicate top-level key", edit(base, "{\"case\":", "{\"profile\":{},\"case\":"), false},
      {"a duplicate key in a measurement", edit(base, "\"measureId\":", "\"x\":1,\"x\":2,\"measureId\":"), false},
      {"an unknown category", edit(base, "\"category\":\"ia\"", "\"category\":\"improvement\""), false},
      {"an unknown measure", edit(base, "\"measureId\":\"IA_", "\"measureId\":\"IA_NOPE_"), false},
      {"the wrong performance year", edit(base, "\"performanceYear\":2018", "\"performanceYear\":2017"), false},
      {"a negative count", edit(base, "\"performanceMet\":", "\"performanceMet\":-"), false},
      {"a fractional count", edit(base, "\"eligiblePopulationExclusion\":", "\"eligiblePopulationExclusion\":0.5,\"z\":"), false},
      {"met above the eligible population", edit(base, "\"performanceMet\":", "\"performanceMet\":9999999"), false},
      {"numerator above denominator", edit(base, "\"numerator\":", "\"numerator\":9999999"), false},
      {"a null value", edit(base, "\"value\":true", "\"value\":null"), false},
      {"a string for a boolean", edit(base, "\"value\":true", "\"value\":\"true\""), false},
      {"a profile field the policy does not declare", edit(base, "\"profile\":{", "\"profile\":{\"favourite\":1,"), false},
      {"a profile field the submission provides", edit(base, "\"profile\":{", "\"profile\":{\"entity_type\":\"group\","), false},
      {"a required profile field missing", edit(base, "\"clinicians\":", "\"clinicians_\":"), false},
      {"a number where a string goes", edit(base, "\"clinician_type\":\"", "\"clinician_type\":1,\"w\":\""), false},
      {"a CAHPS score", edit(base, "\"value\":true", "\"value\":{\"score\":80}"), false},
      {"the API's response wrapper", wrapped(base), false},
      {"not JSON", edit(base, "\"case\":", "\"case\""), false},
      {"end to end as a string", edit(base, "\"numerator\":", "\"isEndToEndReported\":\"yes\",\"numerator\":"), false},
  };
  for (const auto& e : edits) {
    INFO(e.what);
    bool took = check_line(y, fast, e.line, t);
    CHECK(took == e.taken);
  }
  CHECK(t.refused >= 15);  // most edits are errors the reference path reports
}

TEST_CASE("batch fast path: CMS's sample submissions", "[batch][fast]") {
  namespace fs = std::filesystem;
  fs::path dir = test::source_path("../shared/cms/samples/submissions-docs");
  if (!fs::exists(dir)) return;  // CMS's files are not in the repository
  Tally t;
  for (std::string name : {"2018", "2017"}) {
    const Year& y = year(name);
    engine::cms::FastCaseReader fast(y.compiled.policy, *y.compiled.program, *y.index);
    std::string profile =
        "{\"part_b_charges\": 200000, \"part_b_beneficiaries\": 500, \"clinicians\": 1, \"clinician_type\": "
        "\"physician\"}";
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".json") continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::string one_line;
      for (char c : text) one_line += (c == '\n' || c == '\r') ? ' ' : c;
      check_line(y, fast, fmt::format("{{\"case\": \"{}\", \"profile\": {}, \"submission\": {}}}",
                                      e.path().filename().string(), profile, one_line),
                 t);
    }
  }
  CHECK(t.lines > 10);
}
