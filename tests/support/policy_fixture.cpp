#include "support/policy_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>

#include <fmt/format.h>

namespace merit::test {

namespace fs = std::filesystem;

TempPolicy::TempPolicy() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  dir_ = fs::temp_directory_path() / fmt::format("merit-test-{}-{}-{}", ::getpid(), counter++, rd());
  fs::create_directories(dir_);
}

TempPolicy::~TempPolicy() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

TempPolicy& TempPolicy::file(const std::string& relative, const std::string& text) {
  fs::path p = dir_ / relative;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return *this;
}

namespace {
std::string indent(const std::string& text, int n) {
  std::string out, pad(n, ' ');
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    out += pad + line + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}
}  // namespace

std::unique_ptr<Compiled> compile_mini(const MiniPolicy& mp) {
  auto c = std::make_unique<Compiled>();
  c->files = std::make_unique<TempPolicy>();
  std::string policy = "name: mini\nrequire_citations: false\nrules: [rules.merit]\n";
  if (!mp.parameters.empty()) {
    policy += "parameters: [params.yaml]\n";
    c->files->file("params.yaml", "parameters:\n" + indent(mp.parameters, 2));
  }
  if (!mp.inputs.empty()) policy += "inputs:\n" + indent(mp.inputs, 2);
  if (!mp.outputs.empty()) policy += "outputs: " + mp.outputs + "\n";
  c->files->file("policy.yaml", policy);
  c->files->file("rules.merit", mp.rules);
  c->policy = engine::compile_policy(c->files->dir(), c->diags);
  c->rendered = c->diags.render();
  // Make file names stable across runs: strip the temporary directory.
  std::string prefix = c->files->dir().string() + "/";
  for (size_t pos; (pos = c->rendered.find(prefix)) != std::string::npos;) c->rendered.erase(pos, prefix.size());
  return c;
}

EvalResult eval_yaml(const engine::Program& program, const std::string& input_yaml) {
  EvalResult r;
  dsl::Diagnostics diags;
  auto src = dsl::Source::from_text("input.yaml", input_yaml);
  auto doc = engine::parse_document(src, diags, "yaml");
  engine::Evaluator ev(program);
  engine::Value input;
  if (!doc || !engine::bind_input(*doc, program.inputs(), program.input_type(), program.strict_inputs(), ev.arena(),
                                  input, diags, src)) {
    r.input_errors = diags.render();
    return r;
  }
  r.input_ok = true;
  const engine::Outcome& o = ev.evaluate(input);
  for (size_t d = 0; d < program.definitions().size(); ++d) {
    const auto& def = program.definitions()[d];
    if (o.state[d] == engine::Outcome::State::Ok) r.values[def.name] = engine::to_string(o.values[d], def.type);
    if (o.state[d] == engine::Outcome::State::Failed) {
      const auto& e = o.errors[o.error_of[d]];
      r.errors[def.name] = fmt::format("{}: {}", dsl::code_info(e.code).id, e.message);
    }
  }
  return r;
}

}  // namespace merit::test
