// merit: the command line. Exit codes: 0 success; 1 the policy or the input has errors (nothing
// is written to stdout); 2 usage or I/O errors; 3 evaluation finished but some rules failed at
// run time (their errors are listed with the results).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "engine/compiler.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"
#include "engine/report.hpp"
#include "tools/cli.hpp"

namespace fs = std::filesystem;
using namespace merit;

namespace merit::cli {
std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}
void print_diags(const dsl::Diagnostics& diags, const Common& c) {
  if (!diags.empty()) std::cerr << diags.render(c.color_stderr());
}
fs::path policies_root(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("MERIT_POLICIES"); env && *env) return env;
  return MERIT_POLICY_ROOT;
}

std::vector<std::string> known_years(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory(ec) && fs::exists(e.path() / "policy.yaml", ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<fs::path> year_or_policy(const std::string& year, const std::string& policy, const std::string& policies) {
  if (year.empty() && policy.empty()) {
    std::cerr << "merit: say which year's rules to use: --year 2018 (or --policy DIR)\n";
    return std::nullopt;
  }
  fs::path dir = !policy.empty() ? fs::path(policy) : policies_root(policies) / year;
  std::error_code ec;
  if (!fs::exists(dir / "policy.yaml", ec)) {
    std::cerr << fmt::format("merit: no policy at '{}'\n", dir.string());
    return std::nullopt;
  }
  return dir;
}

std::optional<fs::path> resolve_policy(const std::string& arg, const fs::path& root) {
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    if (fs::exists(fs::path(arg) / "policy.yaml", ec)) return fs::path(arg);
    std::cerr << fmt::format("merit: '{}' has no policy.yaml\n", arg);
    return std::nullopt;
  }
  fs::path dir = root / arg;
  if (!arg.empty() && arg.find('/') == std::string::npos && fs::exists(dir / "policy.yaml", ec)) return dir;
  auto years = known_years(root);
  std::cerr << fmt::format("merit: '{}' is neither a policy directory nor a known year (known years under {}: {})\n", arg,
                           root.string(), years.empty() ? "none" : fmt::format("{}", fmt::join(years, ", ")));
  return std::nullopt;
}

std::vector<fs::path> case_files(const std::vector<std::string>& paths, bool& ok) {
  std::vector<fs::path> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> here;
      for (const auto& e : fs::recursive_directory_iterator(p, ec))
        if (e.is_regular_file() && (e.path().extension() == ".yaml" || e.path().extension() == ".yml")) here.push_back(e.path());
      std::sort(here.begin(), here.end());
      out.insert(out.end(), here.begin(), here.end());
    } else if (fs::is_regular_file(p, ec)) {
      out.emplace_back(p);
    } else {
      std::cerr << fmt::format("merit: no case file or folder '{}'\n", p);
      ok = false;
    }
  }
  return out;
}

int emit(const std::string& text, const std::string& output) {
  if (output.empty() || output == "-") {
    std::cout << text;
    return kOk;
  }
  fs::path tmp = output + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!(f << text)) {
      std::cerr << fmt::format("merit: cannot write '{}'\n", output);
      return kUsage;
    }
  }
  std::error_code ec;
  fs::rename(tmp, output, ec);
  if (ec) {
    std::cerr << fmt::format("merit: cannot write '{}': {}\n", output, ec.message());
    return kUsage;
  }
  return kOk;
}

}  // namespace merit::cli

namespace {

using cli::Common, cli::kOk, cli::kInvalid, cli::kUsage, cli::kRuntime, cli::print_diags;

// Every stage failure for a policy directory that does not exist is a usage error (2).
bool check_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::cerr << fmt::format("merit: '{}' is not a policy directory\n", dir);
    return false;
  }
  if (!fs::exists(fs::path(dir) / "policy.yaml", ec)) {
    std::cerr << fmt::format("merit: '{}' has no policy.yaml\n", dir);
    return false;
  }
  return true;
}

std::optional<std::vector<int>> rule_indices(const engine::Program& p, const std::vector<std::string>& names) {
  std::vector<int> out;
  for (const auto& n : names) {
    int i = p.find_definition(n);
    if (i < 0) {
      std::vector<std::string> all;
      for (const auto& d : p.definitions()) all.push_back(d.name);
      std::string hint = dsl::did_you_mean(n, all);
      std::cerr << fmt::format("merit: error[{}]: no rule named '{}'{}\n", dsl::code_info(dsl::Code::UnknownRule).id, n,
                               hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint));
      return std::nullopt;
    }
    out.push_back(i);
  }
  return out;
}

