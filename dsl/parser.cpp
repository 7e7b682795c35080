#include "dsl/parser.hpp"

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze.hpp>

#include "dsl/grammar.hpp"
#include "dsl/grammar_errors.hpp"

namespace merit::dsl {

namespace p = tao::pegtl;
namespace g = grammar;

namespace {

struct Mark {
  size_t exprs;
  size_t names;
  size_t types;
  bool is_call = false;
};

// The state actions build into. The stacks are rolled back when a rule that may have run actions
// fails locally, so actions on an abandoned branch leave no trace (PEGTL's "actions on
// backtracked branches" pitfall; see kRollback).
struct Builder {
  SourcePtr source;
  unsigned max_depth = 200;
  unsigned depth = 0;
  std::vector<ExprPtr> exprs;
  std::vector<std::pair<std::string, Span>> names;
  std::vector<Type> types;
  std::vector<Op> ops;
  std::vector<Mark> marks;
  struct Saved {
    size_t exprs, names, types, ops, marks;
  };
  std::vector<Saved> saved;

  // Declaration being built.
  RuleFile* file = nullptr;
  bool pending_override = false;
  std::string doc, note;
  std::vector<std::string> cites;
  std::vector<FunctionParam> params;
  size_t decl_types = 0;

  Mark mark(bool call = false) const { return {exprs.size(), names.size(), types.size(), call}; }
  ExprPtr pop() {
    ExprPtr e = std::move(exprs.back());
    exprs.pop_back();
    return e;
  }
  void reset_decl() {
    doc.clear();
    note.clear();
    cites.clear();
    params.clear();
    pending_override = false;
  }
};

template <typename Input>
Span span_of(const Input& in) {
  auto b = static_cast<uint32_t>(in.iterator().byte);
  return {b, b + static_cast<uint32_t>(in.size())};
}

ExprPtr node(ExprKind k, Span s) { return std::make_unique<Expr>(k, s); }

// Rules whose actions can run before the rule fails locally (so a sor<> tries the next
// alternative). Only these save and restore the builder's stacks: elsewhere the grammar commits
// (must<>) before any action runs, or runs actions only on success. Keep this list in sync with
// grammar.hpp; the parser tests cover each case.
template <typename Rule>
inline constexpr bool kRollback = false;
template <> inline constexpr bool kRollback<g::number> = true;       // number_text, then not_at<> may fail
template <> inline constexpr bool kRollback<g::lambda> = true;       // params parsed, then no '=>'
template <> inline constexpr bool kRollback<g::path_or_call> = true; // mark pushed, then no name

// Control: rollback on failure, depth guard on expressions, and messages from grammar_errors.hpp.
template <typename Rule>
struct rollback : p::normal<Rule> {
  template <typename Input>
  static void start(const Input& in, Builder& b) {
    if constexpr (kRollback<Rule>)
      b.saved.push_back({b.exprs.size(), b.names.size(), b.types.size(), b.ops.size(), b.marks.size()});
    if constexpr (std::is_same_v<Rule, g::expr>) {
      if (++b.depth > b.max_depth)
        throw p::parse_error("expression nested too deeply\nsplit it into smaller definitions", in);
    }
  }
  template <typename Input>
  static void success(const Input&, Builder& b) {
    if constexpr (kRollback<Rule>) b.saved.pop_back();
    if constexpr (std::is_same_v<Rule, g::expr>) --b.depth;
  }
  template <typename Input>
  static void failure(const Input&, Builder& b) {
    if constexpr (kRollback<Rule>) {
      const auto s = b.saved.back();
      b.saved.pop_back();
      b.exprs.resize(s.exprs);
      b.names.resize(s.names);
      b.types.resize(s.types);
      b.ops.resize(s.ops);
      b.marks.resize(s.marks);
    }
    if constexpr (std::is_same_v<Rule, g::expr>) --b.depth;
  }
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, States&&...) {
    throw p::parse_error("syntax error", in);
  }
};

template <typename Rule>
using control = p::must_if<g::errors, rollback, false>::control<Rule>;

template <typename Rule>
struct action : p::nothing<Rule> {};

// ---- literals ----
template <>
struct action<g::number_text> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    std::string t;
    bool percent = false;
    for (char c : in.string_view()) {
      if (c == '_') continue;
      if (c == '%') {
        percent = true;
        continue;
      }
      t.push_back(c);
    }
    auto d = Decimal::parse(t);
    if (d && percent) d = Decimal::from_parts(d->coefficient(), d->scale() + 2);
    if (!d)
      throw p::parse_error("number out of range\nnumbers keep at most 18 digits after the point and 38 in all", in);
    auto e = node(ExprKind::Number, span_of(in));
    e->number = *d;
    b.exprs.push_back(std::move(e));
  }
};

