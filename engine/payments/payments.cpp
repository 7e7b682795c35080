// Budget neutrality and the exceptional pool (docs/payments.md): the solver and its formats.
#include "engine/payments/payments.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <numeric>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "engine/input.hpp"
#include "engine/ondemand.hpp"

namespace merit::engine::payments {

namespace {

using dsl::Rounding;
using i128 = __int128;

constexpr int kScale = 18;                                 // digits kept by each division
constexpr i128 kUnitsPerCent = i128{10000000000000000};    // 10^16: 1 cent in units of 10^-18 dollars

Decimal num(int64_t v) { return Decimal::from_int(v); }

// Arithmetic that reports overflow once, through a flag, so that the formulas read as formulas.
struct Calc {
  bool ok = true;
  Decimal add(const Decimal& a, const Decimal& b) {
    Decimal r;
    if (!dsl::add(a, b, r)) ok = false;
    return r;
  }
  Decimal sub(const Decimal& a, const Decimal& b) {
    Decimal r;
    if (!dsl::sub(a, b, r)) ok = false;
    return r;
  }
  Decimal mul(const Decimal& a, const Decimal& b) {
    Decimal r;
    if (!dsl::mul(a, b, r)) ok = false;
    return r;
  }
  Decimal div(const Decimal& a, const Decimal& b) {
    Decimal r;
    if (!dsl::div(a, b, kScale, Rounding::HalfEven, r)) ok = false;
    return r;
  }
};

// Where a score falls on the statute's scale.
enum class Band { FullPenalty, LinearPenalty, Neutral, Positive };

struct Scale {
  Decimal pt, full_below, apt;
  Band band(const Decimal& fs) const {
    if (dsl::compare(fs, full_below) <= 0) return Band::FullPenalty;
    int c = dsl::compare(fs, pt);
    return c < 0 ? Band::LinearPenalty : c == 0 ? Band::Neutral : Band::Positive;
  }
  bool exceptional(const Decimal& fs) const { return dsl::compare(fs, apt) >= 0; }
};

Scale scale_of(const Parameters& p) {
  Decimal full;
  dsl::mul(p.performance_threshold, p.full_penalty_share, full);
  return {p.performance_threshold, full, p.exceptional_threshold};
}

// A decimal as an integer number of 10^-18 (exact: scales are at most 18).
i128 units(const Decimal& d) {
  static constexpr int64_t p10[19] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                                      1000000000, 10000000000, 100000000000, 1000000000000,
                                      10000000000000, 100000000000000, 1000000000000000,
                                      10000000000000000, 100000000000000000, 1000000000000000000};
  return d.coefficient() * p10[kScale - d.scale()];
}

// Units rounded half even to whole cents; `rem` = units - cents x 10^16 (|rem| <= half a cent).
int64_t to_cents(i128 u, i128& rem) {
  i128 q = u / kUnitsPerCent, r = u % kUnitsPerCent;  // truncation toward zero
  if (r < 0) {  // floor
    q -= 1;
    r += kUnitsPerCent;
  }
  i128 twice = 2 * r;
  if (twice > kUnitsPerCent || (twice == kUnitsPerCent && (q & 1))) {
    q += 1;
    r -= kUnitsPerCent;
  }
  rem = r;
  return static_cast<int64_t>(q);
}

Decimal from_cents(i128 cents) { return *Decimal::from_parts(cents, 2); }
Decimal from_units(i128 u) { return Decimal::from_parts(u, kScale)->normalized(); }

// The largest-remainder rule: cents[i] were rounded half even from exact amounts whose rounding
// remainders are rem[i]; move single cents so that the cents add up to `target` cents. A cent
// is added where the rounding took off the most (largest remainder), removed where it added the
// most; ties go to the earlier line. Only clinicians with a non-zero amount take part.
void apportion(std::vector<int64_t>& cents, const std::vector<i128>& rem, const std::vector<char>& nonzero,
               i128 target) {
  i128 have = 0;
  for (int64_t c : cents) have += c;
  i128 k = target - have;
  if (k == 0) return;
  std::vector<uint32_t> idx;
  for (size_t i = 0; i < cents.size(); ++i)
    if (nonzero[i]) idx.push_back(static_cast<uint32_t>(i));
  if (idx.empty()) return;
  bool up = k > 0;
  auto better = [&](uint32_t a, uint32_t b) {
    if (rem[a] != rem[b]) return up ? rem[a] > rem[b] : rem[a] < rem[b];
    return a < b;
  };
  i128 need = up ? k : -k;
  while (need > 0) {  // one pass unless more cents move than there are clinicians (cannot happen)
    size_t take = static_cast<size_t>(std::min<i128>(need, static_cast<i128>(idx.size())));
    std::nth_element(idx.begin(), idx.begin() + static_cast<long>(take) - 1, idx.end(), better);
    for (size_t j = 0; j < take; ++j) cents[idx[j]] += up ? 1 : -1;
    need -= static_cast<i128>(take);
  }
}

std::string json_string(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

}  // namespace

bool parameters_from_policy(const Policy& policy, Parameters& out, std::string& error) {
  auto get = [&](const char* name, Decimal& to) {
    const Parameter* p = policy.find_parameter(name);
    if (!p || (p->value.kind != Datum::Kind::Number && p->value.kind != Datum::Kind::Money)) {
      error += fmt::format("{}the policy '{}' has no number parameter '{}'", error.empty() ? "" : "; ", policy.name, name);
      return;
    }
    to = p->value.number;
  };
  error.clear();
  get("payment.performance_threshold", out.performance_threshold);
  get("payment.exceptional_threshold", out.exceptional_threshold);
  get("payment.applicable_percent", out.applicable_percent);
  get("payment.full_penalty_share", out.full_penalty_share);
  get("payment.scaling_factor.max", out.scaling_max);
  get("payment.exceptional_min", out.exceptional_min);
  get("payment.exceptional_max", out.exceptional_max);
  get("payment.exceptional_factor.max", out.exceptional_factor_max);
  get("payment.exceptional_pool", out.exceptional_pool);
  if (const Parameter* p = policy.find_parameter("payment.round_digits"); p && p->value.number.to_int64())
    out.round_digits = static_cast<int>(std::clamp<int64_t>(*p->value.number.to_int64(), 0, 18));
  if (!error.empty()) return false;
  if (dsl::compare(out.performance_threshold, num(0)) <= 0 || dsl::compare(out.performance_threshold, num(100)) >= 0 ||
      dsl::compare(out.exceptional_threshold, num(100)) >= 0) {
    error = "the thresholds must lie strictly between 0 and 100";
    return false;
  }
  return true;
}

Format format_for(const std::string& path) {
  auto dot = path.rfind('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext == "csv" ? Format::Csv : Format::Jsonl;
}

// ---- reading ----

namespace {

// The three fields of a JSONL line, through nlohmann's SAX parser so that numbers keep their text.
struct LineSax : nlohmann::json_sax<nlohmann::json> {
  int depth = 0;
  bool top_object = false;
  std::string current;  // the key of the top-level field being read
  std::optional<std::string> id, score, paid;  // number text (score, paid) or string (id)
  bool ineligible = false;                      // merit batch's "eligibility.eligible": false
  std::string bad;                              // a field of the wrong kind
  std::string parse_message;

  void value(const std::string& text, bool is_number, bool is_string) {
    if (depth != 1) return;
    // merit batch writes "case", "final.score" and "eligibility.eligible": its results are read as they are.
    if (current == "case") current = "id";
    if (current == "final.score") current = "final_score";
    if (current == "id") {
      if (is_string || is_number) id = text;
      else bad = "\"id\" must be a string";
    } else if (current == "final_score" || current == "part_b_paid") {
      if (!is_number) {
        bad = fmt::format("\"{}\" must be a number", current);
        return;
      }
      (current == "final_score" ? score : paid) = text;
    }
  }
  bool null() override { value("", false, false); return true; }
  bool boolean(bool b) override {
    if (depth == 1 && current == "eligibility.eligible") {
      ineligible = !b;
      return true;
    }
    value("", false, false);
    return true;
  }
  bool number_integer(number_integer_t v) override { value(std::to_string(v), true, false); return true; }
  bool number_unsigned(number_unsigned_t v) override { value(std::to_string(v), true, false); return true; }
  bool number_float(number_float_t, const string_t& s) override { value(s, true, false); return true; }
  bool string(string_t& s) override { value(s, false, true); return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    if (depth == 0) top_object = true;
    ++depth;
    return true;
  }
  bool key(string_t& k) override {
    if (depth == 1) current = k;
    return true;
  }
  bool end_object() override { --depth; return true; }
  bool start_array(std::size_t) override {
    if (depth == 1) value("", false, false);
    ++depth;
    return true;
  }
  bool end_array() override { --depth; return true; }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    auto colon = what.rfind(": ");
    parse_message = fmt::format("not valid JSON (column {}: {})", pos, colon == std::string::npos ? what : what.substr(colon + 2));
    return false;
  }
};

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// The same three fields (and the eligibility flag) read straight from the line by simdjson's
// On-Demand parser, with LineSax's rules: the last field of a name wins, "id" is a string or a
// number, the two amounts are numbers (their text kept), an array where a value is expected is
// refused, an object is ignored. Every value is checked, the ones not needed too. False when
// simdjson declines the line; then LineSax reads it and says what is wrong.
struct LineFields {
  std::optional<std::string> id, score, paid;
  bool ineligible = false;
  std::string bad;
};


using ondemand_util::valid_value;

bool fast_line_fields(const std::string& line, LineFields& f) {
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string buffer;
  buffer.assign(line);
  buffer.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::ondemand::document doc;
  simdjson::ondemand::object top;
  if (parser.iterate(buffer.data(), line.size(), buffer.size()).get(doc) || doc.get_object().get(top)) return false;
  // On-Demand stops at the end of the object: anything after it but spaces goes to LineSax.
  std::string_view whole;
  bool more = false;
  if (top.raw_json().get(whole) || top.reset().get(more)) return false;
  for (const char* p = whole.data() + whole.size(); p < buffer.data() + line.size(); ++p)
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return false;
  for (auto field : top) {
    // Keys as written (no unescaping): the wanted ones have nothing to escape, and a key that
    // differs only by escapes (\u0063ase) is not wanted -- LineSax, which unescapes, would take
    // it, so such a line goes the slow way.
    simdjson::ondemand::raw_json_string raw_key;
    simdjson::ondemand::value v;
    simdjson::ondemand::json_type type;
    if (field.key().get(raw_key) || field.value().get(v) || v.type().get(type)) return false;
    std::string_view key(reinterpret_cast<const char*>(raw_key.raw()), 0);
    {
      const char* k = reinterpret_cast<const char*>(raw_key.raw());
      size_t n = 0;
      while (k[n] != '"') {
        if (k[n] == '\\') return false;
        ++n;
      }
      key = std::string_view(k, n);
    }
    using T = simdjson::ondemand::json_type;
    bool wanted = key == "case" || key == "id" || key == "final.score" || key == "final_score" || key == "part_b_paid";
    if (key == "eligibility.eligible" && type == T::boolean) {
      bool b;
      if (v.get_bool().get(b)) return false;
      f.ineligible = !b;
    } else if (!wanted || type == T::object) {
      if (!valid_value(v, 1)) return false;
    } else if (key == "case" || key == "id") {
      std::string_view text;
      if (type == T::string) {
        if (v.get_string().get(text)) return false;
        f.id = std::string(text);
      } else if (type == T::number) {
        simdjson::ondemand::number n;
        text = v.raw_json_token();
        if (v.get_number().get(n)) return false;
        f.id = std::string(trim(text));
      } else {
        if (!valid_value(v, 1)) return false;
        f.bad = "\"id\" must be a string";
      }
    } else {
      std::string name = key == "part_b_paid" ? "part_b_paid" : "final_score";
      if (type == T::number) {
        std::string_view text = v.raw_json_token();
        simdjson::ondemand::number n;
        if (v.get_number().get(n)) return false;
        (name == "final_score" ? f.score : f.paid) = trim(text);
      } else {
        if (!valid_value(v, 1)) return false;
        f.bad = fmt::format("\"{}\" must be a number", name);
      }
    }
  }
  return true;
}

// One CSV record's fields (RFC 4180 quotes; no newline inside a field).
std::vector<std::string> csv_fields(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        out.back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.emplace_back();
    } else {
      out.back() += ch;
    }
  }
  return out;
}


