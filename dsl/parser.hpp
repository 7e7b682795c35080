// Parser: rule text -> AST.
// In:  a Source.  Out: a RuleFile (or an expression / type / literal for DSL embedded in YAML).
// Invariant: each returned node has a span into the given Source; syntax errors become E101
// diagnostics. In a rule file, parsing resumes at the next line that starts a definition, so one
// run reports every broken definition.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostic.hpp"

namespace merit::dsl {

// Named types a policy declares (policy.yaml `types:`), usable wherever a type is written
// (`def x: Measure`, `fn f(m: Measure)`, inputs and table columns). The loader installs them for
// the duration of a load with a scope object, so every parse entry point sees them without each
// call site passing them along. Names are looked up before the built-in type names fail.
using TypeNames = std::vector<std::pair<std::string, Type>>;
class TypeNamesScope {
 public:
  explicit TypeNamesScope(const TypeNames* names);
  ~TypeNamesScope();
  TypeNamesScope(const TypeNamesScope&) = delete;
  TypeNamesScope& operator=(const TypeNamesScope&) = delete;

 private:
  const TypeNames* previous_;
};

struct ParseOptions {
  unsigned max_depth = 200;  // nesting limit for expressions (guards the stack)
};

RuleFile parse_rule_file(const SourcePtr& source, Diagnostics& diags, const ParseOptions& = {});
ExprPtr parse_expression(const SourcePtr& source, Diagnostics& diags, const ParseOptions& = {});
std::optional<Type> parse_type(const SourcePtr& source, Diagnostics& diags);
// A single literal: number, percent, money, string, symbol or boolean.
ExprPtr parse_literal(const SourcePtr& source, Diagnostics& diags);

// Grammar self-check for tests: number of problems PEGTL's analyzer finds (0 when sound).
size_t analyze_grammar();

}  // namespace merit::dsl