template <>
struct action<g::money_text> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    std::string t;
    for (char c : in.string_view())
      if (c != '$' && c != ',') t.push_back(c);
    auto d = Decimal::parse(t);
    if (!d) throw p::parse_error("money amount out of range", in);
    auto e = node(ExprKind::Money, span_of(in));
    e->number = *d;
    b.exprs.push_back(std::move(e));
  }
};

template <>
struct action<g::string_text> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    std::string_view raw = in.string_view();
    raw = raw.substr(1, raw.size() - 2);
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) {
        char c = raw[++i];
        out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c);
      } else {
        out.push_back(raw[i]);
      }
    }
    auto e = node(ExprKind::String, span_of(in));
    e->text = std::move(out);
    b.exprs.push_back(std::move(e));
  }
};

template <>
struct action<g::symbol_name> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    Span s = span_of(in);
    auto e = node(ExprKind::Symbol, {s.begin - 1, s.end});
    e->text = in.string();
    b.exprs.push_back(std::move(e));
  }
};

template <bool V>
struct bool_action {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    auto e = node(ExprKind::Bool, {span_of(in).begin, span_of(in).begin + (V ? 4u : 5u)});
    e->flag = V;
    b.exprs.push_back(std::move(e));
  }
};
template <> struct action<g::bool_true> : bool_action<true> {};
template <> struct action<g::bool_false> : bool_action<false> {};

// ---- names (everything that pushes a name) ----
struct push_name {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    std::string_view v = in.string_view();
    size_t n = 0;
    while (n < v.size() && (std::isalnum(static_cast<unsigned char>(v[n])) || v[n] == '_')) ++n;
    Span s = span_of(in);
    b.names.emplace_back(std::string(v.substr(0, n)), Span{s.begin, s.begin + static_cast<uint32_t>(n)});
  }
};
template <> struct action<g::path_segment> : push_name {};
template <> struct action<g::field_name> : push_name {};
template <> struct action<g::record_key> : push_name {};
template <> struct action<g::let_name> : push_name {};
template <> struct action<g::lambda_param> : push_name {};
template <> struct action<g::def_name> : push_name {};
template <> struct action<g::fn_name> : push_name {};
template <> struct action<g::fn_param_name> : push_name {};
template <> struct action<g::type_field_name> : push_name {};

// ---- marks ----
struct push_mark {
  template <typename Input>
  static void apply(const Input&, Builder& b) { b.marks.push_back(b.mark()); }
};
template <> struct action<g::list_open> : push_mark {};
template <> struct action<g::record_open> : push_mark {};
template <> struct action<g::case_start> : push_mark {};
template <> struct action<g::let_start> : push_mark {};
template <> struct action<g::lambda_start> : push_mark {};
template <> struct action<g::path_start> : push_mark {};
template <> struct action<g::index_open> : push_mark {};
template <> struct action<g::type_record_open> : push_mark {};
template <>
struct action<g::call_open> {
  template <typename Input>
  static void apply(const Input&, Builder& b) { b.marks.push_back(b.mark(true)); }
};

std::vector<ExprPtr> take_exprs(Builder& b, size_t from) {
  std::vector<ExprPtr> out;
  for (size_t i = from; i < b.exprs.size(); ++i) out.push_back(std::move(b.exprs[i]));
  b.exprs.resize(from);
  return out;
}
void take_names(Builder& b, size_t from, Expr& e) {
  for (size_t i = from; i < b.names.size(); ++i) {
    e.names.push_back(std::move(b.names[i].first));
    e.name_spans.push_back(b.names[i].second);
  }
  b.names.resize(from);
}
Mark pop_mark(Builder& b) {
  Mark m = b.marks.back();
  b.marks.pop_back();
  return m;
}
Span trimmed(const Builder& b, Span s) {
  std::string_view t = b.source->text();
  while (s.end > s.begin && std::isspace(static_cast<unsigned char>(t[s.end - 1]))) --s.end;
  return s;
}

template <ExprKind K>
struct build_collection {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    Mark m = pop_mark(b);
    auto e = node(K, trimmed(b, span_of(in)));
    e->kids = take_exprs(b, m.exprs);
    take_names(b, m.names, *e);
    b.exprs.push_back(std::move(e));
  }
};
template <> struct action<g::list_lit> : build_collection<ExprKind::List> {};
template <> struct action<g::record_lit> : build_collection<ExprKind::Record> {};
template <> struct action<g::case_expr> : build_collection<ExprKind::Case> {};
template <> struct action<g::let_expr> : build_collection<ExprKind::Let> {};
template <> struct action<g::lambda> : build_collection<ExprKind::Lambda> {};

