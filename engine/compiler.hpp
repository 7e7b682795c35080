// The whole pipeline for one policy directory, as a fixed list of named stages:
//   load (files -> Policy) -> resolve -> types -> cycles -> lint (dsl checker) -> plan (Program)
// Each stage's output is the next one's input; a stage with errors stops the pipeline before
// "plan", so a Program only ever comes from a policy that checked cleanly.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsl/checker.hpp"
#include "engine/loader.hpp"
#include "engine/program.hpp"

namespace merit::engine {

struct CompileOptions {
  size_t error_limit = 50;
  std::string stop_after;  // a stage name: "load", "resolve", "types", "cycles", "lint"
};

struct CompiledPolicy {
  Policy policy;
  std::shared_ptr<const Program> program;  // null if stopped early or on errors
};

// Names of the pipeline's stages in order (for --stop-after and docs).
std::vector<std::string> pipeline_stages();

dsl::CheckUnit make_check_unit(const Policy& policy);

// Runs the pipeline. Diagnostics collects every stage's findings; `program` is set only if
// nothing reported an error.
CompiledPolicy compile_policy(const std::filesystem::path& dir, dsl::Diagnostics& diags,
                              const CompileOptions& options = {});
// The same from an already loaded Policy.
std::shared_ptr<const Program> compile_loaded(const Policy& policy, dsl::Diagnostics& diags,
                                              const CompileOptions& options = {});

}  // namespace merit::engine
