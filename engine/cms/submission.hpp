// The QPP Submissions API JSON (CMS's documented format) -> the policy's submission inputs.
// In:  the parsed submission (a Document from parse_document) and the compiled year's Policy,
//      whose `submission:` block names the categories, their measure tables and id aliases.
// Out: the fields `entity_type`, `performance_year` and `measurement_sets` appended to `out`
//      (an Object Document), in the normalised shape documented in docs/inputs.md.
// Invariant: this reader knows the format, not the policy. It checks what the format promises
// (types, known categories and measure ids, non-negative and consistent counts, no duplicates)
// and computes nothing that scoring depends on: rates and data completeness are rules.
// Every problem is an I8xx diagnostic naming the file and the JSON path; on error `out` is
// left without the submission fields and the function returns false.
#pragma once

#include <string>
#include <unordered_map>

#include "dsl/diagnostic.hpp"
#include "engine/input.hpp"
#include "engine/policy.hpp"

namespace merit::engine::cms {

// Measure-id look-ups in the tables the policy's `submission:` block names, built once per
// compiled policy and shared by every submission read against it (a scan of CMS's 996 quality
// measures per reported measure would cost more than scoring). Holds pointers into `policy`'s
// tables: the Policy must outlive the index and not be modified.
class MeasureIndex {
 public:
  explicit MeasureIndex(const Policy& policy);
  // The row of `table` whose key is `id`; null if there is none. `indexed(table)` is false for a
  // table the index does not cover (then the reader scans it).
  const Datum* find(const std::string& table, const std::string& id) const;
  bool indexed(const std::string& table) const { return rows_.count(table) > 0; }

 private:
  std::unordered_map<std::string, std::unordered_map<std::string, const Datum*>> rows_;
};

bool read_submission(const Document& submission, const Policy& policy, const dsl::SourcePtr& source, Document& out,
                     dsl::Diagnostics& diags, std::string_view path_prefix = "$", const MeasureIndex* index = nullptr);

}  // namespace merit::engine::cms
