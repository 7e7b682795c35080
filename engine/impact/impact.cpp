// merit impact: a population scored under two policies, aggregated, and the change attributed to
// each rule change. The steps are the semantic diff's (engine/diff/behaviour.cpp, whose order and
// merging this file repeats over JSON lines instead of case files):
//   year, arithmetic, strict_inputs; inputs; parameters; the submission format, then tables;
//   functions; definitions in B's dependency order; everything removed as one group.
// A step that does not compile on its own is merged with the next. A step after which a line of the
// first chunk's sample no longer reads its input is merged with the next (decided once, on that
// probe); a later line that does not read (or whose final score fails) after a step keeps its last
// value and the next step takes the difference, so the parts still telescope to B - A exactly.
#include "engine/impact/impact.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <istream>
#include <thread>

#include <fmt/format.h>

#include "engine/cms/case_file.hpp"
#include "engine/cms/submission.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"

namespace merit::engine::impact {

using dsl::Decimal;

const std::vector<std::string>& impact_metrics() {
  static const std::vector<std::string> m = {"final.score",        "payment.adjustment", "quality.percent",
                                             "cost.percent",       "ia.percent",         "aci.percent",
                                             "final.quality_points", "final.cost_points", "final.ia_points",
                                             "final.aci_points"};
  return m;
}

std::string Histogram::label(size_t k) const {
  Decimal lo, hi, w;
  mul(width, Decimal::from_int(static_cast<int64_t>(k)), w);
  add(start, w, lo);
  add(lo, width, hi);
  return fmt::format("{} to {}", lo.normalized().to_string(), hi.normalized().to_string());
}

namespace {

Decimal plus(const Decimal& a, const Decimal& b) {
  Decimal r;
  if (!add(a, b, r)) throw std::overflow_error("decimal overflow in a sum");
  return r;
}
Decimal minus(const Decimal& a, const Decimal& b) { return plus(a, b.negated()); }
Decimal mean_of(const Decimal& sum, uint64_t n, int scale) {
  Decimal r;
  if (n == 0 || !div(sum, Decimal::from_int(static_cast<int64_t>(n)), scale, dsl::Rounding::HalfEven, r)) return Decimal();
  return r;
}

// ---- one line, read once; scored under several policies ----

std::string first_line(const std::string& r) {
  auto nl = r.find('\n');
  return nl == std::string::npos ? r : r.substr(0, nl);
}

// A line parsed into a case, once per year it is scored as.
struct Line {
  bool ok = false;
  std::string id, error;
  std::map<std::string, cms::CaseFile> by_year;
  cms::CaseFile base;
  const cms::CaseFile& as_year(const std::string& year) {
    auto it = by_year.find(year);
    if (it != by_year.end()) return it->second;
    cms::CaseFile c = base;
    if (auto y = Decimal::parse(year); y && y->is_integer()) diff::set_performance_year(c.submission.doc, y->to_string());
    return by_year.emplace(year, std::move(c)).first->second;
  }
};

Line read_line(const std::string& text, size_t line_no, const std::string& input_name) {
  Line l;
  l.id = fmt::format("line{}", line_no);
  dsl::Diagnostics diags;
  auto source = dsl::Source::from_text(fmt::format("{} line {}", input_name, line_no), text);
  auto doc = parse_document(source, diags, "json");
  if (!doc || doc->kind != Document::Kind::Object) {
    diags.sort();
    l.error = "cannot be read: " + (diags.has_errors() ? first_line(diags.render(false)) : "a line must be an object");
    return l;
  }
  if (const Document* c = doc->find("case"); c && c->kind == Document::Kind::String) l.id = c->text;
  const Document* profile = doc->find("profile");
  const Document* submission = doc->find("submission");
  if (!profile || !submission) {
    l.error = "cannot be read: a line needs 'profile' and 'submission'";
    return l;
  }
  l.base.id = l.id;
  l.base.profile = cms::Part{*profile, source, "$.profile"};
  l.base.submission = cms::Part{*submission, source, "$.submission"};
  l.ok = true;
  return l;
}

// A compiled policy's rules of interest, shared by the workers.
struct Target {
  const Policy* policy = nullptr;
  const Program* program = nullptr;
  std::unique_ptr<cms::MeasureIndex> index;
  std::vector<int> rules;  // per wanted name; -1 when absent
  std::vector<int> order;  // what the present ones need, in evaluation order (computed once, as merit batch)
  Target(const Policy& p, const Program& prog, const std::vector<std::string>& names)
      : policy(&p), program(&prog), index(std::make_unique<cms::MeasureIndex>(p)) {
    std::vector<int> wanted;
    for (const auto& n : names) {
      rules.push_back(prog.find_definition(n));
      if (rules.back() >= 0) wanted.push_back(rules.back());
    }
    std::vector<char> needed(prog.definitions().size(), 0);
    for (int d : prog.closure(wanted)) needed[static_cast<size_t>(d)] = 1;
    for (int d : prog.order())
      if (needed[static_cast<size_t>(d)]) order.push_back(d);
  }
};

struct Result {
  bool bound = false, ok = false;
  std::string error;
  std::vector<std::optional<Decimal>> values;  // per wanted name
};

std::optional<Decimal> number_of(const Value& v) {
  if (v.kind == ValueKind::Number || v.kind == ValueKind::Money) return v.number;
  return std::nullopt;
}

Result score(const Target& t, Evaluator& ev, const cms::CaseFile& c) {
  Result r;
  dsl::Diagnostics diags;
  ev.arena().reset();
  Value input;
  if (!cms::bind_case(c, *t.policy, *t.program, ev.arena(), input, diags, t.index.get())) {
    diags.sort();
    r.error = "does not bind: " + first_line(diags.render(false));
    return r;
  }
  r.bound = true;
  if (t.rules.empty() || t.rules[0] < 0) {
    r.error = "the policy has no rule final.score";
    return r;
  }
  const Outcome& o = ev.evaluate_order(input, t.order, false);
  for (int d : t.rules) {
    std::optional<Decimal> v;
    if (d >= 0 && o.state[static_cast<size_t>(d)] == Outcome::State::Ok) v = number_of(o.values[static_cast<size_t>(d)]);
    r.values.push_back(v);
  }
  if (!r.values[0]) {
    std::string code = "-";
    int d = t.rules[0];
    if (o.state[static_cast<size_t>(d)] == Outcome::State::Failed && o.error_of[static_cast<size_t>(d)] >= 0) {
      const EvalError& e = o.errors[static_cast<size_t>(o.error_of[static_cast<size_t>(d)])];
      code = std::string(dsl::code_info(e.code == dsl::Code::FailedDependency ? e.root_code : e.code).id);
    }
    r.error = "final.score failed (" + code + ")";
    return r;
  }
  r.ok = true;
  return r;
}

const std::vector<std::string> kAttributed = {"final.score", "payment.adjustment"};

struct StepProgram {
  diff::Step step;
  Policy policy;
  std::shared_ptr<const Program> program;
};

std::optional<Decimal> param_number(const Policy& p, const std::string& name) {
  const Parameter* x = p.find_parameter(name);
  if (x && (x->value.kind == Datum::Kind::Number || x->value.kind == Datum::Kind::Money)) return x->value.number;
  return std::nullopt;
}

// Parallel for over [0, n) with one worker index per thread.
void parallel(size_t n, unsigned threads, const std::function<void(size_t i, unsigned w)>& f) {
  std::atomic<size_t> next{0};
  auto work = [&](unsigned w) {
    for (size_t i; (i = next.fetch_add(1)) < n;) f(i, w);
  };
  if (threads <= 1 || n < 64) {
    work(0);
    return;
  }
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
}

int64_t bin_of(const Decimal& x, const Decimal& width) {
  Decimal q;
  if (!div(x, width, 0, dsl::Rounding::Floor, q)) return 0;
  return q.to_int64().value_or(0);
}

}  // namespace

ImpactReport run_impact(const CompiledPolicy& a, const CompiledPolicy& b, const diff::StaticDiff& d, std::istream& in,
                        const std::string& input_name, const Options& options) {
  using clock = std::chrono::steady_clock;
  auto t_start = clock::now();
  ImpactReport rep;
  rep.a = d.a;
  rep.b = d.b;
  rep.input = input_name;
  rep.mean_scale = options.mean_scale;
  rep.threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = rep.threads;
  const int scale = options.mean_scale;

  const auto& names = impact_metrics();
  Target ta(a.policy, *a.program, names), tb(b.policy, *b.program, names);
  std::vector<size_t> metric_slots;  // metrics present in both
  for (size_t m = 0; m < names.size(); ++m)
    if (ta.rules[m] >= 0 && tb.rules[m] >= 0) {
      metric_slots.push_back(m);
      MetricMean mm;
      mm.name = names[m];
      rep.metrics.push_back(mm);
    }
  rep.score.metric = "final.score";
  rep.score.start = Decimal::from_int(0);
  rep.score.width = Decimal::from_int(5);
  rep.score.a.assign(20, 0);
  rep.score.b.assign(20, 0);
  rep.adjustment.metric = "payment.adjustment";
  rep.adjustment.width = *Decimal::parse("0.5");
  std::map<int64_t, std::pair<uint64_t, uint64_t>> adj_bins;
  for (const auto& [label, param] : diff::threshold_parameters()) {
    Crossings c;
    c.threshold = label;
    c.param = param;
    c.a_threshold = param_number(a.policy, param);
    c.b_threshold = param_number(b.policy, param);
    if (c.a_threshold && c.b_threshold) rep.crossings.push_back(c);
  }

  // Evaluators: per thread, per target.
  std::vector<Evaluator> ev_a, ev_b;
  for (unsigned t = 0; t < threads; ++t) {
    ev_a.emplace_back(*a.program);
    ev_b.emplace_back(*b.program);
  }

  Attribution& at = rep.attribution;
  at.every = options.sample_every;
  std::vector<diff::ChangeItem> items = at.every ? diff::change_items(b, d) : std::vector<diff::ChangeItem>{};
  std::vector<std::unique_ptr<StepProgram>> steps;  // intermediate steps (the last step is B itself)
  std::vector<std::unique_ptr<Target>> step_targets;
  std::vector<std::vector<Evaluator>> step_evs;
  bool steps_chosen = items.empty();
  const std::vector<std::string> attributed_names = kAttributed;

  std::vector<std::string> texts;
  std::vector<size_t> numbers;
  std::vector<Line> lines;
  std::vector<Result> ra, rb;
  size_t line_no = 0, nonempty = 0;
  std::string text;
  bool more = true;
  while (more) {
    texts.clear();
    numbers.clear();
    std::vector<size_t> ordinal;  // 0-based index among non-empty lines
    while (texts.size() < options.chunk && (more = static_cast<bool>(std::getline(in, text)))) {
      ++line_no;
      if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
      texts.push_back(std::move(text));
      numbers.push_back(line_no);
      ordinal.push_back(nonempty++);
    }
    if (texts.empty()) break;
    size_t n = texts.size();
    auto t0 = clock::now();
    lines.assign(n, {});
    ra.assign(n, {});
    rb.assign(n, {});
    parallel(n, threads, [&](size_t i, unsigned w) {
      lines[i] = read_line(texts[i], numbers[i], input_name);
      if (!lines[i].ok) return;
      ra[i] = score(ta, ev_a[w], lines[i].as_year(a.policy.year));
      rb[i] = score(tb, ev_b[w], lines[i].as_year(b.policy.year));
    });
    rep.seconds_scoring += std::chrono::duration<double>(clock::now() - t0).count();

    // Aggregate in input order.
    std::vector<size_t> sample;
    for (size_t i = 0; i < n; ++i) {
      ++rep.lines;
      auto fail = [&](const std::string& reason) {
        if (rep.failures.size() < options.failures_listed) rep.failures.push_back({numbers[i], lines[i].id, reason});
      };
      if (!lines[i].ok) {
        ++rep.unreadable;
        fail(lines[i].error);
        continue;
      }
      if (!ra[i].ok) ++rep.failed_a;
      if (!rb[i].ok) ++rep.failed_b;
      if (!ra[i].ok || !rb[i].ok) {
        fail(!ra[i].ok ? "under A: " + ra[i].error : "under B: " + rb[i].error);
        continue;
      }
      ++rep.scored;
      const Decimal& fa = *ra[i].values[0];
      const Decimal& fb = *rb[i].values[0];
      auto sbin = [&](const Decimal& x) {
        return static_cast<size_t>(std::clamp<int64_t>(bin_of(x, rep.score.width), 0, 19));
      };
      ++rep.score.a[sbin(fa)];
      ++rep.score.b[sbin(fb)];
      if (ra[i].values[1]) ++adj_bins[bin_of(*ra[i].values[1], rep.adjustment.width)].first;
      if (rb[i].values[1]) ++adj_bins[bin_of(*rb[i].values[1], rep.adjustment.width)].second;
      for (auto& c : rep.crossings) {
        bool above_a = !(fa < *c.a_threshold), above_b = !(fb < *c.b_threshold);
        c.above_a += above_a;
        c.above_b += above_b;
        if (above_a && above_b) ++c.stay_above;
        else if (!above_a && !above_b) ++c.stay_below;
        else if (above_b) ++c.up;
        else ++c.down;
      }
      for (size_t k = 0; k < metric_slots.size(); ++k) {
        const auto& x = ra[i].values[metric_slots[k]];
        const auto& y = rb[i].values[metric_slots[k]];
        if (!x || !y) continue;
        MetricMean& mm = rep.metrics[k];
        ++mm.n;
        mm.sum_a = plus(mm.sum_a, *x);
        mm.sum_b = plus(mm.sum_b, *y);
        if (*x < *y) ++mm.up;
        else if (*y < *x) ++mm.down;
      }
      if (at.every && ordinal[i] % at.every == 0) sample.push_back(i);
    }
    if (!at.every || sample.empty()) continue;

    // ---- attribution of the sampled lines of this chunk ----
    auto t1 = clock::now();
    if (!steps_chosen) {
      // Choose the steps once, on this first sample (the probe).
      Policy work = a.policy;
      work.outputs.clear();
      work.output_where.clear();
      diff::Step pending;
      std::string note;
      std::vector<Evaluator> probe_ev;
      for (size_t k = 0; k + 1 < items.size(); ++k) {
        items[k].apply(work);
        pending.changes.push_back(items[k].label);
        dsl::Diagnostics cd;
        auto program = compile_loaded(work, cd);
        if (!program) {
          cd.sort();
          note += fmt::format("{}'{}' does not compile without the next change ({}); merged with it", note.empty() ? "" : "; ",
                              items[k].label, first_line(cd.render(false)));
          continue;
        }
        auto sp = std::make_unique<StepProgram>();
        sp->policy = work;
        sp->program = std::shared_ptr<const Program>(std::move(program));
        Target probe(sp->policy, *sp->program, attributed_names);
        std::vector<std::string> unread(sample.size());
        std::vector<Evaluator> evs;
        for (unsigned t = 0; t < threads; ++t) evs.emplace_back(*sp->program);
        parallel(sample.size(), threads, [&](size_t s, unsigned w) {
          Result r = score(probe, evs[w], lines[sample[s]].as_year(work.year));
          if (!r.bound) unread[s] = fmt::format("line {} ({}) {}", numbers[sample[s]], lines[sample[s]].id, r.error);
        });
        auto bad = std::find_if(unread.begin(), unread.end(), [](const std::string& u) { return !u.empty(); });
        if (bad != unread.end()) {
          note += fmt::format("{}after '{}' {} until the next change; merged with it", note.empty() ? "" : "; ",
                              items[k].label, *bad);
          continue;
        }
        pending.note = note;
        sp->step = std::move(pending);
        steps.push_back(std::move(sp));
        pending = diff::Step{};
        note.clear();
      }
      if (!items.empty()) {
        pending.changes.push_back(items.back().label);
        pending.note = note;
      }
      for (auto& s : steps) {
        step_targets.push_back(std::make_unique<Target>(s->policy, *s->program, attributed_names));
        step_evs.emplace_back();
        for (unsigned t = 0; t < threads; ++t) step_evs.back().emplace_back(*s->program);
        at.steps.push_back({s->step, {}, {}, {}, {}, 0, 0});
        if (!s->step.note.empty()) at.notes.push_back(s->step.note);
      }
      at.steps.push_back({pending, {}, {}, {}, {}, 0, 0});  // B itself
      if (!pending.note.empty()) at.notes.push_back(pending.note);
      steps_chosen = true;
    }
    if (at.steps.empty()) {
      // Nothing the diff names changed; any movement is reported as one unnamed step.
      at.steps.push_back({diff::Step{{"differences the static diff does not name"}, ""}, {}, {}, {}, {}, 0, 0});
    }
    // Each sampled line through every intermediate step.
    size_t ns = steps.size();
    std::vector<std::vector<Result>> rs(sample.size());
    parallel(sample.size(), threads, [&](size_t s, unsigned w) {
      rs[s].reserve(ns);
      for (size_t k = 0; k < ns; ++k)
        rs[s].push_back(score(*step_targets[k], step_evs[k][w], lines[sample[s]].as_year(steps[k]->policy.year)));
    });
    for (size_t s = 0; s < sample.size(); ++s) {
      size_t i = sample[s];
      const Decimal& fa = *ra[i].values[0];
      const Decimal& fb = *rb[i].values[0];
      ++at.lines;
      at.sum_a = plus(at.sum_a, fa);
      at.sum_b = plus(at.sum_b, fb);
      bool adj = ra[i].values[1] && rb[i].values[1];
      if (adj) {
        ++at.with_adjustment;
        at.adj_sum_a = plus(at.adj_sum_a, *ra[i].values[1]);
        at.adj_sum_b = plus(at.adj_sum_b, *rb[i].values[1]);
      }
      Decimal prev = fa;
      // The last adjustment seen, when the case has one under both policies (a flag and a value,
      // not an optional: g++ 12 warns, wrongly, that a copied optional<Decimal> may be uninitialized).
      bool has_prev_adj = adj;
      Decimal prev_adj = adj ? *ra[i].values[1] : Decimal();
      for (size_t k = 0; k <= ns && k < at.steps.size(); ++k) {
        StepImpact& st = at.steps[k];
        std::optional<Decimal> v, va;
        if (k < ns) {
          const Result& r = rs[s][k];
          if (r.ok) {
            v = r.values[0];
            va = r.values.size() > 1 ? r.values[1] : std::nullopt;
          } else {
            ++st.carried;
          }
        } else {
          v = fb;
          va = rb[i].values[1];
        }
        if (v) {
          Decimal part = minus(*v, prev);
          if (!part.is_zero()) ++st.moved;
          st.sum_score = plus(st.sum_score, part);
          prev = *v;
        }
        if (has_prev_adj && va) {
          st.sum_adjustment = plus(st.sum_adjustment, minus(*va, prev_adj));
          prev_adj = *va;
        }
      }
    }
    at.seconds += std::chrono::duration<double>(clock::now() - t1).count();
  }

  // Finish: means, histogram of adjustments, telescoping step means.
  for (auto& mm : rep.metrics) {
    mm.mean_a = mean_of(mm.sum_a, mm.n, scale);
    mm.mean_b = mean_of(mm.sum_b, mm.n, scale);
    mm.mean_delta = mean_of(minus(mm.sum_b, mm.sum_a), mm.n, scale);
  }
  if (!adj_bins.empty()) {
    int64_t lo = adj_bins.begin()->first, hi = adj_bins.rbegin()->first;
    Decimal s;
    mul(rep.adjustment.width, Decimal::from_int(lo), s);
    rep.adjustment.start = s;
    rep.adjustment.a.assign(static_cast<size_t>(hi - lo + 1), 0);
    rep.adjustment.b.assign(static_cast<size_t>(hi - lo + 1), 0);
    for (const auto& [k, c] : adj_bins) {
      rep.adjustment.a[static_cast<size_t>(k - lo)] = c.first;
      rep.adjustment.b[static_cast<size_t>(k - lo)] = c.second;
    }
  }
  at.mean_a = mean_of(at.sum_a, at.lines, scale);
  at.mean_b = mean_of(at.sum_b, at.lines, scale);
  at.adj_mean_a = mean_of(at.adj_sum_a, at.with_adjustment, scale);
  at.adj_mean_b = mean_of(at.adj_sum_b, at.with_adjustment, scale);
  // Each step's mean part is the change of the rounded cumulative mean, so the parts telescope
  // exactly from A's (rounded) mean to B's.
  Decimal cum = at.sum_a, cum_adj = at.adj_sum_a, last = at.mean_a, last_adj = at.adj_mean_a;
  for (auto& st : at.steps) {
    cum = plus(cum, st.sum_score);
    cum_adj = plus(cum_adj, st.sum_adjustment);
    Decimal m = mean_of(cum, at.lines, scale), ma = mean_of(cum_adj, at.with_adjustment, scale);
    st.mean_score = minus(m, last);
    st.mean_adjustment = minus(ma, last_adj);
    last = m;
    last_adj = ma;
  }
  rep.seconds_total = std::chrono::duration<double>(clock::now() - t_start).count();
  return rep;
}

}  // namespace merit::engine::impact
