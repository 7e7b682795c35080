#include "dsl/builtins.hpp"

#include <fmt/format.h>

namespace merit::dsl {

const std::vector<BuiltinSpec>& all_builtins() {
  static const std::vector<BuiltinSpec> t = {
#define MERIT_BUILTIN(id, name, lo, hi, lambda, sig, doc) {Builtin::id, name, lo, hi, lambda, sig, doc},
#include "dsl/builtins.def"
#undef MERIT_BUILTIN
  };
  return t;
}

const BuiltinSpec* find_builtin(std::string_view name) {
  for (const auto& b : all_builtins())
    if (b.name == name) return &b;
  return nullptr;
}

const BuiltinSpec& builtin_spec(Builtin id) { return all_builtins()[static_cast<size_t>(id)]; }

Type lambda_param_type(Builtin, const Type& first) {
  if (first->kind == Kind::List) return first->elem;
  return types::error();
}

namespace {
BuiltinTyping fail(int arg, std::string msg) { return {types::error(), std::move(msg), arg}; }
BuiltinTyping ok(Type t) { return {std::move(t), {}, -1}; }
bool err(const Type& t) { return t->kind == Kind::Error; }
bool is_list(const Type& t) { return t->kind == Kind::List || err(t); }
bool numeric_or_err(const Type& t) { return is_numeric(t) || err(t) || t->kind == Kind::Never; }
bool sortable(const Type& t) {
  return is_numeric(t) || t->kind == Kind::String || t->kind == Kind::Symbol ||
         t->kind == Kind::Bool || err(t);
}
std::string want(std::string_view what, const Type& got) {
  return fmt::format("expected {}, found {}", what, to_string(got));
}
}  // namespace

BuiltinTyping type_builtin(Builtin id, const std::vector<Type>& a, bool has_lambda) {
  auto elem = [&](size_t i) { return a[i]->kind == Kind::List ? a[i]->elem : types::error(); };
  switch (id) {
    case Builtin::Min:
    case Builtin::Max: {
      if (a.size() == 1 || has_lambda) {
        if (!is_list(a[0])) return fail(0, want("a list of numbers or money", a[0]));
        Type t = has_lambda ? a[1] : elem(0);
        if (!numeric_or_err(t)) return fail(has_lambda ? 1 : 0, want("numbers or money to compare", t));
        return ok(t->kind == Kind::Never ? types::number() : t);
      }
      Type t = a[0];
      for (size_t i = 0; i < a.size(); ++i) {
        if (!numeric_or_err(a[i])) return fail(static_cast<int>(i), want("number or money", a[i]));
        auto u = unify(t, a[i]);
        if (!u) return fail(static_cast<int>(i), fmt::format("cannot compare {} with {}", to_string(t), to_string(a[i])));
        t = *u;
      }
      return ok(t);
    }
    case Builtin::Clamp: {
      Type t = a[0];
      for (size_t i = 0; i < 3; ++i) {
        if (!numeric_or_err(a[i])) return fail(static_cast<int>(i), want("number or money", a[i]));
        auto u = unify(t, a[i]);
        if (!u) return fail(static_cast<int>(i), fmt::format("cannot clamp {} with {}", to_string(t), to_string(a[i])));
        t = *u;
      }
      return ok(t);
    }
    case Builtin::Round:
      if (!numeric_or_err(a[0])) return fail(0, want("number or money", a[0]));
      if (a[1]->kind != Kind::Number && !err(a[1])) return fail(1, want("a number of digits", a[1]));
      if (a.size() == 3 && a[2]->kind != Kind::Symbol && !err(a[2]))
        return fail(2, want("a rounding mode such as :half_up", a[2]));
      return ok(a[0]);
    case Builtin::Floor:
    case Builtin::Ceil:
    case Builtin::Abs:
      if (!numeric_or_err(a[0])) return fail(0, want("number or money", a[0]));
      return ok(a[0]);
    case Builtin::Interpolate:
      if (!numeric_or_err(a[0])) return fail(0, want("number or money", a[0]));
      if (!is_list(a[1]) || !(numeric_or_err(elem(1))))
        return fail(1, want("a list of bounds", a[1]));
      if (a[1]->kind == Kind::List && !unify(a[0], elem(1)) )
        return fail(1, fmt::format("bounds are {} but x is {}", to_string(elem(1)), to_string(a[0])));
      if (a.size() == 3 && a[2]->kind != Kind::Bool && !err(a[2])) return fail(2, want("bool", a[2]));
      return ok(types::number());
    case Builtin::Map:
      if (!is_list(a[0])) return fail(0, want("a list", a[0]));
      if (!has_lambda) return fail(1, "expected a lambda such as x => x.points");
      return ok(types::list(a[1]));
    case Builtin::Filter:
    case Builtin::Any:
    case Builtin::All:
    case Builtin::FindIndex:
      if (!is_list(a[0])) return fail(0, want("a list", a[0]));
      if (!has_lambda) return fail(1, "expected a lambda such as x => x.points > 3");
      if (a[1]->kind != Kind::Bool && !err(a[1])) return fail(1, want("a condition (bool)", a[1]));
      if (id == Builtin::Filter) return ok(a[0]);
      if (id == Builtin::FindIndex) return ok(types::number());
      return ok(types::boolean());
    case Builtin::Sum:
    case Builtin::Mean: {
      if (!is_list(a[0])) return fail(0, want("a list", a[0]));
      Type t = has_lambda ? a[1] : elem(0);
      if (!numeric_or_err(t)) return fail(has_lambda ? 1 : 0, want("numbers or money to add", t));
      return ok(t->kind == Kind::Never ? types::number() : t);
    }
    case Builtin::Count:
      if (!is_list(a[0])) return fail(0, want("a list", a[0]));
      if (a.size() == 2 && !has_lambda) return fail(1, "expected a lambda such as x => x.met");
      if (has_lambda && a[1]->kind != Kind::Bool && !err(a[1])) return fail(1, want("a condition (bool)", a[1]));
      return ok(types::number());
    case Builtin::SortBy:
      if (!is_list(a[0])) return fail(0, want("a list", a[0]));
      if (!has_lambda) return fail(1, "expected a lambda such as x => x.points");
      if (!sortable(a[1])) return fail(1, want("a sortable key (number, money, string, symbol, bool)", a[1]));
      if (a.size() == 3 && a[2]->kind != Kind::Symbol && !err(a[2])) return fail(2, want(":asc or :desc", a[2]));
      return ok(a[0]);
    case Builtin::Take:
      if (!is_list(a[0])) return fail(0, want("a list", a[0]));
      if (a[1]->kind != Kind::Number && !err(a[1])) return fail(1, want("a count (number)", a[1]));
      return ok(a[0]);
    case Builtin::IndexOf:
    case Builtin::Contains:
      if (!is_list(a[0])) return fail(0, want("a list", a[0]));
      if (a[0]->kind == Kind::List && !unify(elem(0), a[1]))
        return fail(1, fmt::format("the list holds {} but the value is {}", to_string(elem(0)), to_string(a[1])));
      return ok(id == Builtin::Contains ? types::boolean() : types::number());
    case Builtin::Concat: {
      Type t = a[0];
      for (size_t i = 0; i < a.size(); ++i) {
        if (!is_list(a[i])) return fail(static_cast<int>(i), want("a list", a[i]));
        auto u = unify(t, a[i]);
        if (!u) return fail(static_cast<int>(i), fmt::format("cannot join {} with {}", to_string(t), to_string(a[i])));
        t = *u;
      }
      return ok(t);
    }
    case Builtin::Rows:
      if (a[0]->kind != Kind::Table && !err(a[0])) return fail(0, want("a table", a[0]));
      return ok(err(a[0]) ? types::error() : types::list(a[0]->elem));
  }
  return fail(-1, "unknown built-in");
}

}  // namespace merit::dsl
