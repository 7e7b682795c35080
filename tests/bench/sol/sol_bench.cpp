// merit_sol_bench: the engine against the "speed of light", a hand-written C++ scorer of the
// 2018 rules (sol_scorer.hpp), on the same bound inputs (tests/bench/README.md, "Speed of light").
//
//   merit_sol_bench                 check and time 10,000 generated cases (7 repetitions)
//   merit_sol_bench --cases N       the same with N cases
//   merit_sol_bench --quick         3 repetitions (and 2,000 cases unless --cases says)
//   merit_sol_bench --check N       only the agreement check on N cases (ctest bench.sol.agree)
//   merit_sol_bench --seed S        the generator's seed (default 1)
//
// Exit codes: 0 agreement (and timings printed), 1 a disagreement or a failed setup, 2 usage.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/cms/case_file.hpp"
#include "engine/cms/submission.hpp"
#include "engine/compiler.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"
#include "engine/population/generator.hpp"
#include "sol_scorer.hpp"

namespace fs = std::filesystem;
using namespace merit;
using engine::Outcome;
using engine::Value;

namespace {

struct Options {
  size_t cases = 10000;
  bool cases_given = false;
  bool check_only = false;
  bool quick = false;
  int reps = 7;
  uint64_t seed = 1;
};

int usage() {
  std::fprintf(stderr, "usage: merit_sol_bench [--cases N] [--quick] [--check N] [--seed S]\n");
  return 2;
}

// The definitions compared, in the order they are reported.
const char* const kCompared[] = {"final.score",  "quality.percent", "cost.percent", "ia.percent",
                                 "aci.percent",  "weights.quality", "weights.cost", "weights.ia",
                                 "weights.aci",  "payment.adjustment"};
constexpr size_t kNCompared = sizeof(kCompared) / sizeof(kCompared[0]);

// The hand-written scorer's value (and whether the engine would have one) for kCompared[k].
std::pair<bool, dsl::Decimal> sol_value(const bench::sol::Result& r, size_t k) {
  switch (k) {
    case 0: return {r.score_ok, r.final_score};
    case 1: return {r.quality_ok, r.quality_percent};
    case 2: return {r.cost_ok, r.cost_percent};
    case 3: return {r.ia_ok, r.ia_percent};
    case 4: return {r.aci_ok, r.aci_percent};
    case 5: return {r.weights_ok, r.w_quality};
    case 6: return {r.weights_ok, r.w_cost};
    case 7: return {r.weights_ok, r.w_ia};
    case 8: return {r.weights_ok, r.w_aci};
    default: return {r.adjustment_ok, r.adjustment};
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto count = [&](size_t& out) {
      if (i + 1 >= argc) return false;
      char* end = nullptr;
      unsigned long long v = std::strtoull(argv[++i], &end, 10);
      if (!end || *end || v == 0) return false;
      out = static_cast<size_t>(v);
      return true;
    };
    if (a == "--cases") {
      if (!count(opt.cases)) return usage();
      opt.cases_given = true;
    } else if (a == "--check") {
      if (!count(opt.cases)) return usage();
      opt.check_only = true;
    } else if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--seed") {
      size_t s = 0;
      if (!count(s)) return usage();
      opt.seed = s;
    } else {
      return usage();
    }
  }
  if (opt.quick) {
    opt.reps = 3;
    if (!opt.cases_given && !opt.check_only) opt.cases = 2000;
  }

  // ---- Setup (not timed): compile 2018, generate the population, bind every case once ----
  dsl::Diagnostics diags;
  auto compiled = engine::compile_policy(fs::path(MERIT_SOURCE_DIR) / "policies" / "2018", diags);
  if (!compiled.program) {
    diags.sort();
    std::fprintf(stderr, "merit_sol_bench: policies/2018 does not compile:\n%s", diags.render(false).c_str());
    return 1;
  }
  const engine::Program& program = *compiled.program;
  std::string error;
  auto catalog = engine::population::read_catalog(compiled.policy, error);
  if (!catalog) {
    std::fprintf(stderr, "merit_sol_bench: no catalog: %s\n", error.c_str());
    return 1;
  }
  std::string text = engine::population::generate_text(*catalog, opt.seed, opt.cases);