template <>
struct action<g::if_expr> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    auto e = node(ExprKind::If, trimmed(b, span_of(in)));
    e->kids = take_exprs(b, b.exprs.size() - 3);
    b.exprs.push_back(std::move(e));
  }
};

template <>
struct action<g::path_or_call> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    Mark call = b.marks.back();
    std::vector<ExprPtr> args;
    bool is_call = call.is_call;
    if (is_call) {
      b.marks.pop_back();
      args = take_exprs(b, call.exprs);
    }
    Mark path = pop_mark(b);
    Span s = trimmed(b, span_of(in));
    auto e = node(is_call ? ExprKind::Call : ExprKind::Path, s);
    take_names(b, path.names, *e);
    if (is_call) {
      e->text = e->names[0];
      for (size_t i = 1; i < e->names.size(); ++i) e->text += "." + e->names[i];
      e->kids = std::move(args);
    } else {
      e->span.end = e->name_spans.back().end;
    }
    b.exprs.push_back(std::move(e));
  }
};

template <>
struct action<g::field_suffix> {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    auto target = b.pop();
    auto [name, span] = b.names.back();
    b.names.pop_back();
    auto e = node(ExprKind::Field, {target->span.begin, span.end});
    e->text = name;
    e->names.push_back(name);
    e->name_spans.push_back(span);
    e->kids.push_back(std::move(target));
    b.exprs.push_back(std::move(e));
  }
};

template <>
struct action<g::index_suffix> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    Mark m = pop_mark(b);
    auto keys = take_exprs(b, m.exprs);
    auto target = b.pop();
    Span s = trimmed(b, span_of(in));
    auto e = node(ExprKind::Index, {target->span.begin, s.end});
    e->kids.push_back(std::move(target));
    for (auto& k : keys) e->kids.push_back(std::move(k));
    b.exprs.push_back(std::move(e));
  }
};

// ---- operators ----
template <Op O>
struct push_op {
  template <typename Input>
  static void apply(const Input&, Builder& b) { b.ops.push_back(O); }
};
template <> struct action<g::op_mul> : push_op<Op::Mul> {};
template <> struct action<g::op_div> : push_op<Op::Div> {};
template <> struct action<g::op_add> : push_op<Op::Add> {};
template <> struct action<g::op_sub> : push_op<Op::Sub> {};
template <> struct action<g::op_eq> : push_op<Op::Eq> {};
template <> struct action<g::op_ne> : push_op<Op::Ne> {};
template <> struct action<g::op_lt> : push_op<Op::Lt> {};
template <> struct action<g::op_le> : push_op<Op::Le> {};
template <> struct action<g::op_gt> : push_op<Op::Gt> {};
template <> struct action<g::op_ge> : push_op<Op::Ge> {};

void binary(Builder& b, ExprKind kind, Op op) {
  auto rhs = b.pop();
  auto lhs = b.pop();
  auto e = node(kind, {lhs->span.begin, rhs->span.end});
  e->op = op;
  e->kids.push_back(std::move(lhs));
  e->kids.push_back(std::move(rhs));
  b.exprs.push_back(std::move(e));
}
struct reduce_with_op {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    Op op = b.ops.back();
    b.ops.pop_back();
    binary(b, ExprKind::Binary, op);
  }
};
template <> struct action<g::mul_tail> : reduce_with_op {};
template <> struct action<g::add_tail> : reduce_with_op {};
template <> struct action<g::cmp_tail> : reduce_with_op {};
template <Op O>
struct reduce_fixed {
  template <typename Input>
  static void apply(const Input&, Builder& b) { binary(b, ExprKind::Binary, O); }
};
template <> struct action<g::and_tail> : reduce_fixed<Op::And> {};
template <> struct action<g::or_tail> : reduce_fixed<Op::Or> {};
template <>
struct action<g::coalesce_tail> {
  template <typename Input>
  static void apply(const Input&, Builder& b) { binary(b, ExprKind::Coalesce, Op::Or); }
};
template <Op O>
struct reduce_unary {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    auto operand = b.pop();
    auto e = node(ExprKind::Unary, {span_of(in).begin, operand->span.end});
    e->op = O;
    e->kids.push_back(std::move(operand));
    b.exprs.push_back(std::move(e));
  }
};
template <> struct action<g::negation> : reduce_unary<Op::Neg> {};
template <> struct action<g::negated> : reduce_unary<Op::Not> {};

// ---- types ----
thread_local const TypeNames* current_type_names = nullptr;

