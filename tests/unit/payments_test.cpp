// merit_payments (docs/payments.md): beta and gamma against an independent bisection written here
// with plain decimal arithmetic, the balance to the cent on a large seeded population, the caps,
// and bad input located by line.
#include <cstdio>
#include <random>
#include <sstream>
#include <stdexcept>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "engine/loader.hpp"
#include "engine/payments/payments.hpp"
#include "support/test_files.hpp"

namespace pay = merit::engine::payments;
using merit::dsl::Decimal;
using merit::dsl::Rounding;

namespace {

Decimal D(const char* text) { return *Decimal::parse(text); }
Decimal I(int64_t v) { return Decimal::from_int(v); }
Decimal add(Decimal a, Decimal b) { Decimal r; if (!merit::dsl::add(a, b, r)) throw std::overflow_error("add"); return r; }
Decimal sub(Decimal a, Decimal b) { Decimal r; if (!merit::dsl::sub(a, b, r)) throw std::overflow_error("sub"); return r; }
Decimal mul(Decimal a, Decimal b) { Decimal r; if (!merit::dsl::mul(a, b, r)) throw std::overflow_error("mul"); return r; }
Decimal div(Decimal a, Decimal b) {
  Decimal r;
  if (!merit::dsl::div(a, b, 18, Rounding::HalfEven, r)) throw std::overflow_error("div");
  return r;
}
bool less(Decimal a, Decimal b) { return merit::dsl::compare(a, b) < 0; }
Decimal absdiff(Decimal a, Decimal b) { return sub(a, b).abs(); }

// 2018's numbers (policies/2018; checked against the policy below).
pay::Parameters params_2018() {
  pay::Parameters p;
  p.performance_threshold = I(15);
  p.exceptional_threshold = I(70);
  p.applicable_percent = I(5);
  p.full_penalty_share = D("0.25");
  p.scaling_max = I(3);
  p.exceptional_min = D("0.5");
  p.exceptional_max = I(10);
  p.exceptional_factor_max = I(1);
  p.exceptional_pool = I(500000000);
  return p;
}

// The statute's scale, written out again for the test: the base percent (before beta) and the
// exceptional percent (before gamma) of a final score.
Decimal base_percent(const pay::Parameters& p, Decimal fs) {
  Decimal pt = p.performance_threshold, x = p.applicable_percent;
  if (!less(mul(pt, p.full_penalty_share), fs)) return x.negated();
  if (less(fs, pt)) return div(mul(x, sub(pt, fs)), pt).negated();
  if (fs == pt) return I(0);
  return div(mul(x, sub(fs, pt)), sub(I(100), pt));
}
Decimal exceptional_percent(const pay::Parameters& p, Decimal fs) {
  if (less(fs, p.exceptional_threshold)) return I(0);
  return add(p.exceptional_min, div(mul(sub(fs, p.exceptional_threshold), sub(p.exceptional_max, p.exceptional_min)),
                                    sub(I(100), p.exceptional_threshold)));
}

// Sum over the population of paid x adjustment / 100 with the positive part times beta.
Decimal balance_at(const pay::Parameters& p, const std::vector<pay::Clinician>& pop, Decimal beta) {
  Decimal sum;
  for (const auto& c : pop) {
    Decimal b = base_percent(p, c.score);
    if (!b.is_negative()) b = mul(b, beta);
    sum = add(sum, div(mul(c.paid, b), I(100)));
  }
  return sum;
}
Decimal exceptional_at(const pay::Parameters& p, const std::vector<pay::Clinician>& pop, Decimal gamma) {
  Decimal sum;
  for (const auto& c : pop) sum = add(sum, div(mul(mul(c.paid, exceptional_percent(p, c.score)), gamma), I(100)));
  return sum;
}

// Bisection on [lo, hi] for an increasing f with f(lo) <= 0 <= f(hi), to 1e-10.
template <class F>
Decimal bisect(Decimal lo, Decimal hi, F f) {
  while (less(D("0.0000000001"), sub(hi, lo))) {
    Decimal mid = div(add(lo, hi), I(2));
    if (f(mid).is_negative()) lo = mid;
    else hi = mid;
  }
  return div(add(lo, hi), I(2));
}

std::vector<pay::Clinician> small_population() {
  // Large TIN-level paid amounts, so that the exceptional adjustments at gamma = 1 exceed the pool.
  return {
      {"a", D("2"), D("1500000000.00")},     // full penalty (<= 3.75)
      {"b", D("3.75"), D("250000000.50")},   // full penalty, at the edge
      {"c", D("9.3"), D("800000000.25")},    // linear penalty
      {"d", D("15"), D("900000000")},        // neutral
      {"e", D("42.5"), D("1200000000.10")},  // positive
      {"f", D("70"), D("3000000000.00")},    // positive and exceptional (at APT)
      {"g", D("88.88"), D("2500000000.99")}, // positive and exceptional
      {"h", D("100"), D("4000000000.01")},   // the top
  };
}

int64_t sum_cents(const std::vector<int64_t>& v) {
  int64_t s = 0;
  for (auto c : v) s += c;
  return s;
}

}  // namespace

