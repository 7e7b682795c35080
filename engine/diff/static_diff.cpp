// The static part of the semantic diff: parameters, tables, definitions, functions, inputs and
// settings of two compiled policies, compared by name.
#include <algorithm>
#include <functional>
#include <map>
#include <tuple>
#include <set>

#include <fmt/format.h>

#include "engine/diff/diff.hpp"
#include "engine/diff/expr_text.hpp"

namespace merit::engine::diff {

std::string_view change_name(Change c) {
  switch (c) {
    case Change::Added: return "added";
    case Change::Removed: return "removed";
    case Change::Changed: return "changed";
  }
  return "?";
}

bool ParamDiff::value_changed() const {
  if (change != Change::Changed) return true;
  return std::find(fields.begin(), fields.end(), "value") != fields.end() ||
         std::find(fields.begin(), fields.end(), "type") != fields.end();
}

bool TableDiff::rows_changed() const {
  return change != Change::Changed || key_changed() || !added.empty() || !removed.empty() || !changed.empty() ||
         !columns_added.empty() || !columns_removed.empty() || !columns_retyped.empty();
}

std::string TableDiff::noun() const {
  if (name == "ia.activities") return "activities";
  if (name == "quality.benchmarks") return "benchmarks";
  if (name.size() > 9 && name.compare(name.size() - 9, 9, ".measures") == 0) return "measures";
  return "rows";
}

bool StaticDiff::empty() const {
  return settings.empty() && inputs.empty() && parameters.empty() && tables.empty() && definitions.empty() &&
         functions.empty() && misaligned.empty();
}

namespace {

bool is_table(const Parameter& p) {
  return p.value.kind == Datum::Kind::Table || (p.type && p.type->kind == dsl::Kind::Table);
}

ParamSide side_of(const Parameter& p, bool with_value) {
  ParamSide s;
  if (with_value) s.value = to_string(p.value);
  s.type = dsl::to_string(p.type);
  s.unit = p.unit;
  s.doc = p.doc;
  s.note = p.note;
  s.citations = p.citations;
  return s;
}

std::vector<std::string> meta_fields(const ParamSide& a, const ParamSide& b) {
  std::vector<std::string> f;
  if (a.unit != b.unit) f.push_back("unit");
  if (a.citations != b.citations) f.push_back("cite");
  if (a.doc != b.doc) f.push_back("doc");
  if (a.note != b.note) f.push_back("note");
  return f;
}

// ---- tables ----

const Datum* field(const Datum& row, const std::string& name) {
  for (size_t i = 0; i < row.names.size() && i < row.items.size(); ++i)
    if (row.names[i] == name) return &row.items[i];
  return nullptr;
}

std::string key_text(const Datum* d) {
  if (!d) return "?";
  if (d->kind == Datum::Kind::String) return d->text;
  return to_string(*d);
}

std::vector<std::string> row_key(const Datum& row, const std::vector<std::string>& keys) {
  std::vector<std::string> k;
  for (const auto& c : keys) k.push_back(key_text(field(row, c)));
  return k;
}

std::vector<std::string> key_columns(const Parameter& p) {
  if (p.type && p.type->kind == dsl::Kind::Table && !p.type->keys.empty()) return p.type->keys;
  return p.value.names;
}

// Column name -> type text, in the row type's (name) order.
std::vector<std::pair<std::string, std::string>> columns_of(const Parameter& p) {
  std::vector<std::pair<std::string, std::string>> out;
  if (p.type && p.type->kind == dsl::Kind::Table && p.type->elem && p.type->elem->kind == dsl::Kind::Record) {
    for (const auto& f : p.type->elem->fields) out.emplace_back(f.name, dsl::to_string(f.type));
  } else if (!p.value.items.empty()) {
    for (const auto& n : p.value.items[0].names) out.emplace_back(n, "");
  }
  return out;
}

using Aliases = std::vector<std::pair<std::string, std::string>>;

// A value with every string that starts with an alias's old prefix given the new one.
Datum renamed(Datum d, const Aliases& aliases) {
  if (d.kind == Datum::Kind::String) {
    for (const auto& [from, to] : aliases)
      if (d.text.rfind(from, 0) == 0) {
        d.text = to + d.text.substr(from.size());
        break;
      }
  }
  for (auto& x : d.items) x = renamed(std::move(x), aliases);
  return d;
}

TableDiff compare_tables(const Parameter* a, const Parameter* b, const Aliases& aliases) {
  TableDiff t;
  t.name = a ? a->name : b->name;
  t.change = !a ? Change::Added : !b ? Change::Removed : Change::Changed;
  if (a) {
    t.key_before = key_columns(*a);
    t.rows_before = a->value.items.size();
    t.meta_before = side_of(*a, false);
  }
  if (b) {
    t.key_after = key_columns(*b);
    t.rows_after = b->value.items.size();
    t.meta_after = side_of(*b, false);
  }
  if (t.change == Change::Added) {
    for (const auto& r : b->value.items) t.added.push_back(row_key(r, t.key_after));
    return t;
  }
  if (t.change == Change::Removed) {
    for (const auto& r : a->value.items) t.removed.push_back(row_key(r, t.key_before));
    return t;
  }
  t.meta_fields = meta_fields(t.meta_before, t.meta_after);
  t.meta_fields.erase(std::remove(t.meta_fields.begin(), t.meta_fields.end(), "unit"), t.meta_fields.end());

  auto ca = columns_of(*a), cb = columns_of(*b);
  std::map<std::string, std::string> ta(ca.begin(), ca.end()), tb(cb.begin(), cb.end());
  std::vector<std::string> common;
  for (const auto& [n, ty] : cb) {
    auto it = ta.find(n);
    if (it == ta.end()) {
      t.columns_added.push_back(n);
    } else {
      common.push_back(n);
      if (it->second != ty) t.columns_retyped.push_back({n, it->second, ty});
    }
  }
  for (const auto& [n, ty] : ca)
    if (!tb.count(n)) t.columns_removed.push_back(n);
  if (t.key_changed()) return t;  // rows cannot be matched

  std::map<std::vector<std::string>, const Datum*> rows_a;
  for (const auto& r : a->value.items) rows_a.emplace(row_key(r, t.key_before), &r);
  std::set<std::vector<std::string>> keys_b;
  for (const auto& r : b->value.items) keys_b.insert(row_key(r, t.key_after));
  std::set<std::vector<std::string>> seen;  // A's keys that found their row in B
  std::map<std::string, size_t> per_column;
  std::map<std::string, BoolFlips> flips;
  for (const auto& rb : b->value.items) {
    auto key = row_key(rb, t.key_after);
    auto it = rows_a.find(key);
    std::vector<std::string> renamed_from;
    if (it == rows_a.end() && key.size() == 1) {
      // A measure id renamed by the submission format's id_prefix_aliases (ACI_x -> PI_x).
      for (const auto& [from, to] : aliases)
        if (key[0].rfind(to, 0) == 0) {
          std::vector<std::string> old{from + key[0].substr(to.size())};
          auto o = rows_a.find(old);
          if (o != rows_a.end() && !keys_b.count(old)) {
            it = o;
            renamed_from = old;
            break;
          }
        }
    }
    if (it == rows_a.end()) {
      t.added.push_back(key);
      continue;
    }
    seen.insert(it->first);
    RowChange rc;
    rc.key = key;
    rc.renamed_from = renamed_from;
    if (!renamed_from.empty()) ++t.renamed;
    for (const auto& col : common) {
      const Datum* x = field(*it->second, col);
      const Datum* y = field(rb, col);
      if (!x || !y || *x == *y) continue;
      if (!renamed_from.empty() && renamed(*x, aliases) == *y) continue;  // only the ids' prefix changed
      rc.columns.push_back({col, to_string(*x), to_string(*y)});
      ++per_column[col];
      if (x->kind == Datum::Kind::Bool && y->kind == Datum::Kind::Bool) {
        auto& f = flips[col];
        f.column = col;
        ++(y->flag ? f.to_true : f.to_false);
      }
    }
    if (!rc.columns.empty() || !rc.renamed_from.empty()) t.changed.push_back(std::move(rc));
  }
  for (const auto& ra : a->value.items) {
    auto key = row_key(ra, t.key_before);
    if (!seen.count(key)) t.removed.push_back(key);
  }
  for (const auto& col : common) {
    if (auto it = per_column.find(col); it != per_column.end()) t.per_column.emplace_back(col, it->second);
    if (auto it = flips.find(col); it != flips.end()) t.flips.push_back(it->second);
  }
  return t;
}

// ---- definitions and functions ----

ExprScope scope_of(const Policy& p) { return {&p.definitions, &p.functions}; }

void input_reads(const dsl::Expr& e, const Policy& p, std::set<std::string>& out, std::set<int>& fns_seen) {
  if (e.kind == dsl::ExprKind::Path && e.checked.ref == dsl::RefKind::Input && e.names.size() >= 2)
    out.insert("input." + e.names[1]);
  if (e.kind == dsl::ExprKind::Call && e.checked.ref == dsl::RefKind::Function && e.checked.index >= 0 &&
      static_cast<size_t>(e.checked.index) < p.functions.size() && fns_seen.insert(e.checked.index).second)
    input_reads(*p.functions[static_cast<size_t>(e.checked.index)]->body, p, out, fns_seen);
  for (const auto& k : e.kids) input_reads(*k, p, out, fns_seen);
}

// What definition `i` reads: definitions and parameters (through functions too, as the checker
// records them) and input fields.
std::set<std::string> reads_of(const CompiledPolicy& cp, size_t i) {
  std::set<std::string> out;
  const auto& pd = cp.program->definitions()[i];
  for (int d : pd.reads_definitions) out.insert(cp.program->definitions()[static_cast<size_t>(d)].name);
  for (int q : pd.reads_parameters) out.insert("param." + cp.program->parameters()[static_cast<size_t>(q)].name);
  std::set<int> seen;
  input_reads(*cp.policy.definitions[i]->body, cp.policy, out, seen);
  return out;
}

std::set<std::string> function_reads(const Policy& p, const dsl::Function& f) {
  std::set<std::string> out;
  std::set<int> seen;
  std::function<void(const dsl::Expr&)> walk = [&](const dsl::Expr& e) {
    if (e.kind == dsl::ExprKind::Path) {
      const auto& c = e.checked;
      if (c.ref == dsl::RefKind::Input && e.names.size() >= 2) out.insert("input." + e.names[1]);
      if (c.ref == dsl::RefKind::Parameter && c.path_consumed >= 2) {
        std::string n = e.names[1];
        for (int k = 2; k < c.path_consumed; ++k) n += "." + e.names[static_cast<size_t>(k)];
        out.insert("param." + n);
      }
      if (c.ref == dsl::RefKind::Definition && c.index >= 0 && static_cast<size_t>(c.index) < p.definitions.size())
        out.insert(p.definitions[static_cast<size_t>(c.index)]->qualified());
    }
    if (e.kind == dsl::ExprKind::Call && e.checked.ref == dsl::RefKind::Function && e.checked.index >= 0 &&
        static_cast<size_t>(e.checked.index) < p.functions.size() && seen.insert(e.checked.index).second)
      walk(*p.functions[static_cast<size_t>(e.checked.index)]->body);
    for (const auto& k : e.kids) walk(*k);
  };
  walk(*f.body);
  return out;
}

std::string signature(const dsl::Function& f) {
  std::string s = "(";
  for (size_t i = 0; i < f.params.size(); ++i) s += (i ? ", " : "") + dsl::to_string(f.params[i].type);
  s += ")";
  if (f.declared_result) s += ": " + dsl::to_string(f.declared_result);
  return s;
}

void set_diff(const std::set<std::string>& a, const std::set<std::string>& b, std::vector<std::string>& added,
              std::vector<std::string>& removed) {
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(added));
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(removed));
}

