// Fuzz target: input documents against the tutorial policy (compiled once per process).
// The first byte selects how the rest is read: even -> JSON, odd -> YAML ('j' and 'y' in the
// corpus); bit 1 set -> non-strict binding (unknown fields allowed); bit 2 set -> tracing.
// The rest is parsed with engine::parse_document, bound with bind_input and evaluated; the
// outcome is rendered as the CLI would. Never crashes, hangs or leaks.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/compiler.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"
#include "engine/report.hpp"

#ifndef MERIT_SOURCE_DIR
#error "MERIT_SOURCE_DIR must name the source tree (for policies/examples/tutorial)"
#endif

using namespace merit;

namespace {

struct Fixture {
  std::shared_ptr<const engine::Program> program;
  std::unique_ptr<engine::Evaluator> evaluator;
  Fixture() {
    dsl::Diagnostics diags;
    auto compiled = engine::compile_policy(MERIT_SOURCE_DIR "/policies/examples/tutorial", diags);
    if (!compiled.program) {
      std::fprintf(stderr, "fuzz_eval: the tutorial policy does not compile:\n%s\n", diags.render().c_str());
      std::abort();
    }
    program = compiled.program;
    // One evaluator for the whole run, reset between inputs: the way the CLI's batch mode uses it.
    evaluator = std::make_unique<engine::Evaluator>(*program);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Fixture& fx = fixture();
  const engine::Program& program = *fx.program;
  engine::Evaluator& ev = *fx.evaluator;
  const uint8_t mode = data[0];
  const bool json = mode % 2 == 0;
  const bool strict = (mode & 2) == 0 && program.strict_inputs();
  const bool trace = (mode & 4) != 0;

  auto src = dsl::Source::from_text(json ? "input.json" : "input.yaml",
                                    std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  dsl::Diagnostics diags;
  auto doc = engine::parse_document(src, diags, json ? "json" : "yaml");
  if (!doc) {
    (void)diags.render();
    return 0;
  }
  ev.arena().reset();
  engine::Value input;
  if (!engine::bind_input(*doc, program.inputs(), program.input_type(), strict, ev.arena(), input, diags, src)) {
    (void)diags.render();
    return 0;
  }
  engine::EvalOptions opts;
  opts.trace = trace;
  const engine::Outcome& out = ev.evaluate(input, opts);
  engine::ReportOptions ropts;
  (void)engine::render_text(program, out, ropts);
  (void)engine::render_json(program, out, ropts);
  (void)engine::eval_diagnostics(program, out).render();
  if (trace) {
    std::vector<int> outputs;
    for (size_t d = 0; d < program.definitions().size(); ++d)
      if (program.definitions()[d].is_output) outputs.push_back(static_cast<int>(d));
    (void)engine::render_explanation(program, out, outputs);
    (void)engine::render_trace_json(program, out);
  }
  return 0;
}
