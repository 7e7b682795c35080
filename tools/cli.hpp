// Shared pieces of the merit command line: exit codes, common flags, and a registry through
// which each command file in tools/commands/ adds its subcommand (so commands live apart).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dsl/diagnostic.hpp"

namespace merit::cli {

inline constexpr int kOk = 0, kInvalid = 1, kUsage = 2, kRuntime = 3;

struct Common {
  bool no_color = false;
  bool color_stderr() const { return !no_color && isatty(fileno(stderr)); }
  bool color_stdout() const { return !no_color && isatty(fileno(stdout)); }
};

// A subcommand: `setup` adds it to the app and returns the action run when it was chosen.
struct CommandSpec {
  std::string name;
  std::function<std::function<int()>(CLI::App& app, const Common& common)> setup;
};

// Commands in tools/commands/*.cpp register themselves with a static CommandRegistrar.
std::vector<CommandSpec>& command_registry();
struct CommandRegistrar {
  explicit CommandRegistrar(CommandSpec spec) { command_registry().push_back(std::move(spec)); }
};

void print_diags(const dsl::Diagnostics& diags, const Common& c);

// Where `--year 2018` (and a case's `year: 2018`) finds its policy directory: the --policies
// option, else $MERIT_POLICIES, else the source tree's policies/ (MERIT_POLICY_ROOT).
std::filesystem::path policies_root(const std::string& option);

// A policy named on the command line: a directory holding policy.yaml, or a year under `root`.
// Otherwise a message listing the known years, and nothing.
std::optional<std::filesystem::path> resolve_policy(const std::string& arg, const std::filesystem::path& root);
// The policy a command's `--year Y` or `--policy DIR` names (the directory wins), under `policies`
// (the --policies option); reports on stderr when neither is given or there is no policy.yaml there.
std::optional<std::filesystem::path> year_or_policy(const std::string& year, const std::string& policy,
                                                    const std::string& policies);

// Case files named on the command line: files as given, folders searched for *.yaml / *.yml
// (sorted). A name that is neither is reported and sets `ok` to false.
std::vector<std::filesystem::path> case_files(const std::vector<std::string>& paths, bool& ok);

// Writes `text` to `output` through a temporary file renamed into place, so that a failure
// leaves no partial output; "" or "-" is stdout. Returns kOk or kUsage (with a message).
int emit(const std::string& text, const std::string& output);

// `merit explain <case.yaml> [RULE...]` (tools/commands/score.cpp).
int explain_case(const std::string& target, const std::vector<std::string>& rules, const std::string& policy,
                 const Common& common);

}  // namespace merit::cli