TEST_CASE("payments: the parameters come from the year's policy", "[payments]") {
  merit::dsl::Diagnostics diags;
  auto policy = merit::engine::load_policy(merit::test::source_path("policies/2018"), diags);
  REQUIRE_FALSE(diags.has_errors());
  pay::Parameters p;
  std::string error;
  REQUIRE(pay::parameters_from_policy(policy, p, error));
  auto want = params_2018();
  CHECK(p.performance_threshold == want.performance_threshold);
  CHECK(p.exceptional_threshold == want.exceptional_threshold);
  CHECK(p.applicable_percent == want.applicable_percent);
  CHECK(p.full_penalty_share == want.full_penalty_share);
  CHECK(p.scaling_max == want.scaling_max);
  CHECK(p.exceptional_min == want.exceptional_min);
  CHECK(p.exceptional_max == want.exceptional_max);
  CHECK(p.exceptional_factor_max == want.exceptional_factor_max);
  CHECK(p.exceptional_pool == want.exceptional_pool);
  CHECK(p.round_digits == 4);
}

TEST_CASE("payments: beta and gamma agree with an independent bisection on a small population", "[payments]") {
  auto p = params_2018();
  auto pop = small_population();
  pay::Solution s;
  std::string error;
  REQUIRE(pay::solve(p, pop, s, error));
  Decimal beta = bisect(I(0), I(3), [&](Decimal b) { return balance_at(p, pop, b); });
  Decimal gamma = bisect(I(0), I(1), [&](Decimal g) { return sub(exceptional_at(p, pop, g), p.exceptional_pool); });
  INFO("solver beta " << s.beta.to_string() << ", bisection " << beta.to_string());
  INFO("solver gamma " << s.gamma.to_string() << ", bisection " << gamma.to_string());
  CHECK_FALSE(s.beta_capped);
  CHECK_FALSE(s.gamma_capped);
  CHECK(s.beta_rule == "budget neutral");
  CHECK(less(I(0), s.beta));
  CHECK(less(absdiff(s.beta, beta), D("0.000001")));
  CHECK(less(absdiff(s.gamma, gamma), D("0.000001")));
  CHECK(s.negative_count == 3);
  CHECK(s.neutral_count == 1);
  CHECK(s.positive_count == 4);
  CHECK(s.exceptional_count == 3);
  // The cents balance exactly, and the exceptional cents spend the pool exactly.
  CHECK(s.balance == I(0));
  CHECK(sum_cents(s.base_cents) == 0);
  CHECK(sum_cents(s.exceptional_cents) == 50000000000);
  CHECK(s.exceptional_dollars == p.exceptional_pool);
  // Each clinician's cents are within a cent of paid x adjustment / 100 computed here.
  for (size_t i = 0; i < pop.size(); ++i) {
    Decimal b = base_percent(p, pop[i].score);
    if (!b.is_negative()) b = mul(b, s.beta);
    Decimal exact = div(mul(pop[i].paid, b), I(100));
    Decimal got = *Decimal::from_parts(s.base_cents[i], 2);
    INFO(pop[i].id << ": " << got.to_string() << " vs " << exact.to_string());
    CHECK(!less(D("0.01"), absdiff(got, exact)));
  }
  // The output line of the top clinician: percent rounded to 4 places, dollars to the cent.
  std::string line = pay::json_line(p, s, pop[7], 7);
  CHECK(line.find("\"id\": \"h\"") != std::string::npos);
  CHECK(line.find("\"adjustment_dollars\": ") != std::string::npos);
}

