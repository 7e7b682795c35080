// merit diff A B: the semantic diff of two program years (docs/diff.md).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "engine/compiler.hpp"
#include "engine/diff/diff.hpp"
#include "tools/cli.hpp"

namespace fs = std::filesystem;
using namespace merit;

namespace merit::cli {

namespace {

struct DiffArgs {
  std::string a, b, policies, format = "text", module, output;
  std::vector<std::string> only, cases;
  bool list = false, timing = false;
  int heading = 1;
};

int run_diff(const DiffArgs& a, const Common& common) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  engine::diff::Filter filter;
  std::string error;
  if (!engine::diff::parse_only(a.only, filter, error)) {
    std::cerr << "merit: " << error << "\n";
    return kUsage;
  }
  filter.module = a.module;
  fs::path root = policies_root(a.policies);
  auto da = resolve_policy(a.a, root), db = resolve_policy(a.b, root);
  if (!da || !db) return kUsage;
  bool ok = true;
  auto files = case_files(a.cases, ok);
  if (!ok) return kUsage;
  if (!a.cases.empty() && files.empty()) {
    std::cerr << "merit: no case files found\n";
    return kUsage;
  }

  engine::CompiledPolicy pa, pb;
  for (auto [dir, out] : {std::pair{*da, &pa}, std::pair{*db, &pb}}) {
    dsl::Diagnostics diags;
    *out = engine::compile_policy(dir, diags);
    if (diags.has_errors()) {
      print_diags(diags, common);
      std::cerr << fmt::format("merit: the policy at '{}' has errors; nothing to compare\n", dir.string());
      return kInvalid;
    }
  }
  auto t1 = clock::now();
  engine::diff::StaticDiff full = engine::diff::compare(pa, pb, {a.a, pa.policy.name, pa.policy.year},
                                                        {a.b, pb.policy.name, pb.policy.year});
  auto t2 = clock::now();
  std::optional<engine::diff::Behaviour> behaviour;
  if (!a.cases.empty()) {
    behaviour = engine::diff::compare_cases(pa, pb, full, files);
  }
  auto t3 = clock::now();

  engine::diff::RenderOptions ro;
  ro.color = a.format == "text" && a.output.empty() && common.color_stdout();
  ro.list = a.list;
  ro.filter = filter;
  ro.heading = a.heading;
  engine::diff::StaticDiff shown = engine::diff::filtered(full, filter);
  const engine::diff::Behaviour* b = behaviour ? &*behaviour : nullptr;
  std::string text = a.format == "json"       ? engine::diff::render_json(shown, b, ro)
                     : a.format == "markdown" ? engine::diff::render_markdown(shown, b, ro)
                                              : engine::diff::render_text(shown, b, ro);
  int rc = emit(text, a.output);
  std::cout.flush();
  if (a.timing) {
    auto ms = [](auto x, auto y) { return std::chrono::duration<double, std::milli>(y - x).count(); };
    std::cerr << fmt::format("merit diff: load+compile {:.0f} ms, static diff {:.0f} ms, cases {:.0f} ms, total {:.0f} ms\n",
                             ms(t0, t1), ms(t1, t2), ms(t2, t3), ms(t0, clock::now()));
  }
  return rc;
}

const CommandRegistrar diff_command{{"diff", [](CLI::App& app, const Common& common) -> std::function<int()> {
  auto args = std::make_shared<DiffArgs>();
  auto* cmd = app.add_subcommand("diff", "Semantic diff of two program years: parameters, rules, tables, and case scores");
  cmd->add_option("a", args->a, "The earlier policy: a year (policies/<year>) or a policy directory")->required();
  cmd->add_option("b", args->b, "The later policy: a year or a policy directory")->required();
  cmd->add_option("--cases", args->cases, "Case files or folders: score each under both and attribute the change");
  cmd->add_option("--format", args->format, "text (default), markdown (a memo) or json (for tools)")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  cmd->add_option("--only", args->only, "Show only params, rules or data (repeat, or a comma list)");
  cmd->add_option("--module", args->module, "Show only this module's rules and the parameters and tables named <module>.*");
  cmd->add_flag("--list", args->list, "List every added, removed and changed row of every table (text and markdown)");
  cmd->add_option("--heading", args->heading, "markdown: heading level of the memo's title (default 1), to paste it into a document")
      ->check(CLI::Range(1, 5));
  cmd->add_option("--policies", args->policies, "Folder holding one policy per year (default: $MERIT_POLICIES or the source tree's policies/)");
  cmd->add_option("-o,--output", args->output, "Write the result here instead of stdout");
  cmd->add_flag("--timing", args->timing, "Print how long each part took (stderr)");
  cmd->footer(
      "Examples:\n"
      "  merit diff 2017 2018\n"
      "  merit diff policies/2018 policies/examples/2018-what-if --format markdown\n"
      "  merit diff 2017 2018 --cases tests/regression/2018 --format json\n"
      "Exit codes: 0 compared (with or without differences), 1 a policy has errors, 2 usage or I/O error.");
  return [args, &common] { return run_diff(*args, common); };
}}};

}  // namespace

}  // namespace merit::cli
