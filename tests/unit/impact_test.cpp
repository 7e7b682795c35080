// merit impact (engine/impact): the aggregates of a small generated population are consistent with
// a direct recount through merit batch's scorer, the attribution adds up exactly, and the reports
// carry the charts.
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/cms/batch.hpp"
#include "engine/compiler.hpp"
#include "engine/diff/diff.hpp"
#include "engine/impact/impact.hpp"
#include "engine/population/generator.hpp"
#include "support/test_files.hpp"

using namespace merit;
using dsl::Decimal;
namespace impact = merit::engine::impact;

namespace {

const engine::CompiledPolicy& policy(const std::string& rel) {
  static std::map<std::string, std::unique_ptr<engine::CompiledPolicy>> cache;
  auto& slot = cache[rel];
  if (!slot) {
    dsl::Diagnostics diags;
    slot = std::make_unique<engine::CompiledPolicy>(engine::compile_policy(test::source_path(rel), diags));
    INFO(diags.render(false));
    REQUIRE(slot->program);
  }
  return *slot;
}

std::string population(const std::string& year, uint64_t seed, uint64_t count) {
  std::string error;
  auto cat = engine::population::read_catalog(policy("policies/" + year).policy, error);
  INFO(error);
  REQUIRE(cat);
  return engine::population::generate_text(*cat, seed, count);
}

Decimal plus(const Decimal& a, const Decimal& b) {
  Decimal r;
  REQUIRE(add(a, b, r));
  return r;
}
Decimal minus(const Decimal& a, const Decimal& b) { return plus(a, b.negated()); }

// A direct recount: each line scored by merit batch under one policy, as submitted for its year;
// one entry per input line (no score where the line was not scored).
struct Direct {
  std::optional<Decimal> score, adjustment;
};
std::vector<Direct> direct(const engine::CompiledPolicy& p, std::string text, size_t lines) {
  for (const char* y : {"2017", "2018"}) {
    std::string from = std::string("\"performanceYear\":") + y, to = "\"performanceYear\":" + p.policy.year;
    for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) text.replace(at, from.size(), to);
  }
  std::istringstream in(text);
  std::ostringstream out, errors;
  engine::cms::BatchOptions o;
  o.threads = 1;
  engine::cms::run_batch(in, "pop", p, out, errors, o);
  std::vector<Direct> r(lines);
  std::istringstream res(out.str());
  std::regex score("\"final\\.score\":(-?[0-9.]+)"), adj("\"payment\\.adjustment\":(-?[0-9.]+)"), no("\"line\":([0-9]+)");
  for (std::string line; std::getline(res, line);) {
    std::smatch m;
    REQUIRE(std::regex_search(line, m, no));
    size_t at = std::stoul(m[1].str());
    REQUIRE(at >= 1);
    REQUIRE(at <= lines);
    Direct& d = r[at - 1];
    if (std::regex_search(line, m, score)) d.score = Decimal::parse(m[1].str());
    if (std::regex_search(line, m, adj)) d.adjustment = Decimal::parse(m[1].str());
  }
  return r;
}

impact::ImpactReport run(const engine::CompiledPolicy& a, const engine::CompiledPolicy& b, const std::string& la,
                         const std::string& lb, const std::string& text, impact::Options o) {
  auto d = engine::diff::compare(a, b, {la, a.policy.name, a.policy.year}, {lb, b.policy.name, b.policy.year});
  std::istringstream in(text);
  return impact::run_impact(a, b, d, in, "pop.jsonl", o);
}

const impact::MetricMean& metric(const impact::ImpactReport& r, const std::string& name) {
  for (const auto& m : r.metrics)
    if (m.name == name) return m;
  FAIL("no metric " << name);
  return r.metrics.front();
}

uint64_t total(const std::vector<uint64_t>& xs) {
  uint64_t t = 0;
  for (auto x : xs) t += x;
  return t;
}

}  // namespace

