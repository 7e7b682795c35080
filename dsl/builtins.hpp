// The registry of built-in functions shared by the checker (names, arity, types) and the
// interpreter (dispatch on Builtin). Adding a built-in means one line in builtins.def, a typing
// case here and an evaluation case in the interpreter.
#pragma once

#include <string_view>
#include <vector>

#include "dsl/types.hpp"

namespace merit::dsl {

enum class Builtin : uint8_t {
#define MERIT_BUILTIN(id, name, lo, hi, lambda, sig, doc) id,
#include "dsl/builtins.def"
#undef MERIT_BUILTIN
};

struct BuiltinSpec {
  Builtin id;
  std::string_view name;
  int min_args;
  int max_args;
  int lambda_position;  // which argument may be a lambda (-1: none)
  std::string_view signature;
  std::string_view doc;
};

const std::vector<BuiltinSpec>& all_builtins();
const BuiltinSpec* find_builtin(std::string_view name);
const BuiltinSpec& builtin_spec(Builtin id);

// Typing: given the argument types (a lambda argument is given as the type of its body, with its
// parameter already bound to `lambda_param`), the result type, or an error message.
struct BuiltinTyping {
  Type result;
  std::string error;     // non-empty: type error
  int error_argument = -1;
};
// The type a lambda's parameter gets when passed as argument `index`, given the first argument.
Type lambda_param_type(Builtin id, const Type& first_argument);
BuiltinTyping type_builtin(Builtin id, const std::vector<Type>& args, bool has_lambda);

}  // namespace merit::dsl