int compile(const std::string& dir, const Common& c, engine::CompiledPolicy& out, const std::string& stop_after = {}) {
  if (!check_dir(dir)) return kUsage;
  dsl::Diagnostics diags;
  engine::CompileOptions opts;
  opts.stop_after = stop_after;
  out = engine::compile_policy(dir, diags, opts);
  print_diags(diags, c);
  return diags.has_errors() ? kInvalid : kOk;
}

int cmd_check(const std::string& dir, const std::string& stop_after, const Common& c) {
  engine::CompiledPolicy cp;
  int rc = compile(dir, c, cp, stop_after);
  if (rc == kOk) std::cerr << fmt::format("{}: ok\n", dir);
  return rc;
}

struct EvalArgs {
  std::string dir, input, format = "text", input_format;
  std::vector<std::string> rules;
  bool trace = false;
};

int cmd_eval(const EvalArgs& a, const Common& c, bool explain) {
  engine::CompiledPolicy cp;
  if (int rc = compile(a.dir, c, cp); rc != kOk) return rc;
  const engine::Program& prog = *cp.program;
  auto rules = rule_indices(prog, a.rules);
  if (!rules) return kUsage;
  dsl::Diagnostics diags;
  std::error_code ec;
  if (!fs::is_regular_file(a.input, ec)) {
    std::cerr << fmt::format("merit: cannot read input '{}'\n", a.input);
    return kUsage;
  }
  auto text = engine::read_file(a.input, diags);
  if (!text) {
    print_diags(diags, c);
    return kUsage;
  }
  auto src = dsl::Source::from_text(a.input, std::move(*text));
  auto doc = engine::parse_document(src, diags, a.input_format);
  engine::Evaluator ev(prog);
  engine::Value input;
  if (!doc || !engine::bind_input(*doc, prog.inputs(), prog.input_type(), prog.strict_inputs(), ev.arena(), input,
                                  diags, src)) {
    diags.sort();
    print_diags(diags, c);
    return kInvalid;
  }
  // By default, the outputs (and what they read); a policy without an outputs list marks all.
  if (rules->empty())
    for (int d : prog.order())
      if (prog.definitions()[d].is_output) rules->push_back(d);
  engine::EvalOptions eo;
  eo.rules = *rules;
  eo.trace = a.trace || explain;
  const engine::Outcome& o = ev.evaluate(input, eo);
  engine::ReportOptions ro;
  ro.rules = *rules;
  if (explain) {
    std::cout << engine::render_explanation(prog, o, *rules);
  } else if (a.format == "json") {
    std::cout << engine::render_json(prog, o, ro);
  } else {
    std::cout << engine::render_text(prog, o, ro);
    if (a.trace) std::cout << "\n" << engine::render_explanation(prog, o, *rules);
  }
  if (!o.ok()) print_diags(engine::eval_diagnostics(prog, o), c);
  return o.ok() ? kOk : kRuntime;
}

int cmd_graph(const std::string& dir, const std::vector<std::string>& names, const Common& c) {
  engine::CompiledPolicy cp;
  if (int rc = compile(dir, c, cp); rc != kOk) return rc;
  auto rules = rule_indices(*cp.program, names);
  if (!rules) return kUsage;
  std::cout << engine::render_dot(*cp.program, *rules);
  return kOk;
}

