#include "engine/diff/expr_text.hpp"

namespace merit::engine::diff {

using dsl::Expr;
using dsl::ExprKind;
using dsl::Op;

std::string replace_marks(std::string_view text, std::string_view open, std::string_view close) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == kMarkOpen) out += open;
    else if (c == kMarkClose) out += close;
    else out += c;
  }
  return out;
}

namespace {

// Binding strength, from docs/dsl.md "Operators and precedence": if/let/lambda reach as far right
// as they can (0: parenthesised whenever they are an operand), then ?? (1) ... postfix (9), and
// primaries (10).
constexpr int kOpen = 0, kCoalesce = 1, kOr = 2, kAnd = 3, kNot = 4, kCompare = 5, kAdd = 6, kMul = 7, kNeg = 8,
              kPostfix = 9, kPrimary = 10;

int binary_level(Op op) {
  switch (op) {
    case Op::Or: return kOr;
    case Op::And: return kAnd;
    case Op::Eq: case Op::Ne: case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: return kCompare;
    case Op::Add: case Op::Sub: return kAdd;
    case Op::Mul: case Op::Div: return kMul;
    default: return kPrimary;
  }
}

int level(const Expr& e) {
  switch (e.kind) {
    case ExprKind::If: case ExprKind::Let: case ExprKind::Lambda: return kOpen;
    case ExprKind::Coalesce: return kCoalesce;
    case ExprKind::Binary: return binary_level(e.op);
    case ExprKind::Unary: return e.op == Op::Not ? kNot : kNeg;
    case ExprKind::Path: case ExprKind::Field: case ExprKind::Index: case ExprKind::Call: return kPostfix;
    default: return kPrimary;
  }
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

struct Printer {
  const std::set<const Expr*>& marked;
  std::string out;

  void list(const std::vector<dsl::ExprPtr>& kids, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (i > from) out += ", ";
      print(*kids[i], kOpen);
    }
  }

  void print(const Expr& e, int need) {
    bool mark = marked.count(&e) > 0;
    bool paren = level(e) < need;
    if (mark) out += kMarkOpen;
    if (paren) out += '(';
    body(e);
    if (paren) out += ')';
    if (mark) out += kMarkClose;
  }

  void body(const Expr& e) {
    switch (e.kind) {
      case ExprKind::Number: out += e.number.to_string(); break;
      case ExprKind::Money:
        out += '$';
        e.number.append_to(out);
        break;
      case ExprKind::Bool: out += e.flag ? "true" : "false"; break;
      case ExprKind::String: out += quote(e.text); break;
      case ExprKind::Symbol: out += ":" + e.text; break;
      case ExprKind::List:
        out += '[';
        list(e.kids, 0, e.kids.size());
        out += ']';
        break;
      case ExprKind::Record:
        out += '{';
        for (size_t i = 0; i < e.kids.size(); ++i) {
          if (i) out += ", ";
          out += (i < e.names.size() ? e.names[i] : std::string("?")) + ": ";
          print(*e.kids[i], kOpen);
        }
        out += '}';
        break;
      case ExprKind::Path:
        for (size_t i = 0; i < e.names.size(); ++i) out += (i ? "." : "") + e.names[i];
        break;
      case ExprKind::Field:
        print(*e.kids[0], kPostfix);
        out += "." + e.text;
        break;
      case ExprKind::Index:
        print(*e.kids[0], kPostfix);
        out += '[';
        list(e.kids, 1, e.kids.size());
        out += ']';
        break;
      case ExprKind::Call:
        out += e.text + "(";
        list(e.kids, 0, e.kids.size());
        out += ')';
        break;
      case ExprKind::Lambda:
        if (e.names.size() == 1) {
          out += e.names[0];
        } else {
          out += '(';
          for (size_t i = 0; i < e.names.size(); ++i) out += (i ? ", " : "") + e.names[i];
          out += ')';
        }
        out += " => ";
        print(*e.kids[0], kOpen);
        break;
      case ExprKind::Unary:
        if (e.op == Op::Not) {
          out += "not ";
          print(*e.kids[0], kNot);
        } else {
          out += '-';
          size_t at = out.size();
          print(*e.kids[0], kNeg);
          if (at < out.size() && (out[at] == '-' || (out[at] == kMarkOpen && at + 1 < out.size() && out[at + 1] == '-')))
            out.insert(at, " ");  // "- -2", never "--2"
        }
        break;
      case ExprKind::Binary: {
        int l = binary_level(e.op);
        bool compare = l == kCompare;
        print(*e.kids[0], compare ? kAdd : l);
        out += " ";
        out += dsl::op_text(e.op);
        out += " ";
        print(*e.kids[1], compare ? kAdd : l + 1);
        break;
      }
      case ExprKind::Coalesce:
        print(*e.kids[0], kCoalesce);
        out += " ?? ";
        print(*e.kids[1], kCoalesce + 1);
        break;
      case ExprKind::If:
        out += "if ";
        print(*e.kids[0], kOpen);
        out += " then ";
        print(*e.kids[1], kOpen);
        out += " else ";
        print(*e.kids[2], kOpen);
        break;
      case ExprKind::Case:
        out += "case";
        for (size_t i = 0; i + 1 < e.kids.size(); i += 2) {
          out += " when ";
          print(*e.kids[i], kOpen);
          out += " then ";
          print(*e.kids[i + 1], kOpen);
        }
        out += " else ";
        print(*e.kids.back(), kOpen);
        out += " end";
        break;
      case ExprKind::Let:
        out += "let ";
        for (size_t i = 0; i < e.names.size(); ++i) {
          if (i) out += ", ";
          out += e.names[i] + " = ";
          print(*e.kids[i], kOpen);
        }
        out += " in ";
        print(*e.kids.back(), kOpen);
        break;
    }
  }
};

std::string join_from(const std::vector<std::string>& names, size_t from) {
  std::string s;
  for (size_t i = from; i < names.size(); ++i) s += "." + names[i];
  return s;
}

std::string path_key(const Expr& e, const ExprScope& s) {
  const auto& c = e.checked;
  size_t consumed = static_cast<size_t>(std::max(c.path_consumed, 0));
  switch (c.ref) {
    case dsl::RefKind::Definition:
      if (s.definitions && c.index >= 0 && static_cast<size_t>(c.index) < s.definitions->size())
        return "d:" + (*s.definitions)[static_cast<size_t>(c.index)]->qualified() + join_from(e.names, consumed);
      break;
    case dsl::RefKind::Local: return "l:" + std::to_string(c.index) + join_from(e.names, consumed);
    default: break;
  }
  return "n:" + join_from(e.names, 0);
}

std::string call_key(const Expr& e, const ExprScope& s) {
  const auto& c = e.checked;
  if (c.ref == dsl::RefKind::Function && s.functions && c.index >= 0 && static_cast<size_t>(c.index) < s.functions->size())
    return "f:" + (*s.functions)[static_cast<size_t>(c.index)]->qualified();
  return "c:" + e.text;
}

// Same kind, payload and number of children (children not compared).
bool shallow_same(const Expr& a, const ExprScope& sa, const Expr& b, const ExprScope& sb) {
  if (a.kind != b.kind || a.kids.size() != b.kids.size()) return false;
  switch (a.kind) {
    case ExprKind::Number:
    case ExprKind::Money: return a.number.to_string() == b.number.to_string();
    case ExprKind::Bool: return a.flag == b.flag;
    case ExprKind::String:
    case ExprKind::Symbol:
    case ExprKind::Field: return a.text == b.text;
    case ExprKind::Path: return path_key(a, sa) == path_key(b, sb);
    case ExprKind::Call: return call_key(a, sa) == call_key(b, sb);
    case ExprKind::Unary:
    case ExprKind::Binary: return a.op == b.op;
    case ExprKind::Record: return a.names == b.names;
    case ExprKind::Lambda:
    case ExprKind::Let: {
      // Binders are compared by position only when both trees were resolved (their uses then
      // compare by slot); otherwise by name.
      bool resolved = !a.checked.field_indices.empty() && !b.checked.field_indices.empty();
      return resolved ? a.names.size() == b.names.size() : a.names == b.names;
    }
    default: return true;
  }
}

void collect(const Expr& a, const ExprScope& sa, const Expr& b, const ExprScope& sb,
             std::vector<std::pair<const Expr*, const Expr*>>& out) {
  if (same_expr(a, sa, b, sb)) return;
  if (!shallow_same(a, sa, b, sb)) {
    // One side wraps the other (`x` -> `min(x, 100)`, `x / 100 * 1` -> `x / 100`): mark only what
    // was put around it, on that side.
    for (size_t i = 0; i < b.kids.size(); ++i)
      if (same_expr(a, sa, *b.kids[i], sb)) {
        for (size_t j = 0; j < b.kids.size(); ++j)
          if (j != i) out.emplace_back(nullptr, b.kids[j].get());
        return;
      }
    for (size_t i = 0; i < a.kids.size(); ++i)
      if (same_expr(*a.kids[i], sa, b, sb)) {
        for (size_t j = 0; j < a.kids.size(); ++j)
          if (j != i) out.emplace_back(a.kids[j].get(), nullptr);
        return;
      }
    out.emplace_back(&a, &b);
    return;
  }
  for (size_t i = 0; i < a.kids.size(); ++i) collect(*a.kids[i], sa, *b.kids[i], sb, out);
}

}  // namespace

std::string expr_text(const Expr& e, const std::set<const Expr*>& marked) {
  Printer p{marked, {}};
  p.print(e, kOpen);
  return std::move(p.out);
}

bool same_expr(const Expr& a, const ExprScope& sa, const Expr& b, const ExprScope& sb) {
  if (!shallow_same(a, sa, b, sb)) return false;
  for (size_t i = 0; i < a.kids.size(); ++i)
    if (!same_expr(*a.kids[i], sa, *b.kids[i], sb)) return false;
  return true;
}

std::vector<std::pair<const Expr*, const Expr*>> differing_parts(const Expr& a, const ExprScope& sa, const Expr& b,
                                                                 const ExprScope& sb) {
  std::vector<std::pair<const Expr*, const Expr*>> out;
  collect(a, sa, b, sb, out);
  return out;
}

}  // namespace merit::engine::diff
