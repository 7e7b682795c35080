// The behavioural part of the semantic diff: case files scored under both policies, and the change
// of each case's final score attributed to the changes of the static diff, applied one at a time.
//
// Order of the steps (docs/diff.md "Attribution"):
//   1. settings: the year (the submissions' performanceYear), arithmetic, strict_inputs
//   2. inputs added or changed, by name
//   3. parameters (not tables) added or whose value or type changed, by name
//   4. the submission format, then tables added or whose rows, columns or key changed, by name
//   5. functions added or whose body or signature changed, by name
//   6. definitions added or whose logic or type changed, in B's dependency order
//   7. everything removed, as one group (by then nothing reads it)
// Starting from A, each step replaces (or adds, or removes) the named items by B's, re-compiles
// the policy and scores every case. A step that does not compile on its own (a rule needs
// another change first, e.g. a definition that changes type), or after which a case no longer
// reads (the submission format renames measure ids that only the next table lists), is merged
// with the next step. A case whose final score fails at run time after a step keeps its last
// value, and the next step that scores it takes the difference. The last step is B itself, so
// the parts telescope to B - A exactly.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "engine/cms/case_file.hpp"
#include "engine/cms/submission.hpp"
#include "engine/diff/diff.hpp"

namespace merit::engine::diff {

const std::vector<std::string> kCaseMetrics = {"final.score", "quality.percent", "cost.percent",
                                               "ia.percent",  "aci.percent",     "payment.adjustment"};
const std::vector<std::string> kAttributed = {"final.score", "payment.adjustment"};

std::string Step::label() const { return fmt::format("{}", fmt::join(changes, " + ")); }

int Crossing::direction() const {
  if (!a_at_or_above || !b_at_or_above || *a_at_or_above == *b_at_or_above) return 0;
  return *b_at_or_above ? +1 : -1;
}

dsl::Decimal sum(const std::vector<dsl::Decimal>& xs) {
  dsl::Decimal s;
  for (const auto& x : xs) {
    dsl::Decimal r;
    if (add(s, x, r)) s = r;
  }
  return s;
}

std::string signed_text(const dsl::Decimal& d) {
  std::string t = d.normalized().to_string();
  if (d.is_zero()) return "0";
  return d.is_negative() ? t : "+" + t;
}

namespace {

// ---- the change items ----


template <class T, class Name>
void replace_or_add(std::vector<T>& xs, const T& x, Name name_of) {
  for (auto& y : xs)
    if (name_of(y) == name_of(x)) {
      y = x;
      return;
    }
  xs.push_back(x);
}

template <class T, class Name>
void erase_named(std::vector<T>& xs, const std::string& name, Name name_of) {
  xs.erase(std::remove_if(xs.begin(), xs.end(), [&](const T& y) { return name_of(y) == name; }), xs.end());
}

auto param_name = [](const Parameter& p) { return p.name; };
auto input_name = [](const InputDecl& i) { return i.name; };
auto def_name = [](const std::shared_ptr<dsl::Definition>& d) { return d->qualified(); };
auto fn_name = [](const std::shared_ptr<dsl::Function>& f) { return f->qualified(); };


dsl::Decimal minus(const dsl::Decimal& a, const dsl::Decimal& b) {
  dsl::Decimal r;
  add(a, b.negated(), r);
  return r;
}


// ---- scoring one case ----

struct Scored {
  bool ok = false;
  bool bound = false;  // the case's input was read
  std::string error;
  std::vector<std::optional<dsl::Decimal>> attributed;  // per kAttributed rule
  std::vector<std::string> attributed_text;
  std::vector<Metric> metrics;  // filled when `all`
};

std::optional<dsl::Decimal> number_of(const Value& v) {
  if (v.kind == ValueKind::Number || v.kind == ValueKind::Money) return v.number;
  return std::nullopt;
}

std::string first_error(const dsl::Diagnostics& diags) {
  std::string r = diags.render(false);
  auto nl = r.find('\n');
  return nl == std::string::npos ? r : r.substr(0, nl);
}

struct Scorer {
  const Policy& policy;
  const Program& program;
  cms::MeasureIndex index;
  Evaluator ev;
  std::vector<int> attributed_rules, metric_rules;