// Fills before/after (marked) and the differing parts of two bodies; true when they differ.
bool compare_bodies(const dsl::Expr& a, const ExprScope& sa, const dsl::Expr& b, const ExprScope& sb, DefDiff& d) {
  auto parts = differing_parts(a, sa, b, sb);
  if (parts.empty()) {
    d.before = expr_text(a);
    d.after = expr_text(b);
    return false;
  }
  std::set<const dsl::Expr*> ma, mb;
  for (const auto& [x, y] : parts) {
    if (x) ma.insert(x);
    if (y) mb.insert(y);
    d.parts.emplace_back(x ? expr_text(*x) : "", y ? expr_text(*y) : "");
  }
  d.before = expr_text(a, ma);
  d.after = expr_text(b, mb);
  return true;
}

template <class T>
std::map<std::string, size_t> by_name(const std::vector<std::shared_ptr<T>>& xs) {
  std::map<std::string, size_t> m;
  for (size_t i = 0; i < xs.size(); ++i) m.emplace(xs[i]->qualified(), i);
  return m;
}

void compare_definitions(const CompiledPolicy& a, const CompiledPolicy& b, StaticDiff& out) {
  auto ia = by_name(a.policy.definitions), ib = by_name(b.policy.definitions);
  std::set<std::string> names;
  for (const auto& [n, i] : ia) names.insert(n);
  for (const auto& [n, i] : ib) names.insert(n);
  ExprScope sa = scope_of(a.policy), sb = scope_of(b.policy);
  for (const auto& n : names) {
    auto xa = ia.find(n), xb = ib.find(n);
    const dsl::Definition* da = xa == ia.end() ? nullptr : a.policy.definitions[xa->second].get();
    const dsl::Definition* db = xb == ib.end() ? nullptr : b.policy.definitions[xb->second].get();
    DefDiff d;
    d.name = n;
    d.module = (da ? da : db)->module;
    if (da) {
      d.type_before = dsl::to_string(a.program->definitions()[xa->second].type);
      d.citations_before = da->citations;
      d.doc_before = da->doc;
      d.note_before = da->note;
    }
    if (db) {
      d.type_after = dsl::to_string(b.program->definitions()[xb->second].type);
      d.citations_after = db->citations;
      d.doc_after = db->doc;
      d.note_after = db->note;
    }
    if (!da || !db) {
      d.change = da ? Change::Removed : Change::Added;
      d.logic_changed = true;
      if (da) d.before = expr_text(*da->body);
      if (db) d.after = expr_text(*db->body);
      out.definitions.push_back(std::move(d));
      continue;
    }
    bool declared_differs = dsl::to_string(da->declared) != dsl::to_string(db->declared) &&
                            (da->declared || db->declared);
    d.logic_changed = compare_bodies(*da->body, sa, *db->body, sb, d) || declared_differs;
    set_diff(reads_of(a, xa->second), reads_of(b, xb->second), d.reads_added, d.reads_removed);
    if (d.logic_changed || d.type_changed() || !d.reads_added.empty() || !d.reads_removed.empty() ||
        d.citations_changed() || d.doc_changed() || d.note_changed()) {
      if (d.type_changed()) out.misaligned.push_back({"definition", n, d.type_before, d.type_after});
      out.definitions.push_back(std::move(d));
    }
  }
}

