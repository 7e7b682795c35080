// merit generate: a seeded synthetic population of clinicians, one JSON case per line
// (engine/population; docs/population.md, "The synthetic population generator").
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "engine/loader.hpp"
#include "engine/population/generator.hpp"
#include "tools/cli.hpp"

namespace fs = std::filesystem;
using namespace merit;

namespace merit::cli {

namespace {

struct GenerateArgs {
  std::string year, policy, policies, output;
  uint64_t count = 1000, seed = 1;
  bool quiet = false;
};

int run_generate(const GenerateArgs& a, const Common& common) {
  auto found = year_or_policy(a.year, a.policy, a.policies);
  if (!found) return kUsage;
  fs::path dir = *found;
  std::error_code ec;
  auto start = std::chrono::steady_clock::now();
  dsl::Diagnostics diags;
  engine::Policy policy = engine::load_policy(dir, diags);
  if (diags.has_errors()) {
    diags.sort();
    print_diags(diags, common);
    return kInvalid;
  }
  std::string error;
  auto catalog = engine::population::read_catalog(policy, error);
  if (!catalog) {
    std::cerr << fmt::format("merit: cannot generate cases for '{}': {}\n", dir.string(), error);
    return kInvalid;
  }
  if (!a.year.empty() && !a.policy.empty() && std::to_string(catalog->year) != a.year) {
    std::cerr << fmt::format("merit: the policy at '{}' is for {}, not {}\n", dir.string(), catalog->year, a.year);
    return kUsage;
  }

  // Streamed to a temporary file renamed into place, so that a failure leaves no partial output.
  bool to_stdout = a.output.empty() || a.output == "-";
  fs::path tmp = to_stdout ? fs::path() : fs::path(a.output + ".tmp");
  std::FILE* out = to_stdout ? stdout : std::fopen(tmp.c_str(), "wb");
  if (!out) {
    std::cerr << fmt::format("merit: cannot write '{}'\n", tmp.string());
    return kUsage;
  }
  std::unique_ptr<char[]> buffer;
  if (!to_stdout) {
    buffer.reset(new char[1 << 20]);
    std::setvbuf(out, buffer.get(), _IOFBF, 1 << 20);
  }
  engine::population::Summary summary;
  bool ok = engine::population::generate(*catalog, a.seed, a.count, out, &summary);
  if (!to_stdout) {
    ok = std::fclose(out) == 0 && ok;
    if (ok) fs::rename(tmp, a.output, ec);
    if (!ok || ec) {
      fs::remove(tmp, ec);
      std::cerr << fmt::format("merit: cannot write '{}'\n", a.output);
      return kUsage;
    }
  } else if (!ok) {
    std::cerr << "merit: cannot write the output\n";
    return kUsage;
  }
  if (!a.quiet && !to_stdout) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto pct = [&](uint64_t n, uint64_t of) { return of ? 100.0 * static_cast<double>(n) / static_cast<double>(of) : 0.0; };
    const auto& s = summary;
    std::cerr << fmt::format(
        "merit: wrote {} cases ({:.1f} MB) to {} in {:.2f} s: {:.1f}% individuals, {:.1f}% small practices, "
        "{:.1f}% low volume, {:.1f}% report quality ({:.2f} measures each, {:.1f}% below data completeness), "
        "{:.1f}% full IA, {:.1f}% report PI ({:.1f}% of them miss the base), {:.1f}% with cost results\n",
        s.cases, static_cast<double>(s.bytes) / 1e6, a.output, seconds, pct(s.individuals, s.cases),
        pct(s.small_practices, s.cases), pct(s.low_volume, s.cases), pct(s.quality_reporters, s.cases),
        s.quality_reporters ? static_cast<double>(s.quality_measures) / static_cast<double>(s.quality_reporters) : 0.0,
        pct(s.below_completeness, s.quality_measures), pct(s.ia_full, s.cases), pct(s.pi_reporters, s.cases),
        pct(s.pi_base_failed, s.pi_reporters), pct(s.with_cost, s.cases));
  }
  return kOk;
}

const CommandRegistrar generate_command{{"generate", [](CLI::App& app, const Common& common) -> std::function<int()> {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Write a seeded synthetic population of clinicians (JSON lines)");
  cmd->add_option("--year", args->year, "Program year whose tables the cases draw from (policies/<year>)");
  cmd->add_option("--policy", args->policy, "Policy directory to draw from instead of the year's");
  cmd->add_option("--policies", args->policies, "Folder holding one policy per year (default: $MERIT_POLICIES or the source tree's policies/)");
  cmd->add_option("--count", args->count, "Number of cases (default 1000)");
  cmd->add_option("--seed", args->seed, "Seed: the same seed and count give the same bytes (default 1)");
  cmd->add_option("-o,--output", args->output, "Write the cases here (JSON lines) instead of stdout");
  cmd->add_flag("-q,--quiet", args->quiet, "No summary on stderr");
  cmd->footer(
      "Each line: {\"case\": \"c000001\", \"part_b_paid\": ..., \"profile\": {...}, \"submission\": {...}}\n"
      "Example:\n"
      "  merit generate --year 2018 --count 1000000 --seed 7 -o population.jsonl\n"
      "Exit codes: 0 written, 1 the policy has errors, 2 usage or I/O error.");
  return [args, &common] { return run_generate(*args, common); };
}}};

}  // namespace

}  // namespace merit::cli
