// Batch scoring: many cases, one per line, scored on every core (merit batch; issue 5).
// In:  a stream of JSON lines {"case": id, "profile": {...}, "submission": {...}, "part_b_paid": n},
//      one compiled year.
// Out: one result per input line, in input order (JSONL or CSV); a bad line is reported with its
//      line number on the error stream and skipped.
// Invariant: memory is bounded by one chunk of lines, whatever the input size; every worker has
//      its own Evaluator and shares the immutable Program and MeasureIndex.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "engine/compiler.hpp"

namespace merit::engine::cms {

struct BatchOptions {
  unsigned threads = 0;     // 0: one per hardware thread
  size_t chunk = 8192;      // lines read, scored and written together
  bool csv = false;         // CSV output instead of JSON lines
  // Called after each chunk with the lines read so far (for a progress bar).
  std::function<void(size_t lines)> progress;
};

struct BatchSummary {
  size_t lines = 0;    // non-empty input lines
  size_t scored = 0;   // results written
  size_t failed = 0;   // lines reported on the error stream and skipped
  unsigned threads = 0;
};

// The rules each result reports, in column order (those the policy lacks are left out).
const std::vector<std::string>& batch_columns();

BatchSummary run_batch(std::istream& in, const std::string& input_name, const CompiledPolicy& policy,
                       std::ostream& out, std::ostream& errors, const BatchOptions& options);

}  // namespace merit::engine::cms