TEST_CASE("payments: the balance holds to the cent on 200,000 clinicians", "[payments]") {
  auto p = params_2018();
  std::mt19937 rng(20180101);
  std::uniform_int_distribution<int> score(0, 10000);       // hundredths of a point
  std::uniform_int_distribution<int64_t> paid(0, 300000000);  // cents, up to $3,000,000
  std::vector<pay::Clinician> pop;
  pop.reserve(200000);
  for (int i = 0; i < 200000; ++i) {
    std::string id = "c";
    id += std::to_string(i);
    pop.push_back({id, *Decimal::from_parts(score(rng), 2), *Decimal::from_parts(paid(rng), 2)});
  }
  pay::Solution s;
  std::string error;
  REQUIRE(pay::solve(p, pop, s, error));
  INFO("beta " << s.beta.to_string() << ", gamma " << s.gamma.to_string());
  REQUIRE_FALSE(s.beta_capped);
  REQUIRE_FALSE(s.gamma_capped);
  // Rounding rule: each amount half even to the cent, then the largest-remainder rule moves single
  // cents so that the cents add up to the exact total rounded to the cent. The exact total is 0
  // (to 10^-4: the 18-digit rounding of beta and of the per-dollar constants), so the cents balance exactly; |residual| <= $0.01 is what the statute needs.
  int64_t neg = 0, pos = 0;
  for (auto c : s.base_cents) (c < 0 ? neg : pos) += c;
  CHECK(neg < 0);
  CHECK(pos > 0);
  CHECK(std::llabs(neg + pos) <= 1);
  CHECK(s.balance == I(0));
  INFO("exact residual before cents " << s.base_exact.to_string());
  CHECK(less(s.base_exact.abs(), D("0.0001")));
  CHECK(sum_cents(s.exceptional_cents) == 50000000000);
  // The sums the solver balanced, recomputed here from the statute's scale with its beta.
  Decimal check = balance_at(p, pop, s.beta);
  CHECK(less(check.abs(), D("0.01")));
  // Every 997th clinician: the cents are within a cent of the exact amount.
  for (size_t i = 0; i < pop.size(); i += 997) {
    Decimal b = base_percent(p, pop[i].score);
    if (!b.is_negative()) b = mul(b, s.beta);
    Decimal exact = div(mul(pop[i].paid, b), I(100));
    CHECK(!less(D("0.01"), absdiff(*Decimal::from_parts(s.base_cents[i], 2), exact)));
  }
}

TEST_CASE("payments: beta is capped at 3, gamma at 1, and the edge cases", "[payments]") {
  auto p = params_2018();
  std::string error;
  SECTION("many negatives and a few small positives: beta capped at 3") {
    std::vector<pay::Clinician> pop = {{"n1", D("1"), D("1000000")}, {"n2", D("10"), D("500000")}, {"p1", D("20"), D("1000")}};
    pay::Solution s;
    REQUIRE(pay::solve(p, pop, s, error));
    CHECK(s.beta_capped);
    CHECK(s.beta == I(3));
    CHECK(less(I(3), s.beta_uncapped));
    // Not budget neutral: the balance is the saving (negative), and is reported.
    CHECK(s.balance.is_negative());
    CHECK(s.balance == add(s.negative_dollars, s.positive_dollars));
    // At most 3: the positive clinician gets 5 % x 5/85 x 3 of $1,000 = $8.82.
    CHECK(s.base_cents[2] == 882);
  }
  SECTION("small exceptional amounts: gamma capped at 1") {
    std::vector<pay::Clinician> pop = {{"n", D("0"), D("100000")}, {"x", D("100"), D("100000")}};
    pay::Solution s;
    REQUIRE(pay::solve(p, pop, s, error));
    CHECK(s.gamma_capped);
    CHECK(s.gamma == I(1));
    CHECK(s.exceptional_cents[1] == 1000000);  // 10 % of $100,000
    CHECK(s.exceptional_cents[0] == 0);
  }
  SECTION("no positive adjustments: beta is 0; nobody exceptional: gamma is 0") {
    std::vector<pay::Clinician> pop = {{"n", D("5"), D("100000")}, {"z", D("15"), D("100000")}};
    pay::Solution s;
    REQUIRE(pay::solve(p, pop, s, error));
    CHECK(s.beta == I(0));
    CHECK(s.gamma == I(0));
    CHECK(s.balance == D("-3333.33"));
  }
  SECTION("no negative adjustments: beta is its maximum") {
    std::vector<pay::Clinician> pop = {{"p", D("50"), D("100000")}};
    pay::Solution s;
    REQUIRE(pay::solve(p, pop, s, error));
    CHECK(s.beta == I(3));
    CHECK(s.beta_capped);
  }
  SECTION("an empty population") {
    pay::Solution s;
    REQUIRE(pay::solve(p, {}, s, error));
    CHECK(s.beta == I(0));
    CHECK(s.balance == I(0));
  }
}

