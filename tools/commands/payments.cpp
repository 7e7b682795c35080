// merit payments --year 2018 <results>: budget neutrality and the exceptional pool over a
// population of final scores and Part B paid amounts (docs/payments.md).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "engine/compiler.hpp"
#include "engine/payments/payments.hpp"
#include "tools/cli.hpp"

namespace fs = std::filesystem;
using namespace merit;
namespace pay = merit::engine::payments;

namespace merit::cli {

namespace {

struct PaymentsArgs {
  std::string results, year, policy, policies, output, summary;
};

// Writes the clinicians' lines to `path` (through a temporary file renamed into place, so that a
// failure leaves nothing) or to stdout. The lines are formatted on every core (pay::write_lines).
int write_lines(const std::string& path, const pay::Parameters& p, const pay::Solution& s,
                const std::vector<pay::Clinician>& population) {
  bool to_stdout = path.empty() || path == "-";
  pay::Format format = !to_stdout && pay::format_for(path) == pay::Format::Csv ? pay::Format::Csv : pay::Format::Jsonl;
  fs::path tmp = path + ".tmp";
  std::FILE* file = to_stdout ? stdout : std::fopen(tmp.c_str(), "wb");
  if (!file) {
    std::cerr << fmt::format("merit: cannot write '{}'\n", path);
    return kUsage;
  }
  bool ok = pay::write_lines(file, p, s, population, format);
  if (!to_stdout) ok = std::fclose(file) == 0 && ok;
  if (!ok) {
    std::cerr << fmt::format("merit: cannot write '{}'\n", to_stdout ? "stdout" : path);
    if (!to_stdout) fs::remove(tmp);
    return kUsage;
  }
  if (!to_stdout) {
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
      std::cerr << fmt::format("merit: cannot write '{}': {}\n", path, ec.message());
      return kUsage;
    }
  }
  return kOk;
}

int run_payments(const PaymentsArgs& a, const Common& common) {
  std::error_code ec;
  if (!fs::is_regular_file(a.results, ec)) {
    std::cerr << fmt::format("merit: cannot read '{}'\n", a.results);
    return kUsage;
  }
  auto found = year_or_policy(a.year, a.policy, a.policies);
  if (!found) return kUsage;
  fs::path dir = *found;
  dsl::Diagnostics diags;
  engine::CompiledPolicy cp = engine::compile_policy(dir, diags);
  if (diags.has_errors()) {
    print_diags(diags, common);
    return kInvalid;
  }
  pay::Parameters params;
  std::string error;
  if (!pay::parameters_from_policy(cp.policy, params, error)) {
    std::cerr << "merit: " << error << "\n";
    return kInvalid;
  }
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  auto t0 = Clock::now();
  std::vector<pay::Clinician> population;
  {
    std::ifstream in(a.results, std::ios::binary);
    if (!in) {
      std::cerr << fmt::format("merit: cannot read '{}'\n", a.results);
      return kUsage;
    }
  }
  // A JSONL file is mapped and read in pieces on every core (docs/payments.md).
  if (!pay::read_results_file(a.results, pay::format_for(a.results), population, error)) {
    std::cerr << "merit: error: " << error << "\n";
    return kInvalid;
  }
  auto t1 = Clock::now();
  pay::Solution solution;
  if (!pay::solve(params, population, solution, error)) {
    std::cerr << "merit: error: " << error << "\n";
    return kInvalid;
  }
  auto t2 = Clock::now();
  if (int rc = write_lines(a.output, params, solution, population); rc != kOk) return rc;
  auto t3 = Clock::now();
  std::cerr << pay::summary_text(params, solution, population.size());
  std::cerr << fmt::format("time: read {:.2f} s, solve {:.2f} s, write each clinician's adjustment {:.2f} s\n",
                           seconds(t0, t1), seconds(t1, t2), seconds(t2, t3));
  if (!a.summary.empty())
    if (int rc = emit(pay::summary_json(params, solution, population.size()), a.summary); rc != kOk) return rc;
  return kOk;
}

const CommandRegistrar payments_command{{"payments", [](CLI::App& app, const Common& common) -> std::function<int()> {
  auto args = std::make_shared<PaymentsArgs>();
  auto* cmd = app.add_subcommand("payments",
                                 "Budget-neutral payment adjustments for a population: solve beta and gamma, then each clinician's adjustment");
  cmd->add_option("results", args->results, "Results file: JSONL {\"id\", \"final_score\", \"part_b_paid\"} per line, or CSV with those columns")
      ->required();
  cmd->add_option("--year", args->year, "Program year whose payment parameters apply (policies/<year>)");
  cmd->add_option("--policy", args->policy, "Policy directory to use instead of the year's");
  cmd->add_option("--policies", args->policies, "Folder holding one policy per year (default: $MERIT_POLICIES or the source tree's policies/)");
  cmd->add_option("-o,--output", args->output, "Write one line per clinician here (.csv: CSV, else JSONL); default stdout (JSONL)");
  cmd->add_option("--summary", args->summary, "Also write the summary (beta, gamma, totals, balance) as JSON here");
  cmd->footer(
      "Examples:\n"
      "  merit payments --year 2018 results.jsonl -o adjustments.csv --summary summary.json\n"
      "The summary (beta, gamma, totals and the balance) goes to stderr. See docs/payments.md.\n"
      "Exit codes: 0 ok, 1 bad input (with its line number) or policy, 2 usage or I/O error.");
  return [args, &common] { return run_payments(*args, common); };
}}};

}  // namespace

}  // namespace merit::cli