  Scorer(const Policy& p, const Program& prog) : policy(p), program(prog), index(p), ev(prog) {
    for (const auto& m : kAttributed) attributed_rules.push_back(program.find_definition(m));
    for (const auto& m : kCaseMetrics) metric_rules.push_back(program.find_definition(m));
  }

  Scored score(const cms::CaseFile& c, bool all) {
    Scored s;
    dsl::Diagnostics diags;
    ev.arena().reset();
    Value input;
    if (!cms::bind_case(c, policy, program, ev.arena(), input, diags, &index)) {
      diags.sort();
      s.error = "does not bind: " + first_error(diags);
      return s;
    }
    s.bound = true;
    if (attributed_rules[0] < 0) {
      s.error = "the policy has no rule final.score";
      return s;
    }
    EvalOptions eo;
    for (int r : all ? metric_rules : attributed_rules)
      if (r >= 0) eo.rules.push_back(r);
    const Outcome& o = ev.evaluate(input, eo);
    auto text_of = [&](int r, std::optional<dsl::Decimal>& num) -> std::string {
      if (r < 0) return "-";
      auto st = o.state[static_cast<size_t>(r)];
      if (st == Outcome::State::Ok) {
        num = number_of(o.values[static_cast<size_t>(r)]);
        return to_string(o.values[static_cast<size_t>(r)], program.definitions()[static_cast<size_t>(r)].type);
      }
      if (st == Outcome::State::Failed && o.error_of[static_cast<size_t>(r)] >= 0) {
        const EvalError& e = o.errors[static_cast<size_t>(o.error_of[static_cast<size_t>(r)])];
        return std::string(dsl::code_info(e.code == dsl::Code::FailedDependency ? e.root_code : e.code).id);
      }
      return "-";
    };
    for (int r : attributed_rules) {
      std::optional<dsl::Decimal> v;
      s.attributed_text.push_back(text_of(r, v));
      s.attributed.push_back(v);
    }
    if (!s.attributed[0]) {
      s.error = "final.score failed (" + s.attributed_text[0] + ")";
      return s;
    }
    s.ok = true;
    if (all)
      for (size_t k = 0; k < kCaseMetrics.size(); ++k) {
        Metric m;
        m.name = kCaseMetrics[k];
        m.a_text = text_of(metric_rules[k], m.a);
        s.metrics.push_back(std::move(m));
      }
    return s;
  }
};

std::vector<cms::CaseFile> cases_for_year(const std::vector<cms::CaseFile>& cases, const std::string& year) {
  std::vector<cms::CaseFile> out = cases;
  if (auto y = dsl::Decimal::parse(year); y && y->is_integer())
    for (auto& c : out) set_performance_year(c.submission.doc, y->to_string());
  return out;
}

std::optional<dsl::Decimal> param_number(const Policy& p, const std::string& name) {
  const Parameter* x = p.find_parameter(name);
  if (x && (x->value.kind == Datum::Kind::Number || x->value.kind == Datum::Kind::Money)) return x->value.number;
  return std::nullopt;
}

}  // namespace

std::vector<ChangeItem> change_items(const CompiledPolicy& b, const StaticDiff& d) {
  std::vector<ChangeItem> items;
  const Policy& pb = b.policy;
  bool arithmetic = false, submission = false, strict = false;
  for (const auto& s : d.settings) {
    arithmetic |= s.what.rfind("arithmetic.", 0) == 0;
    submission |= s.what == "submission";
    strict |= s.what == "strict_inputs";
  }
  bool year = false;
  for (const auto& s : d.settings) year |= s.what == "year";
  if (year) items.push_back({"year", [&pb](Policy& p) { p.year = pb.year; }});
  if (arithmetic) items.push_back({"arithmetic", [&pb](Policy& p) { p.arithmetic = pb.arithmetic; }});
  if (strict) items.push_back({"strict_inputs", [&pb](Policy& p) { p.strict_inputs = pb.strict_inputs; }});

  std::vector<std::string> removed;
  std::vector<std::function<void(Policy&)>> removals;
  for (const auto& i : d.inputs) {
    std::string name = i.what.substr(6);  // "input."
    if (i.change == Change::Removed) {
      removed.push_back(i.what);
      removals.push_back([name](Policy& p) { erase_named(p.inputs, name, input_name); });
      continue;
    }
    for (const auto& decl : pb.inputs)
      if (decl.name == name) items.push_back({i.what, [&decl](Policy& p) { replace_or_add(p.inputs, decl, input_name); }});
  }
  auto param_item = [&](const std::string& name, Change change, const char* kind) {
    if (change == Change::Removed) {
      removed.push_back(fmt::format("{} {}", kind, name));
      removals.push_back([name](Policy& p) { erase_named(p.parameters, name, param_name); });
      return;
    }
    const Parameter* src = pb.find_parameter(name);
    if (src) items.push_back({fmt::format("{} {}", kind, name), [src](Policy& p) { replace_or_add(p.parameters, *src, param_name); }});
  };
  for (const auto& x : d.parameters)
    if (x.value_changed()) param_item(x.name, x.change, "param");
  // The submission format goes with the tables: it names the tables that list each category's
  // measures, and renamed ids only read with the new tables.
  if (submission) items.push_back({"submission format", [&pb](Policy& p) { p.submission = pb.submission; }});
  for (const auto& t : d.tables)
    if (t.rows_changed()) param_item(t.name, t.change, "table");

  for (const auto& f : d.functions) {
    if (f.change == Change::Removed) {
      removed.push_back("fn " + f.name);
      removals.push_back([name = f.name](Policy& p) { erase_named(p.functions, name, fn_name); });
      continue;
    }
    if (!f.logic_changed) continue;
    for (const auto& src : pb.functions)
      if (src->qualified() == f.name)
        items.push_back({"fn " + f.name, [src](Policy& p) { replace_or_add(p.functions, src, fn_name); }});
  }

  // Definitions in B's dependency order.
  std::map<std::string, size_t> rank;
  for (size_t k = 0; k < b.program->order().size(); ++k)
    rank[b.program->definitions()[static_cast<size_t>(b.program->order()[k])].name] = k;
  std::vector<const DefDiff*> defs;
  for (const auto& x : d.definitions) {
    if (x.change == Change::Removed) {
      removed.push_back("def " + x.name);
      removals.push_back([name = x.name](Policy& p) { erase_named(p.definitions, name, def_name); });
      continue;
    }
    if (x.logic_changed || x.type_changed()) defs.push_back(&x);
  }
  std::stable_sort(defs.begin(), defs.end(), [&](const DefDiff* x, const DefDiff* y) { return rank[x->name] < rank[y->name]; });
  for (const DefDiff* x : defs)
    for (const auto& src : pb.definitions)
      if (src->qualified() == x->name)
        items.push_back({"def " + x->name, [src](Policy& p) { replace_or_add(p.definitions, src, def_name); }});

  if (!removals.empty())
    items.push_back({fmt::format("removed: {}", fmt::join(removed, ", ")), [removals](Policy& p) {
                       for (const auto& r : removals) r(p);
                     }});
  return items;
}

// A case scored under a policy of another year: its submission's performanceYear is set to the
// policy's year (otherwise the submission reader refuses it, I806). The case's own `year:` is
// ignored anyway: the caller chooses the policies.
const std::vector<ThresholdParameter>& threshold_parameters() {
  static const std::vector<ThresholdParameter> list = {{"performance", "payment.performance_threshold"},
                                                       {"exceptional", "payment.exceptional_threshold"}};
  return list;
}

void set_performance_year(Document& d, const std::string& year) {
  auto set_in = [&](Document& obj) {
    if (obj.kind != Document::Kind::Object) return false;
    for (size_t i = 0; i < obj.keys.size() && i < obj.items.size(); ++i)
      if (obj.keys[i] == "performanceYear") {
        obj.items[i].kind = Document::Kind::Number;
        obj.items[i].text = year;
        return true;
      }
    return false;
  };
  if (set_in(d) || d.kind != Document::Kind::Object) return;
  for (size_t i = 0; i < d.keys.size() && i < d.items.size(); ++i)  // the API's {"data": {"submission": ...}}
    if (d.keys[i] == "data" && d.items[i].kind == Document::Kind::Object)
      for (size_t j = 0; j < d.items[i].keys.size(); ++j)
        if (d.items[i].keys[j] == "submission") set_in(d.items[i].items[j]);
}

Behaviour compare_cases(const CompiledPolicy& a, const CompiledPolicy& b, const StaticDiff& d,
                        const std::vector<std::filesystem::path>& case_files) {
  Behaviour out;
  // Read the cases; bad-input cases (expected_error) test the readers, not the rules.
  std::vector<cms::CaseFile> cases;
  for (const auto& f : case_files) {
    dsl::Diagnostics cd;
    auto c = cms::read_case(f, cms::PolicyRoots{}, cd);
    if (c && !c->expected_error.empty()) {
      ++out.skipped;
      out.skipped_files.push_back(f.string());
      continue;
    }
    CaseDiff r;
    r.file = f.string();
    r.id = c ? c->id : f.stem().string();
    if (!c) {
      cd.sort();
      r.error = "cannot be read: " + first_error(cd);
      out.cases.push_back(std::move(r));
      cases.emplace_back();  // placeholder, never scored
      continue;
    }
    out.cases.push_back(std::move(r));
    cases.push_back(std::move(*c));
  }

  // Each policy scores the cases as submitted for its own year.
  std::map<std::string, std::vector<cms::CaseFile>> by_year;
  auto cases_of = [&](const std::string& year) -> const std::vector<cms::CaseFile>& {
    auto it = by_year.find(year);
    if (it == by_year.end()) it = by_year.emplace(year, cases_for_year(cases, year)).first;
    return it->second;
  };

  // Endpoints: A and B as compiled.
  Scorer sa(a.policy, *a.program), sb(b.policy, *b.program);
  const auto& cases_a = cases_of(a.policy.year);
  const auto& cases_b = cases_of(b.policy.year);
  size_t na = kAttributed.size();
  // Per case and attributed rule: the value under A (then the last step scored) and under B.
  std::vector<std::vector<std::optional<dsl::Decimal>>> prev(cases.size()), end(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    CaseDiff& r = out.cases[i];
    if (!r.error.empty()) continue;
    Scored x = sa.score(cases_a[i], true), y = sb.score(cases_b[i], true);
    if (!x.ok || !y.ok) {
      r.error = !x.ok ? "under A: " + x.error : "under B: " + y.error;
      continue;
    }
    for (size_t k = 0; k < x.metrics.size(); ++k) {
      Metric m = x.metrics[k];
      m.b = y.metrics[k].a;
      m.b_text = y.metrics[k].a_text;
      r.metrics.push_back(std::move(m));
    }
    prev[i] = x.attributed;
    end[i] = y.attributed;
    for (size_t m = 1; m < na; ++m)  // attributed only when both sides have a value
      if (!prev[i][m] || !end[i][m]) prev[i][m] = end[i][m] = std::nullopt;
    const dsl::Decimal& fa = *x.attributed[0];
    const dsl::Decimal& fb = *y.attributed[0];
    r.delta = minus(fb, fa);
    if (prev[i][1]) r.adjustment_delta = minus(*end[i][1], *prev[i][1]);
    for (const auto& [label, param] : threshold_parameters()) {
      Crossing c;
      c.threshold = label;
      c.param = param;
      c.a_threshold = param_number(a.policy, param);
      c.b_threshold = param_number(b.policy, param);
      if (!c.a_threshold && !c.b_threshold) continue;
      if (c.a_threshold) c.a_at_or_above = !(fa < *c.a_threshold);
      if (c.b_threshold) c.b_at_or_above = !(fb < *c.b_threshold);
      r.crossings.push_back(std::move(c));
    }
  }
  std::vector<std::vector<std::optional<dsl::Decimal>>> start = prev;

  // One step: each case's parts are the change since the last step it was scored at.
  auto record = [&](Step step, const std::vector<std::vector<std::optional<dsl::Decimal>>>& scores,
                    const std::vector<std::string>& why) {
    size_t k = out.steps.size();
    out.steps.push_back(std::move(step));
    for (size_t i = 0; i < cases.size(); ++i) {
      CaseDiff& r = out.cases[i];
      if (!r.error.empty()) continue;
      for (size_t m = 0; m < na; ++m) {
        if (!prev[i][m]) continue;  // not attributed for this case
        auto& parts = m == 0 ? r.contributions : r.adjustment_contributions;
        if (scores[i][m]) {
          parts.push_back(minus(*scores[i][m], *prev[i][m]));
          prev[i][m] = scores[i][m];
        } else {
          parts.push_back(dsl::Decimal());
          r.notes.push_back(fmt::format("after step {} ({}): {} {}; its effect is counted in the next step", k + 1,
                                        out.steps.back().label(), kAttributed[m], why[i].empty() ? "has no value" : why[i]));
        }
      }
    }
  };

  // The steps.
  std::vector<ChangeItem> items = change_items(b, d);
  Policy work = a.policy;
  work.outputs.clear();  // intermediate policies evaluate the attributed rules only; no lint
  work.output_where.clear();
  Step pending;
  std::string pending_note;
  for (size_t n = 0; n < items.size(); ++n) {
    items[n].apply(work);
    pending.changes.push_back(items[n].label);
    if (n + 1 == items.size()) break;  // the last step is B itself
    dsl::Diagnostics cd;
    auto program = compile_loaded(work, cd);
    if (!program) {
      cd.sort();
      pending_note += fmt::format("{}'{}' does not compile without the next change ({}); merged with it",
                                  pending_note.empty() ? "" : "; ", items[n].label, first_error(cd));
      continue;
    }
    Scorer s(work, *program);
    const auto& cases_w = cases_of(work.year);
    std::vector<std::vector<std::optional<dsl::Decimal>>> scores(cases.size(), std::vector<std::optional<dsl::Decimal>>(na));
    std::vector<std::string> why(cases.size());
    std::string unread;  // a case that no longer reads its input
    for (size_t i = 0; i < cases.size() && unread.empty(); ++i) {
      if (!out.cases[i].error.empty()) continue;
      Scored x = s.score(cases_w[i], false);
      if (x.ok) scores[i] = x.attributed;
      else why[i] = "failed: " + x.error;
      if (!x.bound) unread = fmt::format("case {} {}", out.cases[i].id, x.error);
    }
    if (!unread.empty()) {
      pending_note += fmt::format("{}after '{}' {} until the next change; merged with it", pending_note.empty() ? "" : "; ",
                                  items[n].label, unread);
      continue;
    }
    pending.note = pending_note;
    record(std::move(pending), scores, why);
    pending = Step{};
    pending_note.clear();
  }
  std::vector<std::string> no_why(cases.size());
  if (!pending.changes.empty()) {
    pending.note = pending_note;
    record(std::move(pending), end, no_why);
  } else {
    // Nothing the diff names changed, yet some score moved: say so rather than lose it.
    bool moved = false;
    for (size_t i = 0; i < cases.size(); ++i)
      if (out.cases[i].error.empty())
        for (size_t m = 0; m < na; ++m)
          if (start[i][m] && !(*start[i][m] == *end[i][m])) moved = true;
    if (moved) record(Step{{"differences the static diff does not name"}, ""}, end, no_why);
  }
  return out;
}

}  // namespace merit::engine::diff
