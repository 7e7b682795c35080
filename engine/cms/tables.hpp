// Read-only helpers over a loaded policy's parameters and reference tables, for the format
// readers in engine/cms (which check submissions against the year's measure lists).
#pragma once

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

}  // namespace merit::engine::cms