TEST_CASE("payments: results files, and bad input located by line", "[payments]") {
  std::vector<pay::Clinician> pop;
  std::string error;
  auto read = [&](const std::string& text, pay::Format f) {
    pop.clear();
    error.clear();
    std::istringstream in(text);
    return pay::read_results(in, "r", f, pop, error);
  };
  SECTION("merit batch's results are read as they are; clinicians not eligible are left out") {
    REQUIRE(read("{\"case\":\"c1\",\"line\":1,\"eligibility.eligible\":true,\"final.score\":71.5,\"part_b_paid\":5000}\n"
                 "{\"case\":\"c2\",\"line\":2,\"eligibility.eligible\":false,\"final.score\":0,\"part_b_paid\":900}\n",
                 pay::Format::Jsonl));
    REQUIRE(pop.size() == 1);
    CHECK(pop[0].id == "c1");
    CHECK(pop[0].score == D("71.5"));
    REQUIRE(read("case,line,eligibility.eligible,final.score,part_b_paid\nc1,1,true,71.5,5000\nc2,2,false,0,900\n",
                 pay::Format::Csv));
    REQUIRE(pop.size() == 1);
    CHECK(pop[0].id == "c1");
  }
  SECTION("JSONL and CSV read the same numbers exactly") {
    REQUIRE(read("{\"id\": \"a\", \"final_score\": 72.5, \"part_b_paid\": 123456.78, \"extra\": [1]}\n\n"
                 "{\"part_b_paid\": 1e3, \"id\": 7, \"final_score\": 0.1}\n",
                 pay::Format::Jsonl));
    REQUIRE(pop.size() == 2);
    CHECK(pop[0].id == "a");
    CHECK(pop[0].score == D("72.5"));
    CHECK(pop[0].paid == D("123456.78"));
    CHECK(pop[1].id == "7");
    CHECK(pop[1].paid == I(1000));
    CHECK(pop[1].score == D("0.1"));
    REQUIRE(read("name,id,final_score,part_b_paid\r\n\"Dr, A\",a,72.5,123456.78\r\n", pay::Format::Csv));
    REQUIRE(pop.size() == 1);
    CHECK(pop[0].score == D("72.5"));
    CHECK(pop[0].paid == D("123456.78"));
  }
  SECTION("large files are read on every core: file order kept, the first bad line reported") {
    // 5,000 lines (the parallel path starts at 1,024 lines per chunk), a blank line, CRLF
    // endings, a line with an escaped key and one with a second value after the object (both
    // for the reference parser); the ids come back in file order.
    std::string text;
    for (int i = 1; i <= 5000; ++i) {
      if (i == 1200) text += "\r\n";
      if (i == 2000) text += "{\"\\u0069d\": \"x2000\", \"final_score\": 20, \"part_b_paid\": 10}\n";
      else text += fmt::format("{{\"id\": \"x{}\", \"final_score\": {}, \"part_b_paid\": 10}}\r\n", i, i % 101);
    }
    REQUIRE(read(text, pay::Format::Jsonl));
    REQUIRE(pop.size() == 5000);
    CHECK(pop[0].id == "x1");
    CHECK(pop[1999].id == "x2000");
    CHECK(pop[4999].id == "x5000");
    CHECK(pop[4999].score == I(5000 % 101));
    // Two bad lines: line 3001 (file line, counting the blank one) is named, not 4501.
    std::string bad;
    for (int i = 1; i <= 5000; ++i) {
      if (i == 3001) bad += "{\"id\": \"b\", \"final_score\": \"high\", \"part_b_paid\": 10}\n";
      else if (i == 4501) bad += "{\"id\": \"c\"} {\"id\": \"d\"}\n";
      else bad += fmt::format("{{\"id\": \"x{}\", \"final_score\": 50, \"part_b_paid\": 10}}\n", i);
    }
    CHECK_FALSE(read(bad, pay::Format::Jsonl));
    CHECK(error == "r:3001: \"final_score\" must be a number");
    bad.replace(bad.find("\"high\""), 6, "50");
    CHECK_FALSE(read(bad, pay::Format::Jsonl));
    CHECK(error.rfind("r:4501: not valid JSON", 0) == 0);
  }
  SECTION("a line that is not JSON") {
    CHECK_FALSE(read("{\"id\": \"a\", \"final_score\": 50, \"part_b_paid\": 1}\n{\"id\": \"b\", \"final_score\": \n", pay::Format::Jsonl));
    CHECK(error.rfind("r:2: not valid JSON", 0) == 0);
  }
  SECTION("a negative paid amount") {
    CHECK_FALSE(read("\n\n{\"id\": \"a\", \"final_score\": 50, \"part_b_paid\": -0.01}\n", pay::Format::Jsonl));
    CHECK(error == "r:3: \"part_b_paid\" is -0.01, negative");
  }
  SECTION("a score outside 0..100") {
    CHECK_FALSE(read("{\"id\": \"a\", \"final_score\": 100.01, \"part_b_paid\": 5}\n", pay::Format::Jsonl));
    CHECK(error == "r:1: \"final_score\" is 100.01, outside 0..100");
    CHECK_FALSE(read("id,final_score,part_b_paid\nb,-1,5\n", pay::Format::Csv));
    CHECK(error == "r:2: \"final_score\" is -1, outside 0..100");
  }
  SECTION("missing fields and wrong kinds") {
    CHECK_FALSE(read("{\"id\": \"a\", \"final_score\": 5}\n", pay::Format::Jsonl));
    CHECK(error == "r:1: missing \"part_b_paid\"");
    CHECK_FALSE(read("{\"id\": \"a\", \"final_score\": \"5\", \"part_b_paid\": 1}\n", pay::Format::Jsonl));
    CHECK(error == "r:1: \"final_score\" must be a number");
    CHECK_FALSE(read("[1, 2]\n", pay::Format::Jsonl));
    CHECK(error.rfind("r:1: expected a JSON object", 0) == 0);
    CHECK_FALSE(read("id,score\n", pay::Format::Csv));
    CHECK(error.rfind("r:1: the CSV header must name", 0) == 0);
  }
}