TEST_CASE("impact: 2017 vs 2018 aggregates match a direct recount and the attribution adds up", "[impact]") {
  const auto& a = policy("policies/2017");
  const auto& b = policy("policies/2018");
  std::string text = population("2017", 11, 300);
  impact::Options o;
  o.threads = 2;
  o.chunk = 64;  // several chunks; the first one chooses the steps
  o.sample_every = 1;
  auto r = run(a, b, "2017", "2018", text, o);

  auto da = direct(a, text, 300), db = direct(b, text, 300);
  REQUIRE(da.size() == 300);
  REQUIRE(db.size() == 300);
  REQUIRE(r.lines == 300);
  uint64_t both = 0;
  Decimal sa, sb, sdelta;
  std::map<std::string, uint64_t> up, down;
  for (size_t i = 0; i < 300; ++i) {
    if (!da[i].score || !db[i].score) continue;
    ++both;
    sa = plus(sa, *da[i].score);
    sb = plus(sb, *db[i].score);
    sdelta = plus(sdelta, minus(*db[i].score, *da[i].score));
  }
  CHECK(r.scored == both);
  CHECK(r.scored + r.failed_a + r.failed_b + r.unreadable >= r.lines);

  // Histograms count every scored line once per side.
  CHECK(total(r.score.a) == r.scored);
  CHECK(total(r.score.b) == r.scored);
  const auto& adj = metric(r, "payment.adjustment");
  CHECK(total(r.adjustment.a) >= adj.n);
  CHECK(total(r.adjustment.b) >= adj.n);

  // Means: the sums are the recount's, and the mean change is the mean of the per-line changes.
  const auto& fs = metric(r, "final.score");
  CHECK(fs.n == both);
  CHECK(fs.sum_a == sa);
  CHECK(fs.sum_b == sb);
  Decimal mean_of_deltas;
  REQUIRE(div(sdelta, Decimal::from_int(static_cast<int64_t>(both)), r.mean_scale, dsl::Rounding::HalfEven, mean_of_deltas));
  CHECK(fs.mean_delta == mean_of_deltas);

  // Threshold crossings: a direct recount with each side's own thresholds.
  REQUIRE(r.crossings.size() == 2);
  for (const auto& c : r.crossings) {
    INFO(c.threshold);
    REQUIRE(c.a_threshold);
    REQUIRE(c.b_threshold);
    uint64_t u = 0, dn = 0, above_a = 0, above_b = 0;
    for (size_t i = 0; i < 300; ++i) {
      if (!da[i].score || !db[i].score) continue;
      bool x = !(*da[i].score < *c.a_threshold), y = !(*db[i].score < *c.b_threshold);
      above_a += x;
      above_b += y;
      u += !x && y;
      dn += x && !y;
    }
    CHECK(c.up == u);
    CHECK(c.down == dn);
    CHECK(c.above_a == above_a);
    CHECK(c.above_b == above_b);
    CHECK(c.up + c.down + c.stay_above + c.stay_below == r.scored);
  }

  // Attribution over every line: the exact parts sum to the change of the sum of final scores,
  // the mean parts to the change of the mean, and the adjustment parts likewise.
  const auto& at = r.attribution;
  REQUIRE(at.lines == r.scored);
  REQUIRE(at.steps.size() > 1);
  Decimal parts, mean_parts, adj_parts, adj_sum_parts;
  for (const auto& st : at.steps) {
    parts = plus(parts, st.sum_score);
    mean_parts = plus(mean_parts, st.mean_score);
    adj_parts = plus(adj_parts, st.mean_adjustment);
    adj_sum_parts = plus(adj_sum_parts, st.sum_adjustment);
  }
  CHECK(parts == minus(sb, sa));
  CHECK(at.sum_a == sa);
  CHECK(mean_parts == minus(at.mean_b, at.mean_a));
  CHECK(adj_sum_parts == minus(at.adj_sum_b, at.adj_sum_a));
  CHECK(adj_parts == minus(at.adj_mean_b, at.adj_mean_a));
  CHECK(at.steps.front().step.changes.front() == "year");  // the semantic diff's order

  // The same numbers on one thread and one chunk.
  impact::Options o1 = o;
  o1.threads = 1;
  o1.chunk = 4096;
  auto r1 = run(a, b, "2017", "2018", text, o1);
  REQUIRE(r1.attribution.steps.size() == at.steps.size());
  for (size_t k = 0; k < at.steps.size(); ++k) {
    CHECK(r1.attribution.steps[k].step.label() == at.steps[k].step.label());
    CHECK(r1.attribution.steps[k].sum_score == at.steps[k].sum_score);
  }
  CHECK(r1.score.a == r.score.a);
  CHECK(r1.score.b == r.score.b);
  CHECK(r1.adjustment.a == r.adjustment.a);
}