void compare_functions(const CompiledPolicy& a, const CompiledPolicy& b, StaticDiff& out) {
  auto ia = by_name(a.policy.functions), ib = by_name(b.policy.functions);
  std::set<std::string> names;
  for (const auto& [n, i] : ia) names.insert(n);
  for (const auto& [n, i] : ib) names.insert(n);
  ExprScope sa = scope_of(a.policy), sb = scope_of(b.policy);
  for (const auto& n : names) {
    auto xa = ia.find(n), xb = ib.find(n);
    const dsl::Function* fa = xa == ia.end() ? nullptr : a.policy.functions[xa->second].get();
    const dsl::Function* fb = xb == ib.end() ? nullptr : b.policy.functions[xb->second].get();
    DefDiff d;
    d.name = n;
    d.function = true;
    d.module = (fa ? fa : fb)->module;
    if (fa) {
      d.type_before = signature(*fa);
      d.citations_before = fa->citations;
      d.doc_before = fa->doc;
      d.note_before = fa->note;
    }
    if (fb) {
      d.type_after = signature(*fb);
      d.citations_after = fb->citations;
      d.doc_after = fb->doc;
      d.note_after = fb->note;
    }
    if (!fa || !fb) {
      d.change = fa ? Change::Removed : Change::Added;
      d.logic_changed = true;
      if (fa) d.before = expr_text(*fa->body);
      if (fb) d.after = expr_text(*fb->body);
      out.functions.push_back(std::move(d));
      continue;
    }
    d.logic_changed = compare_bodies(*fa->body, sa, *fb->body, sb, d) || d.type_before != d.type_after;
    set_diff(function_reads(a.policy, *fa), function_reads(b.policy, *fb), d.reads_added, d.reads_removed);
    if (d.logic_changed || !d.reads_added.empty() || !d.reads_removed.empty() || d.citations_changed() ||
        d.doc_changed() || d.note_changed()) {
      if (d.type_changed()) out.misaligned.push_back({"function", n, d.type_before, d.type_after});
      out.functions.push_back(std::move(d));
    }
  }
}