TEST_CASE("payments: each clinician's exact amount is the Decimal formula's, large amounts included", "[payments]") {
  // solve takes the products in 128-bit integers when the coefficients fit 64 bits and goes
  // through Decimal otherwise: the exact totals must be those of the Decimal formulas, written
  // out here, on amounts of every size (up to 12 decimals and $10^11, past 64-bit coefficients).
  auto p = params_2018();
  std::mt19937_64 rng(20240607);
  std::vector<pay::Clinician> pop;
  for (int i = 0; i < 50000; ++i) {
    int score_scale = static_cast<int>(rng() % 5);  // 0..4 decimals
    int64_t score_max = 100;
    for (int k = 0; k < score_scale; ++k) score_max *= 10;
    Decimal score = *Decimal::from_parts(static_cast<int64_t>(rng() % static_cast<uint64_t>(score_max + 1)), score_scale);
    int paid_scale = static_cast<int>(rng() % 13);
    __int128 paid = static_cast<__int128>(rng() % 100000000000ull);  // dollars, up to 10^11
    for (int k = 0; k < paid_scale; ++k) paid = paid * 10 + static_cast<__int128>(rng() % 10);
    if (i % 7 == 0) paid %= 1000;  // small amounts too
    pop.push_back({fmt::format("c{}", i), score, *Decimal::from_parts(paid, paid_scale)});
  }
  pay::Solution s;
  std::string error;
  REQUIRE(pay::solve(p, pop, s, error));
  Decimal hundred = I(100), pt = p.performance_threshold, apt = p.exceptional_threshold, x = p.applicable_percent;
  Decimal full = div(x, hundred).negated();
  Decimal linear = div(x, mul(hundred, pt)).negated();
  Decimal positive = div(mul(s.beta, x), mul(hundred, sub(hundred, pt)));
  Decimal exc_base = div(mul(s.gamma, p.exceptional_min), hundred);
  Decimal exc_slope = div(mul(s.gamma, sub(p.exceptional_max, p.exceptional_min)), mul(hundred, sub(hundred, apt)));
  Decimal base_total, exc_total;
  for (const auto& c : pop) {
    Decimal b;
    if (!less(mul(pt, p.full_penalty_share), c.score)) b = mul(c.paid, full);
    else if (less(c.score, pt)) b = mul(mul(c.paid, sub(pt, c.score)), linear);
    else if (less(pt, c.score)) b = mul(mul(c.paid, sub(c.score, pt)), positive);
    base_total = add(base_total, b);
    if (!less(c.score, apt))
      exc_total = add(exc_total, add(mul(c.paid, exc_base), mul(mul(c.paid, sub(c.score, apt)), exc_slope)));
  }
  INFO("solver " << s.base_exact.to_string() << " / " << s.exceptional_exact.to_string() << ", here "
                 << base_total.to_string() << " / " << exc_total.to_string());
  CHECK(s.base_exact == base_total);
  CHECK(s.exceptional_exact == exc_total);
}

