// merit impact's reports: one self-contained HTML page (inline CSS, inline SVG drawn here, no
// script and no external resource), a Markdown memo, and JSON, all from the same ImpactReport.
// Exact decimals are written as decimal text; only chart coordinates use doubles.
#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/impact/impact.hpp"

namespace merit::engine::impact {

namespace {

using dsl::Decimal;

std::string dec(const Decimal& d) { return d.normalized().to_string(); }
std::string sdec(const Decimal& d) { return diff::signed_text(d); }
double dbl(const Decimal& d) { return std::stod(d.to_string()); }
std::string opt(const std::optional<Decimal>& d) { return d ? dec(*d) : "-"; }

std::string esc(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  return o;
}

std::string md(std::string_view s) {  // a Markdown table cell
  std::string o;
  for (char c : s) {
    if (c == '|') o += "\\|";
    else if (c == '\n') o += ' ';
    else o += c;
  }
  return o;
}

std::string sample_text(const Attribution& at) {
  if (at.every == 0) return "no attribution (--sample 0)";
  if (at.every == 1) return fmt::format("every line ({} lines scored under both)", at.lines);
  return fmt::format("every {}-th line (lines 1, {}, {}, ... of the non-empty lines; {} of them scored under both)",
                     at.every, 1 + at.every, 1 + 2 * at.every, at.lines);
}

const char* kColorA = "#4e79a7";
const char* kColorB = "#f28e2b";

// Grouped bars: A and B per bin.
std::string histogram_svg(const Histogram& h, const std::string& id, const std::string& title, const ImpactReport& r) {
  size_t n = h.a.size();
  int W = 1100, H = 320, left = 60, right = 20, top = 40, bottom = 70;
  uint64_t mx = 1;
  for (size_t k = 0; k < n; ++k) mx = std::max({mx, h.a[k], h.b[k]});
  double pw = W - left - right, ph = H - top - bottom;
  double bw = n ? pw / static_cast<double>(n) : pw;
  std::string s = fmt::format(
      "<svg id=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"{}\">\n<title>{}</title>\n",
      id, W, H, W, H, esc(title), esc(title));
  s += fmt::format("<text x=\"{}\" y=\"20\" class=\"ct\">{}</text>\n", left, esc(title));
  s += fmt::format("<rect x=\"{}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"19\">A: {}</text>\n",
                   W - 330, kColorA, W - 314, esc(r.a.label));
  s += fmt::format("<rect x=\"{}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"19\">B: {}</text>\n",
                   W - 170, kColorB, W - 154, esc(r.b.label));
  for (int g = 0; g <= 4; ++g) {
    double y = top + ph - ph * g / 4.0;
    s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" class=\"grid\"/><text x=\"{}\" y=\"{:.1f}\" "
                     "class=\"ax\" text-anchor=\"end\">{}</text>\n",
                     left, y, W - right, y, left - 6, y + 4, static_cast<uint64_t>(std::llround(mx * g / 4.0)));
  }
  for (size_t k = 0; k < n; ++k) {
    double x = left + bw * static_cast<double>(k);
    for (int side = 0; side < 2; ++side) {
      uint64_t c = side ? h.b[k] : h.a[k];
      double bh = ph * static_cast<double>(c) / static_cast<double>(mx);
      s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{} {}: {}</title></rect>\n",
                       x + bw * 0.1 + side * bw * 0.4, top + ph - bh, bw * 0.4, bh, side ? kColorB : kColorA, side ? "B" : "A",
                       esc(h.label(k)), c);
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"ax\" text-anchor=\"end\" transform=\"rotate(-45 {:.1f} {})\">{}</text>\n",
                     x + bw / 2, top + ph + 14, x + bw / 2, top + ph + 14, esc(h.label(k)));
  }
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>\n", left, top + ph, W - right, top + ph);
  s += "</svg>\n";
  return s;
}