// ---- settings and inputs ----

std::string submission_text(const SubmissionFormat& s) {
  std::vector<std::string> parts;
  for (const auto& c : s.categories)
    parts.push_back(fmt::format("{}{}{}", c.name, c.canonical.empty() || c.canonical == c.name ? "" : " as " + c.canonical,
                                c.table.empty() ? "" : " (" + c.table + ")"));
  for (const auto& [from, to] : s.id_prefix_aliases) parts.push_back(fmt::format("ids {} -> {}", from, to));
  return fmt::format("{}", fmt::join(parts, "; "));
}

void item(std::vector<ItemDiff>& out, std::string what, const std::string& a, const std::string& b) {
  if (a != b) out.push_back({std::move(what), Change::Changed, a, b});
}

void compare_settings(const Policy& a, const Policy& b, StaticDiff& out) {
  item(out.settings, "year", a.year, b.year);
  item(out.settings, "arithmetic.division_scale", std::to_string(a.arithmetic.division_scale),
       std::to_string(b.arithmetic.division_scale));
  item(out.settings, "arithmetic.division_rounding", std::string(dsl::rounding_name(a.arithmetic.division_rounding)),
       std::string(dsl::rounding_name(b.arithmetic.division_rounding)));
  item(out.settings, "arithmetic.rounding", std::string(dsl::rounding_name(a.arithmetic.default_rounding)),
       std::string(dsl::rounding_name(b.arithmetic.default_rounding)));
  item(out.settings, "submission", submission_text(a.submission), submission_text(b.submission));
  item(out.settings, "strict_inputs", a.strict_inputs ? "true" : "false", b.strict_inputs ? "true" : "false");
  std::set<std::string> oa(a.outputs.begin(), a.outputs.end()), ob(b.outputs.begin(), b.outputs.end());
  for (const auto& o : ob)
    if (!oa.count(o)) out.settings.push_back({"output " + o, Change::Added, "", o});
  for (const auto& o : oa)
    if (!ob.count(o)) out.settings.push_back({"output " + o, Change::Removed, o, ""});

  auto decl = [](const InputDecl& i) { return dsl::to_string(i.type) + (i.optional ? " (optional)" : ""); };
  std::map<std::string, const InputDecl*> ia, ib;
  for (const auto& i : a.inputs) ia[i.name] = &i;
  for (const auto& i : b.inputs) ib[i.name] = &i;
  for (const auto& [n, i] : ib) {
    auto it = ia.find(n);
    if (it == ia.end()) out.inputs.push_back({"input." + n, Change::Added, "", decl(*i)});
    else item(out.inputs, "input." + n, decl(*it->second), decl(*i));
  }
  for (const auto& [n, i] : ia)
    if (!ib.count(n)) out.inputs.push_back({"input." + n, Change::Removed, decl(*i), ""});
}

}  // namespace

