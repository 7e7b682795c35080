// merit batch: score a population of cases (JSON lines, or flat profiles in CSV) on every core,
// results in input order.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "engine/cms/batch.hpp"
#include "engine/cms/batch_csv.hpp"
#include "engine/compiler.hpp"
#include "tools/cli.hpp"

namespace fs = std::filesystem;
using namespace merit;

namespace merit::cli {

namespace {

struct BatchArgs {
  std::string input, output, errors, year, policy, policies, input_format;
  unsigned threads = 0;
};

int run_batch_command(const BatchArgs& a, const Common& common) {
  auto found = year_or_policy(a.year, a.policy, a.policies);
  if (!found) return kUsage;
  fs::path dir = *found;
  std::error_code ec;
  std::ifstream in(a.input, std::ios::binary);
  if (!in) {
    std::cerr << fmt::format("merit batch: cannot read '{}'\n", a.input);
    return kUsage;
  }
  bool csv_input = a.input_format.empty() ? fs::path(a.input).extension() == ".csv" : a.input_format == "csv";
  dsl::Diagnostics diags;
  auto compiled = engine::compile_policy(dir, diags);
  print_diags(diags, common);
  if (!compiled.program) return kInvalid;
  // A CSV input's header is checked against the policy before anything is written.
  std::unique_ptr<engine::cms::CsvJsonLines> csv;
  if (csv_input) {
    std::string problem;
    csv = engine::cms::open_batch_csv(in, a.input, compiled, problem);
    if (!csv) {
      std::cerr << "merit batch: " << problem << "\n";
      return kUsage;
    }
  }

  std::string errors_path = a.errors.empty() ? a.output + ".errors" : a.errors;
  fs::path tmp_out = a.output + ".tmp";
  // A 1 MB buffer: a million result lines are written in 1 MB writes, not 8 KB ones.
  std::vector<char> out_buffer(1 << 20);
  std::ofstream out;
  out.rdbuf()->pubsetbuf(out_buffer.data(), static_cast<std::streamsize>(out_buffer.size()));
  out.open(tmp_out, std::ios::binary);
  std::ofstream errors(errors_path, std::ios::binary);
  if (!out || !errors) {
    std::cerr << fmt::format("merit batch: cannot write '{}' or '{}'\n", a.output, errors_path);
    return kUsage;
  }
  engine::cms::BatchOptions options;
  options.threads = a.threads;
  options.csv = fs::path(a.output).extension() == ".csv";
  auto start = std::chrono::steady_clock::now();
  bool tty = isatty(fileno(stderr));
  if (tty)
    options.progress = [&](size_t lines) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cerr << fmt::format("\r{} lines, {:.1f} s, {:.0f} lines/s", lines, s, s > 0 ? lines / s : 0.0) << std::flush;
    };
  engine::cms::BatchSummary summary;
  std::string stopped;
  if (csv) {
    auto r = engine::cms::run_batch_csv(*csv, a.input, compiled, out, errors, options);
    summary = r.summary;
    stopped = r.stopped;
  } else {
    summary = engine::cms::run_batch(in, a.input, compiled, out, errors, options);
  }
  out.close();
  errors.close();
  fs::rename(tmp_out, a.output, ec);
  if (ec) {
    std::cerr << fmt::format("merit batch: cannot write '{}': {}\n", a.output, ec.message());
    return kUsage;
  }
  if (summary.failed == 0 && fs::file_size(errors_path, ec) == 0) fs::remove(errors_path, ec);
  if (!stopped.empty()) std::cerr << fmt::format("{}merit batch: {}\n", tty ? "\n" : "", stopped);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << fmt::format("{}merit batch: {} lines, {} scored, {} skipped ({}), {:.2f} s on {} thread{} ({:.0f} lines/s)\n",
                           tty ? "\n" : "", summary.lines, summary.scored, summary.failed,
                           summary.failed ? "see " + errors_path : "no errors", seconds, summary.threads,
                           summary.threads == 1 ? "" : "s",
                           seconds > 0 ? summary.lines / seconds : 0.0);
  return summary.failed == 0 ? kOk : kInvalid;
}

const CommandRegistrar batch_command{{"batch", [](CLI::App& app, const Common& common) -> std::function<int()> {
  auto args = std::make_shared<BatchArgs>();
  auto* cmd = app.add_subcommand("batch", "Score a population: one case per JSON line (or one profile per CSV row), results in input order");
  cmd->add_option("cases", args->input,
                  "JSON lines: {\"case\", \"profile\", \"submission\", \"part_b_paid\"} per line; or a .csv of profiles "
                  "(header: profile fields, case, part_b_paid, entity_type), scored with empty submissions")
      ->required();
  cmd->add_option("--input-format", args->input_format, "jsonl or csv (default: csv for a .csv input, else jsonl)")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  cmd->add_option("-o,--output", args->output, "Results: .jsonl (one object per line) or .csv")->required();
  cmd->add_option("--year", args->year, "Program year whose rules apply (policies/<year>)");
  cmd->add_option("--policy", args->policy, "Policy directory to use instead of the year's");
  cmd->add_option("--policies", args->policies, "Folder holding one policy per year");
  cmd->add_option("--errors", args->errors, "Where bad lines are reported (default: OUTPUT.errors)");
  cmd->add_option("-j,--threads", args->threads, "Worker threads (default: every hardware thread)");
  cmd->footer(
      "Examples:\n"
      "  merit batch --year 2018 population.jsonl -o results.jsonl\n"
      "  merit batch --year 2018 population.jsonl -o results.csv -j 2\n"
      "  merit batch --year 2018 profiles.csv -o results.jsonl   # profile-only rescoring (docs/population.md)\n"
      "A bad line is reported with its line number in the error file and skipped; the run goes on.\n"
      "Exit codes: 0 every line scored, 1 some lines skipped (or the policy has errors), 2 usage or I/O error.");
  return [args, &common] { return run_batch_command(*args, common); };
}}};

}  // namespace

}  // namespace merit::cli