// Checks and adds one clinician; false with a message (without the line prefix).
bool add_clinician(std::string id, const std::optional<std::string>& score, const std::optional<std::string>& paid,
                   std::vector<Clinician>& out, std::string& why) {
  if (id.empty()) {
    why = "missing \"id\"";
    return false;
  }
  if (!score) {
    why = "missing \"final_score\"";
    return false;
  }
  if (!paid) {
    why = "missing \"part_b_paid\"";
    return false;
  }
  auto s = engine::json_number(trim(*score));
  if (!s) {
    why = fmt::format("\"final_score\" is not a number: '{}'", *score);
    return false;
  }
  if (dsl::compare(*s, num(0)) < 0 || dsl::compare(*s, num(100)) > 0) {
    why = fmt::format("\"final_score\" is {}, outside 0..100", s->to_string());
    return false;
  }
  auto p = engine::json_number(trim(*paid));
  if (!p) {
    why = fmt::format("\"part_b_paid\" is not a number: '{}'", *paid);
    return false;
  }
  if (p->is_negative()) {
    why = fmt::format("\"part_b_paid\" is {}, negative", p->to_string());
    return false;
  }
  out.push_back({std::move(id), s->normalized(), p->normalized()});
  return true;
}

}  // namespace

namespace {

// One JSONL line into `out` (or nothing, for a clinician who is not eligible); false with the
// reason. Most lines are well formed: they are read through the fast JSON path (simdjson). A
// line it declines goes through LineSax, which says what is wrong with it.
bool read_jsonl_line(const std::string& line, std::vector<Clinician>& out, std::string& why) {
  if (LineFields f; fast_line_fields(line, f)) {
    if (!f.bad.empty()) return why = f.bad, false;
    if (f.ineligible) return true;
    return add_clinician(f.id.value_or(""), f.score, f.paid, out, why);
  }
  LineSax sax;
  bool parsed = nlohmann::json::sax_parse(line, &sax);
  if (!parsed) return why = sax.parse_message.empty() ? "not valid JSON" : sax.parse_message, false;
  if (!sax.top_object) return why = "expected a JSON object {\"id\": ..., \"final_score\": ..., \"part_b_paid\": ...}", false;
  if (!sax.bad.empty()) return why = sax.bad, false;
  if (sax.ineligible) return true;  // not eligible for MIPS: no adjustment, not in the balance
  return add_clinician(sax.id.value_or(""), sax.score, sax.paid, out, why);
}

// JSON lines, read in chunks whose lines are parsed on every core; the clinicians keep the
// file's order, and the first bad line (in file order) is the one reported.
bool read_jsonl(std::istream& in, const std::string& name, std::vector<Clinician>& out, std::string& error) {
  constexpr size_t kChunk = 1 << 16;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::string> lines(kChunk);
  std::vector<size_t> numbers(kChunk);
  std::vector<std::vector<Clinician>> parts(threads);
  std::vector<size_t> bad_at(threads);
  std::vector<std::string> bad_why(threads);
  size_t lineno = 0;
  // The file is read in blocks and cut at newlines (memchr), which is several times faster
  // than getline on a 400 MB file; `pending` holds the start of a line a block cut in two.
  std::vector<char> block(16 << 20);
  std::string pending;
  bool at_end = false;
  size_t pos = 0, filled = 0;
  auto next_line = [&](std::string& line) -> bool {
    for (;;) {
      if (pos < filled) {
        const char* start = block.data() + pos;
        const char* nl = static_cast<const char*>(std::memchr(start, '\n', filled - pos));
        if (nl) {
          size_t len = static_cast<size_t>(nl - start);
          if (pending.empty()) {
            line.assign(start, len);
          } else {
            line = std::move(pending);
            line.append(start, len);
            pending.clear();
          }
          pos += len + 1;
          return true;
        }
        pending.append(start, filled - pos);
        pos = filled;
      }
      if (at_end) {
        if (pending.empty()) return false;
        line = std::move(pending);
        pending.clear();
        return true;
      }
      in.read(block.data(), static_cast<std::streamsize>(block.size()));
      filled = static_cast<size_t>(in.gcount());
      pos = 0;
      if (filled < block.size()) at_end = true;
    }
  };
  for (bool more = true; more;) {
    size_t n = 0;
    while (n < kChunk && (more = next_line(lines[n]))) {
      ++lineno;
      std::string& line = lines[n];
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t\r\n\f\v") == std::string::npos) continue;
      numbers[n++] = lineno;
    }
    unsigned used = n >= 1024 ? threads : 1;  // a small chunk: one thread reads it all
    auto work = [&](unsigned t) {
      size_t begin = n * t / used, end = n * (t + 1) / used;
      parts[t].clear();
      bad_at[t] = end;
      for (size_t i = begin; i < end; ++i)
        if (!read_jsonl_line(lines[i], parts[t], bad_why[t])) {
          bad_at[t] = i;
          return;
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < used; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
    for (unsigned t = 0; t < used; ++t) {
      if (bad_at[t] < n * (t + 1) / used) {
        error = fmt::format("{}:{}: {}", name, numbers[bad_at[t]], bad_why[t]);
        return false;
      }
      out.insert(out.end(), std::make_move_iterator(parts[t].begin()), std::make_move_iterator(parts[t].end()));
    }
  }
  return true;
}

}  // namespace

bool read_results(std::istream& in, const std::string& name, Format format, std::vector<Clinician>& out,
                  std::string& error) {
  if (format == Format::Jsonl) return read_jsonl(in, name, out, error);
  std::string line, why;
  size_t lineno = 0;
  int id_col = -1, score_col = -1, paid_col = -1, eligible_col = -1;
  bool header = true;
  auto fail = [&](const std::string& w) {
    error = fmt::format("{}:{}: {}", name, lineno, w);
    return false;
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    auto fields = csv_fields(line);
    if (header) {
      for (size_t i = 0; i < fields.size(); ++i) {
        std::string f = trim(fields[i]);
        if (f == "id" || f == "case") id_col = static_cast<int>(i);
        if (f == "final_score" || f == "final.score") score_col = static_cast<int>(i);
        if (f == "eligibility.eligible") eligible_col = static_cast<int>(i);
        if (f == "part_b_paid") paid_col = static_cast<int>(i);
      }
      if (id_col < 0 || score_col < 0 || paid_col < 0)
        return fail("the CSV header must name the columns id, final_score and part_b_paid");
      header = false;
      continue;
    }
    int need = std::max({id_col, score_col, paid_col});
    if (static_cast<int>(fields.size()) <= need)
      return fail(fmt::format("{} fields, the header has at least {}", fields.size(), need + 1));
    if (eligible_col >= 0 && static_cast<size_t>(eligible_col) < fields.size() &&
        trim(fields[static_cast<size_t>(eligible_col)]) == "false")
      continue;  // not eligible for MIPS: no adjustment, not in the balance
    if (!add_clinician(trim(fields[static_cast<size_t>(id_col)]), fields[static_cast<size_t>(score_col)],
                       fields[static_cast<size_t>(paid_col)], out, why))
      return fail(why);
  }
  if (in.bad()) {
    error = fmt::format("{}: read error", name);
    return false;
  }
  return true;
}

// ---- solving ----

bool solve_factors(const Parameters& p, const std::vector<Clinician>& population, Solution& s, std::string& error) {
  Calc k;
  Scale sc = scale_of(p);
  // Exact sums: A = paid in the full-penalty band, B = paid x (PT - FS) in the linear band,
  // C = paid x (FS - PT) above PT, E0 = paid at or above APT, E1 = paid x (FS - APT) there.
  Decimal A, B, C, E0, E1;
  s.negative_count = s.positive_count = s.exceptional_count = s.neutral_count = 0;
  for (const auto& c : population) {
    switch (sc.band(c.score)) {
      case Band::FullPenalty: A = k.add(A, c.paid); ++s.negative_count; break;
      case Band::LinearPenalty: B = k.add(B, k.mul(c.paid, k.sub(p.performance_threshold, c.score))); ++s.negative_count; break;
      case Band::Neutral: ++s.neutral_count; break;
      case Band::Positive: C = k.add(C, k.mul(c.paid, k.sub(c.score, p.performance_threshold))); ++s.positive_count; break;
    }
    if (sc.exceptional(c.score)) {
      E0 = k.add(E0, c.paid);
      E1 = k.add(E1, k.mul(c.paid, k.sub(c.score, p.exceptional_threshold)));
      ++s.exceptional_count;
    }
  }
  const Decimal hundred = num(100);
  const Decimal& pt = p.performance_threshold;
  const Decimal& x = p.applicable_percent;
  Decimal room = k.sub(hundred, pt);                                   // 100 - PT
  Decimal neg_core = k.add(k.mul(pt, A), B);                           // PT x A + B
  // Dollars: negative = -X (PT A + B) / (100 PT); positive before beta = X C / (100 (100 - PT)).
  s.negative_exact = k.div(k.mul(x, neg_core), k.mul(hundred, pt)).negated();
  s.positive_unscaled_exact = k.div(k.mul(x, C), k.mul(hundred, room));
  // beta: -negative = beta x positive, i.e. beta = (100 - PT)(PT A + B) / (PT C): X cancels.
  if (C.is_zero()) {
    s.beta_uncapped = s.beta = num(0);
    s.beta_capped = false;
    s.beta_rule = "no positive adjustments: beta is 0";
  } else if (neg_core.is_zero()) {
    s.beta_uncapped = num(0);
    s.beta = p.scaling_max;
    s.beta_capped = true;
    s.beta_rule = fmt::format("no negative adjustments to balance: beta is its maximum, {} (0 < beta <= {})",
                              p.scaling_max.normalized().to_string(), p.scaling_max.normalized().to_string());
  } else {
    s.beta_uncapped = k.div(k.mul(room, neg_core), k.mul(pt, C));
    s.beta_capped = dsl::compare(s.beta_uncapped, p.scaling_max) > 0;
    s.beta = s.beta_capped ? p.scaling_max : s.beta_uncapped;
    s.beta_rule = s.beta_capped ? fmt::format("capped at {}: the positive adjustments spend less than the negative ones save",
                                              p.scaling_max.normalized().to_string())
                                : "budget neutral";
  }
  // gamma: gamma x sum paid x (min + (FS - APT)/(100 - APT) (max - min)) / 100 = pool.
  Decimal eroom = k.sub(hundred, p.exceptional_threshold);
  Decimal spread = k.sub(p.exceptional_max, p.exceptional_min);
  Decimal d = k.add(k.mul(p.exceptional_min, k.mul(eroom, E0)), k.mul(spread, E1));  // 100 (100-APT) x dollars
  s.exceptional_unscaled_exact = k.div(d, k.mul(hundred, eroom));
  if (d.is_zero()) {
    s.gamma_uncapped = s.gamma = num(0);
    s.gamma_capped = false;
    s.gamma_rule = "no exceptional adjustments: gamma is 0";
  } else {
    s.gamma_uncapped = k.div(k.mul(k.mul(hundred, p.exceptional_pool), eroom), d);
    s.gamma_capped = dsl::compare(s.gamma_uncapped, p.exceptional_factor_max) > 0;
    s.gamma = s.gamma_capped ? p.exceptional_factor_max : s.gamma_uncapped;
    s.gamma_rule = s.gamma_capped ? fmt::format("capped at {}: the exceptional adjustments at their full size spend less than the pool",
                                                p.exceptional_factor_max.normalized().to_string())
                                  : "spends the pool";
  }
  if (!k.ok) {
    error = "arithmetic overflow while summing the population (amounts too large for 38 digits)";
    return false;
  }
  return true;
}

bool solve(const Parameters& p, const std::vector<Clinician>& population, Solution& s, std::string& error) {
  if (!solve_factors(p, population, s, error)) return false;
  Calc k;
  Scale sc = scale_of(p);
  const Decimal hundred = num(100);
  const Decimal& pt = p.performance_threshold;
  // Per-dollar constants, once: the full penalty -X/100; the linear band's -X/(100 PT) per point
  // below PT; beta X/(100 (100 - PT)) per point above PT; gamma min/100 and
  // gamma (max - min)/(100 (100 - APT)) per point above APT.
  Decimal full = k.div(p.applicable_percent, hundred).negated();
  Decimal linear = k.div(p.applicable_percent, k.mul(hundred, pt)).negated();
  Decimal positive = k.div(k.mul(s.beta, p.applicable_percent), k.mul(hundred, k.sub(hundred, pt)));
  Decimal exc_base = k.div(k.mul(s.gamma, p.exceptional_min), hundred);
  Decimal exc_slope = k.div(k.mul(s.gamma, k.sub(p.exceptional_max, p.exceptional_min)),
                            k.mul(hundred, k.sub(hundred, p.exceptional_threshold)));
  size_t n = population.size();
  s.base_cents.assign(n, 0);
  s.exceptional_cents.assign(n, 0);
  std::vector<i128> base_rem(n), exc_rem(n);
  std::vector<char> base_nz(n, 0), exc_nz(n, 0), base_neg(n, 0);
  i128 base_total = 0, exc_total = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto& c = population[i];
    Decimal b;
    switch (sc.band(c.score)) {
      case Band::FullPenalty: b = k.mul(c.paid, full); break;
      case Band::LinearPenalty: b = k.mul(k.mul(c.paid, k.sub(pt, c.score)), linear); break;
      case Band::Neutral: break;
      case Band::Positive: b = k.mul(k.mul(c.paid, k.sub(c.score, pt)), positive); break;
    }
    i128 u = units(b);
    base_total += u;
    base_nz[i] = u != 0;
    base_neg[i] = u < 0;
    s.base_cents[i] = to_cents(u, base_rem[i]);
    if (sc.exceptional(c.score)) {
      Decimal e = k.add(k.mul(c.paid, exc_base), k.mul(k.mul(c.paid, k.sub(c.score, p.exceptional_threshold)), exc_slope));
      i128 v = units(e);
      exc_total += v;
      exc_nz[i] = v != 0;
      s.exceptional_cents[i] = to_cents(v, exc_rem[i]);
    }
  }
  if (!k.ok) {
    error = "arithmetic overflow while computing the adjustments";
    return false;
  }
  i128 rem;
  apportion(s.base_cents, base_rem, base_nz, to_cents(base_total, rem));
  apportion(s.exceptional_cents, exc_rem, exc_nz, to_cents(exc_total, rem));
  s.base_exact = from_units(base_total);
  s.exceptional_exact = from_units(exc_total);
  i128 neg = 0, pos = 0, exc = 0;
  for (size_t i = 0; i < n; ++i) {
    (base_neg[i] ? neg : pos) += s.base_cents[i];
    exc += s.exceptional_cents[i];
  }
  s.negative_dollars = from_cents(neg);
  s.positive_dollars = from_cents(pos);
  s.exceptional_dollars = from_cents(exc);
  s.balance = from_cents(neg + pos);
  return true;
}

Decimal adjustment_percent(const Parameters& p, const Solution& s, const Clinician& c, Decimal* base_out,
                           Decimal* exc_out) {
  Calc k;
  Scale sc = scale_of(p);
  const Decimal hundred = num(100);
  const Decimal& pt = p.performance_threshold;
  const Decimal& x = p.applicable_percent;
  Decimal base, scaled, exc;
  switch (sc.band(c.score)) {
    case Band::FullPenalty: base = x.negated(); scaled = base; break;
    case Band::LinearPenalty: base = k.div(k.mul(x, k.sub(pt, c.score)), pt).negated(); scaled = base; break;
    case Band::Neutral: break;
    case Band::Positive:
      base = k.div(k.mul(x, k.sub(c.score, pt)), k.sub(hundred, pt));
      scaled = k.mul(base, s.beta);
      break;
  }
  if (sc.exceptional(c.score))
    exc = k.add(p.exceptional_min, k.div(k.mul(k.sub(c.score, p.exceptional_threshold), k.sub(p.exceptional_max, p.exceptional_min)),
                                         k.sub(hundred, p.exceptional_threshold)));
  if (base_out) *base_out = base;
  if (exc_out) *exc_out = exc;
  return k.add(scaled, k.mul(exc, s.gamma));
}

// ---- output ----

std::string decimal_text(const Decimal& d) {
  if (d.is_zero()) return "0";
  return d.normalized().to_string();
}

std::string cents_text(int64_t cents) { return from_cents(cents).to_string(); }

namespace {

std::string rounded(const Decimal& d, int digits) {
  Decimal r;
  if (!dsl::round(d, digits, Rounding::HalfUp, r)) return decimal_text(d);
  return decimal_text(r);
}

struct Row {
  std::string adjustment, base, exceptional, dollars, base_dollars, exc_dollars;
};

Row row(const Parameters& p, const Solution& s, const Clinician& c, size_t i) {
  Decimal base, exc;
  Decimal total = adjustment_percent(p, s, c, &base, &exc);
  Decimal scaled_base, scaled_exc;
  dsl::mul(base, base.is_negative() ? num(1) : s.beta, scaled_base);
  dsl::mul(exc, s.gamma, scaled_exc);
  int64_t b = i < s.base_cents.size() ? s.base_cents[i] : 0, e = i < s.exceptional_cents.size() ? s.exceptional_cents[i] : 0;
  return {rounded(total, p.round_digits), rounded(scaled_base, p.round_digits), rounded(scaled_exc, p.round_digits),
          cents_text(b + e), cents_text(b), cents_text(e)};
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

}  // namespace

std::string json_line(const Parameters& p, const Solution& s, const Clinician& c, size_t i) {
  Row r = row(p, s, c, i);
  return fmt::format(
      "{{\"id\": {}, \"final_score\": {}, \"part_b_paid\": {}, \"adjustment\": {}, \"base_adjustment\": {}, "
      "\"exceptional_adjustment\": {}, \"adjustment_dollars\": {}, \"base_dollars\": {}, \"exceptional_dollars\": {}}}",
      json_string(c.id), decimal_text(c.score), decimal_text(c.paid), r.adjustment, r.base, r.exceptional, r.dollars,
      r.base_dollars, r.exc_dollars);
}

std::string csv_header() {
  return "id,final_score,part_b_paid,adjustment,base_adjustment,exceptional_adjustment,adjustment_dollars,base_dollars,"
         "exceptional_dollars";
}

std::string csv_line(const Parameters& p, const Solution& s, const Clinician& c, size_t i) {
  Row r = row(p, s, c, i);
  return fmt::format("{},{},{},{},{},{},{},{},{}", csv_cell(c.id), decimal_text(c.score), decimal_text(c.paid),
                     r.adjustment, r.base, r.exceptional, r.dollars, r.base_dollars, r.exc_dollars);
}

std::string summary_json(const Parameters& p, const Solution& s, size_t clinicians) {
  Decimal exc_residual;  // the exceptional cents less the pool: 0.00 unless gamma is capped (or 0)
  dsl::sub(s.exceptional_dollars, p.exceptional_pool, exc_residual);
  return fmt::format(
      "{{\n"
      "  \"clinicians\": {},\n"
      "  \"negative_count\": {},\n  \"neutral_count\": {},\n  \"positive_count\": {},\n  \"exceptional_count\": {},\n"
      "  \"beta\": {},\n  \"beta_uncapped\": {},\n  \"beta_capped\": {},\n  \"beta_rule\": {},\n"
      "  \"gamma\": {},\n  \"gamma_uncapped\": {},\n  \"gamma_capped\": {},\n  \"gamma_rule\": {},\n"
      "  \"exceptional_pool\": {},\n"
      "  \"negative_dollars\": {},\n  \"positive_dollars\": {},\n  \"exceptional_dollars\": {},\n"
      "  \"balance\": {},\n  \"balance_exact\": {},\n  \"exceptional_exact\": {},\n  \"exceptional_residual\": {},\n"
      "  \"rounding\": \"each amount half even to the cent, then the largest-remainder rule so that the cents add up to the exact total rounded to the cent\"\n"
      "}}\n",
      clinicians, s.negative_count, s.neutral_count, s.positive_count, s.exceptional_count, decimal_text(s.beta),
      decimal_text(s.beta_uncapped), s.beta_capped, json_string(s.beta_rule), decimal_text(s.gamma),
      decimal_text(s.gamma_uncapped), s.gamma_capped, json_string(s.gamma_rule), decimal_text(p.exceptional_pool),
      s.negative_dollars.to_string(), s.positive_dollars.to_string(), s.exceptional_dollars.to_string(),
      s.balance.to_string(), decimal_text(s.base_exact), decimal_text(s.exceptional_exact), exc_residual.to_string());
}

namespace {
// Dollars for people: -$1,234.50.
std::string money(const Decimal& d) {
  std::string t = d.abs().to_string();
  auto dot = t.find('.');
  std::string whole = t.substr(0, dot), frac = dot == std::string::npos ? "" : t.substr(dot);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  return (d.is_negative() ? "-$" : "$") + grouped + frac;
}
}  // namespace

std::string summary_text(const Parameters& p, const Solution& s, size_t clinicians) {
  std::string out;
  out += fmt::format("clinicians: {} ({} negative, {} neutral, {} positive; {} exceptional)\n", clinicians,
                     s.negative_count, s.neutral_count, s.positive_count, s.exceptional_count);
  out += fmt::format("beta = {}  ({})\n", decimal_text(s.beta), s.beta_rule);
  out += fmt::format("gamma = {}  ({}; pool {})\n", decimal_text(s.gamma), s.gamma_rule, money(p.exceptional_pool));
  out += fmt::format("negative adjustments: {}\npositive adjustments: {}\nexceptional adjustments: {}\n",
                     money(s.negative_dollars), money(s.positive_dollars), money(s.exceptional_dollars));
  out += fmt::format("balance (negative + positive): {}  (exact residual before cents: {})\n", money(s.balance),
                     decimal_text(s.base_exact));
  return out;
}

}  // namespace merit::engine::payments