  engine::cms::MeasureIndex index(compiled.policy);
  engine::Arena inputs_arena(1 << 20);  // every bound input, kept alive; apart from the Evaluator's arena
  std::vector<Value> inputs;
  std::vector<std::string> ids;
  inputs.reserve(opt.cases);
  ids.reserve(opt.cases);
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(at, nl - at);
    at = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    dsl::Diagnostics d;
    auto source = dsl::Source::from_text(fmt::format("generated line {}", line_no), line);
    auto doc = engine::parse_document(source, d, "json");
    const engine::Document* profile = doc ? doc->find("profile") : nullptr;
    const engine::Document* submission = doc ? doc->find("submission") : nullptr;
    if (!profile || !submission) {
      std::fprintf(stderr, "merit_sol_bench: generated line %zu has no profile or submission\n", line_no);
      return 1;
    }
    engine::cms::CaseFile c;
    c.id = fmt::format("line{}", line_no);
    if (const engine::Document* id = doc->find("case"); id && id->kind == engine::Document::Kind::String) c.id = id->text;
    c.profile = engine::cms::Part{*profile, source, "$.profile"};
    c.submission = engine::cms::Part{*submission, source, "$.submission"};
    Value input;
    if (!engine::cms::bind_case(c, compiled.policy, program, inputs_arena, input, d, &index)) {
      d.sort();
      std::fprintf(stderr, "merit_sol_bench: case %s does not bind:\n%s", c.id.c_str(), d.render(false).c_str());
      return 1;
    }
    inputs.push_back(input);
    ids.push_back(c.id);
  }

  // Hand-made cases, checked and never timed: the 2018 regression cases (tests/regression/2018;
  // a case that expects an input error is skipped) and this benchmark's own (sol/cases: virtual
  // groups, QCDR and multi-rate measures, APM rows, table misses), which must all bind. They cover
  // what the generator does not draw (CAHPS, Web Interface, reweighting causes...).
  size_t generated = inputs.size();
  {
    engine::cms::PolicyRoots roots{fs::path(MERIT_SOURCE_DIR) / "policies"};
    const fs::path year_dir = fs::weakly_canonical(fs::path(MERIT_SOURCE_DIR) / "policies" / "2018");
    const fs::path dirs[] = {fs::path(MERIT_SOURCE_DIR) / "tests" / "regression" / "2018",
                             fs::path(MERIT_SOURCE_DIR) / "tests" / "bench" / "sol" / "cases"};
    for (const fs::path& dir : dirs) {
      const bool own = &dir == &dirs[1];
      std::vector<fs::path> files;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        dsl::Diagnostics d;
        auto c = engine::cms::read_case(file, roots, d);
        Value input;
        bool usable = c && c->expected_error.empty() &&
                      (c->policy_dir.empty() || fs::weakly_canonical(c->policy_dir, ec) == year_dir);  // not a what-if layer
        if (usable && engine::cms::bind_case(*c, compiled.policy, program, inputs_arena, input, d, &index)) {
          inputs.push_back(input);
          ids.push_back(file.filename().string());
        } else if (own) {
          d.sort();
          std::fprintf(stderr, "merit_sol_bench: %s is not a usable 2018 case:\n%s", file.string().c_str(),
                       d.render(false).c_str());
          return 1;
        }
      }
    }
  }

  // The engine evaluates the closure of the compared definitions, in program order (as batch.cpp).
  std::vector<int> compared(kNCompared);
  for (size_t k = 0; k < kNCompared; ++k) {
    compared[k] = program.find_definition(kCompared[k]);
    if (compared[k] < 0) {
      std::fprintf(stderr, "merit_sol_bench: the policy has no definition %s\n", kCompared[k]);
      return 1;
    }
  }
  std::vector<char> needed(program.definitions().size(), 0);
  for (int d : program.closure(compared)) needed[static_cast<size_t>(d)] = 1;
  std::vector<int> order;
  for (int d : program.order())
    if (needed[static_cast<size_t>(d)]) order.push_back(d);

  engine::Evaluator evaluator(program);
  bench::sol::Scorer scorer(program);
  bench::sol::Result result;
  size_t n = inputs.size();

  // ---- Agreement: every compared value, every case ----
  size_t mismatches = 0, not_ok = 0, eligible = 0;
  for (size_t i = 0; i < n; ++i) {
    evaluator.arena().reset();
    const Outcome& o = evaluator.evaluate_order(inputs[i], order, false);
    scorer.score(inputs[i], result);
    eligible += result.eligible;
    for (size_t k = 0; k < kNCompared; ++k) {
      auto [sol_ok, sol] = sol_value(result, k);
      size_t d = static_cast<size_t>(compared[k]);
      bool engine_ok = o.state[d] == Outcome::State::Ok;
      if (!sol_ok) ++not_ok;
      bool same = engine_ok == sol_ok && (!engine_ok || dsl::compare(o.values[d].number, sol) == 0);
      if (same) continue;
      ++mismatches;
      std::string engine_text = engine_ok ? o.values[d].number.to_string()
                                          : fmt::format("failed ({})", o.error_of[d] >= 0
                                                                           ? o.errors[static_cast<size_t>(o.error_of[d])].message
                                                                           : std::string("not evaluated"));
      std::fprintf(stderr, "merit_sol_bench: case %s: %s: engine %s, hand-written %s\n", ids[i].c_str(), kCompared[k],
                   engine_text.c_str(), sol_ok ? sol.to_string().c_str() : "failed");
    }
  }
  if (mismatches) {
    std::fprintf(stderr, "merit_sol_bench: %zu disagreements in %zu cases\n", mismatches, n);
    return 1;
  }
  std::printf("agreement: %zu generated cases (seed %llu) + %zu hand-made cases, %zu eligible, %zu values each, all equal "
              "exactly%s\n", generated, static_cast<unsigned long long>(opt.seed), n - generated, eligible, kNCompared,
              not_ok ? fmt::format(" ({} failed in both)", not_ok).c_str() : "");
  if (opt.check_only) return 0;

  // ---- Timing: all N generated cases per run, several runs, the median ----
  n = generated;
  using clock = std::chrono::steady_clock;
  auto per_case = [&](clock::time_point a, clock::time_point b) {
    return std::chrono::duration<double, std::nano>(b - a).count() / static_cast<double>(n);
  };
  std::vector<double> engine_ns, sol_ns;
  __int128 sink = 0;
  for (int rep = -1; rep < opt.reps; ++rep) {  // rep -1: warm-up, not counted
    auto t0 = clock::now();
    for (size_t i = 0; i < n; ++i) {
      evaluator.arena().reset();
      const Outcome& o = evaluator.evaluate_order(inputs[i], order, false);
      sink += o.values[static_cast<size_t>(compared[0])].number.coefficient();
    }
    auto t1 = clock::now();
    for (size_t i = 0; i < n; ++i) {
      scorer.score(inputs[i], result);
      sink += result.final_score.coefficient();
    }
    auto t2 = clock::now();
    if (rep >= 0) {
      engine_ns.push_back(per_case(t0, t1));
      sol_ns.push_back(per_case(t1, t2));
    }
  }
  double e = median(engine_ns), s = median(sol_ns);
  std::printf("engine:       %9.0f ns/case  (median of %d runs over %zu cases; %zu definitions evaluated)\n", e,
              opt.reps, n, order.size());
  std::printf("hand-written: %9.0f ns/case  (median of %d runs over %zu cases)\n", s, opt.reps, n);
  std::printf("ratio engine / hand-written: %.2fx %s\n", e / s, e / s <= 2.0 ? "(within 2x)" : "(NOT within 2x)");
  if (sink == 42) std::printf(" \n");  // keeps the results live
  return 0;
}