StaticDiff compare(const CompiledPolicy& a, const CompiledPolicy& b, PolicyLabel la, PolicyLabel lb) {
  StaticDiff out;
  out.a = std::move(la);
  out.b = std::move(lb);
  compare_settings(a.policy, b.policy, out);

  std::map<std::string, const Parameter*> pa, pb;
  for (const auto& p : a.policy.parameters) pa[p.name] = &p;
  for (const auto& p : b.policy.parameters) pb[p.name] = &p;
  std::set<std::string> names;
  for (const auto& [n, p] : pa) names.insert(n);
  for (const auto& [n, p] : pb) names.insert(n);
  for (const auto& n : names) {
    auto xa = pa.find(n), xb = pb.find(n);
    const Parameter* x = xa == pa.end() ? nullptr : xa->second;
    const Parameter* y = xb == pb.end() ? nullptr : xb->second;
    if ((x && is_table(*x)) || (y && is_table(*y))) {
      if (x && y && is_table(*x) != is_table(*y)) {
        // A table became a plain value or the other way: a parameter change of type.
        ParamDiff d{n, Change::Changed, side_of(*x, true), side_of(*y, true), {"value", "type"}};
        out.misaligned.push_back({"parameter", n, d.before->type, d.after->type});
        out.parameters.push_back(std::move(d));
        continue;
      }
      Aliases aliases = a.policy.submission.id_prefix_aliases;
      for (const auto& al : b.policy.submission.id_prefix_aliases)
        if (std::find(aliases.begin(), aliases.end(), al) == aliases.end()) aliases.push_back(al);
      TableDiff t = compare_tables(x, y, aliases);
      if (t.rows_changed() || !t.meta_fields.empty()) {
        if (t.key_changed() || !t.columns_retyped.empty())
          out.misaligned.push_back({"table", n, dsl::to_string(x->type), dsl::to_string(y->type)});
        out.tables.push_back(std::move(t));
      }
      continue;
    }
    ParamDiff d;
    d.name = n;
    if (!x || !y) {
      d.change = x ? Change::Removed : Change::Added;
      if (x) d.before = side_of(*x, true);
      if (y) d.after = side_of(*y, true);
      out.parameters.push_back(std::move(d));
      continue;
    }
    d.before = side_of(*x, true);
    d.after = side_of(*y, true);
    if (!(x->value == y->value)) d.fields.push_back("value");
    if (d.before->type != d.after->type) {
      d.fields.push_back("type");
      out.misaligned.push_back({"parameter", n, d.before->type, d.after->type});
    }
    for (auto& f : meta_fields(*d.before, *d.after)) d.fields.push_back(std::move(f));
    if (!d.fields.empty()) out.parameters.push_back(std::move(d));
  }
  compare_definitions(a, b, out);
  compare_functions(a, b, out);
  std::sort(out.misaligned.begin(), out.misaligned.end(),
            [](const Misalignment& x, const Misalignment& y) { return std::tie(x.kind, x.name) < std::tie(y.kind, y.name); });
  return out;
}