// Horizontal waterfall: A's mean, one floating bar per step, B's mean.
std::string waterfall_svg(const ImpactReport& r) {
  const Attribution& at = r.attribution;
  std::vector<std::pair<std::string, std::pair<double, double>>> rows;  // label, [from, to]
  double cum = dbl(at.mean_a);
  rows.push_back({"A: " + r.a.label + " (mean)", {0, cum}});
  for (const auto& st : at.steps) {
    double next = cum + dbl(st.mean_score);
    rows.push_back({st.step.label(), {cum, next}});
    cum = next;
  }
  rows.push_back({"B: " + r.b.label + " (mean)", {0, dbl(at.mean_b)}});
  double lo = 1e300, hi = -1e300;
  for (size_t k = 0; k < rows.size(); ++k) {
    bool total = k == 0 || k + 1 == rows.size();
    if (!total) {
      lo = std::min({lo, rows[k].second.first, rows[k].second.second});
      hi = std::max({hi, rows[k].second.first, rows[k].second.second});
    } else {
      lo = std::min(lo, rows[k].second.second);
      hi = std::max(hi, rows[k].second.second);
    }
  }
  double pad = std::max((hi - lo) * 0.15, 0.5);
  lo -= pad;
  hi += pad;
  int W = 1100, row = 22, left = 420, right = 90, top = 40;
  int H = top + row * static_cast<int>(rows.size()) + 30;
  double pw = W - left - right;
  auto X = [&](double v) { return left + (v - lo) / (hi - lo) * pw; };
  std::string s = fmt::format(
      "<svg id=\"attribution-waterfall\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "role=\"img\" aria-label=\"Attribution waterfall\">\n<title>Attribution of the change of the mean final score</title>\n",
      W, H, W, H);
  s += fmt::format("<text x=\"10\" y=\"20\" class=\"ct\">Mean final score, from A to B, one bar per step ({})</text>\n",
                   esc(sample_text(at)));
  for (int g = 0; g <= 4; ++g) {
    double v = lo + (hi - lo) * g / 4.0;
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" class=\"grid\"/><text x=\"{:.1f}\" y=\"{}\" "
                     "class=\"ax\" text-anchor=\"middle\">{:.2f}</text>\n",
                     X(v), top - 4, X(v), H - 24, X(v), H - 10, v);
  }
  for (size_t k = 0; k < rows.size(); ++k) {
    bool total = k == 0 || k + 1 == rows.size();
    double y = top + row * static_cast<double>(k);
    double from = total ? lo : rows[k].second.first, to = rows[k].second.second;
    double x0 = X(std::min(from, to)), x1 = X(std::max(from, to));
    const char* fill = total ? (k == 0 ? kColorA : kColorB) : (to >= from ? "#59a14f" : "#e15759");
    std::string label = rows[k].first;
    if (label.size() > 64) label = label.substr(0, 61) + "...";
    std::string value = total ? fmt::format("{:.4f}", to) : fmt::format("{:+.4f}", to - from);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"lb\" text-anchor=\"end\">{}</text>\n", left - 8, y + 15, esc(label));
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\n", x0,
                     y + 3, std::max(x1 - x0, 1.0), row - 6, fill, esc(rows[k].first), value);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"ax\">{}</text>\n", x1 + 4, y + 15, value);
  }
  s += "</svg>\n";
  return s;
}

std::string timing_text(const ImpactReport& r) {
  return fmt::format("{} lines in {:.2f} s on {} threads (scoring under both: {:.2f} s; attribution: {:.2f} s)", r.lines,
                     r.seconds_total, r.threads, r.seconds_scoring, r.attribution.seconds);
}

}  // namespace

