// Budget neutrality on a large population (docs/payments.md).
//   ./build/tests/bench/merit_payments_bench [N=1000000]
//     solves beta and gamma and every clinician's cents for N seeded synthetic clinicians, reads
//     the same population as JSONL and formats the output lines;
//   ./build/tests/bench/merit_payments_bench --file results.jsonl [out.csv|out.jsonl]
//     the steps of merit payments on a results file (2018's numbers): read (mapped, every core),
//     solve, write (to /dev/null unless an output is named).
// Each step is shown with its wall time and the CPU time of the whole process during it.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "engine/payments/payments.hpp"

namespace pay = merit::engine::payments;
using merit::dsl::Decimal;

namespace {

struct Stopwatch {
  using clock = std::chrono::steady_clock;
  clock::time_point wall = clock::now();
  double cpu = cpu_now();
  static double cpu_now() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  }
  // "0.123 s wall, 0.200 s CPU" since the last lap.
  std::string lap() {
    auto w = clock::now();
    double c = cpu_now();
    std::string out = fmt::format("{:.3f} s wall, {:.3f} s CPU", std::chrono::duration<double>(w - wall).count(), c - cpu);
    wall = w;
    cpu = c;
    return out;
  }
};

pay::Parameters params_2018() {  // policies/2018
  pay::Parameters p;
  p.performance_threshold = Decimal::from_int(15);
  p.exceptional_threshold = Decimal::from_int(70);
  p.applicable_percent = Decimal::from_int(5);
  p.full_penalty_share = *Decimal::parse("0.25");
  p.scaling_max = Decimal::from_int(3);
  p.exceptional_min = *Decimal::parse("0.5");
  p.exceptional_max = Decimal::from_int(10);
  p.exceptional_factor_max = Decimal::from_int(1);
  p.exceptional_pool = Decimal::from_int(500000000);
  return p;
}

int run_file(const char* path, const char* output) {
  pay::Parameters p = params_2018();
  std::string error;
  std::vector<pay::Clinician> pop;
  pay::Solution s;
  Stopwatch watch;
  if (!pay::read_results_file(path, pay::format_for(path), pop, error)) return fmt::print(stderr, "{}\n", error), 1;
  std::string read = watch.lap();
  if (!pay::solve(p, pop, s, error)) return fmt::print(stderr, "{}\n", error), 1;
  std::string solve = watch.lap();
  std::FILE* out = std::fopen(output ? output : "/dev/null", "wb");
  if (!out) return fmt::print(stderr, "cannot write {}\n", output ? output : "/dev/null"), 1;
  pay::Format format = output ? pay::format_for(output) : pay::Format::Csv;
  bool ok = pay::write_lines(out, p, s, pop, format);
  ok = std::fclose(out) == 0 && ok;
  std::string write = watch.lap();
  if (!ok) return fmt::print(stderr, "write failed\n"), 1;
  fmt::print("clinicians: {}, beta = {}, gamma = {}\n", pop.size(), pay::decimal_text(s.beta), pay::decimal_text(s.gamma));
  fmt::print("read:  {}\nsolve: {}\nwrite: {} ({})\n", read, solve, write, format == pay::Format::Csv ? "CSV" : "JSONL");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::strcmp(argv[1], "--file") == 0) return run_file(argv[2], argc > 3 ? argv[3] : nullptr);
  size_t n = argc > 1 ? static_cast<size_t>(std::atoll(argv[1])) : 1000000;
  pay::Parameters p = params_2018();

  std::mt19937 rng(2018);
  std::uniform_int_distribution<int> score(0, 10000);
  std::uniform_int_distribution<int64_t> paid(0, 40000000);  // cents, up to $400,000
  std::string text;
  std::vector<pay::Clinician> pop;
  pop.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t cents = paid(rng);
    pop.push_back({fmt::format("NPI{:010}", i), *Decimal::from_parts(score(rng), 2), *Decimal::from_parts(cents, 2)});
    text += fmt::format("{{\"id\": \"{}\", \"final_score\": {}, \"part_b_paid\": {}}}\n", pop.back().id,
                        pop.back().score.to_string(), pop.back().paid.to_string());
  }

  std::string error;
  pay::Solution s;
  Stopwatch watch;
  if (!pay::solve_factors(p, pop, s, error)) return fmt::print(stderr, "{}\n", error), 1;
  std::string factors = watch.lap();
  if (!pay::solve(p, pop, s, error)) return fmt::print(stderr, "{}\n", error), 1;
  std::string solve = watch.lap();
  std::vector<pay::Clinician> read;
  if (!pay::read_results_text(text, "bench.jsonl", pay::Format::Jsonl, read, error)) return fmt::print(stderr, "{}\n", error), 1;
  std::string reading = watch.lap();
  size_t bytes = 0;
  {
    pay::LineFormatter f(p, s, pay::Format::Jsonl);
    std::string buffer;
    for (size_t i = 0; i < pop.size(); ++i) {
      f.append(pop[i], i, buffer);
      if (buffer.size() > (1 << 20)) bytes += buffer.size(), buffer.clear();
    }
    bytes += buffer.size();
  }
  std::string format = watch.lap();
  fmt::print("clinicians: {}\n", n);
  fmt::print("beta = {}, gamma = {}, balance = {}, exceptional = {}\n", pay::decimal_text(s.beta),
             pay::decimal_text(s.gamma), s.balance.to_string(), s.exceptional_dollars.to_string());
  fmt::print("beta and gamma (exact sums, two divisions):   {}\n", factors);
  fmt::print("solve (beta, gamma, every clinician's cents): {}\n", solve);
  fmt::print("read JSONL ({} MB, every core):               {}\n", text.size() / 1000000, reading);
  fmt::print("format the output lines ({} MB, one thread):  {}\n", bytes / 1000000, format);
  return read.size() == n ? 0 : 1;
}
