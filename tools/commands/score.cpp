// merit score | test | explain <case>: the program year's policy applied to clinicians' cases.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "engine/cms/case_file.hpp"
#include "engine/cms/score_tree.hpp"
#include "engine/cms/submission.hpp"
#include "engine/compiler.hpp"
#include "engine/report.hpp"
#include "tools/cli.hpp"

namespace fs = std::filesystem;
using namespace merit;

namespace merit::cli {

namespace {

// Compiled policies by directory, so that a test run compiles each year once.
class PolicyCache {
 public:
  explicit PolicyCache(const Common& c) : common_(c) {}
  const engine::CompiledPolicy* get(const fs::path& dir) {
    std::string key = fs::weakly_canonical(dir).string();
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second.get();
    auto compiled = std::make_unique<engine::CompiledPolicy>();
    std::error_code ec;
    if (!fs::exists(dir / "policy.yaml", ec)) {
      std::vector<std::string> known;
      for (const auto& e : fs::directory_iterator(dir.parent_path(), ec))
        if (fs::exists(e.path() / "policy.yaml", ec)) known.push_back(e.path().filename().string());
      std::sort(known.begin(), known.end());
      std::cerr << fmt::format("merit: no policy at '{}'{}\n", dir.string(),
                               known.empty() ? "" : fmt::format(" (known: {})", fmt::join(known, ", ")));
      compiled.reset();
    } else {
      dsl::Diagnostics diags;
      *compiled = engine::compile_policy(dir, diags);
      if (diags.has_errors()) {
        print_diags(diags, common_);
        compiled.reset();
      }
    }
    return (cache_[key] = std::move(compiled)).get();
  }
  // The measure-id index of a cached policy (built on first use).
  const engine::cms::MeasureIndex* index(const engine::CompiledPolicy* cp) {
    auto& slot = indexes_[cp];
    if (!slot) slot = std::make_unique<engine::cms::MeasureIndex>(cp->policy);
    return slot.get();
  }

