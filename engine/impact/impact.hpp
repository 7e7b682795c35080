// The impact of a rule change across a population (merit impact; issue 5, docs/population.md
// "Impact reports"): every line of a JSON-lines population scored under two policies, aggregated
// into distributions, threshold crossings, per-category mean changes, and the change of the mean
// final score (and adjustment) attributed to each rule change, in the order and with the merging
// of the semantic diff's case attribution (engine/diff/behaviour.cpp).
// In:  two compiled policies (A, B), their static diff, a stream of JSON lines
//      {"case", "profile", "submission", "part_b_paid"} (what merit generate writes).
// Out: an ImpactReport of counts and exact decimals, rendered as HTML (inline CSS and SVG, no
//      script), Markdown or JSON.
// Invariant: memory is bounded by one chunk of lines; every sum is exact (decimal arithmetic), so
//      the attribution's per-step sums add up to the change of the sum of final scores exactly, and
//      the waterfall's rounded means telescope from A's mean to B's mean exactly.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsl/decimal.hpp"
#include "engine/compiler.hpp"
#include "engine/diff/diff.hpp"

namespace merit::engine::impact {

struct Options {
  unsigned threads = 0;       // 0: one per hardware thread
  size_t chunk = 4096;        // lines read and scored together
  size_t sample_every = 1;    // attribute every k-th line (lines 1, 1+k, 1+2k, ... of the non-empty lines); 0: none
  size_t failures_listed = 10;
  int mean_scale = 6;         // fractional digits of the reported means
};

// The rules compared per line (mean change per category; absent rules are left out).
const std::vector<std::string>& impact_metrics();

struct Failure {
  size_t line = 0;
  std::string id, reason;  // reason starts with "under A:" or "under B:" or "cannot be read:"
};

// Counts per bin; bin k covers [start + k*width, start + (k+1)*width), the last one closed.
struct Histogram {
  std::string metric;
  dsl::Decimal start, width;
  std::vector<uint64_t> a, b;
  std::string label(size_t k) const;  // "0-5", "-1.5 to -1"
};

struct Crossings {
  std::string threshold, param;      // "performance", payment.performance_threshold
  std::optional<dsl::Decimal> a_threshold, b_threshold;
  uint64_t up = 0, down = 0;          // below -> at or above, and back
  uint64_t stay_above = 0, stay_below = 0;
  uint64_t above_a = 0, above_b = 0;  // at or above under each side
};

struct MetricMean {
  std::string name;
  uint64_t n = 0;                // lines with a value under both
  dsl::Decimal sum_a, sum_b;     // exact
  dsl::Decimal mean_a, mean_b, mean_delta;  // rounded to mean_scale (half even)
  uint64_t up = 0, down = 0;     // lines whose value rose / fell
};

struct StepImpact {
  diff::Step step;
  dsl::Decimal sum_score, sum_adjustment;    // exact sum over the attributed lines of this step's part
  dsl::Decimal mean_score, mean_adjustment;  // telescoping rounded means (see render docs)
  uint64_t moved = 0;                        // attributed lines whose final score this step changed
  uint64_t carried = 0;                      // lines whose score failed or did not read after the step
};

struct Attribution {
  size_t every = 0;             // sample: every k-th line (0: no attribution)
  uint64_t lines = 0;           // attributed lines (scored under both)
  uint64_t with_adjustment = 0; // of which both sides have payment.adjustment
  dsl::Decimal sum_a, sum_b, adj_sum_a, adj_sum_b;   // exact
  dsl::Decimal mean_a, mean_b, adj_mean_a, adj_mean_b;  // rounded
  std::vector<StepImpact> steps;
  std::vector<std::string> notes;  // merges decided while choosing the steps
  double seconds = 0;              // wall time spent attributing
};

struct ImpactReport {
  diff::PolicyLabel a, b;
  std::string input;
  uint64_t lines = 0, scored = 0;       // non-empty lines; scored under both sides
  uint64_t failed_a = 0, failed_b = 0, unreadable = 0;
  std::vector<Failure> failures;        // the first few
  Histogram score, adjustment;
  std::vector<Crossings> crossings;
  std::vector<MetricMean> metrics;
  Attribution attribution;
  unsigned threads = 0;
  double seconds_scoring = 0, seconds_total = 0;
  int mean_scale = 6;
};

// Scores every line of `in` under A and B and aggregates. `d` must be compare(a, b, ...) unfiltered.
ImpactReport run_impact(const CompiledPolicy& a, const CompiledPolicy& b, const diff::StaticDiff& d, std::istream& in,
                        const std::string& input_name, const Options& options);

std::string render_html(const ImpactReport& r);
std::string render_markdown(const ImpactReport& r);
std::string render_json(const ImpactReport& r);

}  // namespace merit::engine::impact
