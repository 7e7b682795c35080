#include "engine/value.hpp"

#include <fmt/format.h>

namespace merit::engine {

int compare_values(const Value& a, const Value& b) {
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  switch (a.kind) {
    case ValueKind::Missing: return 0;
    case ValueKind::Bool: return a.flag == b.flag ? 0 : (a.flag ? 1 : -1);
    case ValueKind::Number:
    case ValueKind::Money: return dsl::compare(a.number, b.number);
    case ValueKind::String:
    case ValueKind::Symbol: {
      int c = a.text().compare(b.text());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case ValueKind::List:
    case ValueKind::Record: {
      uint32_t n = std::min(a.size, b.size);
      for (uint32_t i = 0; i < n; ++i)
        if (int c = compare_values(a.items[i], b.items[i])) return c;
      return a.size == b.size ? 0 : (a.size < b.size ? -1 : 1);
    }
    case ValueKind::Table: return a.table == b.table ? 0 : (a.table < b.table ? -1 : 1);
  }
  return 0;
}

bool equal_values(const Value& a, const Value& b) { return compare_values(a, b) == 0; }

std::string to_string(const Value& v, const dsl::Type& type) {
  switch (v.kind) {
    case ValueKind::Missing: return "missing";
    case ValueKind::Bool: return v.flag ? "true" : "false";
    case ValueKind::Number: return v.number.to_string();
    case ValueKind::Money: {
      std::string s = v.number.abs().to_string();
      auto dot = s.find('.');
      std::string whole = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot);
      std::string grouped;
      for (size_t i = 0; i < whole.size(); ++i) {
        if (i && (whole.size() - i) % 3 == 0) grouped += ',';
        grouped += whole[i];
      }
      return (v.number.is_negative() ? "-$" : "$") + grouped + frac;
    }
    case ValueKind::String: return fmt::format("\"{}\"", v.text());
    case ValueKind::Symbol: return fmt::format(":{}", v.text());
    case ValueKind::List: {
      std::string s = "[";
      dsl::Type elem = type && type->kind == dsl::Kind::List ? type->elem : nullptr;
      for (uint32_t i = 0; i < v.size; ++i) s += (i ? ", " : "") + to_string(v.items[i], elem);
      return s + "]";
    }
    case ValueKind::Record: {
      std::string s = "{";
      for (uint32_t i = 0; i < v.size; ++i) {
        std::string name = type && type->kind == dsl::Kind::Record && i < type->fields.size()
                               ? type->fields[i].name
                               : fmt::format("_{}", i);
        dsl::Type ft = type && type->kind == dsl::Kind::Record && i < type->fields.size() ? type->fields[i].type : nullptr;
        s += fmt::format("{}{}: {}", i ? ", " : "", name, to_string(v.items[i], ft));
      }
      return s + "}";
    }
    case ValueKind::Table: return fmt::format("<table of {} rows>", v.table->rows.size());
  }
  return "?";
}

}  // namespace merit::engine