std::string render_html(const ImpactReport& r) {
  const Attribution& at = r.attribution;
  std::string title = fmt::format("Impact of {} vs {} on {}", r.a.label, r.b.label, r.input);
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + esc(title) + "</title>\n"
      "<style>\n"
      "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1140px;color:#222}\n"
      "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}\n"
      "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:.9em}\n"
      "th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
      "svg{display:block;margin:8px 0;font-size:11px}svg .ct{font-size:13px;font-weight:600}svg .ax{fill:#555}\n"
      "svg .grid{stroke:#eee}svg .axis{stroke:#888}.note{color:#555;font-size:.9em}\n"
      "</style>\n</head>\n<body>\n";
  s += "<h1>" + esc(title) + "</h1>\n";
  s += fmt::format("<p>A: <b>{}</b> ({} {}); B: <b>{}</b> ({} {}). {}.</p>\n", esc(r.a.label), esc(r.a.name), esc(r.a.year),
                   esc(r.b.label), esc(r.b.name), esc(r.b.year), esc(timing_text(r)));
  s += "<table id=\"summary\"><tr><th>Lines</th><th>Scored under both</th><th>Unreadable</th><th>Failed under A</th><th>Failed under B</th></tr>\n";
  s += fmt::format("<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></table>\n",
                   r.lines, r.scored, r.unreadable, r.failed_a, r.failed_b);

  s += "<h2>Distributions</h2>\n";
  s += histogram_svg(r.score, "histogram-final-score", "Final score (bins of 5 points)", r);
  s += histogram_svg(r.adjustment, "histogram-adjustment", "Payment adjustment, percent (bins of 0.5 points)", r);

  s += "<h2>Threshold crossings</h2>\n<p class=\"note\">Each side's own thresholds (payment.performance_threshold, "
       "payment.exceptional_threshold); at or above counts as above.</p>\n";
  s += "<table id=\"threshold-crossings\"><tr><th>Threshold</th><th>A</th><th>B</th><th>Below &rarr; at or above</th>"
       "<th>At or above &rarr; below</th><th>Above under both</th><th>Below under both</th><th>At or above under A</th>"
       "<th>At or above under B</th></tr>\n";
  for (const auto& c : r.crossings)
    s += fmt::format("<tr><td>{} ({})</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                     "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                     esc(c.threshold), esc(c.param), opt(c.a_threshold), opt(c.b_threshold), c.up, c.down, c.stay_above,
                     c.stay_below, c.above_a, c.above_b);
  s += "</table>\n";

  s += fmt::format("<h2>Mean change per category</h2>\n<p class=\"note\">Means over the lines with a value under both, "
                   "rounded half-even to {} digits; sums are exact.</p>\n", r.mean_scale);
  s += "<table id=\"category-means\"><tr><th>Rule</th><th>Lines</th><th>Mean under A</th><th>Mean under B</th><th>Mean change</th>"
       "<th>Rose</th><th>Fell</th></tr>\n";
  for (const auto& m : r.metrics)
    s += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                     "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                     esc(m.name), m.n, dec(m.mean_a), dec(m.mean_b), sdec(m.mean_delta), m.up, m.down);
  s += "</table>\n";

  s += "<h2>Attribution of the change to each rule change</h2>\n";
  if (at.every == 0) {
    s += "<p>Not computed (--sample 0).</p>\n";
  } else {
    s += fmt::format("<p>Lines attributed: {}. Steps in the order of <code>merit diff --cases</code>: each step applies the "
                     "named changes of B to the policy so far and scores the lines again. Mean final score {} &rarr; {} "
                     "({}); {:.2f} s.</p>\n",
                     esc(sample_text(at)), dec(at.mean_a), dec(at.mean_b), sdec(diff::sum([&] {
                       std::vector<Decimal> v;
                       for (const auto& st : at.steps) v.push_back(st.mean_score);
                       return v;
                     }())), at.seconds);
    s += waterfall_svg(r);
    s += "<table id=\"attribution-table\"><tr><th>#</th><th>Changes</th><th>Sum of final score parts (exact)</th>"
         "<th>Mean final score part</th><th>Mean adjustment part</th><th>Lines moved</th><th>Carried over</th></tr>\n";
    for (size_t k = 0; k < at.steps.size(); ++k) {
      const auto& st = at.steps[k];
      s += fmt::format("<tr><td class=\"n\">{}</td><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                       "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                       k + 1, esc(st.step.label()), st.step.note.empty() ? "" : "<br><span class=\"note\">" + esc(st.step.note) + "</span>",
                       sdec(st.sum_score), sdec(st.mean_score), sdec(st.mean_adjustment), st.moved, st.carried);
    }
    s += fmt::format("<tr><th></th><th>Total (B &minus; A)</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th>"
                     "<th></th><th></th></tr>\n</table>\n",
                     sdec([&] { Decimal x; add(at.sum_b, at.sum_a.negated(), x); return x; }()),
                     sdec([&] { Decimal x; add(at.mean_b, at.mean_a.negated(), x); return x; }()),
                     sdec([&] { Decimal x; add(at.adj_mean_b, at.adj_mean_a.negated(), x); return x; }()));
    s += fmt::format("<p class=\"note\">The exact sums add up to the change of the sum of final scores over the attributed "
                     "lines. Each mean part is the change of the mean (rounded half-even to {} digits) after the step, so "
                     "the parts add up exactly from A's mean to B's. A line whose score fails or whose input no longer reads "
                     "after a step keeps its last value; the next step takes the difference (carried over).</p>\n",
                     r.mean_scale);
  }

  s += "<h2>Lines not scored</h2>\n";
  if (r.failures.empty()) {
    s += "<p>None.</p>\n";
  } else {
    s += fmt::format("<p>{} lines could not be read, {} failed under A, {} under B. The first {}:</p>\n<ul id=\"failures\">\n",
                     r.unreadable, r.failed_a, r.failed_b, r.failures.size());
    for (const auto& f : r.failures) s += fmt::format("<li>line {} ({}): {}</li>\n", f.line, esc(f.id), esc(f.reason));
    s += "</ul>\n";
  }
  s += "<p class=\"note\">Written by merit impact.</p>\n</body>\n</html>\n";
  return s;
}

