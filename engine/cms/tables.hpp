// Read-only helpers over a loaded policy's parameters and reference tables, for the format
// readers in engine/cms (which check submissions against the year's measure lists).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/policy.hpp"

namespace merit::engine::cms {

// The table parameter `name`, or null if the policy has none (or it is not a table).
const Datum* find_table(const Policy& policy, std::string_view name);
// The row whose key columns equal `key` (string or symbol keys, in the table's key order).
const Datum* find_row(const Datum& table, const std::vector<std::string_view>& key);
// A record's field, or null.
const Datum* find_field(const Datum& record, std::string_view name);
// A string/symbol field's text, or `fallback` when the field is absent or of another kind.
std::string_view field_text(const Datum& record, std::string_view name, std::string_view fallback = {});

// A measure row's years (its first_year and last_year columns; 0 where a column is absent).
struct MeasureYears {
  int64_t from = 0, to = 0;
  bool covers(int64_t year) const { return (from == 0 || year >= from) && (to == 0 || year <= to); }
};
MeasureYears measure_years(const Datum& row);
// A measure id after the policy's prefix aliases (the first that matches): PI_EP_1 -> ACI_EP_1.
std::string canonical_measure_id(const SubmissionFormat& format, std::string_view id);
// The same without an allocation per call: `id` itself, or a view of `buffer` holding the alias.
std::string_view canonical_measure_id(const SubmissionFormat& format, std::string_view id, std::string& buffer);

}  // namespace merit::engine::cms