int cmd_dump(const std::string& dir, const std::string& what, const Common& c) {
  engine::CompiledPolicy cp;
  if (int rc = compile(dir, c, cp); rc != kOk) return rc;
  if (what == "policy")
    std::cout << cp.policy.debug_string();
  else
    std::cout << cp.program->disassemble();
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"merit: a rules-as-data policy engine for Medicare's Quality Payment Program (MIPS)"};
  app.set_version_flag("--version", std::string("merit ") + MERIT_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  merit check policies/examples/tutorial\n"
      "  merit eval policies/examples/tutorial policies/examples/tutorial/inputs/clinic.yaml --trace\n"
      "  merit graph policies/examples/tutorial | dot -Tsvg > graph.svg\n"
      "Exit codes: 0 ok, 1 errors in the policy or input, 2 usage or I/O error, 3 some rules failed at run time.");
  Common common;
  app.add_flag("--no-color", common.no_color, "Never colour diagnostics");

  std::string dir, stop_after;
  auto* check = app.add_subcommand("check", "Load and check a policy; print every diagnostic");
  check->add_option("policy-dir", dir, "Policy directory (holds policy.yaml)")->required();
  // The stages come from the pipeline itself; "plan" is the end, not a place to stop.
  std::vector<std::string> stages = engine::pipeline_stages();
  stages.pop_back();
  check->add_option("--stop-after", stop_after, fmt::format("Stop after a pipeline stage: {}", fmt::join(stages, ", ")))
      ->check(CLI::IsMember(stages));
  check->footer("Examples:\n  merit check policies/examples/tutorial\n  merit check policies/examples/tutorial --stop-after resolve\n"
                "Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage or I/O error.");

  EvalArgs ea;
  auto* eval = app.add_subcommand("eval", "Evaluate a policy on one input document (JSON or YAML)");
  eval->add_option("policy-dir", ea.dir, "Policy directory")->required();
  eval->add_option("input", ea.input, "Input document: .json, .yaml or .yml")->required();
  eval->add_option("--rule", ea.rules, "Rule to evaluate (repeatable); default: the policy's outputs");
  eval->add_flag("--trace", ea.trace, "Record and print what every rule read, with values and citations");
  eval->add_option("--format", ea.format, "Output format")->check(CLI::IsMember({"text", "json"}));
  eval->add_option("--input-format", ea.input_format, "Input format when the extension does not tell")
      ->check(CLI::IsMember({"json", "yaml"}));
  eval->footer(
      "Examples:\n"
      "  merit eval policies/examples/tutorial policies/examples/tutorial/inputs/clinic.yaml\n"
      "  merit eval policies/examples/tutorial input.json --rule final.score --trace\n"
      "  merit eval policies/examples/tutorial input.json --format json");

  EvalArgs xa;
  std::vector<std::string> explain_args;
  std::string explain_policy;
  auto* explain = app.add_subcommand("explain", "Why each rule has its value: a tree of what it read");
  explain->add_option("args", explain_args, "CASE.yaml [RULE...], or POLICY-DIR INPUT")->required();
  explain->add_option("--rule", xa.rules, "Rule to explain (repeatable); default: the outputs (a case: final.score)");
  explain->add_option("--policy", explain_policy, "Policy directory for a case (instead of its year's)");
  explain->footer("Examples:\n  merit explain policies/2018/examples/clinic.yaml quality.percent\n"
                  "  merit explain policies/examples/tutorial policies/examples/tutorial/inputs/clinic.yaml --rule final.score");

  std::vector<std::string> graph_rules;
  auto* graph = app.add_subcommand("graph", "Print the dependency graph in Graphviz DOT");
  graph->add_option("policy-dir", dir, "Policy directory")->required();
  graph->add_option("--rule", graph_rules, "Only what this rule needs (repeatable)");
  graph->footer("Example:\n  merit graph policies/examples/tutorial --rule final.score | dot -Tsvg > g.svg");

  std::string what = "plan";
  auto* dump = app.add_subcommand("dump", "Print the loaded policy or the compiled program");
  dump->add_option("policy-dir", dir, "Policy directory")->required();
  dump->add_option("--what", what, "policy or plan")->check(CLI::IsMember({"policy", "plan"}));
  dump->footer("Example:\n  merit dump policies/examples/tutorial --what plan");

  // Commands from tools/commands/, in name order so --help is stable.
  auto registry = cli::command_registry();
  std::sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::pair<CLI::App*, std::function<int()>>> more;
  for (auto& spec : registry) {
    auto action = spec.setup(app, common);
    more.emplace_back(app.get_subcommand(spec.name), std::move(action));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  try {
    if (*check) return cmd_check(dir, stop_after, common);
    if (*eval) return cmd_eval(ea, common, false);
    if (*explain) {
      // A policy directory then an input, or a case file then rule names.
      std::error_code ec;
      if (fs::is_directory(explain_args[0], ec)) {
        if (explain_args.size() < 2) {
          std::cerr << "merit explain: give the input document after the policy directory\n";
          return kUsage;
        }
        xa.dir = explain_args[0];
        xa.input = explain_args[1];
        xa.rules.insert(xa.rules.end(), explain_args.begin() + 2, explain_args.end());
        return cmd_eval(xa, common, true);
      }
      std::vector<std::string> rules(explain_args.begin() + 1, explain_args.end());
      rules.insert(rules.end(), xa.rules.begin(), xa.rules.end());
      return cli::explain_case(explain_args[0], rules, explain_policy, common);
    }
    if (*graph) return cmd_graph(dir, graph_rules, common);
    if (*dump) return cmd_dump(dir, what, common);
    for (auto& [sub, action] : more)
      if (*sub) return action();
  } catch (const std::exception& e) {
    std::cerr << "merit: internal error: " << e.what() << "\n";
    return kUsage;
  }
  return kUsage;
}
