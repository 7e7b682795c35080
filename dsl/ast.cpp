#include "dsl/ast.hpp"

#include <fmt/format.h>

namespace merit::dsl {

std::string_view op_text(Op op) {
  switch (op) {
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::Neg: return "-";
    case Op::Not: return "not";
  }
  return "?";
}

namespace {
std::string join_names(const Expr& e, std::string_view sep) {
  std::string s;
  for (size_t i = 0; i < e.names.size(); ++i) s += (i ? std::string(sep) : "") + e.names[i];
  return s;
}

void dump_into(const Expr& e, std::string& out) {
  auto kids = [&](std::string_view sep = " ") {
    for (size_t i = 0; i < e.kids.size(); ++i) {
      if (i) out += sep;
      dump_into(*e.kids[i], out);
    }
  };
  switch (e.kind) {
    case ExprKind::Number: out += e.number.to_string(); break;
    case ExprKind::Money:
      out += '$';
      e.number.append_to(out);
      break;
    case ExprKind::Bool: out += e.flag ? "true" : "false"; break;
    case ExprKind::String: out += fmt::format("\"{}\"", e.text); break;
    case ExprKind::Symbol: out += ":" + e.text; break;
    case ExprKind::List: out += "(list"; if (!e.kids.empty()) out += " "; kids(); out += ")"; break;
    case ExprKind::Record:
      out += "(record";
      for (size_t i = 0; i < e.kids.size(); ++i) {
        out += " " + e.names[i] + ": ";
        dump_into(*e.kids[i], out);
      }
      out += ")";
      break;
    case ExprKind::Path: out += join_names(e, "."); break;
    case ExprKind::Field: out += "(. "; dump_into(*e.kids[0], out); out += " " + e.text + ")"; break;
    case ExprKind::Index: out += "(index "; kids(); out += ")"; break;
    case ExprKind::Call: out += "(call " + e.text; if (!e.kids.empty()) out += " "; kids(); out += ")"; break;
    case ExprKind::Lambda: out += "(lambda (" + join_names(e, " ") + ") "; kids(); out += ")"; break;
    case ExprKind::Unary:
    case ExprKind::Binary: out += fmt::format("({} ", op_text(e.op)); kids(); out += ")"; break;
    case ExprKind::Coalesce: out += "(?? "; kids(); out += ")"; break;
    case ExprKind::If: out += "(if "; kids(); out += ")"; break;
    case ExprKind::Case:
      out += "(case";
      for (size_t i = 0; i + 1 < e.kids.size(); i += 2) {
        out += " (when ";
        dump_into(*e.kids[i], out);
        out += " ";
        dump_into(*e.kids[i + 1], out);
        out += ")";
      }
      out += " (else ";
      dump_into(*e.kids.back(), out);
      out += "))";
      break;
    case ExprKind::Let:
      out += "(let";
      for (size_t i = 0; i < e.names.size(); ++i) {
        out += " (" + e.names[i] + " ";
        dump_into(*e.kids[i], out);
        out += ")";
      }
      out += " ";
      dump_into(*e.kids.back(), out);
      out += ")";
      break;
  }
}
}  // namespace

std::string dump(const Expr& e) {
  std::string out;
  dump_into(e, out);
  return out;
}

std::string dump(const RuleFile& f) {
  std::string out = fmt::format("module {}\n", f.module.empty() ? "<none>" : f.module);
  for (const auto& d : f.definitions) {
    out += fmt::format("{}def {}", d->is_override ? "override " : "", d->name);
    if (d->declared) out += ": " + to_string(d->declared);
    out += " = " + dump(*d->body) + "\n";
    if (!d->doc.empty()) out += fmt::format("  doc \"{}\"\n", d->doc);
    for (const auto& c : d->citations) out += fmt::format("  cite \"{}\"\n", c);
    if (!d->note.empty()) out += fmt::format("  note \"{}\"\n", d->note);
  }
  for (const auto& fn : f.functions) {
    out += fmt::format("{}fn {}(", fn->is_override ? "override " : "", fn->name);
    for (size_t i = 0; i < fn->params.size(); ++i)
      out += fmt::format("{}{}: {}", i ? ", " : "", fn->params[i].name, to_string(fn->params[i].type));
    out += ")";
    if (fn->declared_result) out += ": " + to_string(fn->declared_result);
    out += " = " + dump(*fn->body) + "\n";
  }
  return out;
}

}  // namespace merit::dsl
