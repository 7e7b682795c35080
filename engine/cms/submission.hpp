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

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "dsl/diagnostic.hpp"
#include "engine/input.hpp"
#include "engine/cms/tables.hpp"
#include "engine/policy.hpp"
#include "engine/value.hpp"

namespace merit::engine::cms {

// Measure-id look-ups in the tables the policy's `submission:` block names, built once per
// compiled policy and shared by every submission read against it (a scan of CMS's 996 quality
// measures per reported measure would cost more than scoring). Holds pointers into `policy`'s
// tables: the Policy must outlive the index and not be modified.
class MeasureIndex {
 public:
  // What readers check of a measure id's row: the row, the years it is in use, its metric type.
  struct Entry {
    const Datum* row;
    MeasureYears years;
    std::string_view metric;  // the row's metric_type ("" without one)
    std::string_view id;      // the id, held by the index: a reader may point its values at it
  };
  // One table's ids (the first row of an id when it repeats), probed once per reported measure
  // per case.
  class Table {
   public:
    const Entry* find(std::string_view id) const {
      uint32_t k = index_.find(id);
      return k == TextIndex::kNone ? nullptr : &entries_[k];
    }

   private:
    friend class MeasureIndex;
    void add(std::string id, const Entry& entry);
    std::deque<std::string> ids_;  // stable storage behind Entry::id and the index's keys
    std::vector<Entry> entries_;
    TextIndex index_;
  };

  explicit MeasureIndex(const Policy& policy);
  // The ids of `table`, or null for a table the index does not cover (then the reader scans it).
  const Table* table(const std::string& name) const {
    auto t = tables_.find(name);
    return t == tables_.end() ? nullptr : &t->second;
  }
  // The row of `table` whose key is `id`; null if there is none.
  const Datum* find(const std::string& table, std::string_view id) const {
    const Table* t = this->table(table);
    const Entry* e = t ? t->find(id) : nullptr;
    return e ? e->row : nullptr;
  }
  bool indexed(const std::string& table) const { return tables_.count(table) > 0; }

 private:
  std::unordered_map<std::string, Table> tables_;
};

bool read_submission(const Document& submission, const Policy& policy, const dsl::SourcePtr& source, Document& out,
                     dsl::Diagnostics& diags, std::string_view path_prefix = "$", const MeasureIndex* index = nullptr);

}  // namespace merit::engine::cms