 private:
  const Common& common_;
  std::map<std::string, std::unique_ptr<engine::CompiledPolicy>> cache_;
  std::map<const engine::CompiledPolicy*, std::unique_ptr<engine::cms::MeasureIndex>> indexes_;
};

struct ScoreArgs {
  std::string target, profile, year, policy, policies, format = "text", output;
};

fs::path choose_policy(const ScoreArgs& a, const engine::cms::CaseFile& c, const engine::cms::PolicyRoots& roots) {
  if (!a.policy.empty()) return a.policy;
  if (!a.year.empty()) return roots.for_year(a.year);
  return c.policy_dir;
}


int run_score(const ScoreArgs& a, const Common& common) {
  auto roots = engine::cms::PolicyRoots{policies_root(a.policies)};
  std::error_code ec;
  for (const auto& f : {a.target, a.profile})
    if (!f.empty() && !fs::is_regular_file(f, ec)) {
      std::cerr << fmt::format("merit: cannot read '{}'\n", f);
      return kUsage;
    }
  dsl::Diagnostics diags;
  std::optional<engine::cms::CaseFile> c;
  if (!a.profile.empty()) {
    c = engine::cms::case_from_files(a.target, a.profile, diags);
    if (c && a.year.empty() && a.policy.empty()) {
      std::cerr << "merit: say which year's rules to use: --year 2018 (or --policy DIR)\n";
      return kUsage;
    }
  } else {
    c = engine::cms::read_case(a.target, roots, diags);
  }
  if (!c) {
    diags.sort();
    print_diags(diags, common);
    return kInvalid;
  }
  fs::path dir = choose_policy(a, *c, roots);
  if (dir.empty()) {
    std::cerr << fmt::format("merit: {} names no year: add 'year: 2018' to it, or pass --year\n", a.target);
    return kUsage;
  }
  PolicyCache cache(common);
  const engine::CompiledPolicy* cp = cache.get(dir);
  if (!cp) return fs::exists(dir / "policy.yaml", ec) ? kInvalid : kUsage;  // a broken policy, or an unknown year
  engine::Evaluator ev(*cp->program);
  engine::Value input;
  if (!engine::cms::bind_case(*c, cp->policy, *cp->program, ev.arena(), input, diags, cache.index(cp))) {
    diags.sort();
    print_diags(diags, common);
    return kInvalid;
  }
  engine::EvalOptions eo;
  for (int d : cp->program->order())
    if (cp->program->definitions()[static_cast<size_t>(d)].is_output) eo.rules.push_back(d);
  const engine::Outcome& o = ev.evaluate(input, eo);
  engine::cms::ScoreView view{c->id, MERIT_VERSION};
  std::string text = a.format == "json" ? engine::cms::render_score_json(*cp->program, o, view)
                                        : engine::cms::render_score_text(*cp->program, o, view, a.output.empty() && common.color_stdout());
  if (!o.ok()) print_diags(engine::eval_diagnostics(*cp->program, o), common);
  int rc = emit(text, a.output);
  return rc != kOk ? rc : (o.ok() ? kOk : kRuntime);
}

// ---- merit test ----

struct TestArgs {
  std::vector<std::string> paths;
  std::string policy, policies, junit;
  bool verbose = false;
};

struct CaseResult {
  std::string id, file, source, uncertain, failure;  // failure: empty when passed
  double seconds = 0;
};

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

CaseResult run_one(const fs::path& file, const TestArgs& a, const engine::cms::PolicyRoots& roots, PolicyCache& cache,
                   const Common& common) {
  CaseResult r;
  r.file = file.string();
  r.id = file.stem().string();
  dsl::Diagnostics diags;
  auto c = engine::cms::read_case(file, roots, diags);
  auto fail_with = [&](std::string why) {
    diags.sort();
    r.failure = why + (diags.empty() ? "" : "\n" + diags.render(false));
    return r;
  };
  if (!c) return fail_with("the case file has errors");
  r.id = c->id;
  r.source = c->source;
  r.uncertain = c->uncertain;
  fs::path dir = !a.policy.empty() ? fs::path(a.policy) : c->policy_dir;
  if (dir.empty()) return fail_with("the case names no year or policy");
  const engine::CompiledPolicy* cp = cache.get(dir);
  if (!cp) return fail_with(fmt::format("the policy at '{}' does not compile", dir.string()));
  engine::Evaluator ev(*cp->program);
  engine::Value input;
  bool bound = engine::cms::bind_case(*c, cp->policy, *cp->program, ev.arena(), input, diags, cache.index(cp));
  if (!c->expected_error.empty()) {
    // A bad-input case passes when binding fails with the named code.
    diags.sort();
    std::string rendered = diags.render(false);
    if (!bound && rendered.find("[" + c->expected_error + "]") != std::string::npos) return r;
    r.failure = fmt::format("expected error {}, got {}", c->expected_error, bound ? "no error" : "\n" + rendered);
    return r;
  }
  if (!bound) return fail_with("the input does not bind");
  auto rules = engine::cms::expected_rules(*c, *cp->program, diags);
  if (diags.has_errors()) return fail_with("unknown rules in 'expected:'");
  if (c->expected.empty()) return fail_with("the case expects nothing (add 'expected:' or 'expected_error:')");
  engine::EvalOptions eo;
  eo.rules = rules;
  const engine::Outcome& o = ev.evaluate(input, eo);
  auto cmp = engine::cms::compare(*c, *cp->program, o, ev.arena());
  std::string lines;
  for (const auto& x : cmp)
    if (!x.ok || a.verbose)
      lines += fmt::format("    {} {:<36} expected {:<14} actual {:<24} {}\n", x.ok ? "ok  " : "FAIL", x.rule, x.expected,
                           x.actual, x.detail);
  bool all_ok = std::all_of(cmp.begin(), cmp.end(), [](const auto& x) { return x.ok; });
  if (!all_ok) r.failure = lines;
  else if (a.verbose) std::cerr << lines;
  (void)common;
  return r;
}

int run_test(const TestArgs& a, const Common& common) {
  auto roots = engine::cms::PolicyRoots{policies_root(a.policies)};
  bool ok = true;
  auto files = case_files(a.paths, ok);
  if (!ok) return kUsage;
  PolicyCache cache(common);
  std::vector<CaseResult> results;
  size_t failed = 0;
  auto start = std::chrono::steady_clock::now();
  for (const auto& f : files) {
    auto t0 = std::chrono::steady_clock::now();
    CaseResult r = run_one(f, a, roots, cache, common);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bool pass = r.failure.empty();
    failed += pass ? 0 : 1;
    std::cerr << fmt::format("{} {}{}\n", pass ? "PASS" : "FAIL", r.id, r.uncertain.empty() ? "" : "  [uncertain: " + r.uncertain + "]");
    if (!pass) std::cerr << fmt::format("    {}\n    source: {}\n{}", r.file, r.source, r.failure);
    results.push_back(std::move(r));
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << fmt::format("{} cases: {} passed, {} failed ({:.2f} s)\n", results.size(), results.size() - failed, failed, total);
  if (!a.junit.empty()) {
    std::string xml = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"merit\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
                                  results.size(), failed, total);
    for (const auto& r : results) {
      xml += fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.4f}\">\n", xml_escape(fs::path(r.file).parent_path().string()),
                         xml_escape(r.id), r.seconds);
      if (!r.failure.empty()) xml += fmt::format("    <failure message=\"expected values differ\">{}</failure>\n", xml_escape(r.failure));
      xml += fmt::format("    <system-out>source: {}</system-out>\n  </testcase>\n", xml_escape(r.source));
    }
    xml += "</testsuite>\n";
    if (int rc = emit(xml, a.junit); rc != kOk) return rc;
  }
  if (results.empty()) {
    std::cerr << "merit: no case files found\n";
    return kUsage;
  }
  return failed == 0 ? kOk : kInvalid;
}