TEST_CASE("payments: the fast line reader takes what the reference reader takes, with the same numbers", "[payments]") {
  // Lines the fast path reads itself and lines it leaves to the reference reader (simdjson, then
  // nlohmann): the outcome is the same either way.
  std::vector<pay::Clinician> pop;
  std::string error;
  auto read = [&](const std::string& text) {
    pop.clear();
    error.clear();
    return pay::read_results_text(text, "r", pay::Format::Jsonl, pop, error);
  };
  struct Good {
    const char* line;
    const char* id;
    const char* score;
    const char* paid;
  };
  const Good good[] = {
      {R"({"case":"c1","line":1,"eligibility.eligible":true,"x":-0.5,"final.score":72.43,"part_b_paid":95832.30})", "c1", "72.43", "95832.3"},
      {R"(  {"id" : "a" , "final_score" : 100.000 , "part_b_paid" : -0 }  )", "a", "100", "0"},
      {"\t{\"id\":\"a\",\"final_score\":0,\"part_b_paid\":0.000000000000000001}", "a", "0", "0.000000000000000001"},
      {R"({"id":"a","final_score":50,"part_b_paid":1e3})", "a", "50", "1000"},
      {R"({"id":"a","final_score":5E1,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":7,"final_score":50,"part_b_paid":10})", "7", "50", "10"},
      {R"({"id":"a\u0062","final_score":50,"part_b_paid":10})", "ab", "50", "10"},
      {R"({"id":"é","final_score":50,"part_b_paid":10})", "é", "50", "10"},
      {R"({"id":"a","s":"x\"y\\z","n":null,"t":true,"f":false,"final_score":50,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":"a","o":{"k":[1,2,{"z":null}]},"e":[],"final_score":50,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":"a","big":123456789012345678901234567890,"final_score":50,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":"a","final_score":12.345678901234567,"part_b_paid":1234567890123456.78})", "a", "12.345678901234567",
       "1234567890123456.78"},
      {R"({"id":"a","final_score":50,"part_b_paid":12345678901234567890.5})", "a", "50", "12345678901234567890.5"},
      {R"({"id":"a","id":"b","final_score":50,"part_b_paid":10})", "b", "50", "10"},
      {R"({"case":"a","id":"b","final_score":50,"final.score":60,"part_b_paid":10})", "b", "60", "10"},
      {R"({"id":"a","eligibility.eligible":false,"eligibility.eligible":true,"final_score":50,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":"a","eligibility.eligible":null,"final_score":50,"part_b_paid":10})", "a", "50", "10"},
  };
  for (const auto& g : good) {
    INFO(g.line);
    REQUIRE(read(std::string(g.line) + "\n"));
    REQUIRE(pop.size() == 1);
    CHECK(pop[0].id == g.id);
    CHECK(pop[0].score.to_string() == g.score);  // the numbers kept normalized, as given
    CHECK(pop[0].paid.to_string() == g.paid);
  }
  const char* skipped[] = {
      R"({"case":"a","eligibility.eligible":false})",
      R"({"case":"a","eligibility.eligible":false,"final.score":101,"part_b_paid":-1})",
      "\f\v \t",
  };
  for (const char* line : skipped) {
    INFO(line);
    REQUIRE(read(std::string(line) + "\n"));
    CHECK(pop.empty());
  }
  struct Bad {
    const char* line;
    const char* error;  // the start of the message
  };
  const Bad bad[] = {
      {R"({"id":"a","final_score":50,"part_b_paid":10,"x":01})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10,"x":1.})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10,"x":.5})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10,"x":-})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10,"x":1.2.3})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10,"x":tru})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10,"x":nul})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10,})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10} x)", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10)", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50 "part_b_paid":10})", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":10,"x":"a)", "r:1: not valid JSON"},
      {"{\"id\":\"a\",\"final_score\":50,\"part_b_paid\":10,\"x\":\"a\tb\"}", "r:1: not valid JSON"},
      {R"({"id":"a","final_score":50,"part_b_paid":0010})", "r:1: not valid JSON"},
      {R"({"id":"","final_score":50,"part_b_paid":10})", "r:1: missing \"id\""},
      {R"({"id":"a","part_b_paid":10})", "r:1: missing \"final_score\""},
      {R"({"id":"a","final_score":50})", "r:1: missing \"part_b_paid\""},
      {R"({})", "r:1: missing \"id\""},
      {R"({"id":"a","final_score":"50","part_b_paid":10})", "r:1: \"final_score\" must be a number"},
      {R"({"id":"a","final_score":50,"part_b_paid":true})", "r:1: \"part_b_paid\" must be a number"},
      {R"({"id":null,"final_score":50,"part_b_paid":10})", "r:1: \"id\" must be a string"},
      {R"({"id":"a","final_score":100.0000000000000001,"part_b_paid":10})", "r:1: \"final_score\" is 100.0000000000000001, outside 0..100"},
      {R"({"id":"a","final_score":-0.01,"part_b_paid":10})", "r:1: \"final_score\" is -0.01, outside 0..100"},
      {R"({"id":"a","final_score":50,"part_b_paid":-0.01})", "r:1: \"part_b_paid\" is -0.01, negative"},
      {R"({"id":"a","final_score":1.0000000000000000001,"part_b_paid":10})", "r:1: \"final_score\" is not a number"},
      {R"(["a", 50, 10])", "r:1: expected a JSON object"},
  };
  for (const auto& b : bad) {
    INFO(b.line);
    CHECK_FALSE(read(std::string("\n") + b.line + "\n{\"id\":\"z\",\"final_score\":1,\"part_b_paid\":1}\n"));
    CHECK(error.rfind("r:2" + std::string(b.error + 3), 0) == 0);  // the bad line is the second
  }
}