std::string render_markdown(const ImpactReport& r) {
  const Attribution& at = r.attribution;
  std::string s = fmt::format("# Impact of {} vs {} on {}\n\n", r.a.label, r.b.label, r.input);
  s += fmt::format("{}.\n\n", timing_text(r));
  s += "| Lines | Scored under both | Unreadable | Failed under A | Failed under B |\n|---:|---:|---:|---:|---:|\n";
  s += fmt::format("| {} | {} | {} | {} | {} |\n\n", r.lines, r.scored, r.unreadable, r.failed_a, r.failed_b);
  for (const Histogram* h : {&r.score, &r.adjustment}) {
    s += fmt::format("## Distribution of {}\n\n| Bin | A | B |\n|---|---:|---:|\n", h->metric);
    for (size_t k = 0; k < h->a.size(); ++k) s += fmt::format("| {} | {} | {} |\n", h->label(k), h->a[k], h->b[k]);
    s += "\n";
  }
  s += "## Threshold crossings\n\n| Threshold | A | B | Below -> at or above | At or above -> below | Above under both | Below under both |\n"
       "|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& c : r.crossings)
    s += fmt::format("| {} ({}) | {} | {} | {} | {} | {} | {} |\n", c.threshold, c.param, opt(c.a_threshold), opt(c.b_threshold),
                     c.up, c.down, c.stay_above, c.stay_below);
  s += "\n## Mean change per category\n\n| Rule | Lines | Mean under A | Mean under B | Mean change | Rose | Fell |\n"
       "|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& m : r.metrics)
    s += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", m.name, m.n, dec(m.mean_a), dec(m.mean_b), sdec(m.mean_delta), m.up,
                     m.down);
  s += "\n## Attribution\n\n";
  if (at.every == 0) {
    s += "Not computed (--sample 0).\n";
  } else {
    s += fmt::format("Lines attributed: {}; mean final score {} -> {}; {:.2f} s.\n\n", sample_text(at), dec(at.mean_a),
                     dec(at.mean_b), at.seconds);
    s += "| # | Changes | Sum of final score parts | Mean final score part | Mean adjustment part | Moved | Carried |\n"
         "|---:|---|---:|---:|---:|---:|---:|\n";
    for (size_t k = 0; k < at.steps.size(); ++k) {
      const auto& st = at.steps[k];
      s += fmt::format("| {} | {}{} | {} | {} | {} | {} | {} |\n", k + 1, md(st.step.label()),
                       st.step.note.empty() ? "" : " (" + md(st.step.note) + ")", sdec(st.sum_score), sdec(st.mean_score),
                       sdec(st.mean_adjustment), st.moved, st.carried);
    }
  }
  if (!r.failures.empty()) {
    s += "\n## Lines not scored (first few)\n\n";
    for (const auto& f : r.failures) s += fmt::format("- line {} ({}): {}\n", f.line, f.id, f.reason);
  }
  return s;
}

