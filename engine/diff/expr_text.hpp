// Rule expressions for the semantic diff: an infix printer (the text parses back to the same tree)
// and a structural comparison that finds the smallest sub-expressions in which two trees differ.
// In:  checked ASTs (dsl::Expr with `checked` filled by dsl::check, as after compile_policy).
// Out: text, with chosen nodes wrapped in markers; equality and the differing node pairs.
// Invariant: spans, whitespace, comments and the names of local values are ignored (two bodies
// that differ only by renaming a `let` or lambda variable are equal); a reference to a definition
// or function compares by the definition's full name, so `score` and `final.score` written in
// module final are the same.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dsl/ast.hpp"

namespace merit::engine::diff {

// Marker bytes the diff stores around a differing sub-expression; renderers replace them
// (⟦ ⟧ in plain text and markdown, colour in a terminal).
inline constexpr char kMarkOpen = '\x1e';
inline constexpr char kMarkClose = '\x1f';
// Replaces the markers by `open` and `close`.
std::string replace_marks(std::string_view text, std::string_view open, std::string_view close);

// Compact infix text of `e`: minimal parentheses, one line. Nodes in `marked` are wrapped in
// kMarkOpen/kMarkClose.
std::string expr_text(const dsl::Expr& e, const std::set<const dsl::Expr*>& marked = {});

// What a tree's resolved references point at (the checker stores indices into these lists).
struct ExprScope {
  const std::vector<std::shared_ptr<dsl::Definition>>* definitions = nullptr;
  const std::vector<std::shared_ptr<dsl::Function>>* functions = nullptr;
};

// Structural equality (see the invariant above).
bool same_expr(const dsl::Expr& a, const ExprScope& sa, const dsl::Expr& b, const ExprScope& sb);

// The smallest pairs of sub-trees (a-side, b-side) in which `a` and `b` differ: where two nodes
// have the same kind, payload and number of children, only their differing children are
// descended into; where one node equals a child of the other (one side wraps the other, as in
// `x` -> `min(x, 100)`), the wrapping node's other children differ, paired with null; otherwise
// the pair itself differs. Empty when same_expr.
std::vector<std::pair<const dsl::Expr*, const dsl::Expr*>> differing_parts(const dsl::Expr& a, const ExprScope& sa,
                                                                           const dsl::Expr& b, const ExprScope& sb);

}  // namespace merit::engine::diff
