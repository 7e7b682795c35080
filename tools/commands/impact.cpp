// merit impact A B population.jsonl: the impact of a rule change across a population
// (docs/population.md "Impact reports"): distributions, threshold crossings, mean change per
// category and the attribution of the change to each rule change; HTML (default), Markdown or JSON.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "engine/compiler.hpp"
#include "engine/diff/diff.hpp"
#include "engine/impact/impact.hpp"
#include "tools/cli.hpp"

namespace fs = std::filesystem;
using namespace merit;

namespace merit::cli {

namespace {

struct ImpactArgs {
  std::string a, b, input, output, format, policies;
  unsigned threads = 0;
  long sample = -1;  // -1: automatic
  size_t max_attributed = 5000;
  size_t chunk = 4096;
};

int run_impact_command(const ImpactArgs& a, const Common& common) {
  fs::path root = policies_root(a.policies);
  auto da = resolve_policy(a.a, root), db = resolve_policy(a.b, root);
  if (!da || !db) return kUsage;
  std::string format = a.format;
  if (format.empty()) {
    auto ext = fs::path(a.output).extension().string();
    format = ext == ".md" ? "markdown" : ext == ".json" ? "json" : "html";
  }
  std::ifstream in(a.input, std::ios::binary);
  if (!in) {
    std::cerr << fmt::format("merit impact: cannot read '{}'\n", a.input);
    return kUsage;
  }
  engine::CompiledPolicy pa, pb;
  for (auto [dir, out] : {std::pair{*da, &pa}, std::pair{*db, &pb}}) {
    dsl::Diagnostics diags;
    *out = engine::compile_policy(dir, diags);
    if (diags.has_errors() || !out->program) {
      print_diags(diags, common);
      std::cerr << fmt::format("merit impact: the policy at '{}' has errors\n", dir.string());
      return kInvalid;
    }
  }
  engine::diff::StaticDiff d =
      engine::diff::compare(pa, pb, {a.a, pa.policy.name, pa.policy.year}, {a.b, pb.policy.name, pb.policy.year});

  engine::impact::Options o;
  o.threads = a.threads;
  o.chunk = std::max<size_t>(a.chunk, 1);
  if (a.sample >= 0) {
    o.sample_every = static_cast<size_t>(a.sample);
  } else {
    // Automatic: every line up to --max-attributed lines, else every k-th line so that at most
    // that many are attributed (the lines are counted first; the input is read twice).
    size_t count = 0;
    std::string line;
    while (std::getline(in, line))
      if (line.find_first_not_of(" \t\r") != std::string::npos) ++count;
    in.clear();
    in.seekg(0);
    size_t m = std::max<size_t>(a.max_attributed, 1);
    o.sample_every = std::max<size_t>(1, (count + m - 1) / m);
  }
  engine::impact::ImpactReport r;
  try {
    r = engine::impact::run_impact(pa, pb, d, in, a.input, o);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("merit impact: {}\n", e.what());
    return kRuntime;
  }
  std::string text = format == "json"       ? engine::impact::render_json(r)
                     : format == "markdown" ? engine::impact::render_markdown(r)
                                            : engine::impact::render_html(r);
  int rc = emit(text, a.output);
  std::cerr << fmt::format(
      "merit impact: {} lines, {} scored under both, {} not ({} unreadable, {} failed under A, {} under B); "
      "{:.2f} s on {} threads (scoring {:.2f} s, attribution of {} lines (every {}) {:.2f} s)\n",
      r.lines, r.scored, r.lines - r.scored, r.unreadable, r.failed_a, r.failed_b, r.seconds_total, r.threads, r.seconds_scoring,
      r.attribution.lines, r.attribution.every, r.attribution.seconds);
  if (rc != kOk) return rc;
  return r.scored == r.lines ? kOk : kInvalid;
}

const CommandRegistrar impact_command{{"impact", [](CLI::App& app, const Common& common) -> std::function<int()> {
  auto args = std::make_shared<ImpactArgs>();
  auto* cmd = app.add_subcommand("impact", "Impact of a rule change across a population: distributions, crossings, attribution");
  cmd->add_option("a", args->a, "The earlier policy: a year (policies/<year>) or a policy directory")->required();
  cmd->add_option("b", args->b, "The later policy: a year or a policy directory")->required();
  cmd->add_option("cases", args->input, "JSON lines {\"case\", \"profile\", \"submission\", \"part_b_paid\"} (merit generate)")
      ->required();
  cmd->add_option("-o,--output", args->output, "The report (default stdout); .html, .md or .json chooses the format");
  cmd->add_option("--format", args->format, "html (default), markdown or json")->check(CLI::IsMember({"html", "markdown", "json"}));
  cmd->add_option("--sample", args->sample, "Attribute every k-th line (1: all, 0: no attribution; default: automatic)");
  cmd->add_option("--max-attributed", args->max_attributed, "Automatic sample: at most this many lines attributed (default 5000)");
  cmd->add_option("-j,--threads", args->threads, "Worker threads (default: every hardware thread)");
  cmd->add_option("--chunk", args->chunk, "Lines read and scored together (default 4096)");
  cmd->add_option("--policies", args->policies, "Folder holding one policy per year");
  cmd->footer(
      "Examples:\n"
      "  merit generate --year 2018 --count 20000 --seed 1 -o pop.jsonl\n"
      "  merit impact 2017 2018 pop.jsonl -o report.html\n"
      "  merit impact 2018 policies/examples/2018-what-if pop.jsonl --format markdown\n"
      "Exit codes: 0 every line scored under both, 1 some lines not scored (or a policy has errors), 2 usage or I/O error.");
  return [args, &common] { return run_impact_command(*args, common); };
}}};

}  // namespace

}  // namespace merit::cli
