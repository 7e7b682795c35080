#include "dsl/types.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace merit::dsl {

namespace {
Type make(Kind k) {
  auto t = std::make_shared<TypeData>();
  t->kind = k;
  return t;
}
}  // namespace

namespace types {
Type error() { static const Type t = make(Kind::Error); return t; }
Type never() { static const Type t = make(Kind::Never); return t; }
Type boolean() { static const Type t = make(Kind::Bool); return t; }
Type number() { static const Type t = make(Kind::Number); return t; }
Type money() { static const Type t = make(Kind::Money); return t; }
Type string() { static const Type t = make(Kind::String); return t; }
Type symbol() { static const Type t = make(Kind::Symbol); return t; }
Type list(Type elem) {
  auto t = std::make_shared<TypeData>();
  t->kind = Kind::List;
  t->elem = std::move(elem);
  return t;
}
Type record(std::vector<Field> fields) {
  auto t = std::make_shared<TypeData>();
  t->kind = Kind::Record;
  std::sort(fields.begin(), fields.end(), [](const Field& a, const Field& b) { return a.name < b.name; });
  t->fields = std::move(fields);
  return t;
}
Type table(Type row, std::vector<std::string> keys) {
  auto t = std::make_shared<TypeData>();
  t->kind = Kind::Table;
  t->elem = std::move(row);
  t->keys = std::move(keys);
  return t;
}
}  // namespace types

bool same(const Type& a, const Type& b) {
  if (a.get() == b.get()) return true;
  if (!a || !b || a->kind != b->kind) return false;
  switch (a->kind) {
    case Kind::List: return same(a->elem, b->elem);
    case Kind::Table: return a->keys == b->keys && same(a->elem, b->elem);
    case Kind::Record:
      if (a->fields.size() != b->fields.size()) return false;
      for (size_t i = 0; i < a->fields.size(); ++i)
        if (a->fields[i].name != b->fields[i].name || !same(a->fields[i].type, b->fields[i].type))
          return false;
      return true;
    default: return true;
  }
}

bool assignable(const Type& from, const Type& to) {
  if (from->kind == Kind::Error || to->kind == Kind::Error || from->kind == Kind::Never) return true;
  if (from->kind == Kind::List && to->kind == Kind::List) return assignable(from->elem, to->elem);
  if (from->kind == Kind::Record && to->kind == Kind::Record) {
    if (from->fields.size() != to->fields.size()) return false;
    for (size_t i = 0; i < from->fields.size(); ++i)
      if (from->fields[i].name != to->fields[i].name ||
          !assignable(from->fields[i].type, to->fields[i].type))
        return false;
    return true;
  }
  return same(from, to);
}

std::optional<Type> unify(const Type& a, const Type& b) {
  if (a->kind == Kind::Error || b->kind == Kind::Never) return a;
  if (b->kind == Kind::Error || a->kind == Kind::Never) return b;
  if (a->kind == Kind::List && b->kind == Kind::List) {
    auto e = unify(a->elem, b->elem);
    if (!e) return std::nullopt;
    return types::list(*e);
  }
  // Records unify field by field, so that `{xs: []}` and `{xs: [1]}` meet at {xs: list<number>}.
  if (a->kind == Kind::Record && b->kind == Kind::Record && a->fields.size() == b->fields.size()) {
    std::vector<Field> fields;
    for (size_t i = 0; i < a->fields.size(); ++i) {
      if (a->fields[i].name != b->fields[i].name) return std::nullopt;
      auto f = unify(a->fields[i].type, b->fields[i].type);
      if (!f) return std::nullopt;
      fields.push_back({a->fields[i].name, *f});
    }
    return types::record(std::move(fields));
  }
  if (assignable(a, b)) return a;
  return std::nullopt;
}

int field_index(const Type& record, std::string_view name) {
  if (!record || record->kind != Kind::Record) return -1;
  auto it = std::lower_bound(record->fields.begin(), record->fields.end(), name,
                             [](const Field& f, std::string_view n) { return f.name < n; });
  if (it == record->fields.end() || it->name != name) return -1;
  return static_cast<int>(it - record->fields.begin());
}

bool is_numeric(const Type& t) { return t->kind == Kind::Number || t->kind == Kind::Money; }

std::string to_string(const Type& t) {
  if (!t) return "?";
  switch (t->kind) {
    case Kind::Error: return "<error>";
    case Kind::Never: return "never";
    case Kind::Bool: return "bool";
    case Kind::Number: return "number";
    case Kind::Money: return "money";
    case Kind::String: return "string";
    case Kind::Symbol: return "symbol";
    case Kind::List: return fmt::format("list<{}>", to_string(t->elem));
    case Kind::Record: {
      std::string s = "{";
      for (size_t i = 0; i < t->fields.size(); ++i)
        s += fmt::format("{}{}: {}", i ? ", " : "", t->fields[i].name, to_string(t->fields[i].type));
      return s + "}";
    }
    case Kind::Table: return fmt::format("table<[{}] {}>", fmt::join(t->keys, ", "), to_string(t->elem));
  }
  return "?";
}

}  // namespace merit::dsl
