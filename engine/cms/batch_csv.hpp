// CSV input for merit batch: flat clinician profiles, one per row, rescored from the profile
// alone (eligibility, reweighting, payment) under any year's or an edited policy (issue 5).
// In:  an RFC 4180 CSV stream (parsed by libcsv) whose header row names the policy's profile
//      fields, plus the optional columns `case`, `part_b_paid` and `entity_type`; one compiled
//      policy, which gives the fields and their types.
// Out: the JSON lines run_batch reads ({"case", "part_b_paid", "profile", "submission"} with a
//      submission of no measurement sets), converted on the fly by a std::streambuf: exactly one
//      output line per physical input line, so run_batch's line numbers are the CSV's (the
//      header and blank lines become empty lines, which run_batch skips).
// Invariant: constant memory (one row at a time; a quoted cell may hold at most kMaxRowLines
//      lines). A cell keeps its text (numbers never pass through a double); a cell that does
//      not fit its column's type goes to the binder as text, which reports it as
//      `$.profile.<column>`. A row the CSV reader itself rejects (a line break inside a quoted
//      cell, bad quoting, a wrong number of cells, a bad part_b_paid) becomes an empty line and
//      is reported here, on the problem stream, with its line number.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <streambuf>
#include <string>
#include <vector>

#include "dsl/types.hpp"
#include "engine/cms/batch.hpp"
#include "engine/compiler.hpp"

namespace merit::engine::cms {

// One column a CSV input may have under a policy.
struct CsvColumn {
  enum class Role { Case, PartBPaid, EntityType, Field } role = Role::Field;
  std::string name;
  dsl::Kind kind = dsl::Kind::String;  // Field: Bool, Number, Money, String or Symbol
  bool required = false;               // Field: the policy does not declare it optional
};

// What the policy allows as columns, from its compiled inputs (no list of fields is written in
// C++: any year, and any edited policy, works).
struct CsvSchema {
  std::vector<CsvColumn> columns;                              // allowed
  std::vector<std::pair<std::string, std::string>> refused;    // a field that cannot be a column, and why
  std::string year;                                            // the submissions' performanceYear
  // False, with the reason in `error`, when the policy cannot take CSV rows.
  static std::optional<CsvSchema> from_policy(const CompiledPolicy& policy, std::string& error);
};

// A quoted cell may run over at most this many lines before the reader stops (an unclosed quote
// would otherwise take the rest of the file into one cell).
constexpr size_t kMaxRowLines = 1000;

// The CSV -> JSON lines adaptor. Read the header first (read_header); then the stream yields one
// line per physical CSV line.
class CsvJsonLines : public std::streambuf {
 public:
  CsvJsonLines(std::istream& csv, std::string input_name, CsvSchema schema);
  ~CsvJsonLines() override;
  CsvJsonLines(const CsvJsonLines&) = delete;
  CsvJsonLines& operator=(const CsvJsonLines&) = delete;

  // Reads line 1, the header. False, with every problem in `error` (a usage error: nothing is
  // scored), when a column is unknown, cannot be a column, appears twice, or a required field
  // has no column.
  bool read_header(std::string& error);

  // Where the rows the CSV reader rejects are reported (rendered diagnostics, as run_batch
  // reports its lines); set before reading past the header.
  void report_to(std::ostream& problems) { problems_ = &problems; }
  size_t rows_rejected() const { return rejected_; }  // reported, not passed on
  // Non-empty when the reader stopped before the end of the input (an unclosed quote).
  const std::string& stopped() const { return stopped_; }

 protected:
  int_type underflow() override;

 private:
  struct Parser;
  std::istream& in_;
  std::string name_;
  CsvSchema schema_;
  std::ostream* problems_ = nullptr;
  std::unique_ptr<Parser> parser_;
  std::vector<int> header_;  // column index in schema_.columns, per CSV column
  std::string buffer_;       // converted lines not yet read
  size_t line_ = 0;          // physical lines read
  size_t rejected_ = 0;
  bool eof_ = false;
  std::string stopped_;

  bool next_line(std::string& line);
  void fill();  // converts input lines until buffer_ has something, or the input ends
  size_t open_since_ = 0;    // first line of the row being read (0: none)
  void reject(size_t line, size_t lines, const std::string& message, const std::string& help = {});
  void convert(const std::vector<std::string>& cells, size_t line);
};

// One row (its cells, in header order) -> the JSON line, or "" and the problem in `error`
// (exposed for tests; CsvJsonLines uses it).
std::string csv_row_to_json(const CsvSchema& schema, const std::vector<int>& header,
                            const std::vector<std::string>& cells, std::string& error, std::string& help);

struct CsvBatchResult {
  BatchSummary summary;  // rows the CSV reader rejected are counted as lines and as failed
  std::string stopped;   // non-empty when the input was not read to its end
};

// The CSV input of merit batch, its header read: nullptr and the message in `usage_error`
// (nothing is scored) when the policy or the header does not allow it.
std::unique_ptr<CsvJsonLines> open_batch_csv(std::istream& csv, const std::string& input_name,
                                             const CompiledPolicy& policy, std::string& usage_error);

// run_batch over the converted lines; the rows the CSV reader rejected are reported on `errors`
// and counted in the summary (as lines, and as failed).
CsvBatchResult run_batch_csv(CsvJsonLines& input, const std::string& input_name, const CompiledPolicy& policy,
                             std::ostream& out, std::ostream& errors, const BatchOptions& options);

}  // namespace merit::engine::cms
