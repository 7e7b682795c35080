// The rule language's static types. Types are immutable and compared structurally.
// Records are structural with fields sorted by name, so a field's index is known statically.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace merit::dsl {

enum class Kind : uint8_t { Error, Never, Bool, Number, Money, String, Symbol, List, Record, Table };

struct TypeData;
using Type = std::shared_ptr<const TypeData>;

struct Field {
  std::string name;
  Type type;
};

struct TypeData {
  Kind kind = Kind::Error;
  Type elem;                    // List: element type; Table: row type (a Record)
  std::vector<Field> fields;    // Record: sorted by name
  std::vector<std::string> keys;  // Table: key field names, in key order
};

namespace types {
Type error();  // produced after a reported error; compatible with everything to avoid cascades
Type never();  // the element type of an empty list literal
Type boolean();
Type number();
Type money();
Type string();
Type symbol();
Type list(Type elem);
Type record(std::vector<Field> fields);  // sorts by name; duplicate names are the caller's error
Type table(Type row, std::vector<std::string> keys);
}  // namespace types

bool same(const Type& a, const Type& b);
// a value of type `from` may be used where `to` is expected (never/error fit anywhere).
bool assignable(const Type& from, const Type& to);
// The common type of two branches, or nullopt.
std::optional<Type> unify(const Type& a, const Type& b);
// Index of a record field, or -1.
int field_index(const Type& record, std::string_view name);
std::string to_string(const Type& t);
bool is_numeric(const Type& t);  // number or money

}  // namespace merit::dsl
