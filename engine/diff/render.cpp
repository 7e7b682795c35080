// The semantic diff as a terminal view and as a markdown memo.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "engine/diff/diff.hpp"
#include "engine/diff/expr_text.hpp"

namespace merit::engine::diff {

namespace {

// ---- shared helpers ----

constexpr size_t kShortList = 10;  // lists of table rows up to this long are shown without --list

struct Style {
  bool color = false;
  std::string wrap(std::string_view code, std::string_view s) const {
    return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, s) : std::string(s);
  }
  std::string bold(std::string_view s) const { return wrap("1", s); }
  std::string dim(std::string_view s) const { return wrap("2", s); }
  std::string red(std::string_view s) const { return wrap("31", s); }
  std::string green(std::string_view s) const { return wrap("32", s); }
  std::string yellow(std::string_view s) const { return wrap("33", s); }
  // Differing parts: reverse video in colour, ⟦ ⟧ otherwise.
  std::string marks(std::string_view s, bool before) const {
    if (!color) return replace_marks(s, "⟦", "⟧");
    return replace_marks(s, before ? "\x1b[7;31m" : "\x1b[7;32m", "\x1b[27;39m");
  }
};

size_t display_width(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b) {  // skip an ANSI sequence
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string pad(const std::string& s, size_t width, bool right) {
  size_t w = display_width(s);
  std::string fill(w < width ? width - w : 0, ' ');
  return right ? fill + s : s + fill;
}

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string key_text(const std::vector<std::string>& key) {
  return key.size() == 1 ? key[0] : fmt::format("[{}]", fmt::join(key, ", "));
}

std::string row_name(const RowChange& r) {
  return r.renamed_from.empty() ? key_text(r.key) : fmt::format("{} (was {})", key_text(r.key), key_text(r.renamed_from));
}

std::string cites(const std::vector<std::string>& c) { return c.empty() ? "(none)" : fmt::format("{}", fmt::join(c, "; ")); }

std::string or_none(const std::string& s) { return s.empty() ? "(none)" : s; }

std::string decimal_text(const std::optional<dsl::Decimal>& d) { return d ? d->normalized().to_string() : "-"; }

struct Counts {
  size_t added = 0, removed = 0, changed = 0;
};
template <class T>
Counts count(const std::vector<T>& xs) {
  Counts c;
  for (const auto& x : xs) ++(x.change == Change::Added ? c.added : x.change == Change::Removed ? c.removed : c.changed);
  return c;
}

std::string filter_text(const Filter& f) {
  std::vector<std::string> parts;
  if (!(f.params && f.rules && f.data)) {
    std::vector<std::string> only;
    if (f.params) only.push_back("params");
    if (f.rules) only.push_back("rules");
    if (f.data) only.push_back("data");
    parts.push_back(fmt::format("--only {}", fmt::join(only, ",")));
  }
  if (!f.module.empty()) parts.push_back("--module " + f.module);
  return fmt::format("{}", fmt::join(parts, " "));
}

std::string side_title(const PolicyLabel& p) {
  std::string s = p.label;
  std::vector<std::string> extra;
  if (!p.name.empty() && p.name != p.label) extra.push_back("policy " + p.name);
  if (!p.year.empty()) extra.push_back("year " + p.year);
  if (!extra.empty()) s += fmt::format(" ({})", fmt::join(extra, ", "));
  return s;
}

bool show_rows(const TableDiff& t, bool list) { return list || t.added.size() + t.removed.size() + t.changed.size() <= kShortList; }

std::string table_summary(const TableDiff& t) {
  std::string noun = t.noun();
  if (t.change == Change::Added) return fmt::format("added, {} {}", t.rows_after, noun);
  if (t.change == Change::Removed) return fmt::format("removed, had {} {}", t.rows_before, noun);
  std::vector<std::string> parts;
  if (t.key_changed())
    parts.push_back(fmt::format("key [{}] → [{}]: rows cannot be matched", fmt::join(t.key_before, ", "), fmt::join(t.key_after, ", ")));
  if (!t.added.empty()) parts.push_back(fmt::format("{} added", t.added.size()));
  if (!t.removed.empty()) parts.push_back(fmt::format("{} removed", t.removed.size()));
  if (!t.changed.empty())
    parts.push_back(t.renamed ? fmt::format("{} changed ({} renamed)", t.changed.size(), t.renamed)
                              : fmt::format("{} changed", t.changed.size()));
  if (parts.empty()) parts.push_back("rows unchanged");
  return fmt::format("{} → {} {}: {}", t.rows_before, t.rows_after, noun, fmt::join(parts, ", "));
}

std::string columns_summary(const TableDiff& t) {
  std::vector<std::string> parts;
  for (const auto& [col, n] : t.per_column) {
    std::string s = fmt::format("{} in {}", col, plural(n, "row", "rows"));
    for (const auto& f : t.flips)
      if (f.column == col) s += fmt::format(" ({} became true, {} became false)", f.to_true, f.to_false);
    parts.push_back(s);
  }
  for (const auto& c : t.columns_added) parts.push_back("column " + c + " added");
  for (const auto& c : t.columns_removed) parts.push_back("column " + c + " removed");
  for (const auto& c : t.columns_retyped) parts.push_back(fmt::format("column {} type {} → {}", c.column, c.before, c.after));
  return fmt::format("{}", fmt::join(parts, "; "));
}


std::vector<std::string> def_aspects(const DefDiff& d) {
  std::vector<std::string> a;
  if (d.logic_changed) a.push_back("logic");
  if (d.type_changed()) a.push_back(fmt::format("type {} → {}", d.type_before, d.type_after));
  if (!d.logic_changed && (!d.reads_added.empty() || !d.reads_removed.empty())) a.push_back("dependencies");
  if (d.citations_changed()) a.push_back("cite");
  if (d.doc_changed()) a.push_back("doc");
  if (d.note_changed()) a.push_back("note");
  return a;
}

std::string reads_text(const DefDiff& d) {
  std::vector<std::string> r;
  for (const auto& x : d.reads_added) r.push_back("+" + x);
  for (const auto& x : d.reads_removed) r.push_back("-" + x);
  return fmt::format("{}", fmt::join(r, " "));
}

// Behaviour summaries shared by text and markdown.
struct Summary {
  size_t scored = 0, errors = 0, changed = 0;
  dsl::Decimal total, mean, min, max;
  bool any = false;
  std::map<std::string, std::pair<size_t, size_t>> crossings;  // threshold -> (up, down)
  std::vector<std::string> thresholds;                         // in first-seen order
  std::vector<dsl::Decimal> step_total;
  std::vector<size_t> step_cases;
  // payment.adjustment, for the cases where both policies have it
  size_t adj_scored = 0, adj_changed = 0;
  dsl::Decimal adj_total, adj_mean;
  std::vector<dsl::Decimal> adj_step_total;
};

dsl::Decimal mean_of(const dsl::Decimal& total, size_t n) {
  dsl::Decimal m, r;
  if (n == 0 || !div(total, dsl::Decimal::from_int(static_cast<int64_t>(n)), 18, dsl::Rounding::HalfEven, m)) return {};
  round(m, 4, dsl::Rounding::HalfEven, r);
  return r.normalized();
}

Summary summarize(const Behaviour& b) {
  Summary s;
  s.step_total.assign(b.steps.size(), dsl::Decimal());
  s.adj_step_total.assign(b.steps.size(), dsl::Decimal());
  s.step_cases.assign(b.steps.size(), 0);
  std::vector<dsl::Decimal> deltas, adj;
  for (const auto& c : b.cases) {
    if (!c.error.empty()) {
      ++s.errors;
      continue;
    }
    ++s.scored;
    dsl::Decimal d = c.delta.value_or(dsl::Decimal());
    deltas.push_back(d);
    if (!d.is_zero()) ++s.changed;
    if (!s.any || d < s.min) s.min = d;
    if (!s.any || s.max < d) s.max = d;
    s.any = true;
    if (c.adjustment_delta) {
      ++s.adj_scored;
      adj.push_back(*c.adjustment_delta);
      if (!c.adjustment_delta->is_zero()) ++s.adj_changed;
    }
    for (const auto& x : c.crossings) {
      if (!s.crossings.count(x.threshold)) s.thresholds.push_back(x.threshold);
      auto& [up, down] = s.crossings[x.threshold];
      if (x.direction() > 0) ++up;
      if (x.direction() < 0) ++down;
    }
    for (size_t k = 0; k < c.contributions.size() && k < b.steps.size(); ++k) {
      s.step_total[k] = sum({s.step_total[k], c.contributions[k]});
      if (!c.contributions[k].is_zero()) ++s.step_cases[k];
    }
    for (size_t k = 0; k < c.adjustment_contributions.size() && k < b.steps.size(); ++k)
      s.adj_step_total[k] = sum({s.adj_step_total[k], c.adjustment_contributions[k]});
  }
  s.total = sum(deltas);
  s.mean = mean_of(s.total, s.scored);
  s.adj_total = sum(adj);
  s.adj_mean = mean_of(s.adj_total, s.adj_scored);
  return s;
}

// A case is worth a line of its own when a score moved, a threshold was crossed or a step failed.
bool eventful(const CaseDiff& c) {
  if (!c.error.empty() || !c.delta) return false;
  if (!c.delta->is_zero() || (c.adjustment_delta && !c.adjustment_delta->is_zero()) || !c.notes.empty()) return true;
  for (const auto& x : c.crossings)
    if (x.direction() != 0) return true;
  return false;
}

std::string crossing_text(const Crossing& x) {
  auto status = [](const std::optional<bool>& above, const std::optional<dsl::Decimal>& t) {
    if (!above) return std::string("-");
    return fmt::format("{} {}", *above ? "at or above" : "below", decimal_text(t));
  };
  return fmt::format("{}: {} → {}", x.threshold, status(x.a_at_or_above, x.a_threshold), status(x.b_at_or_above, x.b_threshold));
}

std::string crossings_cell(const CaseDiff& c) {
  std::vector<std::string> parts;
  for (const auto& x : c.crossings)
    if (x.direction() != 0) parts.push_back(fmt::format("{} {}", x.threshold, x.direction() > 0 ? "↑" : "↓"));
  return parts.empty() ? "" : fmt::format("{}", fmt::join(parts, ", "));
}

const Metric* metric(const CaseDiff& c, std::string_view name) {
  for (const auto& m : c.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

std::string delta_cell(const CaseDiff& c, std::string_view name) {
  const Metric* m = metric(c, name);
  if (!m || !m->a || !m->b) return m && m->a_text == m->b_text ? m->a_text : "-";
  dsl::Decimal d, r;
  add(*m->b, m->a->negated(), d);
  if (!round(d, 2, dsl::Rounding::HalfEven, r)) r = d;  // category percents: 2 decimals on screen (JSON is exact)
  return signed_text(r);
}

std::string value_cell(const Metric* m, bool b) {
  if (!m) return "-";
  return (b ? m->b : m->a) ? decimal_text(b ? m->b : m->a) : (b ? m->b_text : m->a_text);
}

std::string parts_text(const Behaviour& b, const std::vector<dsl::Decimal>& parts, const dsl::Decimal& total) {
  std::vector<std::string> out;
  for (size_t k = 0; k < parts.size() && k < b.steps.size(); ++k)
    if (!parts[k].is_zero()) out.push_back(fmt::format("{} ({})", signed_text(parts[k]), b.steps[k].label()));
  if (out.empty()) return "0";
  if (out.size() == 1) return out[0];
  return fmt::format("{} = {}", signed_text(total), fmt::join(out, " "));
}

std::string case_line(const Behaviour& b, const CaseDiff& c) {
  std::string s = fmt::format("final.score {}", parts_text(b, c.contributions, *c.delta));
  if (c.adjustment_delta) s += fmt::format("; payment.adjustment {}", parts_text(b, c.adjustment_contributions, *c.adjustment_delta));
  return s;
}

std::string short_id(const std::string& id, size_t max) {
  if (display_width(id) <= max) return id;
  return id.substr(0, max - 1) + "…";
}

// ---- text ----

class TextView {
 public:
  TextView(const StaticDiff& d, const Behaviour* b, const RenderOptions& o) : d_(d), b_(b), o_(o), s_{o.color} {}

  std::string render() {
    line(s_.bold("merit diff"));
    line(fmt::format("  A: {}", side_title(d_.a)));
    line(fmt::format("  B: {}", side_title(d_.b)));
    if (!o_.filter.selects_all()) line(fmt::format("  showing: {}", filter_text(o_.filter)));
    line("");
    if (d_.empty()) {
      line(o_.filter.selects_all() ? "No differences: the two policies are the same."
                                   : "No differences in what is shown.");
    } else {
      misaligned();
      settings();
      parameters();
      rules();
      tables();
    }
    if (b_) behaviour();
    return out_;
  }

 private:
  void line(const std::string& s) { out_ += s + "\n"; }

  void misaligned() {
    if (d_.misaligned.empty()) return;
    line(s_.bold(s_.yellow("The rule sets cannot be aligned name by name where a type changes:")));
    for (const auto& m : d_.misaligned)
      line(fmt::format("  {} {}: {} → {}", m.kind, m.name, m.before, m.after));
    line("  (a rule reading it must change with it; everything else is compared as usual)");
    line("");
  }

  void settings() {
    if (d_.settings.empty() && d_.inputs.empty()) return;
    line(s_.bold("Settings and inputs"));
    for (const auto* list : {&d_.settings, &d_.inputs})
      for (const auto& x : *list) {
        if (x.change == Change::Added) line(s_.green(fmt::format("  + {}: {}", x.what, x.after)));
        else if (x.change == Change::Removed) line(s_.red(fmt::format("  - {}: {}", x.what, x.before)));
        else line(fmt::format("  ~ {}: {} → {}", x.what, s_.red(x.before), s_.green(x.after)));
      }
    line("");
  }

  void two_sides(std::string_view what, const std::string& a, const std::string& b) {
    line(fmt::format("      {:<5} A: {}", what, s_.red(a)));
    line(fmt::format("      {:<5} B: {}", "", s_.green(b)));
  }

  void parameters() {
    if (d_.parameters.empty()) return;
    Counts c = count(d_.parameters);
    line(s_.bold(fmt::format("Parameters: {} changed, {} added, {} removed", c.changed, c.added, c.removed)));
    for (const auto& p : d_.parameters) {
      if (p.change != Change::Changed) {
        const ParamSide& x = p.change == Change::Added ? *p.after : *p.before;
        std::string text = fmt::format("  {} {} = {}{}", p.change == Change::Added ? "+" : "-", p.name, x.value,
                                       x.unit.empty() ? "" : " " + x.unit);
        line(p.change == Change::Added ? s_.green(text) : s_.red(text));
        line(s_.dim(fmt::format("      cite  {}", cites(x.citations))));
        if (!x.note.empty()) line(s_.dim(fmt::format("      note  {}", x.note)));
        continue;
      }
      const ParamSide &a = *p.before, &b = *p.after;
      std::string value = p.value_changed() ? fmt::format("{} → {}", s_.red(a.value), s_.green(b.value)) : a.value + " (value unchanged)";
      std::string unit = a.unit == b.unit ? a.unit : fmt::format("{} → {}", or_none(a.unit), or_none(b.unit));
      line(fmt::format("  ~ {}  {}{}", s_.bold(p.name), value, unit.empty() ? "" : "  " + unit));
      if (a.type != b.type) two_sides("type", a.type, b.type);
      if (a.citations != b.citations) two_sides("cite", cites(a.citations), cites(b.citations));
      else line(s_.dim(fmt::format("      cite  {}", cites(a.citations))));
      if (a.note != b.note) two_sides("note", or_none(a.note), or_none(b.note));
      else if (!a.note.empty()) line(s_.dim(fmt::format("      note  {}", a.note)));
      if (a.doc != b.doc) two_sides("doc", or_none(a.doc), or_none(b.doc));
    }
    line("");
  }

  void def(const DefDiff& d) {
    std::string kind = d.function ? "fn " : "";
    if (d.change == Change::Added) {
      line(s_.green(fmt::format("  + {}{}: {}", kind, d.name, d.type_after)));
      line(fmt::format("      B: {}", s_.green(d.after)));
      if (!d.citations_after.empty()) line(s_.dim(fmt::format("      cite  {}", cites(d.citations_after))));
      return;
    }
    if (d.change == Change::Removed) {
      line(s_.red(fmt::format("  - {}{}: {}", kind, d.name, d.type_before)));
      line(fmt::format("      A: {}", s_.red(d.before)));
      return;
    }
    line(fmt::format("  ~ {}{}  {}", kind, s_.bold(d.name), fmt::join(def_aspects(d), ", ")));
    if (d.logic_changed) {
      line(fmt::format("      A: {}", s_.marks(d.before, true)));
      line(fmt::format("      B: {}", s_.marks(d.after, false)));
      if (d.before.size() > 100)
        for (const auto& [x, y] : d.parts)
          line(fmt::format("      at: {} → {}", x.empty() ? s_.dim("(nothing)") : s_.red(x), y.empty() ? s_.dim("(nothing)") : s_.green(y)));
    }
    if (!d.reads_added.empty() || !d.reads_removed.empty()) line(fmt::format("      reads {}", reads_text(d)));
    if (d.citations_changed()) two_sides("cite", cites(d.citations_before), cites(d.citations_after));
    if (d.doc_changed()) two_sides("doc", or_none(d.doc_before), or_none(d.doc_after));
    if (d.note_changed()) two_sides("note", or_none(d.note_before), or_none(d.note_after));
  }

  void rules() {
    if (d_.definitions.empty() && d_.functions.empty()) return;
    Counts c = count(d_.definitions), f = count(d_.functions);
    size_t logic = 0;
    for (const auto& x : d_.definitions) logic += x.change == Change::Changed && x.logic_changed;
    line(s_.bold(fmt::format("Rules: {} definitions changed ({} in logic), {} added, {} removed; {} functions changed, {} added, {} removed",
                             c.changed, logic, c.added, c.removed, f.changed, f.added, f.removed)));
    for (const auto& x : d_.definitions) def(x);
    for (const auto& x : d_.functions) def(x);
    line("");
  }

  void tables() {
    if (d_.tables.empty()) return;
    line(s_.bold(fmt::format("Reference data: {} changed", plural(d_.tables.size(), "table", "tables"))));
    for (const auto& t : d_.tables) {
      std::string mark = t.change == Change::Added ? "+" : t.change == Change::Removed ? "-" : "~";
      line(fmt::format("  {} {} ({})", mark, s_.bold(t.name), table_summary(t)));
      if (std::string cols = columns_summary(t); !cols.empty()) line(fmt::format("      {}", cols));
      if (show_rows(t, o_.list)) {
        for (const auto& k : t.added) line(s_.green(fmt::format("      + {}", key_text(k))));
        for (const auto& k : t.removed) line(s_.red(fmt::format("      - {}", key_text(k))));
        for (const auto& r : t.changed) {
          std::vector<std::string> cols;
          for (const auto& c : r.columns) cols.push_back(fmt::format("{}: {} → {}", c.column, s_.red(c.before), s_.green(c.after)));
          line(fmt::format("      ~ {}  {}", row_name(r), cols.empty() ? std::string("(same columns)") : fmt::format("{}", fmt::join(cols, "; "))));
        }
      } else {
        line(s_.dim("      (--list shows every row)"));
      }
      for (const auto& f : t.meta_fields) {
        if (f == "cite") two_sides("cite", cites(t.meta_before.citations), cites(t.meta_after.citations));
        if (f == "doc") two_sides("doc", or_none(t.meta_before.doc), or_none(t.meta_after.doc));
        if (f == "note") two_sides("note", or_none(t.meta_before.note), or_none(t.meta_after.note));
      }
    }
    line("");
  }

  void behaviour() {
    const Behaviour& b = *b_;
    Summary s = summarize(b);
    line(s_.bold(fmt::format("Cases: {} scored under both policies{}{}", s.scored,
                             s.errors ? fmt::format(", {} could not be scored", s.errors) : "",
                             b.skipped ? fmt::format(", {} bad-input cases skipped", b.skipped) : "")));
    if (b.cases.empty()) {
      line("  (no case files)");
      return;
    }
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"case", "final A", "final B", "Δ", "Δ quality", "Δ cost", "Δ ia", "Δ aci", "adj A", "adj B", "crossings"});
    for (const auto& c : b.cases) {
      if (!c.error.empty()) continue;
      const Metric* fs = metric(c, "final.score");
      const Metric* adj = metric(c, "payment.adjustment");
      rows.push_back({short_id(c.id, 40), value_cell(fs, false), value_cell(fs, true), c.delta ? signed_text(*c.delta) : "-",
                      delta_cell(c, "quality.percent"), delta_cell(c, "cost.percent"), delta_cell(c, "ia.percent"),
                      delta_cell(c, "aci.percent"), value_cell(adj, false), value_cell(adj, true), crossings_cell(c)});
    }
    table(rows, {false, true, true, true, true, true, true, true, true, true, false});
    for (const auto& c : b.cases)
      if (!c.error.empty()) line(s_.red(fmt::format("  {}: {}", c.id, c.error)));
    line("");
    if (s.scored == 0) return;
    line(s_.bold(fmt::format("Summary: final score Δ mean {} (min {}, max {}); {} of {} cases changed", signed_text(s.mean),
                             signed_text(s.min), signed_text(s.max), s.changed, s.scored)));
    if (s.adj_scored)
      line(fmt::format("  payment adjustment Δ mean {}; {} of {} cases changed", signed_text(s.adj_mean), s.adj_changed, s.adj_scored));
    for (const auto& t : s.thresholds) {
      auto [up, down] = s.crossings[t];
      line(fmt::format("  {} threshold: {} crossed up (below → at or above), {} crossed down", t, up, down));
    }
    line("");
    line(s_.bold("Attribution") + " (from A, one change at a time in this order; the last step is B)");
    if (b.steps.empty()) {
      line("  (no change that could move a score)");
    } else {
      std::vector<std::vector<std::string>> st;
      bool adj = s.adj_scored > 0;
      st.push_back({"step", "change", "Δ final total", "mean", "cases"});
      if (adj) st[0].insert(st[0].end(), {"Δ adjustment total", "mean"});
      for (size_t k = 0; k <= b.steps.size(); ++k) {
        bool total = k == b.steps.size();
        st.push_back({total ? "" : std::to_string(k + 1), total ? "sum" : b.steps[k].label(),
                      signed_text(total ? s.total : s.step_total[k]),
                      signed_text(total ? s.mean : mean_of(s.step_total[k], s.scored)),
                      std::to_string(total ? s.changed : s.step_cases[k])});
        if (adj)
          st.back().insert(st.back().end(), {signed_text(total ? s.adj_total : s.adj_step_total[k]),
                                             signed_text(total ? s.adj_mean : mean_of(s.adj_step_total[k], s.adj_scored))});
      }
      table(st, {true, false, true, true, true, true, true});
      for (size_t k = 0; k < b.steps.size(); ++k)
        if (!b.steps[k].note.empty()) line(s_.dim(fmt::format("  step {}: {}", k + 1, b.steps[k].note)));
    }
    line("");
    size_t quiet = 0;
    line(s_.bold("Per case") + " (cases whose score or adjustment moved, or that crossed a threshold)");
    for (const auto& c : b.cases) {
      if (!eventful(c)) {
        quiet += c.error.empty();
        continue;
      }
      line(fmt::format("  {}: {}", c.id, case_line(b, c)));
      for (const auto& x : c.crossings)
        if (x.direction() != 0) line(s_.yellow(fmt::format("      {}", crossing_text(x))));
      for (const auto& n : c.notes) line(s_.dim("      " + n));
    }
    if (quiet) line(s_.dim(fmt::format("  ({} other {} unchanged)", quiet, quiet == 1 ? "case" : "cases")));
  }

  void table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
    std::vector<size_t> w(rows[0].size(), 0);
    for (const auto& r : rows)
      for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], display_width(r[i]));
    for (size_t n = 0; n < rows.size(); ++n) {
      std::string l = " ";
      for (size_t i = 0; i < rows[n].size(); ++i) {
        l += ' ';
        l += pad(rows[n][i], w[i], right[i]);
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      line(n == 0 ? s_.dim(l) : l);
    }
  }

