// merit_bench: compile-time and evaluation-time benchmarks on generated policies.
//   compile: a policy of N definitions (default 1,000) written to a temporary directory, then
//            load + check + plan, best and median of repeated runs.
//   eval:    a program of N nodes (definitions) evaluated on one bound input, ns per input,
//            for several N to show how the cost grows.
// Usage: merit_bench [--quick]            (quick: fewer repetitions, for CI smoke runs)
//        merit_bench --eval DIR INPUT.json (time one policy on one input)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/cms/case_file.hpp"
#include "engine/cms/import.hpp"
#include "engine/cms/submission.hpp"
#include "engine/compiler.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"

namespace fs = std::filesystem;
using namespace merit;
using Clock = std::chrono::steady_clock;

namespace {

// A policy of `n` definitions in 10 modules: arithmetic on inputs and parameters, reads of earlier
// definitions, case/if, a table look-up, a function call and a collection operation, so that the
// generated program looks like real rules rather than a chain of additions.
void write_policy(const fs::path& dir, int n) {
  fs::create_directories(dir / "rules");
  std::ofstream(dir / "policy.yaml") << "name: bench\nrequire_citations: false\n"
                                        "parameters: [params.yaml]\n"
                                        "inputs:\n  a: number\n  b: number\n  c: money\n"
                                        "  xs: \"list<{id: string, v: number}>\"\n"
                                        "rules: [" << [] {
    std::string s;
    for (int m = 0; m < 10; ++m) s += fmt::format("{}rules/m{}.merit", m ? ", " : "", m);
    return s;
  }() << "]\n";
  std::ofstream(dir / "params.yaml") << "parameters:\n"
                                        "  k.rate: {value: 60%, cite: \"bench\"}\n"
                                        "  k.limit: {value: $90000, cite: \"bench\"}\n"
                                        "  k.weights:\n"
                                        "    table:\n"
                                        "      key: [id]\n"
                                        "      rows:\n"
                                        "        - {id: a, w: 2}\n"
                                        "        - {id: b, w: 3}\n"
                                        "        - {id: c, w: 5}\n";
  std::mt19937 rng(42);
  int per = (n + 9) / 10;
  int made = 0;
  for (int m = 0; m < 10; ++m) {
    std::ofstream f(dir / fmt::format("rules/m{}.merit", m));
    f << fmt::format("module m{}\n", m);
    f << "fn scale(x: number, f: number): number = if f > 1 then x * f else x\n";
    for (int i = 0; i < per && made < n; ++i, ++made) {
      auto prev = [&](int back) {
        int j = made - back;
        if (j < 0) return std::string("input.a");
        return fmt::format("m{}.d{}", j / per, j);
      };
      switch (rng() % 6) {
        case 0: f << fmt::format("def d{} = {} + input.a * param.k.rate\n", made, prev(1)); break;
        case 1: f << fmt::format("def d{} = if {} > input.b then {} - 1 else {} + 2\n", made, prev(1), prev(2), prev(3)); break;
        case 2:
          f << fmt::format("def d{} = case when input.c > param.k.limit then {} when {} < 10 then 10 else {} end\n", made,
                           prev(1), prev(2), prev(1));
          break;
        case 3: f << fmt::format("def d{} = scale({}, 1.5) + param.k.weights[\"b\"].w\n", made, prev(1)); break;
        case 4: f << fmt::format("def d{} = let t = {} in min(t, {}) + max(t, 1)\n", made, prev(1), prev(4)); break;
        default: f << fmt::format("def d{} = round({} / 3, 2) + input.b\n", made, prev(1)); break;
      }
    }
  }
}

// A program of `n` definitions, each one small node (one to three operations) shaped like
// scoring arithmetic: sums, rates (18-digit quotients), thresholds and rounding to 2 places.
void write_flat_policy(const fs::path& dir, int n) {
  fs::create_directories(dir);
  std::ofstream(dir / "policy.yaml") << "name: flat\nrequire_citations: false\nrules: [r.merit]\n"
                                        "inputs:\n  a: number\n  b: number\n";
  std::ofstream f(dir / "r.merit");
  f << "module f\n";
  for (int i = 0; i < n; ++i) {
    std::string prev = i == 0 ? "input.a" : fmt::format("d{}", i - 1);
    switch (i % 4) {
      case 0: f << fmt::format("def d{} = {} + input.b\n", i, prev); break;
      case 1: f << fmt::format("def d{} = {} * 3 / 7\n", i, prev); break;  // a rate: 18-digit quotients
      case 2: f << fmt::format("def d{} = if {} > 100 then {} - 50 else {}\n", i, prev, prev, prev); break;
      default: f << fmt::format("def d{} = round({}, 2) - input.a\n", i, prev); break;
    }
  }
}

struct Stats {
  double best, median;
};
template <typename F>
Stats measure(int reps, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2]};
}

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / fmt::format("merit-bench-{}-{}", ::getpid(), name);
  fs::remove_all(d);
  return d;
}

