// Stage "resolve": every name to what it denotes; local slots; "did you mean" for unknown names.
#include <algorithm>

#include <fmt/format.h>

#include "dsl/builtins.hpp"
#include "dsl/check_context.hpp"

namespace merit::dsl::detail {

namespace {

std::string join(const std::vector<std::string>& v, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to; ++i) s += (i > from ? "." : "") + v[i];
  return s;
}

void add_unique(std::vector<int>& v, int x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

struct Resolver {
  const CheckUnit& unit;
  const NameIndex& names;
  Diagnostics& diags;
  SourcePtr source;
  std::string module;
  std::vector<std::pair<std::string, int>> scope;  // innermost last
  int next_slot = 0;
  std::vector<int>* reads_defs;
  std::vector<int>* reads_params;
  std::vector<int>* calls;
  std::vector<bool>& used_params;

  Location loc(Span s) const { return at(source, s); }

  int lookup_definition(const std::string& name) const {
    if (!module.empty()) {
      auto it = names.definitions.find(module + "." + name);
      if (it != names.definitions.end()) return it->second;
    }
    auto it = names.definitions.find(name);
    return it == names.definitions.end() ? -1 : it->second;
  }
  int lookup_function(const std::string& name) const {
    if (!module.empty()) {
      auto it = names.functions.find(module + "." + name);
      if (it != names.functions.end()) return it->second;
    }
    auto it = names.functions.find(name);
    return it == names.functions.end() ? -1 : it->second;
  }
  int lookup_local(const std::string& name) const {
    for (auto it = scope.rbegin(); it != scope.rend(); ++it)
      if (it->first == name) return it->second;
    return -1;
  }

  int bind(const std::string& name, Span span) {
    if (name == "param" || name == "input") {
      diags.add(Code::ShadowedName, loc(span), fmt::format("'{}' is reserved and cannot name a local value", name),
                "choose another name");
    } else if (lookup_local(name) >= 0) {
      diags.add(Code::ShadowedName, loc(span),
                fmt::format("'{}' is already bound in this scope", name),
                "choose another name so that each name means one thing");
    }
    int slot = next_slot++;
    scope.emplace_back(name, slot);
    return slot;
  }

  std::vector<std::string> name_candidates() const {
    std::vector<std::string> c;
    for (const auto& [n, i] : scope) c.push_back(n);
    for (const auto& d : unit.definitions) {
      if (d->module == module) c.push_back(d->name);
      c.push_back(d->qualified());
    }
    return c;
  }

  void path(Expr& e) {
    const auto& n = e.names;
    auto& c = e.checked;
    if (int slot = lookup_local(n[0]); slot >= 0) {
      c.ref = RefKind::Local;
      c.index = slot;
      c.path_consumed = 1;
      return;
    }
    if (n[0] == "param") {
      for (size_t k = n.size(); k >= 2; --k) {
        auto it = names.parameters.find(join(n, 1, k));
        if (it != names.parameters.end()) {
          c.ref = RefKind::Parameter;
          c.index = it->second;
          c.path_consumed = static_cast<int>(k);
          add_unique(*reads_params, it->second);
          used_params[it->second] = true;
          return;
        }
      }
      std::vector<std::string> cands;
      for (const auto& p : unit.parameters) cands.push_back(p.name);
      std::string wanted = join(n, 1, n.size());
      auto& d = diags.add(Code::UnknownParameter, loc(e.span),
                          n.size() == 1 ? std::string("'param' must be followed by a parameter name")
                                        : fmt::format("unknown parameter '{}'", wanted));
      if (auto s = did_you_mean(wanted, cands); !s.empty())
        d.help = fmt::format("did you mean 'param.{}'?", s);
      else
        d.help = "declare it under 'parameters:' in one of the policy's parameter files";
      c.ref = RefKind::Unresolved;
      return;
    }
    if (n[0] == "input") {
      c.ref = RefKind::Input;
      c.path_consumed = 1;
      return;
    }
    for (size_t k = n.size(); k >= 1; --k) {
      int idx = lookup_definition(join(n, 0, k));
      if (idx >= 0) {
        c.ref = RefKind::Definition;
        c.index = idx;
        c.path_consumed = static_cast<int>(k);
        add_unique(*reads_defs, idx);
        return;
      }
    }
    std::string wanted = join(n, 0, n.size());
    auto& d = diags.add(Code::UnknownName, loc(e.span), fmt::format("unknown name '{}'", wanted));
    if (lookup_function(wanted) >= 0 || find_builtin(wanted))
      d.help = fmt::format("'{}' is a function: call it with arguments, {}(...)", wanted, wanted);
    else if (dsl::field_index(unit.input, n[0]) >= 0)
      d.help = fmt::format("did you mean 'input.{}'? inputs are read as input.<field>", wanted);
    else if (names.parameters.count(wanted))
      d.help = fmt::format("did you mean 'param.{}'? parameters are read as param.<name>", wanted);
    else if (auto s = did_you_mean(wanted, name_candidates()); !s.empty())
      d.help = fmt::format("did you mean '{}'?", s);
    else
      d.help = "define it with 'def', or write param.<name> for a parameter and input.<field> for an input";
  }

  void call(Expr& e) {
    auto& c = e.checked;
    int fi = lookup_function(e.text);
    const BuiltinSpec* b = fi < 0 ? find_builtin(e.text) : nullptr;
    if (fi >= 0) {
      c.ref = RefKind::Function;
      c.index = fi;
      add_unique(*calls, fi);
    } else if (b) {
      c.ref = RefKind::Builtin;
      c.index = static_cast<int>(b->id);
    } else {
      std::vector<std::string> cands;
      for (const auto& f : unit.functions) {
        if (f->module == module) cands.push_back(f->name);
        cands.push_back(f->qualified());
      }
      for (const auto& s : all_builtins()) cands.emplace_back(s.name);
      auto& d = diags.add(Code::UnknownFunction, loc(Span{e.span.begin, e.name_spans.back().end}),
                          fmt::format("unknown function '{}'", e.text));
      if (auto s = did_you_mean(e.text, cands); !s.empty())
        d.help = fmt::format("did you mean '{}'?", s);
      else
        d.help = "define it with 'fn', or see docs/dsl.md for the built-in functions";
    }
    for (size_t i = 0; i < e.kids.size(); ++i) {
      Expr& arg = *e.kids[i];
      if (arg.kind == ExprKind::Lambda && b && b->lambda_position == static_cast<int>(i)) {
        lambda(arg);
      } else {
        walk(arg);
      }
    }
  }

  void lambda(Expr& e) {
    size_t mark = scope.size();
    e.checked.field_indices.clear();
    for (size_t i = 0; i < e.names.size(); ++i)
      e.checked.field_indices.push_back(bind(e.names[i], e.name_spans[i]));  // slot per parameter
    walk(*e.kids[0]);
    scope.resize(mark);
  }

  void walk(Expr& e) {
    switch (e.kind) {
      case ExprKind::Path: path(e); return;
      case ExprKind::Call: call(e); return;
      case ExprKind::Lambda:
        // Typing reports the misplaced lambda; resolve its body so names are still checked.
        lambda(e);
        return;
      case ExprKind::Let: {
        size_t mark = scope.size();
        std::vector<int> slots;
        for (size_t i = 0; i < e.names.size(); ++i) {
          walk(*e.kids[i]);
          slots.push_back(bind(e.names[i], e.name_spans[i]));
        }
        e.checked.field_indices = slots;  // slot per binding
        walk(*e.kids.back());
        scope.resize(mark);
        return;
      }
      default:
        for (auto& k : e.kids) walk(*k);
    }
  }
};

}  // namespace

void stage_resolve(const CheckUnit& unit, CheckResult& r, Diagnostics& diags) {
  NameIndex names(unit);
  for (size_t i = 0; i < unit.definitions.size(); ++i) {
    auto& d = *unit.definitions[i];
    Resolver rv{unit, names, diags, d.expr_source(), d.module, {}, 0, &r.reads_definitions[i],
                &r.reads_parameters[i], &r.definition_calls[i], r.used_parameter};
    rv.walk(*d.body);
    r.definition_locals[i] = rv.next_slot;
  }
  for (size_t i = 0; i < unit.functions.size(); ++i) {
    auto& f = *unit.functions[i];
    Resolver rv{unit, names, diags, f.source, f.module, {}, 0, &r.function_reads_definitions[i],
                &r.function_reads_parameters[i], &r.function_calls[i], r.used_parameter};
    for (const auto& p : f.params) rv.bind(p.name, p.span);
    rv.walk(*f.body);
    r.function_locals[i] = rv.next_slot;
  }
}

}  // namespace merit::dsl::detail