TEST_CASE("impact: a sample attributes every k-th line and still adds up", "[impact]") {
  const auto& a = policy("policies/2017");
  const auto& b = policy("policies/2018");
  std::string text = population("2017", 5, 200);
  impact::Options o;
  o.threads = 2;
  o.chunk = 50;
  o.sample_every = 7;
  auto r = run(a, b, "2017", "2018", text, o);
  auto da = direct(a, text, 200), db = direct(b, text, 200);
  Decimal sa, sb;
  uint64_t n = 0;
  for (size_t i = 0; i < da.size(); i += 7)
    if (da[i].score && db[i].score) {
      ++n;
      sa = plus(sa, *da[i].score);
      sb = plus(sb, *db[i].score);
    }
  const auto& at = r.attribution;
  CHECK(at.every == 7);
  CHECK(at.lines == n);
  CHECK(at.sum_a == sa);
  CHECK(at.sum_b == sb);
  Decimal parts, mean_parts;
  for (const auto& st : at.steps) {
    parts = plus(parts, st.sum_score);
    mean_parts = plus(mean_parts, st.mean_score);
  }
  CHECK(parts == minus(sb, sa));
  CHECK(mean_parts == minus(at.mean_b, at.mean_a));
}

TEST_CASE("impact: 2018 vs the what-if threshold is one step carrying the whole change", "[impact]") {
  const auto& a = policy("policies/2018");
  const auto& b = policy("policies/examples/2018-what-if");
  std::string text = population("2018", 3, 400);
  impact::Options o;
  o.threads = 2;
  o.chunk = 128;
  auto r = run(a, b, "2018", "2018-what-if", text, o);
  const auto& at = r.attribution;
  REQUIRE(at.steps.size() == 1);
  CHECK(at.steps[0].step.label() == "param payment.performance_threshold");
  CHECK(at.steps[0].mean_adjustment == minus(at.adj_mean_b, at.adj_mean_a));
  CHECK(at.steps[0].sum_adjustment == minus(at.adj_sum_b, at.adj_sum_a));
  CHECK(at.steps[0].sum_score == minus(at.sum_b, at.sum_a));
  CHECK(at.steps[0].mean_score == minus(at.mean_b, at.mean_a));
  CHECK_FALSE(at.adj_mean_a == at.adj_mean_b);  // a higher threshold lowers the adjustments

  // The final score moves only where the threshold is the score: a clinician scored in one
  // category alone gets the performance threshold (15 -> 30); every other score stays.
  auto da = direct(a, text, 400), db = direct(b, text, 400);
  uint64_t moved = 0;
  Decimal t15 = Decimal::from_int(15), t30 = Decimal::from_int(30);
  for (size_t i = 0; i < da.size(); ++i) {
    if (!da[i].score || !db[i].score || *da[i].score == *db[i].score) continue;
    ++moved;
    CHECK(*da[i].score == t15);
    CHECK(*db[i].score == t30);
  }
  CHECK(at.steps[0].moved == moved);
  Decimal expected = Decimal::from_int(static_cast<int64_t>(15 * moved));
  CHECK(at.steps[0].sum_score == expected);
  const auto& perf = r.crossings.front();
  CHECK(perf.threshold == "performance");
  CHECK(perf.up == 0);  // nobody rises above a higher bar...
  CHECK(perf.down + perf.stay_below + perf.stay_above == r.scored);
}

TEST_CASE("impact: lines that cannot be scored are counted and listed, and the reports carry the charts", "[impact]") {
  const auto& a = policy("policies/2017");
  const auto& b = policy("policies/2018");
  std::string text = population("2018", 2, 30);
  text += "{not json\n\n{\"case\":\"<b>x1</b>\"}\n";
  impact::Options o;
  o.threads = 1;
  o.sample_every = 3;
  o.failures_listed = 1000;
  auto r = run(a, b, "2017", "2018", text, o);
  CHECK(r.lines == 32);
  CHECK(r.unreadable == 2);
  REQUIRE(r.failures.size() >= 2);
  CHECK(r.failures[r.failures.size() - 2].line == 31);
  CHECK(r.failures.back().line == 33);
  CHECK(r.failures.back().id == "<b>x1</b>");

  std::string html = impact::render_html(r);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* id : {"id=\"histogram-final-score\"", "id=\"histogram-adjustment\"", "id=\"attribution-waterfall\"",
                         "id=\"threshold-crossings\"", "id=\"category-means\""})
    CHECK(html.find(id) != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // no external resource
  CHECK(html.find("<b>x1</b>") == std::string::npos);  // text is escaped
  CHECK(html.find("&lt;b&gt;x1&lt;/b&gt;") != std::string::npos);

  auto j = nlohmann::json::parse(impact::render_json(r));
  CHECK(j["lines"] == 32);
  CHECK(j["attribution"]["every"] == 3);
  CHECK(j["histograms"]["final.score"]["a"].size() == 20);
  std::string md = impact::render_markdown(r);
  CHECK(md.find("## Threshold crossings") != std::string::npos);
  CHECK(md.find("## Attribution") != std::string::npos);
}