std::shared_ptr<const engine::Program> compile(const fs::path& dir) {
  dsl::Diagnostics diags;
  auto cp = engine::compile_policy(dir, diags);
  if (!cp.program) {
    fmt::print(stderr, "{}", diags.render());
    std::exit(1);
  }
  return cp.program;
}

double eval_ns(const engine::Program& prog, const std::string& input_json, long iterations, bool trace = false) {
  dsl::Diagnostics diags;
  auto src = dsl::Source::from_text("bench.json", input_json);
  auto doc = engine::parse_document(src, diags, "json");
  engine::Evaluator ev(prog);
  engine::Value input;
  if (!doc || !engine::bind_input(*doc, prog.inputs(), prog.input_type(), true, ev.arena(), input, diags, src)) {
    fmt::print(stderr, "{}", diags.render());
    std::exit(1);
  }
  const std::vector<int>& order = prog.order();
  for (int i = 0; i < 1000; ++i) ev.evaluate_order(input, order, trace);  // warm up
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    auto a = Clock::now();
    for (long i = 0; i < iterations; ++i) {
      const auto& o = ev.evaluate_order(input, order, trace);
      if (!o.ok()) std::exit(2);
    }
    runs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - a).count() / iterations);
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

// The 2018 program on its bundled example: compile the year (bundled excerpt, and CMS's full
// tables when ../shared/cms/2018 is beside the repository), then score the example case.
void bench_2018(int reps, bool quick) {
  fs::path src = MERIT_SOURCE_DIR;
  fs::path year = src / "policies" / "2018";
  fs::path example = year / "examples" / "clinic.yaml";
  if (!fs::exists(year / "policy.yaml") || !fs::exists(example)) return;
  std::vector<std::pair<std::string, fs::path>> policies = {{"bundled excerpt", year}};
  fs::path cms = src / ".." / "shared" / "cms" / "2018";
  fs::path full = temp_dir("cms2018");
  if (fs::exists(cms / "benchmarks.json")) {
    dsl::Diagnostics diags;
    engine::cms::ImportOptions opts;
    opts.year = 2018;
    opts.override_tables = true;
    opts.json = true;  // the fast format for CMS's full tables
    opts.extends = fs::absolute(year).string();
    if (engine::cms::import_cms(cms / "measures-data.json", cms / "benchmarks.json", opts, full, diags))
      policies.emplace_back("full CMS tables", full);
    else
      fmt::print(stderr, "{}", diags.render());
  }
  for (const auto& [label, dir] : policies) {
    std::shared_ptr<const engine::Program> prog;
    engine::Policy policy;
    Stats s = measure(reps, [&] {
      dsl::Diagnostics diags;
      auto cp = engine::compile_policy(dir, diags);
      if (!cp.program) {
        fmt::print(stderr, "{}", diags.render());
        std::exit(1);
      }
      prog = cp.program;
      policy = std::move(cp.policy);
    });
    fmt::print("2018     compile, {:16} best {:8.2f} ms, median {:8.2f} ms ({} definitions, {} instructions)\n", label,
               s.best / 1000, s.median / 1000, prog->definitions().size(), prog->code().size());

    dsl::Diagnostics diags;
    engine::cms::PolicyRoots roots{src / "policies"};
    auto c = engine::cms::read_case(example, roots, diags);
    engine::Evaluator ev(*prog);
    engine::Value input;
    if (!c || !engine::cms::bind_case(*c, policy, *prog, ev.arena(), input, diags)) {
      fmt::print(stderr, "{}", diags.render());
      std::exit(1);
    }
    const std::vector<int>& order = prog->order();
    long n = quick ? 2000 : 20000;
    auto per_case = [&](auto&& body) {
      for (int i = 0; i < 200; ++i) body();
      std::vector<double> runs;
      for (int r = 0; r < 5; ++r) {
        auto a = Clock::now();
        for (long i = 0; i < n; ++i) body();
        runs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count() / static_cast<double>(n));
      }
      std::sort(runs.begin(), runs.end());
      return runs[runs.size() / 2];
    };
    double eval_us = per_case([&] {
      if (!ev.evaluate_order(input, order, false).ok()) std::exit(2);
    });
    engine::cms::MeasureIndex index(policy);
    double bind_us = per_case([&] {
      ev.arena().reset();
      dsl::Diagnostics d;
      if (!engine::cms::bind_case(*c, policy, *prog, ev.arena(), input, d, &index)) std::exit(3);
      if (!ev.evaluate_order(input, order, false).ok()) std::exit(2);
    });
    fmt::print("2018     score the example, {:16} {:7.2f} us evaluate, {:7.2f} us submission + profile -> inputs + evaluate\n",
               label, eval_us, bind_us);
  }
  fs::remove_all(full);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  if (argc == 4 && std::string(argv[1]) == "--eval") {  // any policy and JSON input: ns per input
    auto prog = compile(argv[2]);
    std::ifstream in(argv[3]);
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fmt::print("{:.0f} ns per input ({} definitions, {} instructions)\n", eval_ns(*prog, json, 20000),
               prog->definitions().size(), prog->code().size());
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "--profile-2018-eval") {  // for valgrind --tool=callgrind
    dsl::Diagnostics diags;
    auto cp = engine::compile_policy(fs::path(MERIT_SOURCE_DIR) / "policies" / "2018", diags);
    engine::cms::PolicyRoots roots{fs::path(MERIT_SOURCE_DIR) / "policies"};
    auto c = engine::cms::read_case(fs::path(MERIT_SOURCE_DIR) / "policies/2018/examples/clinic.yaml", roots, diags);
    engine::Evaluator ev(*cp.program);
    engine::Value input;
    if (!cp.program || !c || !engine::cms::bind_case(*c, cp.policy, *cp.program, ev.arena(), input, diags)) return 1;
    for (int i = 0; i < 200; ++i)
      if (!ev.evaluate_order(input, cp.program->order(), false).ok()) return 2;
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "--2018") {  // only the 2018 program (also for perf/callgrind)
    bench_2018(3, false);
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "--profile-compile") {  // for valgrind --tool=callgrind
    fs::path dir = temp_dir("profile-compile");
    write_policy(dir, 1000);
    for (int i = 0; i < 5; ++i) compile(dir);
    fs::remove_all(dir);
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "--profile-eval") {  // for valgrind --tool=callgrind
    fs::path dir = temp_dir("profile");
    write_flat_policy(dir, 200);
    auto prog = compile(dir);
    fmt::print("{:.0f} ns\n", eval_ns(*prog, R"({"a": 3, "b": 7.5})", 2000));
    fs::remove_all(dir);
    return 0;
  }
  int reps = quick ? 5 : 30;
  fmt::print("merit_bench ({} build)\n", quick ? "quick" : "full");

  // 1. Compile a 1,000-definition policy: load (YAML + rule files) + check + plan.
  for (int n : {250, 1000, 4000}) {
    fs::path dir = temp_dir(fmt::format("compile{}", n));
    write_policy(dir, n);
    std::shared_ptr<const engine::Program> keep;
    Stats s = measure(reps, [&] { keep = compile(dir); });
    fmt::print("compile  {:5} definitions: best {:8.2f} ms, median {:8.2f} ms ({} instructions)\n", n, s.best / 1000,
               s.median / 1000, keep->code().size());
    fs::remove_all(dir);
  }

  // 2. Evaluate: ns per input for programs of growing size.
  std::string input = R"({"a": 3, "b": 7.5, "c": 125000, "xs": [{"id": "a", "v": 1}]})";
  for (int n : {50, 100, 200, 400, 800, 1600}) {
    fs::path dir = temp_dir(fmt::format("flat{}", n));
    write_flat_policy(dir, n);
    auto prog = compile(dir);
    double ns = eval_ns(*prog, R"({"a": 3, "b": 7.5})", quick ? 2000 : 20000);
    fmt::print("eval     {:5} nodes:        {:8.0f} ns per input ({:5.1f} ns per node, {} instructions)\n", n, ns, ns / n,
               prog->code().size());
    if (n == 200) {
      double traced = eval_ns(*prog, R"({"a": 3, "b": 7.5})", quick ? 2000 : 20000, true);
      fmt::print("eval     {:5} nodes, traced: {:8.0f} ns per input (tracing on; off costs nothing extra)\n", n, traced);
    }
    fs::remove_all(dir);
  }
  {
    fs::path dir = temp_dir("mixed200");
    write_policy(dir, 200);
    auto prog = compile(dir);
    double ns = eval_ns(*prog, input, quick ? 2000 : 20000);
    fmt::print("eval     {:5} mixed rules:  {:8.0f} ns per input ({} instructions)\n", 200, ns, prog->code().size());
    fs::remove_all(dir);
  }
  bench_2018(quick ? 3 : 10, quick);
  return 0;
}
