// The semantic diff as JSON for tools: keys in a fixed order, every list complete (no --list
// needed), numbers of the behavioural part exact (engine::json_number).
#include <nlohmann/json.hpp>

#include "engine/diff/diff.hpp"
#include "engine/diff/expr_text.hpp"
#include "engine/report.hpp"

namespace merit::engine::diff {

namespace {

using Json = nlohmann::ordered_json;

Json number(const std::optional<dsl::Decimal>& d) {
  if (!d) return nullptr;
  return Json::parse(json_number(d->normalized()));
}

Json side(const std::optional<ParamSide>& s, bool with_value) {
  if (!s) return nullptr;
  Json j;
  if (with_value) j["value"] = s->value;
  j["type"] = s->type;
  j["unit"] = s->unit;
  j["cite"] = s->citations;
  j["doc"] = s->doc;
  j["note"] = s->note;
  return j;
}

Json label(const PolicyLabel& p) { return Json{{"label", p.label}, {"name", p.name}, {"year", p.year}}; }

Json counts_of(size_t changed, size_t added, size_t removed) {
  return Json{{"changed", changed}, {"added", added}, {"removed", removed}};
}

template <class T>
Json counts(const std::vector<T>& xs) {
  size_t a = 0, r = 0, c = 0;
  for (const auto& x : xs) ++(x.change == Change::Added ? a : x.change == Change::Removed ? r : c);
  return counts_of(c, a, r);
}

Json item(const ItemDiff& x) {
  return Json{{"name", x.what}, {"change", change_name(x.change)}, {"before", x.before}, {"after", x.after}};
}

Json def(const DefDiff& d) {
  Json j;
  j["name"] = d.name;
  j["module"] = d.module;
  j["change"] = change_name(d.change);
  j["logic_changed"] = d.logic_changed;
  j["type"] = Json{{"before", d.type_before}, {"after", d.type_after}};
  j["before"] = replace_marks(d.before, "⟦", "⟧");
  j["after"] = replace_marks(d.after, "⟦", "⟧");
  Json parts = Json::array();
  for (const auto& [x, y] : d.parts)
    parts.push_back(Json{{"before", x.empty() ? Json(nullptr) : Json(x)}, {"after", y.empty() ? Json(nullptr) : Json(y)}});
  j["differing_parts"] = parts;
  j["reads"] = Json{{"added", d.reads_added}, {"removed", d.reads_removed}};
  j["cite"] = Json{{"before", d.citations_before}, {"after", d.citations_after}, {"changed", d.citations_changed()}};
  j["doc"] = Json{{"before", d.doc_before}, {"after", d.doc_after}, {"changed", d.doc_changed()}};
  j["note"] = Json{{"before", d.note_before}, {"after", d.note_after}, {"changed", d.note_changed()}};
  return j;
}

Json table(const TableDiff& t) {
  Json j;
  j["name"] = t.name;
  j["change"] = change_name(t.change);
  j["key"] = Json{{"before", t.key_before}, {"after", t.key_after}, {"changed", t.key_changed()}};
  j["rows"] = Json{{"before", t.rows_before}, {"after", t.rows_after}};
  j["counts"] = counts_of(t.changed.size(), t.added.size(), t.removed.size());
  j["counts"]["renamed"] = t.renamed;
  j["added"] = t.added;
  j["removed"] = t.removed;
  Json changed = Json::array();
  for (const auto& r : t.changed) {
    Json cols = Json::array();
    for (const auto& c : r.columns) cols.push_back(Json{{"column", c.column}, {"before", c.before}, {"after", c.after}});
    changed.push_back(Json{{"key", r.key}, {"renamed_from", r.renamed_from.empty() ? Json(nullptr) : Json(r.renamed_from)}, {"columns", cols}});
  }
  j["changed"] = changed;
  Json per = Json::array();
  for (const auto& [c, n] : t.per_column) {
    Json x{{"column", c}, {"rows", n}};
    for (const auto& f : t.flips)
      if (f.column == c) {
        x["became_true"] = f.to_true;
        x["became_false"] = f.to_false;
      }
    per.push_back(x);
  }
  j["columns_changed"] = per;
  Json retyped = Json::array();
  for (const auto& c : t.columns_retyped) retyped.push_back(Json{{"column", c.column}, {"before", c.before}, {"after", c.after}});
  j["columns"] = Json{{"added", t.columns_added}, {"removed", t.columns_removed}, {"retyped", retyped}};
  j["metadata_changed"] = t.meta_fields;
  j["before"] = t.change == Change::Added ? Json(nullptr) : side(t.meta_before, false);
  j["after"] = t.change == Change::Removed ? Json(nullptr) : side(t.meta_after, false);
  return j;
}

Json cases(const Behaviour& b) {
  Json j;
  Json steps = Json::array();
  for (size_t k = 0; k < b.steps.size(); ++k)
    steps.push_back(Json{{"step", k + 1}, {"changes", b.steps[k].changes}, {"note", b.steps[k].note}});
  j["steps"] = steps;
  Json list = Json::array();
  std::vector<dsl::Decimal> totals(b.steps.size()), adj_totals(b.steps.size());
  std::vector<dsl::Decimal> deltas, adj_deltas;
  Json crossings_summary = Json::object();
  for (const auto& c : b.cases) {
    Json x;
    x["id"] = c.id;
    x["file"] = c.file;
    x["error"] = c.error.empty() ? Json(nullptr) : Json(c.error);
    Json metrics = Json::object();
    for (const auto& m : c.metrics) {
      std::optional<dsl::Decimal> delta;
      if (m.a && m.b) {
        dsl::Decimal d;
        add(*m.b, m.a->negated(), d);
        delta = d;
      }
      metrics[m.name] = Json{{"a", m.a ? number(m.a) : Json(m.a_text)}, {"b", m.b ? number(m.b) : Json(m.b_text)}, {"delta", number(delta)}};
    }
    x["metrics"] = metrics;
    Json cr = Json::array();
    for (const auto& t : c.crossings) {
      auto status = [](const std::optional<bool>& v) { return v ? Json(*v ? "at_or_above" : "below") : Json(nullptr); };
      int dir = t.direction();
      cr.push_back(Json{{"threshold", t.threshold},
                        {"parameter", t.param},
                        {"a", Json{{"threshold", number(t.a_threshold)}, {"status", status(t.a_at_or_above)}}},
                        {"b", Json{{"threshold", number(t.b_threshold)}, {"status", status(t.b_at_or_above)}}},
                        {"crossing", dir > 0 ? Json("up") : dir < 0 ? Json("down") : Json(nullptr)}});
      if (c.error.empty()) {
        if (!crossings_summary.contains(t.threshold)) crossings_summary[t.threshold] = Json{{"up", 0}, {"down", 0}};
        if (dir > 0) crossings_summary[t.threshold]["up"] = crossings_summary[t.threshold]["up"].get<int>() + 1;
        if (dir < 0) crossings_summary[t.threshold]["down"] = crossings_summary[t.threshold]["down"].get<int>() + 1;
      }
    }
    x["crossings"] = cr;
    x["delta"] = number(c.delta);
    x["adjustment_delta"] = number(c.adjustment_delta);
    Json parts = Json::array();
    for (size_t k = 0; k < c.contributions.size(); ++k) {
      std::optional<dsl::Decimal> adj;
      if (k < c.adjustment_contributions.size()) adj = c.adjustment_contributions[k];
      parts.push_back(Json{{"step", k + 1}, {"final_score", number(c.contributions[k])}, {"payment_adjustment", number(adj)}});
      if (k < totals.size()) totals[k] = sum({totals[k], c.contributions[k]});
      if (adj && k < adj_totals.size()) adj_totals[k] = sum({adj_totals[k], *adj});
    }
    x["attribution"] = parts;
    x["notes"] = c.notes;
    if (c.error.empty() && c.delta) deltas.push_back(*c.delta);
    if (c.error.empty() && c.adjustment_delta) adj_deltas.push_back(*c.adjustment_delta);
    list.push_back(x);
  }
  j["cases"] = list;
  Json summary;
  summary["scored"] = deltas.size();
  summary["errors"] = b.cases.size() - deltas.size();
  summary["skipped"] = b.skipped;
  summary["skipped_files"] = b.skipped_files;
  auto stats = [](const std::vector<dsl::Decimal>& xs) {
    dsl::Decimal total = sum(xs);
    std::optional<dsl::Decimal> mean;
    dsl::Decimal m;
    if (!xs.empty() && div(total, dsl::Decimal::from_int(static_cast<int64_t>(xs.size())), 18, dsl::Rounding::HalfEven, m)) mean = m;
    size_t changed = 0;
    for (const auto& d : xs) changed += !d.is_zero();
    return Json{{"cases", xs.size()}, {"changed", changed}, {"total_delta", number(total)}, {"mean_delta", number(mean)}};
  };
  summary["final_score"] = stats(deltas);
  summary["payment_adjustment"] = stats(adj_deltas);
  summary["crossings"] = crossings_summary;
  Json per_step = Json::array();
  for (size_t k = 0; k < totals.size(); ++k)
    per_step.push_back(Json{{"step", k + 1}, {"final_score", number(totals[k])}, {"payment_adjustment", number(adj_totals[k])}});
  summary["attribution"] = per_step;
  j["summary"] = summary;
  return j;
}

}  // namespace

std::string render_json(const StaticDiff& d, const Behaviour* b, const RenderOptions& o) {
  Json j;
  j["a"] = label(d.a);
  j["b"] = label(d.b);
  Json filter;
  filter["params"] = o.filter.params;
  filter["rules"] = o.filter.rules;
  filter["data"] = o.filter.data;
  filter["module"] = o.filter.module.empty() ? Json(nullptr) : Json(o.filter.module);
  j["filter"] = filter;
  j["identical"] = d.empty();
  Json summary;
  size_t sa = 0, sr = 0, sc = 0;
  for (const auto* l : {&d.settings, &d.inputs})
    for (const auto& x : *l) ++(x.change == Change::Added ? sa : x.change == Change::Removed ? sr : sc);
  summary["settings"] = counts_of(sc, sa, sr);
  summary["parameters"] = counts(d.parameters);
  summary["definitions"] = counts(d.definitions);
  summary["functions"] = counts(d.functions);
  summary["tables"] = counts(d.tables);
  j["summary"] = summary;
  Json mis = Json::array();
  for (const auto& m : d.misaligned) mis.push_back(Json{{"kind", m.kind}, {"name", m.name}, {"before", m.before}, {"after", m.after}});
  j["misaligned"] = mis;
  Json settings = Json::array();
  for (const auto& x : d.settings) settings.push_back(item(x));
  j["settings"] = settings;
  Json inputs = Json::array();
  for (const auto& x : d.inputs) inputs.push_back(item(x));
  j["inputs"] = inputs;
  Json params = Json::array();
  for (const auto& p : d.parameters)
    params.push_back(Json{{"name", p.name},
                          {"change", change_name(p.change)},
                          {"fields", p.fields},
                          {"value_changed", p.value_changed()},
                          {"before", side(p.before, true)},
                          {"after", side(p.after, true)}});
  j["parameters"] = params;
  Json defs = Json::array();
  for (const auto& x : d.definitions) defs.push_back(def(x));
  j["definitions"] = defs;
  Json fns = Json::array();
  for (const auto& x : d.functions) fns.push_back(def(x));
  j["functions"] = fns;
  Json tables = Json::array();
  for (const auto& t : d.tables) tables.push_back(table(t));
  j["tables"] = tables;
  j["cases"] = b ? cases(*b) : Json(nullptr);
  return j.dump(2) + "\n";
}

}  // namespace merit::engine::diff
