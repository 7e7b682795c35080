// Stage "types": the type of every node; arity of calls; declared types.
#include <fmt/format.h>

#include "dsl/builtins.hpp"
#include "dsl/check_context.hpp"

namespace merit::dsl::detail {

namespace {

struct Typer {
  const CheckUnit& unit;
  CheckResult& r;
  Diagnostics& diags;
  std::vector<int> def_state;  // 0 untyped, 1 in progress, 2 done
  std::vector<int> fn_state;

  struct Frame {
    SourcePtr source;
    std::vector<Type> locals;
  };
  Frame* frame = nullptr;

  Location loc(Span s) const { return at(frame->source, s); }

  Type definition_type(int i) {
    if (def_state[i] == 2) return r.definition_types[i];
    if (def_state[i] == 1) return types::error();  // a cycle: stage "cycles" reports it
    def_state[i] = 1;
    auto& d = *unit.definitions[i];
    Frame f{d.expr_source(), std::vector<Type>(r.definition_locals[i], types::error())};
    Frame* saved = frame;
    frame = &f;
    Type t = type(*d.body);
    if (d.declared) {
      if (!assignable(t, d.declared))
        diags.add(Code::DeclaredType, loc(d.body->span),
                  fmt::format("'{}' is declared {} but its expression is {}", d.qualified(),
                              to_string(d.declared), to_string(t)),
                  "change the declared type or the expression");
      t = d.declared;
    }
    frame = saved;
    r.definition_types[i] = t;
    def_state[i] = 2;
    return t;
  }

  Type function_result(int i) {
    if (fn_state[i] == 2) return r.function_results[i];
    auto& fn = *unit.functions[i];
    if (fn_state[i] == 1) return fn.declared_result ? fn.declared_result : types::error();
    fn_state[i] = 1;
    Frame f{fn.source, std::vector<Type>(r.function_locals[i], types::error())};
    for (size_t p = 0; p < fn.params.size(); ++p) f.locals[p] = fn.params[p].type;
    Frame* saved = frame;
    frame = &f;
    Type t = type(*fn.body);
    if (fn.declared_result) {
      if (!assignable(t, fn.declared_result))
        diags.add(Code::DeclaredType, loc(fn.body->span),
                  fmt::format("function '{}' is declared to return {} but its expression is {}",
                              fn.qualified(), to_string(fn.declared_result), to_string(t)),
                  "change the declared result type or the expression");
      t = fn.declared_result;
    }
    frame = saved;
    r.function_results[i] = t;
    fn_state[i] = 2;
    return t;
  }

  Type mismatch(Span s, std::string msg, std::string help = {}) {
    diags.add(Code::TypeMismatch, loc(s), std::move(msg), std::move(help));
    return types::error();
  }

  bool is_err(const Type& t) { return t->kind == Kind::Error; }

  Type field_of(Type base, const std::string& name, Span span, bool on_input, Expr::Checked& c) {
    if (is_err(base)) return base;
    if (base->kind != Kind::Record) {
      c.field_indices.push_back(-1);
      return mismatch(span, fmt::format("'.{}' needs a record, but this is {}", name, to_string(base)));
    }
    int idx = field_index(base, name);
    c.field_indices.push_back(idx);
    if (idx < 0) {
      std::vector<std::string> cands;
      for (const auto& f : base->fields) cands.push_back(f.name);
      auto& d = diags.add(on_input ? Code::UnknownInput : Code::UnknownField, loc(span),
                          on_input ? fmt::format("the policy declares no input field '{}'", name)
                                   : fmt::format("record has no field '{}'", name));
      if (auto s = did_you_mean(name, cands); !s.empty())
        d.help = fmt::format("did you mean '{}'?", s);
      else if (on_input)
        d.help = "declare it under 'inputs:' in policy.yaml";
      else
        d.help = fmt::format("its fields are: {}", fmt::join(cands, ", "));
      return types::error();
    }
    return base->fields[idx].type;
  }

  Type path(Expr& e) {
    auto& c = e.checked;
    c.field_indices.clear();
    Type t;
    switch (c.ref) {
      case RefKind::Local: t = frame->locals[c.index]; break;
      case RefKind::Parameter: t = unit.parameters[c.index].type; break;
      case RefKind::Definition: t = definition_type(c.index); break;
      case RefKind::Input: t = unit.input; break;
      default: return types::error();
    }
    for (size_t i = c.path_consumed; i < e.names.size(); ++i)
      t = field_of(t, e.names[i], e.name_spans[i], c.ref == RefKind::Input, c);
    return t;
  }