template <>
struct action<g::type_name> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    std::string n = in.string();
    while (!n.empty() && std::isspace(static_cast<unsigned char>(n.back()))) n.pop_back();
    static const std::pair<const char*, Type (*)()> known[] = {
        {"bool", types::boolean}, {"number", types::number}, {"money", types::money},
        {"string", types::string}, {"symbol", types::symbol}};
    for (auto& [k, f] : known)
      if (n == k) {
        b.types.push_back(f());
        return;
      }
    if (current_type_names)
      for (const auto& [name, type] : *current_type_names)
        if (n == name) {
          b.types.push_back(type);
          return;
        }
    throw p::parse_error("unknown type '" + n +
                             "'\ntypes are bool, number, money, string, symbol, list<T>, {field: T, ...} and the "
                             "names under 'types:' in policy.yaml",
                         in);
  }
};
template <>
struct action<g::type_list> {
  template <typename Input>
  static void apply(const Input&, Builder& b) { b.types.back() = types::list(b.types.back()); }
};
template <>
struct action<g::type_record> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    Mark m = pop_mark(b);
    std::vector<Field> fields;
    for (size_t i = m.names; i < b.names.size(); ++i) {
      for (const auto& f : fields)
        if (f.name == b.names[i].first)
          throw p::parse_error("field '" + f.name + "' appears twice in the record type", in);
      fields.push_back({b.names[i].first, b.types[m.types + (i - m.names)]});
    }
    b.names.resize(m.names);
    b.types.resize(m.types);
    b.types.push_back(types::record(std::move(fields)));
  }
};

// ---- declarations ----
template <>
struct action<g::override_mark> {
  template <typename Input>
  static void apply(const Input&, Builder& b) { b.pending_override = true; }
};
struct start_decl {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    bool o = b.pending_override;
    b.reset_decl();
    b.pending_override = o;
    b.decl_types = b.types.size();
  }
};
template <> struct action<g::def_start> : start_decl {};
template <> struct action<g::fn_start> : start_decl {};

std::string pop_string(Builder& b) { return b.pop()->text; }
template <>
struct action<g::attr_doc> {
  template <typename Input>
  static void apply(const Input&, Builder& b) { b.doc = pop_string(b); }
};
template <>
struct action<g::attr_cite> {
  template <typename Input>
  static void apply(const Input&, Builder& b) { b.cites.push_back(pop_string(b)); }
};
template <>
struct action<g::attr_note> {
  template <typename Input>
  static void apply(const Input&, Builder& b) { b.note = pop_string(b); }
};
template <>
struct action<g::fn_param> {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    auto [n, s] = b.names.back();
    b.names.pop_back();
    Type t = b.types.back();
    b.types.pop_back();
    b.params.push_back({n, s, t});
  }
};

template <>
struct action<g::def_decl> {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    auto d = std::make_shared<Definition>();
    d->module = b.file->module;
    d->source = b.source;
    d->body = b.pop();
    std::tie(d->name, d->name_span) = b.names.back();
    b.names.pop_back();
    if (b.types.size() > b.decl_types) {
      d->declared = b.types.back();
      b.types.pop_back();
    }
    d->is_override = b.pending_override;
    d->doc = b.doc;
    d->citations = b.cites;
    d->note = b.note;
    b.file->definitions.push_back(std::move(d));
    b.reset_decl();
  }
};
template <>
struct action<g::fn_decl> {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    auto f = std::make_shared<Function>();
    f->module = b.file->module;
    f->source = b.source;
    f->body = b.pop();
    std::tie(f->name, f->name_span) = b.names.back();
    b.names.pop_back();
    if (b.types.size() > b.decl_types) {
      f->declared_result = b.types.back();
      b.types.pop_back();
    }
    f->is_override = b.pending_override;
    f->params = b.params;
    f->doc = b.doc;
    f->citations = b.cites;
    f->note = b.note;
    b.file->functions.push_back(std::move(f));
    b.reset_decl();
  }
};
template <>
struct action<g::module_decl> {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    if (b.exprs.size() && b.exprs.back()->kind == ExprKind::String) b.file->doc = pop_string(b);
    auto [n, s] = b.names.back();
    b.names.pop_back();
    b.file->module = n;
    b.file->module_span = s;
  }
};
// module_name pushes only its first identifier via push_name; take the whole dotted text instead.
template <>
struct action<g::module_name> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    std::string t = in.string();
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    Span s = span_of(in);
    b.names.emplace_back(t, Span{s.begin, s.begin + static_cast<uint32_t>(t.size())});
  }
};

