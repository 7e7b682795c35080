// The parsed form of rule text, before names are resolved.
// In:  nothing (built by the parser).   Out: trees the checker annotates and the planner lowers.
// Invariant: every node has a Span into the Source of the file it was parsed from.
// The checker fills the `checked` part of each node (type and resolution); the interpreter
// never sees these types: the planner lowers them into engine/program.hpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dsl/decimal.hpp"
#include "dsl/source.hpp"
#include "dsl/types.hpp"

namespace merit::dsl {

enum class ExprKind : uint8_t {
  Number,   // 12, 12.5, 60% (value 0.6)
  Money,    // $90,000
  Bool,
  String,   // "text"
  Symbol,   // :group
  List,     // [a, b]
  Record,   // {a: 1, b: 2}
  Path,     // a.b.c: a definition, parameter, input, local, or any of those followed by fields
  Field,    // e.f where e is not a plain path (e.g. f(x).f)
  Index,    // t[k1, k2]: table lookup, or list element
  Call,     // f(a, b): built-in or user function
  Lambda,   // x => e, (x, y) => e; only as an argument of a collection built-in
  Unary,    // -e, not e
  Binary,   // + - * / == != < <= > >= and or
  Coalesce, // e ?? d: d when e is a missing input or a table miss
  If,       // if c then a else b
  Case,     // case when c then a ... else b end
  Let,      // let x = a, y = b in e
};

enum class Op : uint8_t { Add, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge, And, Or, Neg, Not };
std::string_view op_text(Op op);

// What a name resolved to (filled by the checker's resolve stage).
enum class RefKind : uint8_t { Unresolved, Definition, Parameter, Input, Local, Function, Builtin };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  Span span;
  // Payload, by kind.
  Decimal number;                   // Number, Money
  bool flag = false;                // Bool
  Op op = Op::Add;                  // Unary, Binary
  std::string text;                 // String, Symbol, Field name, Call name
  std::vector<std::string> names;   // Path segments; Record field names; Lambda/Let binders
  std::vector<Span> name_spans;     // spans of `names`
  std::vector<ExprPtr> kids;        // operands, elements, arguments, case arms (cond, value)..., else

  // Filled by the checker.
  struct Checked {
    Type type;
    RefKind ref = RefKind::Unresolved;
    int index = -1;          // definition / parameter / function / builtin / local slot
    int path_consumed = 0;   // Path: how many segments the reference used; the rest are fields
    std::vector<int> field_indices;  // Path/Field: field index per remaining segment
  } checked;

  Expr(ExprKind k, Span s) : kind(k), span(s) {}
};

// A named definition: one node of the evaluation graph.
struct Definition {
  std::string module;      // "quality"
  std::string name;        // "low_dc_points"; qualified: module + "." + name
  Span name_span;
  SourcePtr source;
  bool is_override = false;
  std::string doc;
  std::vector<std::string> citations;
  std::string note;        // e.g. "[U] uncertain: recalled from ..."
  ExprPtr body;
  Type declared;           // declared type annotation, if any
  SourcePtr body_source;   // where the body's spans point, if not `source` (DSL inside YAML)
  std::string qualified() const { return module.empty() ? name : module + "." + name; }
  const SourcePtr& expr_source() const { return body_source ? body_source : source; }
};

struct FunctionParam {
  std::string name;
  Span span;
  Type type;
};

struct Function {
  std::string module;
  std::string name;
  Span name_span;
  SourcePtr source;
  bool is_override = false;
  std::vector<FunctionParam> params;
  Type declared_result;  // may be null
  std::string doc;
  std::vector<std::string> citations;
  std::string note;
  ExprPtr body;
  std::string qualified() const { return module.empty() ? name : module + "." + name; }
  const SourcePtr& expr_source() const { return source; }
};

// One rule file.
struct RuleFile {
  SourcePtr source;
  std::string module;
  Span module_span;
  std::string doc;
  std::vector<std::shared_ptr<Definition>> definitions;
  std::vector<std::shared_ptr<Function>> functions;
};

// Deterministic one-line-per-node printer used by golden tests and `merit dump-ast`.
std::string dump(const Expr& e);
std::string dump(const RuleFile& f);

}  // namespace merit::dsl