  Type numeric_binary(Expr& e, const Type& a, const Type& b) {
    Kind ka = a->kind, kb = b->kind;
    auto bad = [&](std::string help) {
      return mismatch(e.span, fmt::format("cannot apply '{}' to {} and {}", op_text(e.op), to_string(a), to_string(b)),
                      std::move(help));
    };
    if (is_err(a) || is_err(b)) return types::error();
    switch (e.op) {
      case Op::Add:
      case Op::Sub:
        if (ka == Kind::Number && kb == Kind::Number) return types::number();
        if (ka == Kind::Money && kb == Kind::Money) return types::money();
        return bad(ka == Kind::Money || kb == Kind::Money ? "add money to money: write amounts as $1,000" : "");
      case Op::Mul:
        if (ka == Kind::Number && kb == Kind::Number) return types::number();
        if ((ka == Kind::Money && kb == Kind::Number) || (ka == Kind::Number && kb == Kind::Money)) return types::money();
        return bad("multiply money by a number, not by money");
      case Op::Div:
        if (ka == Kind::Number && kb == Kind::Number) return types::number();
        if (ka == Kind::Money && kb == Kind::Number) return types::money();
        if (ka == Kind::Money && kb == Kind::Money) return types::number();
        return bad("divide money by a number or by money");
      default: return types::error();
    }
  }

  Type binary(Expr& e) {
    Type a = type(*e.kids[0]);
    Type b = type(*e.kids[1]);
    switch (e.op) {
      case Op::And:
      case Op::Or:
        for (int i = 0; i < 2; ++i) {
          Type t = i ? b : a;
          if (t->kind != Kind::Bool && !is_err(t))
            mismatch(e.kids[i]->span, fmt::format("'{}' needs bool operands, found {}", op_text(e.op), to_string(t)));
        }
        return types::boolean();
      case Op::Eq:
      case Op::Ne:
        if (!unify(a, b))
          mismatch(e.span, fmt::format("cannot compare {} with {}", to_string(a), to_string(b)),
                   a->kind == Kind::Money || b->kind == Kind::Money ? "compare money with money: write amounts as $90,000" : "");
        return types::boolean();
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge: {
        bool ordered = (a->kind == b->kind && (is_numeric(a) || a->kind == Kind::String)) || is_err(a) || is_err(b);
        if (!ordered)
          mismatch(e.span, fmt::format("cannot order {} and {}", to_string(a), to_string(b)),
                   a->kind == Kind::Money || b->kind == Kind::Money ? "compare money with money: write amounts as $90,000" : "");
        return types::boolean();
      }
      default: return numeric_binary(e, a, b);
    }
  }

  Type branches(Span s, Type acc, const Type& next, Span next_span) {
    auto u = unify(acc, next);
    if (!u) {
      diags.add(Code::BranchTypes, loc(next_span),
                fmt::format("this branch is {} but an earlier one is {}", to_string(next), to_string(acc)),
                "every branch must produce the same type");
      (void)s;
      return types::error();
    }
    return *u;
  }

  void want_bool(Expr& cond) {
    Type t = type(cond);
    if (t->kind != Kind::Bool && !is_err(t))
      mismatch(cond.span, fmt::format("a condition must be bool, found {}", to_string(t)));
  }