void report(const p::parse_error& e, const SourcePtr& src, Diagnostics& diags) {
  std::string msg(e.message());
  std::string help;
  if (auto nl = msg.find('\n'); nl != std::string::npos) {
    help = msg.substr(nl + 1);
    msg.resize(nl);
  }
  uint32_t at = e.positions().empty() ? 0 : static_cast<uint32_t>(e.positions().front().byte);
  // An error found at the start of a later line belongs after the last token before it
  // ("1 +" at the end of a line is missing its operand there, not on the next line).
  const std::string& text = src->text();
  uint32_t back = std::min<uint32_t>(at, static_cast<uint32_t>(text.size()));
  while (back > 0 && std::isspace(static_cast<unsigned char>(text[back - 1]))) --back;
  if (text.find('\n', back) < at) at = back;
  uint32_t end = at < src->text().size() ? at + 1 : at;
  diags.add(Code::SyntaxError, {src, {at, end}}, msg, help);
}

// Where parsing resumes after an error: the first line at or after `from` that starts with
// def, fn or override in column 1.
std::optional<size_t> resume_point(std::string_view text, size_t from) {
  for (size_t pos = from; pos < text.size(); ++pos) {
    if (pos != 0 && text[pos - 1] != '\n') continue;
    std::string_view line = text.substr(pos);
    for (std::string_view kw : {"def ", "fn ", "override "})
      if (line.substr(0, kw.size()) == kw) return pos;
  }
  return std::nullopt;
}

template <typename Rule>
bool run(const SourcePtr& src, size_t offset, Builder& b, Diagnostics& diags, size_t* error_at) {
  const std::string& text = src->text();
  // Line and column are computed from our own line table when rendering; PEGTL's are unused.
  p::memory_input<p::tracking_mode::eager, p::eol::lf_crlf, std::string> in(
      text.data() + offset, text.data() + text.size(), src->name(), offset, 1, 1);
  try {
    return p::parse<Rule, action, control>(in, b);
  } catch (const p::parse_error& e) {
    report(e, src, diags);
    if (error_at) *error_at = e.positions().empty() ? text.size() : e.positions().front().byte;
    return false;
  }
}

}  // namespace

TypeNamesScope::TypeNamesScope(const TypeNames* names) : previous_(current_type_names) { current_type_names = names; }
TypeNamesScope::~TypeNamesScope() { current_type_names = previous_; }

RuleFile parse_rule_file(const SourcePtr& source, Diagnostics& diags, const ParseOptions& opts) {
  RuleFile file;
  file.source = source;
  Builder b;
  b.source = source;
  b.file = &file;
  b.max_depth = opts.max_depth;
  size_t error_at = 0, resumed_at = 0;
  bool ok = run<g::rule_file>(source, 0, b, diags, &error_at);
  while (!ok) {
    // The raw error offset, not the adjusted caret: resume at or after where parsing stopped,
    // and always strictly after the previous start so that every round makes progress.
    auto next = resume_point(source->text(), std::max(error_at, resumed_at + 1));
    if (!next) break;
    resumed_at = *next;
    b.exprs.clear();
    b.names.clear();
    b.types.clear();
    b.ops.clear();
    b.marks.clear();
    b.saved.clear();
    b.depth = 0;
    b.reset_decl();
    ok = run<g::resume_items>(source, *next, b, diags, &error_at);
  }
  return file;
}

ExprPtr parse_expression(const SourcePtr& source, Diagnostics& diags, const ParseOptions& opts) {
  Builder b;
  b.source = source;
  b.max_depth = opts.max_depth;
  RuleFile unused;
  b.file = &unused;
  if (!run<g::expression_only>(source, 0, b, diags, nullptr) || b.exprs.size() != 1) return nullptr;
  return b.pop();
}

std::optional<Type> parse_type(const SourcePtr& source, Diagnostics& diags) {
  Builder b;
  b.source = source;
  RuleFile unused;
  b.file = &unused;
  if (!run<g::type_only>(source, 0, b, diags, nullptr) || b.types.size() != 1) return std::nullopt;
  return b.types.back();
}

ExprPtr parse_literal(const SourcePtr& source, Diagnostics& diags) {
  Builder b;
  b.source = source;
  RuleFile unused;
  b.file = &unused;
  if (!run<g::literal_only>(source, 0, b, diags, nullptr) || b.exprs.size() != 1) return nullptr;
  return b.pop();
}

size_t analyze_grammar() {
  return p::analyze<g::rule_file>(-1) + p::analyze<g::expression_only>(-1) +
         p::analyze<g::type_only>(-1) + p::analyze<g::literal_only>(-1);
}

}  // namespace merit::dsl
