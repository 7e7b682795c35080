// Budget neutrality and the exceptional pool over a population (docs/payments.md).
// In:  each clinician's final score and Part B paid amount, and the year's payment parameters.
// Out: the scaling factor beta (positive adjustments balance the negative ones, 0 < beta <= max),
//      the exceptional factor gamma (the exceptional adjustments spend the pool, gamma <= max),
//      and each clinician's adjustment in percent and in dollars (cents).
// Invariant: exact decimals throughout (dsl::Decimal); no binary floating point. beta and gamma
// are one division each (18 digits, half even) of exact sums; dollar amounts are rounded to the
// cent by the largest-remainder rule so that the cents add up to the rounded exact total.
#pragma once

#include <cstdint>
#include <cstdio>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/decimal.hpp"
#include "engine/policy.hpp"

namespace merit::engine::payments {

using dsl::Decimal;

// The year's numbers, from its compiled policy (policies/<year>/params/payment.yaml).
struct Parameters {
  Decimal performance_threshold;   // PT, points
  Decimal exceptional_threshold;   // APT, points
  Decimal applicable_percent;      // X, percent
  Decimal full_penalty_share;      // 0.25: at or below PT x this, the full -X
  Decimal scaling_max;             // beta <= this (3)
  Decimal exceptional_min;         // percent at APT (0.5)
  Decimal exceptional_max;         // percent at 100 (10)
  Decimal exceptional_factor_max;  // gamma <= this (1)
  Decimal exceptional_pool;        // dollars ($500,000,000)
  int round_digits = 4;            // percent shown to this many decimals
};

// Reads the parameters above from a policy; false (with a message) when one is missing.
bool parameters_from_policy(const Policy& policy, Parameters& out, std::string& error);

// One clinician of the results file: all that is kept per clinician.
struct Clinician {
  std::string id;
  Decimal score;  // final score, 0..100
  Decimal paid;   // Part B paid amount, dollars, >= 0
};

enum class Format { Jsonl, Csv };
// .csv is CSV; anything else is JSONL.
Format format_for(const std::string& path);

// Reads a results file: JSONL ({"id", "final_score", "part_b_paid"} per line) or CSV with a
// header naming id, final_score and part_b_paid (other fields ignored). Blank lines are skipped.
// merit batch's results are read as they are: "case" for id, "final.score" for final_score, and
// a clinician whose "eligibility.eligible" is false is left out (no adjustment, not in the balance).
// On the first bad line: false, and `error` is "<name>:<line>: <what>". The clinicians are
// appended to `out` in file order.
bool read_results(std::istream& in, const std::string& name, Format format, std::vector<Clinician>& out,
                  std::string& error);
// The same for text in memory (the whole file).
bool read_results_text(std::string_view text, const std::string& name, Format format, std::vector<Clinician>& out,
                       std::string& error);
// The same for a file by name: a JSONL file is mapped into memory and read in pieces on every
// core (each piece's pages are let go once read), a CSV file is read as a stream. `error` names
// the file as `path`; false with "cannot read" when it cannot be opened.
bool read_results_file(const std::string& path, Format format, std::vector<Clinician>& out, std::string& error);

// The solution for a population.
struct Solution {
  Decimal beta, gamma;            // the factors applied (after the caps)
  Decimal beta_uncapped, gamma_uncapped;  // before the caps (0 when undefined)
  bool beta_capped = false, gamma_capped = false;
  std::string beta_rule, gamma_rule;  // how they were found ("budget neutral", "capped at 3", ...)
  // Exact sums in dollars (18 digits): the negative adjustments, the positive ones before beta,
  // the exceptional ones before gamma.
  Decimal negative_exact, positive_unscaled_exact, exceptional_unscaled_exact;
  // Exact (18-digit) totals of the adjustments as applied: negative + beta x positive, and gamma x exceptional.
  Decimal base_exact, exceptional_exact;
  // Each clinician's dollars, in cents, after the largest-remainder rounding.
  std::vector<int64_t> base_cents, exceptional_cents;
  // Totals of those cents, in dollars: negative, positive, exceptional; balance = negative + positive.
  Decimal negative_dollars, positive_dollars, exceptional_dollars, balance;
  size_t negative_count = 0, positive_count = 0, exceptional_count = 0, neutral_count = 0;
};

// beta, gamma, and every clinician's dollars. False (with a message) on arithmetic overflow.
bool solve(const Parameters& p, const std::vector<Clinician>& population, Solution& out, std::string& error);

// Only beta and gamma (the first half of solve), for callers that do not need the dollars.
bool solve_factors(const Parameters& p, const std::vector<Clinician>& population, Solution& out, std::string& error);

// A clinician's adjustment in percent under the solution, before rounding (18 digits): the base
// (times beta when positive) plus the exceptional adjustment times gamma. `base` and
// `exceptional` receive the unscaled parts.
Decimal adjustment_percent(const Parameters& p, const Solution& s, const Clinician& c, Decimal* base = nullptr,
                           Decimal* exceptional = nullptr);

// Decimal text for output: normalized, "-0" never written.
std::string decimal_text(const Decimal& d);
// cents -> "123.45" / "-0.07"
std::string cents_text(int64_t cents);

// One output line for clinician i (JSON object, no newline) and the CSV header and row.
std::string json_line(const Parameters& p, const Solution& s, const Clinician& c, size_t i);
std::string csv_header();
std::string csv_line(const Parameters& p, const Solution& s, const Clinician& c, size_t i);

// The same lines as json_line / csv_line, each followed by '\n', appended to a buffer without a
// string per field: the percentages depend on nothing but the score, so each score's texts are
// made once (by json_line's own arithmetic) and kept; the paid amount and the cents are written
// digit by digit. One per thread (it is not shared).
class LineFormatter {
 public:
  LineFormatter(const Parameters& p, const Solution& s, Format format);
  ~LineFormatter();
  LineFormatter(const LineFormatter&) = delete;
  LineFormatter& operator=(const LineFormatter&) = delete;
  // Appends clinician i's line and '\n' to `out`.
  void append(const Clinician& c, size_t i, std::string& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Every clinician's line (after the CSV header for Format::Csv) to `out`, in order: blocks of
// lines are formatted on every core and written as each next block is ready. False when a
// write fails.
bool write_lines(std::FILE* out, const Parameters& p, const Solution& s, const std::vector<Clinician>& population,
                 Format format);
// The summary as a JSON object (pretty) and as text for stderr.
std::string summary_json(const Parameters& p, const Solution& s, size_t clinicians);
std::string summary_text(const Parameters& p, const Solution& s, size_t clinicians);

}  // namespace merit::engine::payments