  Type call(Expr& e) {
    auto& c = e.checked;
    if (c.ref == RefKind::Function) {
      auto& fn = *unit.functions[c.index];
      std::vector<Type> args;
      for (auto& k : e.kids) {
        if (k->kind == ExprKind::Lambda) {
          mismatch(k->span, "a lambda can only be passed to a built-in such as map or filter");
          args.push_back(types::error());
        } else {
          args.push_back(type(*k));
        }
      }
      if (args.size() != fn.params.size()) {
        diags.add(Code::ArityMismatch, loc(e.span),
                  fmt::format("'{}' takes {} argument{}, given {}", fn.qualified(), fn.params.size(),
                              fn.params.size() == 1 ? "" : "s", args.size()),
                  fmt::format("its parameters are ({})", [&] {
                    std::string s;
                    for (size_t i = 0; i < fn.params.size(); ++i)
                      s += fmt::format("{}{}: {}", i ? ", " : "", fn.params[i].name, to_string(fn.params[i].type));
                    return s;
                  }()));
        return function_result(c.index);
      }
      for (size_t i = 0; i < args.size(); ++i)
        if (!assignable(args[i], fn.params[i].type))
          mismatch(e.kids[i]->span,
                   fmt::format("argument '{}' of '{}' must be {}, found {}", fn.params[i].name, fn.qualified(),
                               to_string(fn.params[i].type), to_string(args[i])));
      return function_result(c.index);
    }
    if (c.ref != RefKind::Builtin) {
      for (auto& k : e.kids)
        if (k->kind != ExprKind::Lambda) type(*k);
      return types::error();
    }
    const BuiltinSpec& spec = builtin_spec(static_cast<Builtin>(c.index));
    int n = static_cast<int>(e.kids.size());
    if (n < spec.min_args || n > spec.max_args) {
      diags.add(Code::ArityMismatch, loc(e.span),
                spec.min_args == spec.max_args
                    ? fmt::format("'{}' takes {} argument{}, given {}", spec.name, spec.min_args, spec.min_args == 1 ? "" : "s", n)
                    : fmt::format("'{}' takes {} to {} arguments, given {}", spec.name, spec.min_args, spec.max_args, n),
                fmt::format("usage: {}", spec.signature));
      for (auto& k : e.kids)
        if (k->kind != ExprKind::Lambda) type(*k);
      return types::error();
    }
    std::vector<Type> args;
    bool has_lambda = false;
    for (int i = 0; i < n; ++i) {
      Expr& k = *e.kids[i];
      if (k.kind == ExprKind::Lambda) {
        if (spec.lambda_position != i || i == 0) {
          mismatch(k.span, fmt::format("'{}' does not take a lambda here", spec.name), fmt::format("usage: {}", spec.signature));
          args.push_back(types::error());
          continue;
        }
        if (k.names.size() != 1) {
          diags.add(Code::ArityMismatch, loc(k.span), "this lambda must take exactly one parameter",
                    fmt::format("usage: {}", spec.signature));
        }
        Type pt = lambda_param_type(spec.id, args[0]);
        for (int slot : k.checked.field_indices) frame->locals[slot] = pt;
        Type body = type(*k.kids[0]);
        k.checked.type = body;
        args.push_back(body);
        has_lambda = true;
      } else {
        args.push_back(type(k));
      }
    }
    // Constant arguments the interpreter relies on: rounding modes and sort directions.
    if (spec.id == Builtin::Round && n == 3) {
      const Expr& m = *e.kids[2];
      if (m.kind != ExprKind::Symbol)
        diags.add(Code::NotConstant, loc(m.span), "the rounding mode must be written out, e.g. :half_up",
                  "modes: :half_up :half_even :half_down :down :up :floor :ceiling");
      else if (!rounding_from_name(m.text))
        diags.add(Code::NotConstant, loc(m.span), fmt::format("unknown rounding mode ':{}'", m.text),
                  "modes: :half_up :half_even :half_down :down :up :floor :ceiling");
    }
    if (spec.id == Builtin::SortBy && n == 3) {
      const Expr& m = *e.kids[2];
      if (m.kind != ExprKind::Symbol || (m.text != "asc" && m.text != "desc"))
        diags.add(Code::NotConstant, loc(m.span), "the sort direction must be :asc or :desc");
    }
    BuiltinTyping bt = type_builtin(spec.id, args, has_lambda);
    if (!bt.error.empty()) {
      Span s = bt.error_argument >= 0 && bt.error_argument < n ? e.kids[bt.error_argument]->span : e.span;
      mismatch(s, fmt::format("{}: {}", spec.name, bt.error), fmt::format("usage: {}", spec.signature));
    }
    return bt.result;
  }

  Type index(Expr& e) {
    Type base = type(*e.kids[0]);
    std::vector<Type> keys;
    for (size_t i = 1; i < e.kids.size(); ++i) keys.push_back(type(*e.kids[i]));
    if (is_err(base)) return base;
    if (base->kind == Kind::List) {
      if (keys.size() != 1 || (keys[0]->kind != Kind::Number && !is_err(keys[0])))
        return mismatch(e.span, "a list is indexed by one number: xs[0] is the first element");
      return base->elem;
    }
    if (base->kind != Kind::Table)
      return mismatch(e.kids[0]->span, fmt::format("only tables and lists can be indexed, this is {}", to_string(base)));
    const Type& row = base->elem;
    if (keys.size() != base->keys.size()) {
      diags.add(Code::ArityMismatch, loc(e.span),
                fmt::format("this table is keyed by {} field{} ({}), given {}", base->keys.size(),
                            base->keys.size() == 1 ? "" : "s", fmt::join(base->keys, ", "), keys.size()));
      return row;
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      Type kt = row->fields[field_index(row, base->keys[i])].type;
      if (!assignable(keys[i], kt))
        mismatch(e.kids[i + 1]->span,
                 fmt::format("key '{}' is {}, given {}", base->keys[i], to_string(kt), to_string(keys[i])));
    }
    return row;
  }