TEST_CASE("payments: pieces of a large file are read on every core, the first bad line reported", "[payments]") {
  // About 14 MB: several 4 MB pieces, lines cut by the piece boundaries, CRLF and blank lines;
  // the ids come back in file order, and of two bad lines in different pieces the first is named.
  std::string text;
  size_t lines = 200000;
  for (size_t i = 1; i <= lines; ++i) {
    if (i % 5000 == 0) text += "\r\n";
    text += fmt::format("{{\"case\":\"c{}\",\"eligibility.eligible\":{},\"final.score\":{}.{},\"part_b_paid\":{}.5}}{}",
                        i, i % 10 == 3 ? "false" : "true", i % 100, i % 97, i, i % 2 ? "\n" : "\r\n");
  }
  std::vector<pay::Clinician> pop;
  std::string error;
  INFO(error);
  REQUIRE(pay::read_results_text(text, "r", pay::Format::Jsonl, pop, error));
  REQUIRE(pop.size() == lines - lines / 10);
  size_t k = 0;
  for (size_t i = 1; i <= lines; ++i) {
    if (i % 10 == 3) continue;
    if (pop[k].id != fmt::format("c{}", i) || pop[k].paid != *Decimal::parse(fmt::format("{}.5", i))) {
      FAIL("clinician " << k << " is " << pop[k].id << ", expected c" << i);
    }
    ++k;
  }
  // The text without its last newline reads the same.
  std::vector<pay::Clinician> again;
  REQUIRE(pay::read_results_text(std::string_view(text).substr(0, text.size() - 2), "r", pay::Format::Jsonl, again, error));
  CHECK(again.size() == pop.size());
  // Bad lines in the third piece and in the first: the first is reported, with its file line.
  auto line_start = [&](size_t lineno) {
    size_t at = 0;
    for (size_t l = 1; l < lineno; ++l) at = text.find('\n', at) + 1;
    return at;
  };
  std::string bad = text;
  size_t late = line_start(150000), early = line_start(30001);
  bad[late] = '[';
  std::vector<pay::Clinician> none;
  CHECK_FALSE(pay::read_results_text(bad, "r", pay::Format::Jsonl, none, error));
  CHECK(error.rfind("r:150000: ", 0) == 0);
  bad[early] = 'x';
  CHECK_FALSE(pay::read_results_text(bad, "r", pay::Format::Jsonl, none, error));
  CHECK(error.rfind("r:30001: not valid JSON", 0) == 0);
}

TEST_CASE("payments: LineFormatter writes json_line's and csv_line's bytes", "[payments]") {
  auto p = params_2018();
  std::mt19937_64 rng(99);
  std::vector<pay::Clinician> pop = small_population();
  const char* ids[] = {"plain", "with,comma", "with \"quote\"", "back\\slash", "tab\there", "é", "", "x"};
  for (int i = 0; i < 20000; ++i) {
    int score_scale = static_cast<int>(rng() % 4);
    int64_t score_max = 100;
    for (int k = 0; k < score_scale; ++k) score_max *= 10;
    __int128 paid = static_cast<__int128>(rng() % 1000000000000ull);
    int paid_scale = static_cast<int>(rng() % 7);
    if (i % 97 == 0) paid = paid * 100000000 + 7, paid_scale = 6;  // a coefficient past 64 bits
    pop.push_back({i % 50 == 0 ? std::string(ids[i / 50 % 8]) : fmt::format("NPI{:010}", i),
                   *Decimal::from_parts(static_cast<int64_t>(rng() % static_cast<uint64_t>(score_max + 1)), score_scale),
                   *Decimal::from_parts(paid, paid_scale)});
  }
  pop.push_back({std::string(300, 'l'), D("50"), D("10")});  // a long id
  pay::Solution s;
  std::string error;
  REQUIRE(pay::solve(p, pop, s, error));
  for (pay::Format format : {pay::Format::Jsonl, pay::Format::Csv}) {
    pay::LineFormatter f(p, s, format);
    std::string fast, reference;
    for (size_t i = 0; i < pop.size(); ++i) {
      f.append(pop[i], i, fast);
      reference += format == pay::Format::Csv ? pay::csv_line(p, s, pop[i], i) : pay::json_line(p, s, pop[i], i);
      reference += '\n';
    }
    CHECK(fast == reference);
    // write_lines: the same lines (after the CSV header), in order.
    std::FILE* file = std::tmpfile();
    REQUIRE(file);
    REQUIRE(pay::write_lines(file, p, s, pop, format));
    std::rewind(file);
    std::string written;
    char buffer[65536];
    for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, file)) > 0;) written.append(buffer, got);
    std::fclose(file);
    CHECK(written == (format == pay::Format::Csv ? pay::csv_header() + "\n" : std::string()) + reference);
  }
}