// ---- merit explain <case> [RULE...] ----

struct ExplainArgs {
  std::string target;
  std::vector<std::string> rules;
  std::string policy, policies;
};

int run_explain_case(const ExplainArgs& a, const Common& common) {
  auto roots = engine::cms::PolicyRoots{policies_root(a.policies)};
  std::error_code ec;
  if (!fs::is_regular_file(a.target, ec)) {
    std::cerr << fmt::format("merit: cannot read '{}' (give a case file, or a policy directory and an input)\n", a.target);
    return kUsage;
  }
  dsl::Diagnostics diags;
  auto c = engine::cms::read_case(a.target, roots, diags);
  if (!c) {
    diags.sort();
    print_diags(diags, common);
    return kInvalid;
  }
  PolicyCache cache(common);
  fs::path dir = !a.policy.empty() ? fs::path(a.policy) : c->policy_dir;
  const engine::CompiledPolicy* cp = dir.empty() ? nullptr : cache.get(dir);
  if (!cp) return kInvalid;
  engine::Evaluator ev(*cp->program);
  engine::Value input;
  if (!engine::cms::bind_case(*c, cp->policy, *cp->program, ev.arena(), input, diags, cache.index(cp))) {
    diags.sort();
    print_diags(diags, common);
    return kInvalid;
  }
  std::vector<int> rules;
  std::vector<std::string> names = a.rules.empty() ? std::vector<std::string>{"final.score"} : a.rules;
  for (const auto& n : names) {
    int i = cp->program->find_definition(n);
    if (i < 0) {
      std::vector<std::string> all;
      for (const auto& d : cp->program->definitions()) all.push_back(d.name);
      std::string hint = dsl::did_you_mean(n, all);
      std::cerr << fmt::format("merit: error[{}]: no rule named '{}'{}\n", dsl::code_info(dsl::Code::UnknownRule).id, n,
                               hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint));
      return kUsage;
    }
    rules.push_back(i);
  }
  engine::EvalOptions eo;
  eo.rules = rules;
  eo.trace = true;
  const engine::Outcome& o = ev.evaluate(input, eo);
  std::cout << engine::render_explanation(*cp->program, o, rules);
  if (!o.ok()) print_diags(engine::eval_diagnostics(*cp->program, o), common);
  return o.ok() ? kOk : kRuntime;
}

const CommandRegistrar score_command{{"score", [](CLI::App& app, const Common& common) -> std::function<int()> {
  auto args = std::make_shared<ScoreArgs>();
  auto* cmd = app.add_subcommand("score", "Score one clinician: a case file, or a QPP submission with a profile");
  cmd->add_option("case-or-submission", args->target, "Case file (.yaml), or a QPP Submissions API .json with --profile")
      ->required();
  cmd->add_option("--profile", args->profile, "Clinician profile (.yaml or .json) for a submission file");
  cmd->add_option("--year", args->year, "Program year whose rules apply (policies/<year>)");
  cmd->add_option("--policy", args->policy, "Policy directory to use instead of the year's");
  cmd->add_option("--policies", args->policies, "Folder holding one policy per year (default: $MERIT_POLICIES or the source tree's policies/)");
  cmd->add_option("--format", args->format, "text (a summary table) or json (the QPP score tree)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("-o,--output", args->output, "Write the result here instead of stdout (nothing is written on error)");
  cmd->footer(
      "Examples:\n"
      "  merit score policies/2018/examples/clinic.yaml\n"
      "  merit score submission.json --profile profile.yaml --year 2018 --format json\n"
      "Exit codes: 0 ok, 1 bad input or policy, 2 usage or I/O error, 3 some rules failed at run time.");
  return [args, &common] { return run_score(*args, common); };
}}};

const CommandRegistrar test_command{{"test", [](CLI::App& app, const Common& common) -> std::function<int()> {
  auto args = std::make_shared<TestArgs>();
  auto* cmd = app.add_subcommand("test", "Run case files and compare every expected value");
  cmd->add_option("paths", args->paths, "Case files or folders of them")->required();
  cmd->add_option("--policy", args->policy, "Policy directory for every case (e.g. an overlay with the full CMS tables)");
  cmd->add_option("--policies", args->policies, "Folder holding one policy per year");
  cmd->add_option("--junit", args->junit, "Also write a JUnit XML report here");
  cmd->add_flag("-v,--verbose", args->verbose, "Show every comparison, not only failures");
  cmd->footer(
      "Examples:\n"
      "  merit test tests/regression/2018\n"
      "  merit test tests/regression/2018 --junit results.xml\n"
      "Exit codes: 0 all passed, 1 some failed, 2 usage or I/O error.");
  return [args, &common] { return run_test(*args, common); };
}}};

}  // namespace

int explain_case(const std::string& target, const std::vector<std::string>& rules, const std::string& policy,
                 const Common& common) {
  return run_explain_case({target, rules, policy, ""}, common);
}

}  // namespace merit::cli