  const StaticDiff& d_;
  const Behaviour* b_;
  const RenderOptions& o_;
  Style s_;
  std::string out_;
};

// ---- markdown ----

std::string md(std::string_view s) {  // a table cell
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string code(std::string_view s) {
  if (s.empty()) return "";
  return s.find('`') == std::string_view::npos ? fmt::format("`{}`", md(s)) : fmt::format("`` {} ``", md(s));
}

class MarkdownView {
 public:
  MarkdownView(const StaticDiff& d, const Behaviour* b, const RenderOptions& o) : d_(d), b_(b), o_(o) {}

  std::string render() {
    line(fmt::format("{} Policy diff: {} → {}", h(1), d_.a.label, d_.b.label));
    line("");
    line(fmt::format("- **A**: {}", side_title(d_.a)));
    line(fmt::format("- **B**: {}", side_title(d_.b)));
    if (!o_.filter.selects_all()) line(fmt::format("- **Shown**: {}", code(filter_text(o_.filter))));
    line("");
    if (d_.empty()) {
      line(o_.filter.selects_all() ? "No differences: the two policies are the same." : "No differences in what is shown.");
      line("");
    } else {
      summary();
      misaligned();
      settings();
      parameters();
      rules();
      tables();
    }
    if (b_) behaviour();
    while (out_.size() >= 2 && out_.substr(out_.size() - 2) == "\n\n") out_.pop_back();
    return out_;
  }

 private:
  void line(const std::string& s) { out_ += s + "\n"; }
  std::string h(int level) const { return std::string(static_cast<size_t>(std::clamp(level + o_.heading - 1, 1, 6)), '#'); }

  void summary() {
    line(h(2) + " Summary");
    line("");
    line("| | changed | added | removed |");
    line("|---|---:|---:|---:|");
    auto row = [&](std::string_view what, Counts c) { line(fmt::format("| {} | {} | {} | {} |", what, c.changed, c.added, c.removed)); };
    Counts s = count(d_.settings);
    Counts i = count(d_.inputs);
    row("Settings and inputs", {s.added + i.added, s.removed + i.removed, s.changed + i.changed});
    row("Parameters", count(d_.parameters));
    row("Definitions", count(d_.definitions));
    row("Functions", count(d_.functions));
    row("Tables", count(d_.tables));
    line("");
  }

  void misaligned() {
    if (d_.misaligned.empty()) return;
    line(h(2) + " Types that change");
    line("");
    line("The rule sets cannot be aligned name by name where a type changes (a rule reading it must change with it):");
    line("");
    for (const auto& m : d_.misaligned) line(fmt::format("- {} {}: {} → {}", m.kind, code(m.name), code(m.before), code(m.after)));
    line("");
  }

  void settings() {
    if (d_.settings.empty() && d_.inputs.empty()) return;
    line(h(2) + " Settings and inputs");
    line("");
    line("| Item | Change | A | B |");
    line("|---|---|---|---|");
    for (const auto* list : {&d_.settings, &d_.inputs})
      for (const auto& x : *list) line(fmt::format("| {} | {} | {} | {} |", code(x.what), change_name(x.change), code(x.before), code(x.after)));
    line("");
  }

  void parameters() {
    if (d_.parameters.empty()) return;
    line(h(2) + " Parameters");
    line("");
    line("| Parameter | Change | A | B | Unit |");
    line("|---|---|---|---|---|");
    for (const auto& p : d_.parameters) {
      std::string what = p.change == Change::Changed ? fmt::format("{}", fmt::join(p.fields, ", ")) : std::string(change_name(p.change));
      std::string unit = p.before && p.after && p.before->unit != p.after->unit
                             ? fmt::format("{} → {}", or_none(p.before->unit), or_none(p.after->unit))
                             : (p.after ? p.after->unit : p.before->unit);
      line(fmt::format("| {} | {} | {} | {} | {} |", code(p.name), what, p.before ? code(p.before->value) : "",
                       p.after ? code(p.after->value) : "", md(unit)));
    }
    line("");
    line("Sources:");
    line("");
    for (const auto& p : d_.parameters) {
      line(fmt::format("- {}", code(p.name)));
      auto both = [&](std::string_view what, const std::string& a, const std::string& b) {
        if (a == b) {
          if (!a.empty() && a != "(none)") line(fmt::format("  - {}: {}", what, md(a)));
        } else {
          line(fmt::format("  - {} A: {}", what, md(or_none(a))));
          line(fmt::format("  - {} B: {}", what, md(or_none(b))));
        }
      };
      std::string ca = p.before ? cites(p.before->citations) : "", cb = p.after ? cites(p.after->citations) : "";
      if (!p.before) ca = cb;
      if (!p.after) cb = ca;
      both("cite", ca, cb);
      std::string na = p.before ? p.before->note : "", nb = p.after ? p.after->note : "";
      if (!p.before) na = nb;
      if (!p.after) nb = na;
      both("note", na, nb);
      if (p.before && p.after) both("doc", p.before->doc, p.after->doc);
    }
    line("");
  }

  void def(const DefDiff& d) {
    std::string title = fmt::format("{} {} {}", h(3), d.function ? "Function" : "Definition", code(d.name));
    if (d.change != Change::Changed) title += fmt::format(" ({}, {})", change_name(d.change), code(d.change == Change::Added ? d.type_after : d.type_before));
    else title += fmt::format(" ({})", fmt::join(def_aspects(d), ", "));
    line(title);
    line("");
    if (d.logic_changed || d.change != Change::Changed) {
      line("```");
      if (!d.before.empty()) line("A: " + replace_marks(d.before, "⟦", "⟧"));
      if (!d.after.empty()) line("B: " + replace_marks(d.after, "⟦", "⟧"));
      line("```");
      line("");
    }
    if (!d.reads_added.empty()) line(fmt::format("- now reads: {}", fmt::join(codes(d.reads_added), ", ")));
    if (!d.reads_removed.empty()) line(fmt::format("- no longer reads: {}", fmt::join(codes(d.reads_removed), ", ")));
    if (d.citations_changed() && d.change == Change::Changed) {
      line(fmt::format("- cite A: {}", md(cites(d.citations_before))));
      line(fmt::format("- cite B: {}", md(cites(d.citations_after))));
    }
    if (d.doc_changed() && d.change == Change::Changed) {
      line(fmt::format("- doc A: {}", md(or_none(d.doc_before))));
      line(fmt::format("- doc B: {}", md(or_none(d.doc_after))));
    }
    if (d.note_changed() && d.change == Change::Changed) {
      line(fmt::format("- note A: {}", md(or_none(d.note_before))));
      line(fmt::format("- note B: {}", md(or_none(d.note_after))));
    }
    if (d.change == Change::Added && !d.citations_after.empty()) line(fmt::format("- cite: {}", md(cites(d.citations_after))));
    line("");
  }

  static std::vector<std::string> codes(const std::vector<std::string>& xs) {
    std::vector<std::string> out;
    for (const auto& x : xs) out.push_back(code(x));
    return out;
  }

  void rules() {
    if (d_.definitions.empty() && d_.functions.empty()) return;
    line(h(2) + " Rules");
    line("");
    line("Differing sub-expressions are marked ⟦…⟧.");
    line("");
    for (const auto& x : d_.definitions) def(x);
    for (const auto& x : d_.functions) def(x);
  }

  void tables() {
    if (d_.tables.empty()) return;
    line(h(2) + " Reference data");
    line("");
    line("| Table | Rows A | Rows B | Added | Removed | Changed | Columns changed |");
    line("|---|---:|---:|---:|---:|---:|---|");
    for (const auto& t : d_.tables)
      line(fmt::format("| {} | {} | {} | {} | {} | {} | {} |", code(t.name), t.rows_before, t.rows_after, t.added.size(), t.removed.size(),
                       t.changed.size(), md(columns_summary(t))));
    line("");
    for (const auto& t : d_.tables) {
      bool rows = !t.added.empty() || !t.removed.empty() || !t.changed.empty();
      if (!rows && t.meta_fields.empty()) continue;
      line(fmt::format("{} {} ({})", h(3), code(t.name), md(table_summary(t))));
      line("");
      bool shown = show_rows(t, o_.list);
      if (rows && !shown)
        line(fmt::format("- {} rows added, removed or changed (`--list` lists them)", t.added.size() + t.removed.size() + t.changed.size()));
      if (rows && shown && (t.key_before.size() > 1 || t.key_after.size() > 1))
        line(fmt::format("Key: {}", code(fmt::format("[{}]", fmt::join(t.key_after.empty() ? t.key_before : t.key_after, ", ")))));
      if (shown && !t.added.empty()) line(fmt::format("- added: {}", fmt::join(keys(t.added), ", ")));
      if (shown && !t.removed.empty()) line(fmt::format("- removed: {}", fmt::join(keys(t.removed), ", ")));
      for (const auto& r : shown ? t.changed : std::vector<RowChange>{}) {
        std::vector<std::string> cols;
        for (const auto& c : r.columns) cols.push_back(fmt::format("{} {} → {}", c.column, code(c.before), code(c.after)));
        line(fmt::format("- {}: {}", code(row_name(r)), cols.empty() ? std::string("same columns") : fmt::format("{}", fmt::join(cols, "; "))));
      }
      for (const auto& f : t.meta_fields) {
        if (f == "cite") line(fmt::format("- cite A: {}\n- cite B: {}", md(cites(t.meta_before.citations)), md(cites(t.meta_after.citations))));
        if (f == "doc") line(fmt::format("- doc A: {}\n- doc B: {}", md(or_none(t.meta_before.doc)), md(or_none(t.meta_after.doc))));
        if (f == "note") line(fmt::format("- note A: {}\n- note B: {}", md(or_none(t.meta_before.note)), md(or_none(t.meta_after.note))));
      }
      line("");
    }
  }

  static std::vector<std::string> keys(const std::vector<std::vector<std::string>>& ks) {
    std::vector<std::string> out;
    for (const auto& k : ks) out.push_back(code(key_text(k)));
    return out;
  }

  void behaviour() {
    const Behaviour& b = *b_;
    Summary s = summarize(b);
    line(h(2) + " Cases");
    line("");
    line(fmt::format("{} scored under both policies{}{}.", plural(s.scored, "case", "cases"),
                     s.errors ? fmt::format("; {} could not be scored", s.errors) : "",
                     b.skipped ? fmt::format("; {} bad-input cases skipped", b.skipped) : ""));
    line("");
    if (s.scored > 0) {
      line("| Case | Final A | Final B | Δ | Δ quality | Δ cost | Δ IA | Δ ACI | Adjustment A | Adjustment B | Thresholds crossed |");
      line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
      for (const auto& c : b.cases) {
        if (!c.error.empty()) continue;
        const Metric* fs = metric(c, "final.score");
        const Metric* adj = metric(c, "payment.adjustment");
        line(fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |", md(c.id), value_cell(fs, false), value_cell(fs, true),
                         c.delta ? signed_text(*c.delta) : "-", delta_cell(c, "quality.percent"), delta_cell(c, "cost.percent"),
                         delta_cell(c, "ia.percent"), delta_cell(c, "aci.percent"), value_cell(adj, false), value_cell(adj, true),
                         md(crossings_cell(c))));
      }
      line("");
    }
    for (const auto& c : b.cases)
      if (!c.error.empty()) line(fmt::format("- {}: {}", md(c.id), md(c.error)));
    if (s.errors) line("");
    if (s.scored == 0) return;
    line(h(3) + " Summary");
    line("");
    line(fmt::format("- final score Δ: mean {}, min {}, max {}; {} of {} cases changed", signed_text(s.mean), signed_text(s.min),
                     signed_text(s.max), s.changed, s.scored));
    if (s.adj_scored)
      line(fmt::format("- payment adjustment Δ: mean {}; {} of {} cases changed", signed_text(s.adj_mean), s.adj_changed, s.adj_scored));
    for (const auto& t : s.thresholds) {
      auto [up, down] = s.crossings[t];
      line(fmt::format("- {} threshold: {} crossed up (below → at or above), {} crossed down", t, up, down));
    }
    line("");
    line(h(3) + " Attribution");
    line("");
    line("Starting from A, the changes are applied one at a time in this order and every case is scored again; "
         "each step's part is the change of the final score (and of the payment adjustment) it causes. The last step "
         "gives B, so the parts add up exactly to the total.");
    line("");
    if (b.steps.empty()) {
      line("No change that could move a score.");
      line("");
      return;
    }
    bool adj = s.adj_scored > 0;
    line(std::string("| Step | Change | Δ final score, total | mean | cases moved |") + (adj ? " Δ adjustment, total | mean |" : ""));
    line(std::string("|---:|---|---:|---:|---:|") + (adj ? "---:|---:|" : ""));
    for (size_t k = 0; k <= b.steps.size(); ++k) {
      bool total = k == b.steps.size();
      std::string row = fmt::format("| {} | {} | {} | {} | {} |", total ? "" : std::to_string(k + 1),
                                    total ? "**sum**" : md(b.steps[k].label()), signed_text(total ? s.total : s.step_total[k]),
                                    signed_text(total ? s.mean : mean_of(s.step_total[k], s.scored)),
                                    total ? s.changed : s.step_cases[k]);
      if (adj)
        row += fmt::format(" {} | {} |", signed_text(total ? s.adj_total : s.adj_step_total[k]),
                           signed_text(total ? s.adj_mean : mean_of(s.adj_step_total[k], s.adj_scored)));
      line(row);
    }
    line("");
    bool notes = false;
    for (size_t k = 0; k < b.steps.size(); ++k)
      if (!b.steps[k].note.empty()) {
        line(fmt::format("- step {}: {}", k + 1, md(b.steps[k].note)));
        notes = true;
      }
    if (notes) line("");
    line("Per case (cases whose score or adjustment moved, or that crossed a threshold):");
    line("");
    size_t quiet = 0;
    for (const auto& c : b.cases) {
      if (!eventful(c)) {
        quiet += c.error.empty();
        continue;
      }
      line(fmt::format("- {}: {}", md(c.id), md(case_line(b, c))));
      for (const auto& x : c.crossings)
        if (x.direction() != 0) line(fmt::format("  - {}", md(crossing_text(x))));
      for (const auto& n : c.notes) line(fmt::format("  - {}", md(n)));
    }
    if (quiet) line(fmt::format("- {} other {} unchanged", quiet, quiet == 1 ? "case" : "cases"));
    line("");
  }

  const StaticDiff& d_;
  const Behaviour* b_;
  const RenderOptions& o_;
  std::string out_;
};

}  // namespace

std::string render_text(const StaticDiff& d, const Behaviour* cases, const RenderOptions& o) {
  return TextView(d, cases, o).render();
}

std::string render_markdown(const StaticDiff& d, const Behaviour* cases, const RenderOptions& o) {
  return MarkdownView(d, cases, o).render();
}

}  // namespace merit::engine::diff
