// Budget neutrality on a large population (docs/payments.md): solves beta and gamma and every
// clinician's cents for N seeded synthetic clinicians, and reads the same population as JSONL.
//   ./build/tests/bench/merit_payments_bench [N=1000000]
#include <chrono>
#include <cstdlib>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "engine/payments/payments.hpp"

namespace pay = merit::engine::payments;
using merit::dsl::Decimal;

int main(int argc, char** argv) {
  size_t n = argc > 1 ? static_cast<size_t>(std::atoll(argv[1])) : 1000000;
  pay::Parameters p;  // 2018's numbers (policies/2018)
  p.performance_threshold = Decimal::from_int(15);
  p.exceptional_threshold = Decimal::from_int(70);
  p.applicable_percent = Decimal::from_int(5);
  p.full_penalty_share = *Decimal::parse("0.25");
  p.scaling_max = Decimal::from_int(3);
  p.exceptional_min = *Decimal::parse("0.5");
  p.exceptional_max = Decimal::from_int(10);
  p.exceptional_factor_max = Decimal::from_int(1);
  p.exceptional_pool = Decimal::from_int(500000000);

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
  using clock = std::chrono::steady_clock;
  auto secs = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };

  std::string error;
  pay::Solution s;
  auto t0 = clock::now();
  if (!pay::solve_factors(p, pop, s, error)) return fmt::print(stderr, "{}\n", error), 1;
  auto t1 = clock::now();
  if (!pay::solve(p, pop, s, error)) return fmt::print(stderr, "{}\n", error), 1;
  auto t2 = clock::now();
  std::vector<pay::Clinician> read;
  std::istringstream in(text);
  if (!pay::read_results(in, "bench.jsonl", pay::Format::Jsonl, read, error)) return fmt::print(stderr, "{}\n", error), 1;
  auto t3 = clock::now();
  size_t bytes = 0;
  for (size_t i = 0; i < pop.size(); ++i) bytes += pay::json_line(p, s, pop[i], i).size() + 1;
  auto t4 = clock::now();
  fmt::print("clinicians: {}\n", n);
  fmt::print("beta = {}, gamma = {}, balance = {}, exceptional = {}\n", pay::decimal_text(s.beta),
             pay::decimal_text(s.gamma), s.balance.to_string(), s.exceptional_dollars.to_string());
  fmt::print("beta and gamma (exact sums, two divisions):  {:.3f} s\n", secs(t0, t1));
  fmt::print("solve (beta, gamma, every clinician's cents): {:.3f} s\n", secs(t1, t2));
  fmt::print("read JSONL ({} MB):                          {:.3f} s\n", text.size() / 1000000, secs(t2, t3));
  fmt::print("format the output lines ({} MB):              {:.3f} s\n", bytes / 1000000, secs(t3, t4));
  return read.size() == n ? 0 : 1;
}
