// Runtime values: what the interpreter computes with.
// A Value is 32 bytes and never owns memory: strings, lists and records point either into the
// Program (constants) or into an Arena that belongs to one evaluation and is reset, not freed,
// between inputs -- so evaluating an input does not call malloc once the arena has warmed up.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "dsl/decimal.hpp"
#include "dsl/types.hpp"

namespace merit::engine {

using dsl::Decimal;

enum class ValueKind : uint8_t { Missing, Bool, Number, Money, String, Symbol, List, Record, Table };

// A hash of n bytes of text, for table keys and id maps. Keys are short (measure ids, submission
// methods): eight bytes at a time, one multiply each, inline -- a look-up per measure per case
// made the library's byte hash a hot spot.
inline uint64_t hash_text(const char* p, size_t n) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  uint64_t h = n * kMul;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  if (n) {  // 1 to 7 bytes left: overlapping fixed-size loads (a variable-size copy is a call)
    uint64_t w;
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      w = (static_cast<uint64_t>(hi) << 32) | lo;
    } else {
      w = static_cast<uint8_t>(p[0]) | static_cast<uint64_t>(static_cast<uint8_t>(p[n / 2])) << 8 |
          static_cast<uint64_t>(static_cast<uint8_t>(p[n - 1])) << 16;
    }
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  return h;
}

struct TableData;

struct Value {
  // Numbers use `number`; strings, lists, records and tables use the pointer that shares its
  // bytes (the kind says which). 32 bytes in all, copied by value everywhere. A string carries
  // the hash of its text, made once where the string is made (reading the input, planning), so
  // that a table look-up or an equality test by it (a measure id, once per measure per case)
  // does not read the text again.
  struct TextRef {
    const char* chars;
    uint32_t hash;
  };
  union {
    Decimal number;
    TextRef text_ref;
    const Value* items;
    const TableData* table;
  };
  ValueKind kind = ValueKind::Missing;
  bool flag = false;
  uint32_t size = 0;  // String/Symbol: bytes; List/Record: elements

  Value() : number() {}
  static Value missing() { return Value(); }
  static Value boolean(bool b) {
    Value v;
    v.kind = ValueKind::Bool;
    v.flag = b;
    return v;
  }
  static Value num(Decimal d, bool money = false) {
    Value v;
    v.kind = money ? ValueKind::Money : ValueKind::Number;
    v.number = d;
    return v;
  }
  static Value str(std::string_view s, bool symbol = false) {
    Value v;
    v.kind = symbol ? ValueKind::Symbol : ValueKind::String;
    v.text_ref = {s.data(), static_cast<uint32_t>(hash_text(s.data(), s.size()))};
    v.size = static_cast<uint32_t>(s.size());
    return v;
  }
  static Value list(const Value* items, uint32_t n) {
    Value v;
    v.kind = ValueKind::List;
    v.items = items;
    v.size = n;
    return v;
  }
  static Value record(const Value* fields, uint32_t n) {
    Value v;
    v.kind = ValueKind::Record;
    v.items = fields;
    v.size = n;
    return v;
  }
  static Value of_table(const TableData* t) {
    Value v;
    v.kind = ValueKind::Table;
    v.table = t;
    return v;
  }
  std::string_view text() const { return {text_ref.chars, size}; }
  uint32_t text_hash() const { return text_ref.hash; }
  bool is_missing() const { return kind == ValueKind::Missing; }
};

static_assert(sizeof(Value) == 32, "a Value is copied on every stack operation: keep it small");
static_assert(std::is_trivially_copyable_v<Value>);

// A constant table: rows sorted by their key fields, and a hash index over the keys so that a
// look-up (a measure's benchmark, once per measure per case) is one probe, not a binary search
// of string compares.
struct TableData {
  std::vector<Value> rows;        // records
  std::vector<int> key_fields;    // field index of each key, in key order
  std::vector<std::string> key_names;
  // Open addressing, linear probing. A slot holds row index + 1 (0: empty) and the top 32 bits
  // of its keys' hash, so that a probe passing other rows compares no text. Empty when a key is
  // not a string, symbol, number, money or bool; find() then searches the sorted rows.
  struct Slot {
    uint32_t row = 0;
    uint32_t tag = 0;
  };
  std::vector<Slot> slots;

  // Sorts the rows by their keys (stable: of equal keys the first row wins) and builds the index.
  void finish();
  // The first row whose keys equal `keys` (n of them, in key order), or null.
  const Value* find(const Value* keys, uint32_t n) const;
};

