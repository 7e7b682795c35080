// One case per diagnostic code: the exact text a policy analyst sees for each of them.
//
// Layout of tests/diagnostics/cases/<CODE>-<slug>/ (the folder name starts with the code's id):
//   policy.yaml + the files it names   the policy directory is the case folder itself, or
//   main/policy.yaml + siblings        when a case needs several policies (extends), the policy
//                                      under test is main/ and the other folders are its siblings
//   input.yaml | input.json            optional: an input, bound and evaluated when the policy
//                                      compiles (I8xx input errors and R7xx runtime errors)
//   submission.json                    optional: a QPP submission read against the policy's
//                                      `submission:` block (engine/cms/submission, I804–I808)
//   measures.json + benchmarks.json    instead of a policy: CMS files given to merit import-cms
//                                      for performance year 2018 (engine/cms/import, C900–C905)
//   expected.txt                       the rendered diagnostics: policy diagnostics, then input
//                                      diagnostics, then runtime errors (engine::eval_diagnostics),
//                                      each block with its own summary line
// Paths in the rendered text are relative to the case folder. UPDATE_GOLDEN=1 rewrites
// expected.txt; review the diff by eye (caret, message, help) before committing it.
// docs/diagnostics.md shows every expected.txt as its example; a test below checks that it
// mentions every code.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "dsl/diagnostic.hpp"
#include "engine/cms/import.hpp"
#include "engine/cms/submission.hpp"
#include "engine/compiler.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"
#include "engine/report.hpp"
#include "support/test_files.hpp"

using namespace merit;
namespace fs = std::filesystem;

namespace {

fs::path cases_dir() { return test::source_path("tests/diagnostics/cases"); }

std::vector<fs::path> case_folders() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(cases_dir()))
    if (e.is_directory()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The policy directory of a case: main/ when it has one, else the case folder itself.
fs::path policy_dir(const fs::path& folder) {
  return fs::exists(folder / "main" / "policy.yaml") ? folder / "main" : folder;
}

std::string strip_prefix(std::string text, const std::string& prefix) {
  for (size_t pos; (pos = text.find(prefix)) != std::string::npos;) text.erase(pos, prefix.size());
  return text;
}

// What `merit import-cms 2018 measures.json benchmarks.json` reports for the case's files.
std::string run_import_case(const fs::path& folder) {
  dsl::Diagnostics diags;
  engine::cms::ImportOptions options;
  options.year = 2018;
  fs::path out = fs::temp_directory_path() / fmt::format("merit-diag-{}", folder.filename().string());
  engine::cms::import_cms(folder / "measures.json", folder / "benchmarks.json", options, out, diags);
  fs::remove_all(out);
  diags.sort();
  return diags.render(false);
}

// Everything the pipeline reports for one case, as the CLI would print it (without color).
std::string run_case(const fs::path& folder) {
  if (fs::exists(folder / "measures.json")) return strip_prefix(run_import_case(folder), folder.string() + "/");
  dsl::Diagnostics diags;
  engine::CompiledPolicy compiled = engine::compile_policy(policy_dir(folder), diags);
  std::string out = diags.render(false);

  fs::path input;
  for (const char* name : {"input.yaml", "input.json"})
    if (fs::exists(folder / name)) input = folder / name;
  if (!input.empty() && compiled.program) {
    const engine::Program& program = *compiled.program;
    dsl::Diagnostics input_diags;
    auto source = dsl::Source::from_text(input.string(), test::read_text(input));
    auto doc = engine::parse_document(source, input_diags);
    engine::Evaluator evaluator(program);
    engine::Value value;
    bool bound = doc && engine::bind_input(*doc, program.inputs(), program.input_type(), program.strict_inputs(),
                                           evaluator.arena(), value, input_diags, source);
    input_diags.sort();  // as `merit eval` prints them
    out += input_diags.render(false);
    if (bound) {
      const engine::Outcome& outcome = evaluator.evaluate(value);
      out += engine::eval_diagnostics(program, outcome).render(false);
    }
  }
  if (fs::exists(folder / "submission.json") && compiled.program) {
    dsl::Diagnostics sub_diags;
    fs::path file = folder / "submission.json";
    auto source = dsl::Source::from_text(file.string(), test::read_text(file));
    auto doc = engine::parse_document(source, sub_diags);
    engine::Document fields;
    fields.kind = engine::Document::Kind::Object;
    if (doc) engine::cms::read_submission(*doc, compiled.policy, source, fields, sub_diags);
    sub_diags.sort();
    out += sub_diags.render(false);
  }
  return strip_prefix(out, folder.string() + "/");
}

}  // namespace

TEST_CASE("every diagnostic case renders as expected", "[diagnostics]") {
  auto folders = case_folders();
  REQUIRE(!folders.empty());
  for (const auto& folder : folders) {
    std::string name = folder.filename().string();
    DYNAMIC_SECTION(name) {
      std::string rendered = run_case(folder);
      INFO(rendered);
      test::check_golden(folder / "expected.txt", rendered);
      // A case must show its own code, so that it cannot silently test something else.
      std::string id = name.substr(0, name.find('-'));
      CHECK(rendered.find(fmt::format("[{}]", id)) != std::string::npos);
    }
  }
}

TEST_CASE("every diagnostic code has a case and a section in docs/diagnostics.md", "[diagnostics]") {
  auto folders = case_folders();
  std::string doc = test::read_text(test::source_path("docs/diagnostics.md"));
  for (const auto& info : dsl::all_codes()) {
    std::string id(info.id);
    INFO("code " << id);
    bool has_case = std::any_of(folders.begin(), folders.end(), [&](const fs::path& f) {
      return f.filename().string().rfind(id + "-", 0) == 0;
    });
    CHECK(has_case);
    CHECK(doc.find(id) != std::string::npos);
  }
  // The doc's examples are the test expectations, verbatim.
  for (const auto& folder : folders) {
    INFO("case " << folder.filename().string() << ": docs/diagnostics.md must show expected.txt verbatim");
    std::string expected = test::read_text(folder / "expected.txt");
    CHECK((!expected.empty() && doc.find("```text\n" + expected + "```\n") != std::string::npos));
  }
  // And no case folder names a code that does not exist.
  for (const auto& folder : folders) {
    std::string name = folder.filename().string();
    std::string id = name.substr(0, name.find('-'));
    INFO("case " << name);
    CHECK(std::any_of(dsl::all_codes().begin(), dsl::all_codes().end(),
                      [&](const dsl::CodeInfo& c) { return c.id == id; }));
  }
}
