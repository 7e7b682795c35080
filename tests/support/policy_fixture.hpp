// Builds small policies in a temporary directory for tests, and runs the pipeline on them.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "engine/compiler.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"

namespace merit::test {

// A temporary policy directory: files are written relative to it; removed on destruction.
class TempPolicy {
 public:
  TempPolicy();
  ~TempPolicy();
  TempPolicy(const TempPolicy&) = delete;
  TempPolicy& operator=(const TempPolicy&) = delete;
  // Writes `text` to `relative` (creating folders). Returns *this for chaining.
  TempPolicy& file(const std::string& relative, const std::string& text);
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path(const std::string& relative) const { return dir_ / relative; }

 private:
  std::filesystem::path dir_;
};

// A one-module policy from rule text, parameters (YAML text of the `parameters:` map) and inputs
// (YAML text of the `inputs:` map). Citations are not required.
struct MiniPolicy {
  std::string rules;
  std::string parameters;  // e.g. "rate: 60%\nlimit: {value: $90,000}\n"
  std::string inputs;      // e.g. "x: number\nitems: \"list<number>\"\n"
  std::string outputs;     // e.g. "[m.a]" (empty: no outputs list)
};

struct Compiled {
  std::unique_ptr<TempPolicy> files;
  engine::CompiledPolicy policy;
  dsl::Diagnostics diags;
  std::string rendered;  // diagnostics as the CLI prints them (file names relative to the policy dir)
};

std::unique_ptr<Compiled> compile_mini(const MiniPolicy& mp);

// Evaluates `input_yaml` against a compiled program; returns "name = value" per requested
// definition, one per line, or the rendered input/eval errors.
struct EvalResult {
  bool input_ok = false;
  std::map<std::string, std::string> values;  // definition -> value text (to_string)
  std::map<std::string, std::string> errors;  // definition -> "R701: message"
  std::string input_errors;
};
EvalResult eval_yaml(const engine::Program& program, const std::string& input_yaml);

}  // namespace merit::test
