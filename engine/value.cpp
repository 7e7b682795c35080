#include "engine/value.hpp"

#include <algorithm>
#include <functional>

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

bool same_value_other(const Value& a, const Value& b) {
  if (a.kind == ValueKind::Number || a.kind == ValueKind::Money) return dsl::compare(a.number, b.number) == 0;
  return equal_values(a, b);
}

bool identical(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::Missing: return true;
    case ValueKind::Bool: return a.flag == b.flag;
    case ValueKind::Number:
    case ValueKind::Money: return dsl::compare(a.number, b.number) == 0;
    case ValueKind::String:
    case ValueKind::Symbol: return a.text() == b.text();
    case ValueKind::List:
    case ValueKind::Record:
      if (a.size != b.size) return false;
      for (uint32_t i = 0; i < a.size; ++i)
        if (!identical(a.items[i], b.items[i])) return false;
      return true;
    case ValueKind::Table: return a.table == b.table;
  }
  return false;
}

namespace {

// Consistent with compare_values: equal values hash alike (numbers by their normalised form,
// so 1.0 and 1 meet). False for kinds the index does not cover. Strings, the usual keys, inline.
bool hash_other(const Value& v, uint64_t& x) {
  switch (v.kind) {
    case ValueKind::Number:
    case ValueKind::Money: {
      Decimal n = v.number.normalized();
      auto c = static_cast<unsigned __int128>(n.coefficient());
      x = static_cast<uint64_t>(c) ^ (static_cast<uint64_t>(c >> 64) * 0x9e3779b97f4a7c15ULL) ^ static_cast<uint64_t>(n.scale());
      return true;
    }
    case ValueKind::Bool: x = v.flag ? 0x51ed27 : 0x2545f4; return true;
    default: return false;
  }
}

inline bool hash_into(const Value& v, uint64_t& h) {
  uint64_t x;
  if (v.kind == ValueKind::String || v.kind == ValueKind::Symbol) x = v.text_hash();  // made with the string
  else if (!hash_other(v, x)) return false;
  h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return true;
}

// The combined hash, mixed once more: the probe starts at its low bits, and a multiply (the
// text hash's last step) leaves those depending on the key's first bytes only.
uint64_t finish_hash(uint64_t h) {
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  return h ^ (h >> 32);
}

uint32_t tag_of(uint64_t h) { return static_cast<uint32_t>(h >> 32); }

}  // namespace

void TableData::finish() {
  std::stable_sort(rows.begin(), rows.end(), [&](const Value& a, const Value& b) {
    for (int f : key_fields)
      if (int c = compare_values(a.items[f], b.items[f])) return c < 0;
    return false;
  });
  slots.clear();
  size_t capacity = 8;
  while (capacity < rows.size() * 2) capacity *= 2;
  std::vector<Slot> table(capacity);
  for (uint32_t r = 0; r < rows.size(); ++r) {
    uint64_t h = 0;
    for (size_t k = 0; k < key_fields.size(); ++k)
      if (!hash_into(rows[r].items[key_fields[k]], h)) return;  // not indexable: binary search
    h = finish_hash(h);
    for (size_t i = h & (capacity - 1);; i = (i + 1) & (capacity - 1)) {
      if (table[i].row == 0) {
        table[i] = Slot{r + 1, tag_of(h)};
        break;
      }
      if (table[i].tag != tag_of(h)) continue;
      const Value& other = rows[table[i].row - 1];
      bool same = true;
      for (int f : key_fields) same = same && same_value(other.items[f], rows[r].items[f]);
      if (same) break;  // a later duplicate: the first row (in sorted order) answers
    }
  }
  slots = std::move(table);
}

const Value* TableData::find(const Value* keys, uint32_t n) const {
  auto matches = [&](const Value& row) {
    for (uint32_t k = 0; k < n; ++k)
      if (!same_value(row.items[key_fields[k]], keys[k])) return false;
    return true;
  };
  if (!slots.empty() && n <= 2 && keys[0].kind == ValueKind::String && (n == 1 || keys[1].kind == ValueKind::String)) {
    // One or two string keys (a measure id; an id and a submission method): the strings' hashes,
    // and each key compared by length and hash before its bytes, with no call.
    uint64_t h = 0;
    hash_into(keys[0], h);
    if (n == 2) hash_into(keys[1], h);
    h = finish_hash(h);
    const size_t mask = slots.size() - 1;
    const uint32_t tag = tag_of(h);
    auto same_key = [&](const Value& row, uint32_t k) {
      const Value& v = row.items[key_fields[k]];
      return same_text(v, keys[k]) && v.kind == keys[k].kind;
    };
    for (size_t i = h & mask; slots[i].row != 0; i = (i + 1) & mask) {
      if (slots[i].tag != tag) continue;
      const Value& row = rows[slots[i].row - 1];
      if (same_key(row, 0) && (n == 1 || same_key(row, 1))) return &row;
    }
    return nullptr;
  }
  if (!slots.empty()) {
    uint64_t h = 0;
    bool hashed = true;
    for (uint32_t k = 0; k < n && hashed; ++k) hashed = hash_into(keys[k], h);
    if (hashed) {
      h = finish_hash(h);
      size_t mask = slots.size() - 1;
      const uint32_t tag = tag_of(h);
      for (size_t i = h & mask; slots[i].row != 0; i = (i + 1) & mask)
        if (slots[i].tag == tag && matches(rows[slots[i].row - 1])) return &rows[slots[i].row - 1];
      return nullptr;
    }
  }
  auto cmp_row = [&](const Value& row) {
    for (uint32_t k = 0; k < n; ++k)
      if (int c = compare_values(row.items[key_fields[k]], keys[k])) return c;
    return 0;
  };
  auto it = std::lower_bound(rows.begin(), rows.end(), 0, [&](const Value& row, int) { return cmp_row(row) < 0; });
  return it == rows.end() || cmp_row(*it) != 0 ? nullptr : &*it;
}

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