// ---- filters ----

bool parse_only(const std::vector<std::string>& words, Filter& f, std::string& error) {
  if (words.empty()) return true;
  f.params = f.rules = f.data = false;
  for (const auto& w : words) {
    size_t start = 0;
    while (start <= w.size()) {
      size_t end = w.find(',', start);
      if (end == std::string::npos) end = w.size();
      std::string part = w.substr(start, end - start);
      if (part == "params" || part == "parameters") f.params = true;
      else if (part == "rules") f.rules = true;
      else if (part == "data" || part == "tables") f.data = true;
      else if (!part.empty()) {
        error = fmt::format("--only takes params, rules or data, not '{}'", part);
        return false;
      }
      start = end + 1;
    }
  }
  return true;
}

StaticDiff filtered(const StaticDiff& d, const Filter& f) {
  StaticDiff out;
  out.a = d.a;
  out.b = d.b;
  auto in_module = [&](const std::string& name) {
    return f.module.empty() || name.rfind(f.module + ".", 0) == 0;
  };
  if (f.rules && f.module.empty()) {
    out.settings = d.settings;
    out.inputs = d.inputs;
  }
  if (f.params)
    for (const auto& p : d.parameters)
      if (in_module(p.name)) out.parameters.push_back(p);
  if (f.data)
    for (const auto& t : d.tables)
      if (in_module(t.name)) out.tables.push_back(t);
  if (f.rules) {
    for (const auto& x : d.definitions)
      if (f.module.empty() || x.module == f.module) out.definitions.push_back(x);
    for (const auto& x : d.functions)
      if (f.module.empty() || x.module == f.module) out.functions.push_back(x);
  }
  for (const auto& m : d.misaligned) {
    bool rule = m.kind == "definition" || m.kind == "function";
    bool table = m.kind == "table";
    bool shown = rule ? f.rules : table ? f.data : f.params;
    if (shown && in_module(m.name)) out.misaligned.push_back(m);
  }
  return out;
}

}  // namespace merit::engine::diff
