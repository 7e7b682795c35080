// The wording of every syntax error. The only place parse-error text lives.
// A message may carry a fix after a newline: "message\nhelp".
#pragma once

#include "dsl/grammar.hpp"

namespace merit::dsl::grammar {

template <typename Rule>
inline constexpr const char* error_message = nullptr;

#define MERIT_SYNTAX(rule, text) \
  template <>                    \
  inline constexpr const char* error_message<rule> = text;

MERIT_SYNTAX(string_body, "unterminated string\nclose the string with '\"' on the same line")
MERIT_SYNTAX(string_close, "unterminated string\nclose the string with '\"' on the same line")
MERIT_SYNTAX(money_digits, "expected digits after '$'\nwrite money as $90,000 or $1,234.50")
MERIT_SYNTAX(type_expr, "expected a type\ntypes are bool, number, money, string, symbol, list<T> and {field: T, ...}")
MERIT_SYNTAX(rangle, "expected '>' to close 'list<'")
MERIT_SYNTAX(colon, "expected ':'\nwrite a name and its type as name: type, and record fields as name: value")
MERIT_SYNTAX(type_record_close, "expected '}' to close the record type\nseparate fields with ','")
MERIT_SYNTAX(list_close, "expected ']' to close the list\nseparate elements with ','")
MERIT_SYNTAX(record_close, "expected '}' to close the record\nwrite records as {name: value, other: value}")
MERIT_SYNTAX(expr, "expected an expression")
MERIT_SYNTAX(if_cond, "expected a condition after 'if'")
MERIT_SYNTAX(tok<kw_then>, "expected 'then'\nwrite: if <condition> then <value> else <value>")
MERIT_SYNTAX(if_then, "expected a value after 'then'")
MERIT_SYNTAX(tok<kw_else>, "expected 'else'\nevery 'if' and 'case' needs an 'else' so that it always has a value")
MERIT_SYNTAX(if_else, "expected a value after 'else'")
MERIT_SYNTAX(case_cond, "expected a condition after 'when'")
MERIT_SYNTAX(case_value, "expected a value after 'then'")
MERIT_SYNTAX(case_arms, "expected 'when' after 'case'\nwrite: case when <condition> then <value> ... else <value> end")
MERIT_SYNTAX(case_else, "expected a value after 'else'")
MERIT_SYNTAX(tok<kw_end>, "expected 'end' to close 'case'")
MERIT_SYNTAX(equals, "expected '='")
MERIT_SYNTAX(let_value, "expected a value after '='")
MERIT_SYNTAX(let_binding, "expected a binding: name = value")
MERIT_SYNTAX(let_bindings, "expected a binding: name = value")
MERIT_SYNTAX(tok<kw_in>, "expected 'in' after the bindings of 'let'\nwrite: let x = <value>, y = <value> in <expression>")
MERIT_SYNTAX(let_body, "expected an expression after 'in'")
MERIT_SYNTAX(lambda_body, "expected an expression after '=>'")
MERIT_SYNTAX(call_close, "expected ')' to close the argument list\nseparate arguments with ','")
MERIT_SYNTAX(path_segment, "expected a name after '.'")
MERIT_SYNTAX(paren_close, "expected ')'")
MERIT_SYNTAX(field_name, "expected a field name after '.'")
MERIT_SYNTAX(index_keys, "expected a key inside '[ ]'")
MERIT_SYNTAX(index_close, "expected ']' to close the look-up")
MERIT_SYNTAX(unary, "expected an operand after '-'")
MERIT_SYNTAX(mul_rhs, "expected an operand after the operator")
MERIT_SYNTAX(add_rhs, "expected an operand after the operator")
MERIT_SYNTAX(cmp_rhs, "expected an operand after the comparison\ncomparisons do not chain: write a < b and b < c")
MERIT_SYNTAX(not_expr, "expected an operand after 'not'")
MERIT_SYNTAX(and_rhs, "expected an operand after 'and'")
MERIT_SYNTAX(or_rhs, "expected an operand after 'or'")
MERIT_SYNTAX(coalesce_rhs, "expected a fallback value after '\?\?'")
MERIT_SYNTAX(string_lit, "expected a string in double quotes")
MERIT_SYNTAX(def_name, "expected the definition's name after 'def'")
MERIT_SYNTAX(def_body, "expected the definition's expression after '='")
MERIT_SYNTAX(fn_name, "expected the function's name after 'fn'")
MERIT_SYNTAX(fn_params, "expected '(' and the parameter list after the function's name")
MERIT_SYNTAX(fn_params_close, "expected ')' to close the parameter list\nwrite parameters as name: type, separated by ','")
MERIT_SYNTAX(fn_body, "expected the function's expression after '='")
MERIT_SYNTAX(item_decl, "expected 'def' or 'fn' after 'override'")
MERIT_SYNTAX(module_name, "expected a module name after 'module'")
MERIT_SYNTAX(expression_end, "unexpected text after the end\nan operator may be missing between two values")
MERIT_SYNTAX(file_end, "expected a definition ('def' or 'fn') or the end of the file\nan expression may be missing an operator, or a definition its 'def'")

#undef MERIT_SYNTAX

struct errors {
  template <typename Rule>
  static constexpr const char* message = error_message<Rule>;
  // Messages are used only where the grammar commits (must<>); elsewhere rules fail locally.
  template <typename Rule>
  static constexpr bool raise_on_failure = false;
};

}  // namespace merit::dsl::grammar
