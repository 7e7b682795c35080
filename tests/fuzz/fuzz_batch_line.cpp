// Fuzz target: one `merit batch` line -> the fast path (engine/cms/fast_case.hpp) and the
// reference path (parse_document, read_submission, bind_input), under the real 2018 policy
// (policies/2018, compiled once per process). Besides never crashing, hanging or leaking, it
// aborts when the fast path's contract breaks: a line it takes must be taken by the reference
// path too and bind to exactly the same input record, case id and Part B amount.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/cms/case_file.hpp"
#include "engine/cms/fast_case.hpp"
#include "engine/cms/submission.hpp"
#include "engine/compiler.hpp"
#include "engine/input.hpp"

using namespace merit;
using engine::Value;
using engine::ValueKind;

namespace {

struct Setup {
  engine::CompiledPolicy compiled;
  std::unique_ptr<engine::cms::MeasureIndex> index;
  std::unique_ptr<engine::cms::FastCaseReader> fast;
};

Setup& setup() {
  static Setup* s = [] {
    auto* x = new Setup;
    dsl::Diagnostics diags;
    x->compiled = engine::compile_policy(std::string(MERIT_SOURCE_DIR) + "/policies/2018", diags);
    if (!x->compiled.program) {
      std::fprintf(stderr, "fuzz_batch_line: policies/2018 does not compile\n%s", diags.render(false).c_str());
      std::abort();
    }
    x->index = std::make_unique<engine::cms::MeasureIndex>(x->compiled.policy);
    x->fast = std::make_unique<engine::cms::FastCaseReader>(x->compiled.policy, *x->compiled.program, *x->index);
    return x;
  }();
  return *s;
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Setup& s = setup();
  std::string line(reinterpret_cast<const char*>(data), size);
  engine::Arena fast_arena, ref_arena;
  Value fast_value, ref_value;
  std::string fast_id = "default", fast_paid, ref_id = "default", ref_paid;
  if (!s.fast->read(line, fast_arena, fast_value, fast_id, fast_paid)) return 0;  // declined: nothing to compare

  dsl::Diagnostics diags;
  auto source = dsl::Source::from_text("line", line);
  auto doc = engine::parse_document(source, diags, "json");
  const engine::Document* profile = doc && doc->kind == engine::Document::Kind::Object ? doc->find("profile") : nullptr;
  const engine::Document* submission = doc && doc->kind == engine::Document::Kind::Object ? doc->find("submission") : nullptr;
  bool ok = profile && submission;
  if (ok) {
    if (const auto* c = doc->find("case"); c && c->kind == engine::Document::Kind::String) ref_id = c->text;
    if (const auto* p = doc->find("part_b_paid"); p && p->kind == engine::Document::Kind::Number) ref_paid = p->text;
    engine::cms::CaseFile c;
    c.profile = engine::cms::Part{*profile, source, "$.profile"};
    c.submission = engine::cms::Part{*submission, source, "$.submission"};
    ok = engine::cms::bind_case(c, s.compiled.policy, *s.compiled.program, ref_arena, ref_value, diags, s.index.get());
  }
  if (!ok) {
    std::fprintf(stderr, "fuzz_batch_line: the fast path took a line the reference path refuses:\n%s\n",
                 diags.render(false).c_str());
    std::abort();
  }
  if (!engine::identical(fast_value, ref_value) || fast_id != ref_id || fast_paid != ref_paid) {
    std::fprintf(stderr, "fuzz_batch_line: the fast path and the reference path bind the line differently\n");
    std::abort();
  }
  return 0;
}
