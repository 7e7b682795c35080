// Parser: rule text -> AST.
// In:  a Source.  Out: a RuleFile (or an expression / type / literal for DSL embedded in YAML).
// Invariant: each returned node has a span into the given Source; syntax errors become E101
// diagnostics. In a rule file, parsing resumes at the next line that starts a definition, so one
// run reports every broken definition.
#pragma once

#include <optional>

#include "dsl/ast.hpp"
#include "dsl/diagnostic.hpp"

namespace merit::dsl {

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