std::string render_json(const ImpactReport& r) {
  using nlohmann::json;
  const Attribution& at = r.attribution;
  json j;
  j["a"] = {{"label", r.a.label}, {"name", r.a.name}, {"year", r.a.year}};
  j["b"] = {{"label", r.b.label}, {"name", r.b.name}, {"year", r.b.year}};
  j["input"] = r.input;
  j["lines"] = r.lines;
  j["scored"] = r.scored;
  j["unreadable"] = r.unreadable;
  j["failed_a"] = r.failed_a;
  j["failed_b"] = r.failed_b;
  j["failures"] = json::array();
  for (const auto& f : r.failures) j["failures"].push_back({{"line", f.line}, {"case", f.id}, {"reason", f.reason}});
  for (const Histogram* h : {&r.score, &r.adjustment}) {
    json x = {{"start", dec(h->start)}, {"width", dec(h->width)}, {"a", h->a}, {"b", h->b}};
    j["histograms"][h->metric] = x;
  }
  j["crossings"] = json::array();
  for (const auto& c : r.crossings)
    j["crossings"].push_back({{"threshold", c.threshold}, {"param", c.param}, {"a_threshold", opt(c.a_threshold)},
                              {"b_threshold", opt(c.b_threshold)}, {"up", c.up}, {"down", c.down}, {"stay_above", c.stay_above},
                              {"stay_below", c.stay_below}, {"above_a", c.above_a}, {"above_b", c.above_b}});
  j["metrics"] = json::array();
  for (const auto& m : r.metrics)
    j["metrics"].push_back({{"rule", m.name}, {"lines", m.n}, {"sum_a", dec(m.sum_a)}, {"sum_b", dec(m.sum_b)},
                            {"mean_a", dec(m.mean_a)}, {"mean_b", dec(m.mean_b)}, {"mean_delta", dec(m.mean_delta)},
                            {"rose", m.up}, {"fell", m.down}});
  json a = {{"every", at.every}, {"lines", at.lines}, {"with_adjustment", at.with_adjustment}, {"sum_a", dec(at.sum_a)},
            {"sum_b", dec(at.sum_b)}, {"mean_a", dec(at.mean_a)}, {"mean_b", dec(at.mean_b)},
            {"adjustment_mean_a", dec(at.adj_mean_a)}, {"adjustment_mean_b", dec(at.adj_mean_b)}, {"seconds", at.seconds},
            {"notes", at.notes}, {"steps", json::array()}};
  for (const auto& st : at.steps)
    a["steps"].push_back({{"changes", st.step.changes}, {"note", st.step.note}, {"sum_score", dec(st.sum_score)},
                          {"sum_adjustment", dec(st.sum_adjustment)}, {"mean_score", dec(st.mean_score)},
                          {"mean_adjustment", dec(st.mean_adjustment)}, {"moved", st.moved}, {"carried", st.carried}});
  j["attribution"] = a;
  j["mean_scale"] = r.mean_scale;
  j["threads"] = r.threads;
  j["seconds"] = {{"total", r.seconds_total}, {"scoring", r.seconds_scoring}, {"attribution", at.seconds}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace merit::engine::impact
