#include "engine/cms/tables.hpp"

#include <algorithm>

namespace merit::engine::cms {

const Datum* find_table(const Policy& policy, std::string_view name) {
  const Parameter* p = policy.find_parameter(name);
  return p && p->value.kind == Datum::Kind::Table ? &p->value : nullptr;
}

const Datum* find_field(const Datum& record, std::string_view name) {
  if (record.kind != Datum::Kind::Record) return nullptr;
  auto it = std::lower_bound(record.names.begin(), record.names.end(), name);
  if (it == record.names.end() || *it != name) return nullptr;
  return &record.items[static_cast<size_t>(it - record.names.begin())];
}

std::string_view field_text(const Datum& record, std::string_view name, std::string_view fallback) {
  const Datum* f = find_field(record, name);
  if (!f || (f->kind != Datum::Kind::String && f->kind != Datum::Kind::Symbol)) return fallback;
  return f->text;
}

const Datum* find_row(const Datum& table, const std::vector<std::string_view>& key) {
  if (table.kind != Datum::Kind::Table || key.size() != table.names.size()) return nullptr;
  for (const Datum& row : table.items) {
    bool match = true;
    for (size_t i = 0; i < key.size() && match; ++i) {
      const Datum* f = find_field(row, table.names[i]);
      match = f && (f->kind == Datum::Kind::String || f->kind == Datum::Kind::Symbol) && f->text == key[i];
    }
    if (match) return &row;
  }
  return nullptr;
}

MeasureYears measure_years(const Datum& row) {
  auto year_of = [&](std::string_view column) -> int64_t {
    const Datum* f = find_field(row, column);
    if (!f || f->kind != Datum::Kind::Number) return 0;
    return f->number.to_int64().value_or(0);
  };
  return {year_of("first_year"), year_of("last_year")};
}

std::string_view canonical_measure_id(const SubmissionFormat& format, std::string_view id, std::string& buffer) {
  for (const auto& [from, to] : format.id_prefix_aliases)
    if (!from.empty() && id.starts_with(from)) {
      buffer.assign(to).append(id.substr(from.size()));
      return buffer;
    }
  return id;
}

std::string canonical_measure_id(const SubmissionFormat& format, std::string_view id) {
  std::string buffer;
  return std::string(canonical_measure_id(format, id, buffer));
}

}  // namespace merit::engine::cms