  Type type(Expr& e) {
    Type t = compute(e);
    e.checked.type = t;
    return t;
  }

  Type compute(Expr& e) {
    switch (e.kind) {
      case ExprKind::Number: return types::number();
      case ExprKind::Money: return types::money();
      case ExprKind::Bool: return types::boolean();
      case ExprKind::String: return types::string();
      case ExprKind::Symbol: return types::symbol();
      case ExprKind::List: {
        Type t = types::never();
        for (size_t i = 0; i < e.kids.size(); ++i) t = branches(e.span, t, type(*e.kids[i]), e.kids[i]->span);
        return types::list(t);
      }
      case ExprKind::Record: {
        std::vector<Field> fields;
        for (size_t i = 0; i < e.kids.size(); ++i) {
          for (const auto& f : fields)
            if (f.name == e.names[i])
              diags.add(Code::DuplicateName, loc(e.name_spans[i]), fmt::format("field '{}' appears twice", f.name));
          fields.push_back({e.names[i], type(*e.kids[i])});
        }
        return types::record(std::move(fields));
      }
      case ExprKind::Path: return path(e);
      case ExprKind::Field: {
        e.checked.field_indices.clear();
        Type base = type(*e.kids[0]);
        return field_of(base, e.text, e.name_spans[0], false, e.checked);
      }
      case ExprKind::Index: return index(e);
      case ExprKind::Call: return call(e);
      case ExprKind::Lambda:
        return mismatch(e.span, "a lambda can only be an argument of a collection built-in",
                        "write e.g. map(measures, m => m.points)");
      case ExprKind::Unary: {
        Type t = type(*e.kids[0]);
        if (is_err(t)) return t;
        if (e.op == Op::Not) {
          if (t->kind != Kind::Bool) mismatch(e.span, fmt::format("'not' needs bool, found {}", to_string(t)));
          return types::boolean();
        }
        if (!is_numeric(t)) return mismatch(e.span, fmt::format("cannot negate {}", to_string(t)));
        return t;
      }
      case ExprKind::Binary: return binary(e);
      case ExprKind::Coalesce: {
        Type a = type(*e.kids[0]);
        return branches(e.span, a, type(*e.kids[1]), e.kids[1]->span);
      }
      case ExprKind::If: {
        want_bool(*e.kids[0]);
        Type a = type(*e.kids[1]);
        return branches(e.span, a, type(*e.kids[2]), e.kids[2]->span);
      }
      case ExprKind::Case: {
        Type t = types::never();
        for (size_t i = 0; i + 1 < e.kids.size(); i += 2) {
          want_bool(*e.kids[i]);
          t = branches(e.span, t, type(*e.kids[i + 1]), e.kids[i + 1]->span);
        }
        return branches(e.span, t, type(*e.kids.back()), e.kids.back()->span);
      }
      case ExprKind::Let: {
        for (size_t i = 0; i < e.names.size(); ++i) frame->locals[e.checked.field_indices[i]] = type(*e.kids[i]);
        return type(*e.kids.back());
      }
    }
    return types::error();
  }
};

}  // namespace

void stage_types(const CheckUnit& unit, CheckResult& r, Diagnostics& diags) {
  Typer t{unit, r, diags, std::vector<int>(unit.definitions.size(), 0),
          std::vector<int>(unit.functions.size(), 0)};
  // Type definitions dependencies first (an iterative walk), so that typing a long chain of
  // definitions does not recurse once per link.
  size_t n = unit.definitions.size();
  std::vector<char> seen(n, 0);
  std::vector<std::pair<int, size_t>> stack;
  for (size_t root = 0; root < n; ++root) {
    if (seen[root]) continue;
    seen[root] = 1;
    stack.emplace_back(static_cast<int>(root), 0);
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      const auto& out = r.reads_definitions[v];
      if (next < out.size()) {
        int w = out[next++];
        if (!seen[w]) {
          seen[w] = 1;
          stack.emplace_back(w, 0);
        }
        continue;
      }
      int done = v;
      stack.pop_back();
      t.definition_type(done);
    }
  }
  for (size_t i = 0; i < unit.functions.size(); ++i) t.function_result(static_cast<int>(i));
}

}  // namespace merit::dsl::detail