TEST_CASE("payments: lines read against the previous line's keys are checked as fully", "[payments]") {
  // The first line teaches the reader the keys; the second has the same keys and differs
  // otherwise. Its outcome is the reference reader's.
  const std::string primer = R"({"id":"p","x":1,"e":"s","final_score":50,"part_b_paid":10})";
  std::vector<pay::Clinician> pop;
  std::string error;
  auto read = [&](const std::string& line) {
    pop.clear();
    error.clear();
    return pay::read_results_text(primer + "\n" + line + "\n", "r", pay::Format::Jsonl, pop, error);
  };
  struct Good {
    const char* line;
    const char* id;
    const char* score;
    const char* paid;
  };
  const Good good[] = {
      {R"({"id":"a","x":-2.5,"e":"","final_score":72.43,"part_b_paid":95832.30})", "a", "72.43", "95832.3"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":10}  )", "a", "50", "10"},
      {R"({"id":"a","x":1 ,"e":"s","final_score":50,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":"a","x":[1],"e":"s","final_score":50,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":"a","x":1,"e":"a\"b","final_score":50,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":"a","x":1e400000,"e":"s","final_score":50,"part_b_paid":10})", nullptr, nullptr, nullptr},
      {R"({"id":7,"x":1,"e":"s","final_score":50,"part_b_paid":10})", "7", "50", "10"},
      {R"({"id":"a","x":1,"e":"s","final_score":5e1,"part_b_paid":10})", "a", "50", "10"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":10,"y":2})", "a", "50", "10"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":0.0000000000000000010})", "a", "50", "0.000000000000000001"},
  };
  for (const auto& g : good) {
    INFO(g.line);
    if (!g.id) {  // a number too large for a double: the reference reader says so
      CHECK_FALSE(read(g.line));
      CHECK(error.rfind("r:2: not valid JSON", 0) == 0);
      continue;
    }
    REQUIRE(read(g.line));
    REQUIRE(pop.size() == 2);
    CHECK(pop[1].id == g.id);
    CHECK(pop[1].score.to_string() == g.score);
    CHECK(pop[1].paid.to_string() == g.paid);
  }
  struct Bad {
    const char* line;
    const char* error;
  };
  const Bad bad[] = {
      {R"({"id":"a","x":01,"e":"s","final_score":50,"part_b_paid":10})", "r:2: not valid JSON"},
      {R"({"id":"a","x":1.,"e":"s","final_score":50,"part_b_paid":10})", "r:2: not valid JSON"},
      {R"({"id":"a","x":-,"e":"s","final_score":50,"part_b_paid":10})", "r:2: not valid JSON"},
      {R"({"id":"a","x":tru,"e":"s","final_score":50,"part_b_paid":10})", "r:2: not valid JSON"},
      {R"({"id":"a","x":1,"e":"s,"final_score":50,"part_b_paid":10})", "r:2: not valid JSON"},
      {"{\"id\":\"a\",\"x\":1,\"e\":\"a\tb\",\"final_score\":50,\"part_b_paid\":10}", "r:2: not valid JSON"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":10}})", "r:2: not valid JSON"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":10,})", "r:2: not valid JSON"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":10)", "r:2: not valid JSON"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":)", "r:2: not valid JSON"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid")", "r:2: not valid JSON"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b)", "r:2: not valid JSON"},
      {R"({"id":"a","x":1,"e":"s","final_score":50})", "r:2: missing \"part_b_paid\""},
      {R"({"id":"","x":1,"e":"s","final_score":50,"part_b_paid":10})", "r:2: missing \"id\""},
      {R"({"id":"a","x":1,"e":"s","final_score":"50","part_b_paid":10})", "r:2: \"final_score\" must be a number"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":null})", "r:2: \"part_b_paid\" must be a number"},
      {R"({"id":"a","x":1,"e":"s","final_score":100.5,"part_b_paid":10})", "r:2: \"final_score\" is 100.5, outside 0..100"},
      {R"({"id":"a","x":1,"e":"s","final_score":50,"part_b_paid":-10})", "r:2: \"part_b_paid\" is -10, negative"},
  };
  for (const auto& b : bad) {
    INFO(b.line);
    CHECK_FALSE(read(b.line));
    CHECK(error.rfind(b.error, 0) == 0);
  }
  // A line at the very end of the text, without its newline, read against the keys.
  pop.clear();
  REQUIRE(pay::read_results_text(primer + "\n" + R"({"id":"z","x":1,"e":"s","final_score":1,"part_b_paid":2})",
                                 "r", pay::Format::Jsonl, pop, error));
  REQUIRE(pop.size() == 2);
  CHECK(pop[1].id == "z");
}