// Total order used for sorting, table keys and equality. Values must have the same kind.
int compare_values(const Value& a, const Value& b);
bool equal_values(const Value& a, const Value& b);
// The same value in every respect: kinds (money is not a number), decimals, text, structure
// (for the tests that two readers build the same input).
bool identical(const Value& a, const Value& b);
// compare_values with the common cases (numbers of one kind, strings) inline.
inline int compare_inline(const Value& a, const Value& b) {
  if (a.kind == b.kind) {
    if (a.kind == ValueKind::Number || a.kind == ValueKind::Money) return dsl::compare(a.number, b.number);
    if (a.kind == ValueKind::String || a.kind == ValueKind::Symbol) {
      int c = a.text().compare(b.text());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
  return compare_values(a, b);
}

// Whether n bytes at a and b are equal. Policy strings are short (ids, methods, kinds), so up to
// 16 bytes this is two overlapping loads per side instead of a call to memcmp.
inline bool same_bytes(const char* a, const char* b, uint32_t n) {
  if (a == b) return true;
  auto load8 = [](const char* p) { uint64_t w; std::memcpy(&w, p, 8); return w; };
  auto load4 = [](const char* p) { uint32_t w; std::memcpy(&w, p, 4); return w; };
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  for (uint32_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// Short strings (measure ids, field names) to an index: open addressing over a flat array, at
// most half full, so a look-up is one hash and usually one compare. The strings are not copied:
// they must outlive the index.
class TextIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  // Adds `key` with `value`; a key already there keeps its first value.
  void add(std::string_view key, uint32_t value) {
    if (find(key) != kNone) return;
    if ((size_ + 1) * 2 > slots_.size()) {
      std::vector<Slot> old = std::move(slots_);
      slots_.assign(std::max<size_t>(16, old.size() * 2), Slot{});
      for (const Slot& o : old)
        if (o.value != kNone) place(o);
    }
    place(Slot{key, value});
    ++size_;
  }
  // The value of `key`, or kNone.
  uint32_t find(std::string_view key) const {
    if (slots_.empty()) return kNone;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash_text(key.data(), key.size()) & mask; slots_[i].value != kNone; i = (i + 1) & mask)
      if (slots_[i].key.size() == key.size() &&
          same_bytes(slots_[i].key.data(), key.data(), static_cast<uint32_t>(key.size())))
        return slots_[i].value;
    return kNone;
  }

 private:
  struct Slot {
    std::string_view key;
    uint32_t value = kNone;
  };
  void place(const Slot& s) {
    const size_t mask = slots_.size() - 1;
    size_t i = hash_text(s.key.data(), s.key.size()) & mask;
    while (slots_[i].value != kNone) i = (i + 1) & mask;
    slots_[i] = s;
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// Whether two strings (or two symbols) have the same text: hash and length first, then the bytes.
inline bool same_text(const Value& a, const Value& b) {
  return a.text_ref.hash == b.text_ref.hash && a.size == b.size && same_bytes(a.text_ref.chars, b.text_ref.chars, a.size);
}

// equal_values with the common cases inline: strings (ids, methods, kinds: most comparisons of a
// policy) and booleans here, numbers and structures out of line, so that this stays small enough
// for the compiler to inline in the interpreter.
bool same_value_other(const Value& a, const Value& b);
inline bool same_value(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == ValueKind::String || a.kind == ValueKind::Symbol) return same_text(a, b);
  if (a.kind == ValueKind::Bool) return a.flag == b.flag;
  if ((a.kind == ValueKind::Number || a.kind == ValueKind::Money) && a.number.scale() == b.number.scale())
    return a.number.coefficient() == b.number.coefficient();  // same scale: the same digits
  return same_value_other(a, b);
}

// Display form: numbers as exact decimals, money with '$', strings quoted, lists and records
// in the DSL's literal syntax.
std::string to_string(const Value& v, const dsl::Type& type = nullptr);

// Bump allocator for one input's lists, records and strings. Blocks are kept for reuse:
// reset() and release() only move the bump pointer back, so a steady workload stops calling
// malloc once the arena has grown to its peak.
class Arena {
 public:
  struct Mark {
    size_t block = 0;
    size_t used = 0;
    uint64_t generation = 0;
  };

  explicit Arena(size_t block_bytes = 64 * 1024) : block_bytes_(block_bytes) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) = default;
  Arena& operator=(Arena&&) = default;

  Value* values(size_t n) { return static_cast<Value*>(allocate(n * sizeof(Value), alignof(Value))); }
  std::string_view copy(std::string_view s) {
    char* p = static_cast<char*>(allocate(s.size() + 1, 1));
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p[s.size()] = 0;
    return {p, s.size()};
  }
  // Everything allocated so far is dead: start again from the first block.
  void reset() {
    current_ = 0;
    used_ = 0;
    ++generation_;
  }
  // Marks and releases nest: release(m) frees what was allocated after mark() returned m.
  Mark mark() const { return {current_, used_, generation_}; }
  void release(const Mark& m) {
    current_ = m.block;
    used_ = m.used;
  }
  uint64_t generation() const { return generation_; }
  size_t capacity() const {
    size_t c = 0;
    for (const auto& b : blocks_) c += b.size;
    return c;
  }

 private:
  struct Block {
    std::unique_ptr<std::byte[]> data;
    size_t size;
  };
  void* allocate(size_t bytes, size_t align) {
    for (;;) {
      if (current_ < blocks_.size()) {
        size_t start = (used_ + align - 1) & ~(align - 1);
        if (start + bytes <= blocks_[current_].size) {
          used_ = start + bytes;
          return blocks_[current_].data.get() + start;
        }
        if (current_ + 1 < blocks_.size()) {  // the next kept block
          ++current_;
          used_ = 0;
          continue;
        }
      }
      // operator new[] aligns to __STDCPP_DEFAULT_NEW_ALIGNMENT__ (16), enough for Value.
      size_t size = std::max(block_bytes_, bytes + align);
      if (!blocks_.empty()) size = std::max(size, blocks_.back().size * 2);
      blocks_.push_back({std::make_unique<std::byte[]>(size), size});
      current_ = blocks_.size() - 1;
      used_ = 0;
    }
  }
  size_t block_bytes_;
  std::vector<Block> blocks_;
  size_t current_ = 0;
  size_t used_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace merit::engine
