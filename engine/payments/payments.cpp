// Budget neutrality and the exceptional pool (docs/payments.md): the solver and its formats.
#include "engine/payments/payments.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// units(a x b) for dsl::mul's a x b (exact, or rounded half even to 18 digits) computed in
// 128-bit integers: for coefficients of 64 bits the exact product fits (|a b| < 2^126 < 10^38,
// so dsl::mul cannot overflow either). False when a coefficient is larger or the units
// overflow: the caller then takes the Decimal path.
bool mul_units(i128 ca, int sa, i128 cb, int sb, i128& out) {
  constexpr i128 kMax64 = INT64_MAX;
  if (ca > kMax64 || ca < -kMax64 || cb > kMax64 || cb < -kMax64) return false;
  i128 product = ca * cb;
  int s = sa + sb;
  if (s <= kScale) return !__builtin_mul_overflow(product, static_cast<i128>(dsl::detail::kPow10[kScale - s]), &out);
  using u128 = unsigned __int128;
  u128 m = product < 0 ? -static_cast<u128>(product) : static_cast<u128>(product);
  auto d = static_cast<u128>(dsl::detail::kPow10[s - kScale]);  // s <= 36
  u128 q = m / d, r = m % d;
  if (2 * r > d || (2 * r == d && (q & 1))) ++q;  // half even, as dsl::mul rounds
  out = product < 0 ? -static_cast<i128>(q) : static_cast<i128>(q);
  return true;
}
bool mul_units(const Decimal& a, const Decimal& b, i128& out) {
  return mul_units(a.coefficient(), a.scale(), b.coefficient(), b.scale(), out);
}

// a x b exactly, as a coefficient of 64 bits and a scale of at most 18 (dsl::mul's value); false
// when it does not fit so.
bool mul_exact(const Decimal& a, const Decimal& b, i128& c, int& s) {
  constexpr i128 kMax64 = INT64_MAX;
  i128 ca = a.coefficient(), cb = b.coefficient();
  int64_t r;
  if (ca > kMax64 || ca < -kMax64 || cb > kMax64 || cb < -kMax64 ||
      __builtin_mul_overflow(static_cast<int64_t>(ca), static_cast<int64_t>(cb), &r) || r == INT64_MIN)
    return false;
  s = a.scale() + b.scale();
  c = r;
  return s <= kScale;
}

// The largest-remainder rule: cents[i] were rounded half even from exact amounts whose rounding
// remainders are rem[i]; move single cents so that the cents add up to `target` cents. A cent
// is added where the rounding took off the most (largest remainder), removed where it added the
// most; ties go to the earlier line. Only clinicians with a non-zero amount take part.
void apportion(std::vector<int64_t>& cents, const std::vector<int64_t>& rem, const std::vector<char>& nonzero,
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

// ---- the fast JSONL path ----
//
// A results line as merit batch writes it is one flat object of strings, numbers and booleans
// without escapes. scan_line reads such a line in one pass over its bytes, checks it is JSON
// (the grammar of every value, the keys as written), takes the fields payments needs straight
// from the bytes (the numbers as exact decimals, digit by digit) and declines anything else --
// an escape, a byte outside ASCII, a nested value, an exponent, a long number, a duplicate or
// missing field, a value of the wrong kind or out of range -- which then goes through
// read_jsonl_line (simdjson, then nlohmann's SAX parser), the one place that says what is wrong.
// So a line this path takes is one the reference path takes with the same numbers.

enum class Scan { Clinician, Skip, Decline };

struct ScanFields {
  std::string_view id;
  Decimal score, paid;
};

inline const char* skip_ws(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
  return p;
}

// p is just after an opening quote: the closing quote, or nullptr for a backslash, a control
// character or a byte outside ASCII (or no closing quote on the line).
inline const char* scan_string(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed comparison: below 0x20 takes the control characters and the bytes >= 0x80.
    unsigned q = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)));
    unsigned bad = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmplt_epi8(v, space))));
    if (q | bad) {
      unsigned iq = q ? static_cast<unsigned>(__builtin_ctz(q)) : 16u;
      unsigned ib = bad ? static_cast<unsigned>(__builtin_ctz(bad)) : 16u;
      return ib < iq ? nullptr : p + iq;
    }
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    auto ch = static_cast<unsigned char>(*p);
    if (ch == '"') return p;
    if (ch == '\\' || ch < 0x20 || ch >= 0x80) return nullptr;
  }
  return nullptr;
}

inline bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

// The first byte at or after p that is not a digit (or end).
inline const char* skip_digits(const char* p, const char* end) {
#if defined(__SSE2__)
  // '0'..'9' + (0x80 - '0') is 0x80..0x89, the 10 lowest signed bytes: anything above is not a digit.
  const __m128i shift = _mm_set1_epi8(static_cast<char>(0x80 - '0')), top = _mm_set1_epi8(static_cast<char>(-128 + 9));
  while (end - p >= 16) {
    __m128i v = _mm_add_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), shift);
    if (unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpgt_epi8(v, top))))
      return p + __builtin_ctz(m);
    p += 16;
  }
#endif
  while (p < end && is_digit(*p)) ++p;
  return p;
}

// A JSON number without exponent at p: its end, or nullptr. With `value`, its exact decimal
// (declined past 18 digits, which the reference path reads in its own way).
inline const char* scan_number(const char* p, const char* end, Decimal* value) {
  const char* start = p;
  bool neg = false;
  if (p < end && *p == '-') {
    neg = true;
    ++p;
  }
  if (p == end || !is_digit(*p)) return nullptr;
  if (!value) {  // only checked: its grammar, and not too long
    p = *p == '0' ? p + 1 : skip_digits(p, end);
    if (p < end && *p == '.') {
      if (p + 1 == end || !is_digit(p[1])) return nullptr;
      p = skip_digits(p + 1, end);
    }
    if ((p < end && (*p == 'e' || *p == 'E')) || p - start > 64) return nullptr;  // the reference path decides
    return p;
  }
  uint64_t coef = 0;
  int digits = 0, scale = 0;
  if (*p == '0') {
    ++p;
    digits = 1;
  } else {
    while (p < end && is_digit(*p)) {
      coef = coef * 10 + static_cast<uint64_t>(*p - '0');
      ++digits;
      ++p;
    }
  }
  if (p < end && *p == '.') {
    ++p;
    if (p == end || !is_digit(*p)) return nullptr;
    while (p < end && is_digit(*p)) {
      coef = coef * 10 + static_cast<uint64_t>(*p - '0');
      ++digits;
      ++scale;
      ++p;
    }
  }
  if (p < end && (*p == 'e' || *p == 'E')) return nullptr;
  if (digits > 18) return nullptr;  // coef would not be exact in 64 bits
  while (scale > 0 && coef % 10 == 0) {  // normalized, as add_clinician keeps them
    coef /= 10;
    --scale;
  }
  if (coef == 0) scale = 0;
  auto c = static_cast<__int128>(coef);
  *value = *Decimal::from_parts(neg ? -c : c, scale);
  return p;
}

inline const char* scan_literal(const char* p, const char* end, std::string_view word) {
  if (static_cast<size_t>(end - p) < word.size() || std::memcmp(p, word.data(), word.size()) != 0) return nullptr;
  return p + word.size();
}

enum class Key { Other, Id, Score, Paid, Eligible };

// A key against a word of the same length, in 8-byte loads (GCC calls memcmp past 3 bytes).
template <class T>
inline T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <size_t N>
inline bool is(const char* k, const char (&word)[N]) {
  constexpr size_t n = N - 1;
  if constexpr (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8)
      if (load<uint64_t>(k + i) != load<uint64_t>(word + i)) return false;
    return load<uint64_t>(k + n - 8) == load<uint64_t>(word + n - 8);
  } else if constexpr (n == 4) {
    return load<uint32_t>(k) == load<uint32_t>(word);
  } else if constexpr (n == 2) {
    return load<uint16_t>(k) == load<uint16_t>(word);
  } else {
    return std::memcmp(k, word, n) == 0;
  }
}

inline Key key_of(const char* k, size_t n) {
  switch (n) {
    case 2: return is(k, "id") ? Key::Id : Key::Other;
    case 4: return is(k, "case") ? Key::Id : Key::Other;
    case 11:
      if (is(k, "final.score") || is(k, "final_score")) return Key::Score;
      return is(k, "part_b_paid") ? Key::Paid : Key::Other;
    case 20: return is(k, "eligibility.eligible") ? Key::Eligible : Key::Other;
    default: return Key::Other;
  }
}

// What a line has given so far.
struct LineState {
  bool has_id = false, has_score = false, has_paid = false, ineligible = false;
};

// The value at p (not at the end) of a field of kind `key`: the id's text, the score's and the
// paid amount's exact numbers, whether the clinician is eligible; other values are only checked.
// The position after it, or null (decline) for a value -- or a second id, score or amount -- that
// the reference reader would have to judge.
const char* scan_value(const char* p, const char* end, Key key, ScanFields& f, LineState& s) {
  char ch = *p;
  if (ch == '"') {
    const char* s_end = scan_string(p + 1, end);
    if (!s_end) return nullptr;
    if (key == Key::Id) {
      if (s.has_id || s_end == p + 1) return nullptr;
      s.has_id = true;
      f.id = std::string_view(p + 1, static_cast<size_t>(s_end - p - 1));
    } else if (key == Key::Score || key == Key::Paid) {
      return nullptr;
    }
    return s_end + 1;
  }
  if (ch == '-' || is_digit(ch)) {
    if (key == Key::Id) return nullptr;
    if (key == Key::Score || key == Key::Paid) {
      bool& has = key == Key::Score ? s.has_score : s.has_paid;
      if (has) return nullptr;
      has = true;
      return scan_number(p, end, key == Key::Score ? &f.score : &f.paid);
    }
    return scan_number(p, end, nullptr);
  }
  if (ch == 't' || ch == 'f' || ch == 'n') {
    if (key == Key::Id || key == Key::Score || key == Key::Paid) return nullptr;
    p = scan_literal(p, end, ch == 't' ? "true" : ch == 'f' ? "false" : "null");
    if (p && key == Key::Eligible && ch != 'n') s.ineligible = ch == 'f';
    return p;
  }
  return nullptr;  // a nested object or array, or not JSON
}

// The verdict on a line read to its end.
Scan finish_line(const LineState& s, const ScanFields& f) {
  if (s.ineligible) return Scan::Skip;  // not eligible for MIPS: no adjustment, not in the balance
  if (!s.has_id || !s.has_score || !s.has_paid) return Scan::Decline;
  // The checks of add_clinician: a score in 0..100, a paid amount not negative.
  if (f.score.is_negative() || dsl::compare(f.score, num(100)) > 0 || f.paid.is_negative()) return Scan::Decline;
  return Scan::Clinician;
}

Scan scan_line(std::string_view line, ScanFields& f) {
  const char* p = line.data();
  const char* end = p + line.size();
  p = skip_ws(p, end);
  if (p == end || *p != '{') return Scan::Decline;
  p = skip_ws(p + 1, end);
  LineState state;
  for (;;) {
    if (p == end || *p != '"') return Scan::Decline;  // also "{}": no fields
    const char* key_end = scan_string(p + 1, end);
    if (!key_end) return Scan::Decline;
    Key key = key_of(p + 1, static_cast<size_t>(key_end - p - 1));
    p = skip_ws(key_end + 1, end);
    if (p == end || *p != ':') return Scan::Decline;
    p = skip_ws(p + 1, end);
    if (p == end) return Scan::Decline;
    p = scan_value(p, end, key, f, state);
    if (!p) return Scan::Decline;
    p = skip_ws(p, end);
    if (p == end) return Scan::Decline;
    if (*p == '}') break;
    if (*p != ',') return Scan::Decline;
    p = skip_ws(p + 1, end);
  }
  if (skip_ws(p + 1, end) != end) return Scan::Decline;  // something after the object
  return finish_line(state, f);
}

// The keys of the last line read, each as `"key":` with its kind. merit batch writes every line
// with the same keys in the same order, so a line's keys are compared with these, 32 bytes at a
// time, instead of being scanned one byte at a time (scan_layout); a line that differs in any
// way -- other keys, spaces, a value scan_line would decline -- goes to scan_line.
struct Layout {
  std::string tokens;          // "key1":"key2":..., as in the line, then 32 bytes of padding
  std::vector<uint32_t> ends;  // the end of each token in `tokens`
  std::vector<Key> kinds;
  bool ready = false;
};

// The first n bytes (n <= 32) at a and at b agree; 32 bytes are readable at each.
inline bool same_prefix(const char* a, const char* b, size_t n) {
#if defined(__SSE2__)
  __m128i a0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a)), b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  __m128i a1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16)),
          b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16));
  uint32_t eq = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(a0, b0))) |
                (static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(a1, b1))) << 16);
  uint32_t want = n >= 32 ? 0xffffffffu : (1u << n) - 1;
  return (eq & want) == want;
#else
  return std::memcmp(a, b, n) == 0;
#endif
}

// A line with the layout's keys, compact ("key":value,... without spaces): the same checks and
// numbers as scan_line. `limit` is the end of the readable bytes (at or after the line's end).
Scan scan_layout(std::string_view line, const char* limit, const Layout& layout, ScanFields& f) {
  const char* p = line.data();
  const char* end = p + line.size();
  if (p == end || *p != '{') return Scan::Decline;
  ++p;
  LineState state;
  const char* tokens = layout.tokens.data();
  size_t fields = layout.kinds.size();
  uint32_t begin = 0;
  for (size_t j = 0; j < fields; ++j) {
    uint32_t n = layout.ends[j] - begin;
    if (n > 32 || limit - p < 32 || !same_prefix(p, tokens + begin, n)) return Scan::Decline;
    begin = layout.ends[j];
    p += n;
    if (p >= end) return Scan::Decline;
    p = scan_value(p, end, layout.kinds[j], f, state);
    if (!p) return Scan::Decline;
    if (p == end || *p != (j + 1 < fields ? ',' : '}')) return Scan::Decline;
    ++p;
  }
  if (p != end) return Scan::Decline;
  return finish_line(state, f);
}

// The layout of a line scan_line has taken, when it is compact and names no wanted field twice.
void learn_layout(std::string_view line, Layout& layout) {
  layout.ready = false;
  layout.tokens.clear();
  layout.ends.clear();
  layout.kinds.clear();
  const char* p = line.data();
  const char* end = p + line.size();
  if (p == end || *p != '{') return;
  ++p;
  bool seen[5] = {};
  while (p < end && *p == '"') {
    const char* key_end = scan_string(p + 1, end);
    if (!key_end || key_end + 1 >= end || key_end[1] != ':' || key_end + 2 - p > 32) return;
    Key kind = key_of(p + 1, static_cast<size_t>(key_end - p - 1));
    if (kind != Key::Other && seen[static_cast<int>(kind)]) return;
    seen[static_cast<int>(kind)] = true;
    layout.tokens.append(p, static_cast<size_t>(key_end + 2 - p));
    layout.ends.push_back(static_cast<uint32_t>(layout.tokens.size()));
    layout.kinds.push_back(kind);
    p = key_end + 2;  // the value (scan_line has checked it): a string, or up to the next , or }
    if (p < end && *p == '"') {
      const char* s_end = scan_string(p + 1, end);
      if (!s_end) return;
      p = s_end + 1;
    } else {
      while (p < end && *p != ',' && *p != '}') ++p;
    }
    if (p == end) return;
    if (*p == '}') {
      layout.tokens.append(32, '\0');  // same_prefix reads 32 bytes at any token
      layout.ready = p + 1 == end;
      return;
    }
    ++p;
  }
}

bool blank(std::string_view line) {
  for (char ch : line)
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' && ch != '\f' && ch != '\v') return false;
  return true;
}

// The lines that start in [begin, end) of `text` (a line belongs to the piece it starts in).
struct Piece {
  std::vector<Clinician> clinicians;
  size_t bad_at = std::string::npos;  // offset of the first bad line's start
  std::string why;
};

void read_piece(std::string_view text, size_t begin, size_t end, Piece& piece) {
  const char* data = text.data();
  size_t size = text.size();
  size_t p = begin;
  if (p > 0) {
    const void* nl = std::memchr(data + p - 1, '\n', size - p + 1);
    p = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) + 1 : size;
  }
  piece.clinicians.reserve((end - begin) / 256 + 16);
  std::string copy;
  Layout layout;
  while (p < end) {
    const void* nl = std::memchr(data + p, '\n', size - p);
    size_t line_end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : size;
    std::string_view line(data + p, line_end - p);
    size_t start = p;
    p = nl ? line_end + 1 : size;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ScanFields f;
    Scan scan = layout.ready ? scan_layout(line, data + size, layout, f) : Scan::Decline;
    if (scan == Scan::Decline && (scan = scan_line(line, f)) != Scan::Decline) learn_layout(line, layout);
    switch (scan) {
      case Scan::Clinician: piece.clinicians.push_back({std::string(f.id), f.score, f.paid}); continue;
      case Scan::Skip: continue;
      case Scan::Decline: break;
    }
    if (blank(line)) continue;
    copy.assign(line);
    if (!read_jsonl_line(copy, piece.clinicians, piece.why)) {
      piece.bad_at = start;
      return;
    }
  }
}

// JSON lines in memory, read in pieces on every core; the clinicians keep the file's order, and
// the first bad line (in file order) is the one reported. `pages(begin, end, done)`, when
// given, is called from the reading thread before a piece's bytes are read and once they are.
bool read_jsonl_text(std::string_view text, const std::string& name, std::vector<Clinician>& out, std::string& error,
                     const std::function<void(size_t, size_t, bool)>& pages = {}) {
  constexpr size_t kPiece = size_t{4} << 20;  // bytes
  size_t pieces = std::max<size_t>(1, (text.size() + kPiece - 1) / kPiece);
  std::vector<Piece> parts(pieces);
  std::atomic<size_t> next{0}, first_bad{pieces};
  auto work = [&] {
    for (size_t k; (k = next.fetch_add(1)) < pieces;) {
      if (k > first_bad.load()) continue;  // a bad line before this piece is reported anyway
      size_t begin = k * kPiece, end = std::min(text.size(), begin + kPiece);
      if (pages) pages(begin, end, false);
      read_piece(text, begin, end, parts[k]);
      if (pages) pages(begin, end, true);
      if (parts[k].bad_at != std::string::npos) {
        size_t seen = first_bad.load();
        while (k < seen && !first_bad.compare_exchange_weak(seen, k)) {
        }
      }
    }
  };
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, pieces));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  if (size_t k = first_bad.load(); k < pieces) {
    size_t at = parts[k].bad_at;
    size_t lineno = 1 + static_cast<size_t>(std::count(text.data(), text.data() + at, '\n'));
    error = fmt::format("{}:{}: {}", name, lineno, parts[k].why);
    return false;
  }
  size_t total = out.size();
  for (const auto& part : parts) total += part.clinicians.size();
  out.reserve(total);
  for (auto& part : parts) {
    out.insert(out.end(), std::make_move_iterator(part.clinicians.begin()), std::make_move_iterator(part.clinicians.end()));
    std::vector<Clinician>().swap(part.clinicians);
  }
  return true;
}

}  // namespace

bool read_results_text(std::string_view text, const std::string& name, Format format, std::vector<Clinician>& out,
                       std::string& error) {
  if (format == Format::Jsonl) return read_jsonl_text(text, name, out, error);
  std::istringstream in{std::string(text)};
  return read_results(in, name, format, out, error);
}

bool read_results_file(const std::string& path, Format format, std::vector<Clinician>& out, std::string& error) {
  if (format == Format::Jsonl) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = fmt::format("cannot read '{}'", path);
      return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      auto size = static_cast<size_t>(st.st_size);
      void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (map != MAP_FAILED) {
        ::close(fd);
        const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        // A piece's pages are mapped in one call before it is read (rather than one fault at a
        // time), and its whole pages are dropped from the mapping once it is read (they stay in
        // the page cache), so that the file does not count in the process's memory.
        auto pages = [&](size_t begin, size_t end, bool done) {
          char* base = static_cast<char*>(map);
          if (!done) {
#ifdef MADV_POPULATE_READ
            size_t b = begin / page * page;
            ::madvise(base + b, end - b, MADV_POPULATE_READ);  // a hint: an old kernel refuses it
#endif
            return;
          }
          size_t b = (begin + page - 1) / page * page, e = end == size ? end : end / page * page;
          if (b < e) ::madvise(base + b, e - b, MADV_DONTNEED);
        };
        bool ok = read_jsonl_text(std::string_view(static_cast<const char*>(map), size), path, out, error, pages);
        ::munmap(map, size);
        return ok;
      }
    }
    ::close(fd);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot read '{}'", path);
    return false;
  }
  return read_results(in, path, format, out, error);
}

bool read_results(std::istream& in, const std::string& name, Format format, std::vector<Clinician>& out,
                  std::string& error) {
  if (format == Format::Jsonl) {
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) {
      error = fmt::format("{}: read error", name);
      return false;
    }
    return read_jsonl_text(text, name, out, error);
  }
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
  std::vector<int64_t> base_rem(n, 0), exc_rem(n, 0);  // |rounding remainder| <= half a cent: 5 x 10^15 units
  std::vector<char> base_nz(n, 0), exc_nz(n, 0), base_neg(n, 0);
  const Decimal& apt = p.exceptional_threshold;
  constexpr i128 kBound = i128{1000000000000000000} * i128{1000000000000000000};  // 10^36
  // One clinician: the exact amounts in units of 10^-18 dollars, then their cents. The products
  // are taken in 128-bit integers (mul_units) with the Decimal path for anything larger: the
  // same numbers either way.
  auto one = [&](size_t i, Calc& k, i128& base_total, i128& exc_total) {
    const auto& c = population[i];
    Band band = sc.band(c.score);
    i128 u = 0, m;
    int ms;
    bool fast = true;
    switch (band) {
      case Band::FullPenalty: fast = mul_units(c.paid, full, u); break;
      case Band::LinearPenalty:
        fast = mul_exact(c.paid, k.sub(pt, c.score), m, ms) && mul_units(m, ms, linear.coefficient(), linear.scale(), u);
        break;
      case Band::Neutral: break;
      case Band::Positive:
        fast = mul_exact(c.paid, k.sub(c.score, pt), m, ms) && mul_units(m, ms, positive.coefficient(), positive.scale(), u);
        break;
    }
    if (!fast) {
      Decimal b;
      switch (band) {
        case Band::FullPenalty: b = k.mul(c.paid, full); break;
        case Band::LinearPenalty: b = k.mul(k.mul(c.paid, k.sub(pt, c.score)), linear); break;
        case Band::Neutral: break;
        case Band::Positive: b = k.mul(k.mul(c.paid, k.sub(c.score, pt)), positive); break;
      }
      u = units(b);
    }
    base_total += u;
    base_nz[i] = u != 0;
    base_neg[i] = u < 0;
    i128 rem;
    s.base_cents[i] = to_cents(u, rem);
    base_rem[i] = static_cast<int64_t>(rem);
    if (sc.exceptional(c.score)) {
      i128 v, v1, v2;
      if (!mul_units(c.paid, exc_base, v1) || !mul_exact(c.paid, k.sub(c.score, apt), m, ms) ||
          !mul_units(m, ms, exc_slope.coefficient(), exc_slope.scale(), v2) || v1 >= kBound || v1 <= -kBound ||
          v2 >= kBound || v2 <= -kBound) {
        Decimal e = k.add(k.mul(c.paid, exc_base), k.mul(k.mul(c.paid, k.sub(c.score, apt)), exc_slope));
        v = units(e);
      } else {
        v = v1 + v2;
      }
      exc_total += v;
      exc_nz[i] = v != 0;
      s.exceptional_cents[i] = to_cents(v, rem);
      exc_rem[i] = static_cast<int64_t>(rem);
    }
  };
  // Blocks of clinicians on every core; the exact totals are sums of integers (any order).
  constexpr size_t kBlock = 1 << 16;
  size_t blocks = (n + kBlock - 1) / kBlock;
  unsigned threads = static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), blocks)));
  struct Part {
    Calc k;
    i128 base_total = 0, exc_total = 0;
  };
  std::vector<Part> parts(threads);
  std::atomic<size_t> next{0};
  auto work = [&](unsigned t) {
    Part& part = parts[t];
    for (size_t b; (b = next.fetch_add(1)) < blocks;)
      for (size_t i = b * kBlock, end = std::min(n, i + kBlock); i < end; ++i) one(i, part.k, part.base_total, part.exc_total);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  i128 base_total = 0, exc_total = 0;
  for (const Part& part : parts) {
    k.ok = k.ok && part.k.ok;
    base_total += part.base_total;
    exc_total += part.exc_total;
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

// ---- writing many lines ----

namespace {

// Output digit by digit into a char buffer.
inline char* put(char* o, std::string_view s) {
  std::memcpy(o, s.data(), s.size());
  return o + s.size();
}

inline char* put_u64(char* o, uint64_t v) { return std::to_chars(o, o + 20, v).ptr; }

// cents -> "123.45" / "-0.07" / "0.00", the text of cents_text.
inline char* put_cents(char* o, int64_t cents) {
  uint64_t m = cents < 0 ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  if (cents < 0) *o++ = '-';
  o = put_u64(o, m / 100);
  unsigned r = static_cast<unsigned>(m % 100);
  o[0] = '.';
  o[1] = static_cast<char>('0' + r / 10);
  o[2] = static_cast<char>('0' + r % 10);
  return o + 3;
}

// The text of decimal_text(d) when d's coefficient fits 64 bits; nullptr otherwise.
inline char* put_decimal(char* o, const Decimal& d) {
  __int128 c = d.coefficient();
  unsigned __int128 m = c < 0 ? -static_cast<unsigned __int128>(c) : static_cast<unsigned __int128>(c);
  if (m > UINT64_MAX) return nullptr;
  auto v = static_cast<uint64_t>(m);
  int scale = d.scale();
  if (v == 0) {
    *o = '0';
    return o + 1;
  }
  while (scale > 0 && v % 10 == 0) {  // normalized
    v /= 10;
    --scale;
  }
  if (c < 0) *o++ = '-';
  char digits[20];
  int n = static_cast<int>(std::to_chars(digits, digits + 20, v).ptr - digits);
  if (scale == 0) return put(o, std::string_view(digits, static_cast<size_t>(n)));
  if (n <= scale) {
    *o++ = '0';
    *o++ = '.';
    for (int z = n; z < scale; ++z) *o++ = '0';
    return put(o, std::string_view(digits, static_cast<size_t>(n)));
  }
  o = put(o, std::string_view(digits, static_cast<size_t>(n - scale)));
  *o++ = '.';
  return put(o, std::string_view(digits + n - scale, static_cast<size_t>(scale)));
}

// An id written as it is: JSON needs no escape (printable ASCII but " and \), CSV no quotes.
inline bool plain_id(std::string_view id, bool csv) {
  for (char ch : id) {
    auto u = static_cast<unsigned char>(ch);
    if (csv ? (ch == ',' || ch == '"' || ch == '\n') : (u < 0x20 || u > 0x7e || ch == '"' || ch == '\\')) return false;
  }
  return true;
}

// The texts of a score (final_score, adjustment, base_adjustment, exceptional_adjustment).
struct ScoreTexts {
  static constexpr size_t kWidth = 40;
  char text[4][kWidth];
  uint8_t length[4] = {0, 0, 0, 0};
  enum : uint8_t { Empty, Ready, TooLong } state = Empty;
  std::string_view get(int k) const { return {text[k], length[k]}; }
};

// Scores with at most two decimals in 0..100 (all of merit batch's): their table index.
inline int score_index(const Decimal& score) {
  int scale = score.scale();
  __int128 c = score.coefficient();
  if (scale > 2 || c < 0 || c > 10000) return -1;
  c *= scale == 0 ? 100 : scale == 1 ? 10 : 1;
  return c <= 10000 ? static_cast<int>(c) : -1;
}

}  // namespace

struct LineFormatter::Impl {
  const Parameters& p;
  const Solution& s;
  bool csv;
  std::vector<ScoreTexts> scores = std::vector<ScoreTexts>(10001);

  // The score's texts, made once by row(): the same arithmetic as json_line.
  const ScoreTexts& texts(const Clinician& c, int index, size_t i) {
    ScoreTexts& t = scores[static_cast<size_t>(index)];
    if (t.state != ScoreTexts::Empty) return t;
    Row r = row(p, s, c, i);
    std::string score = decimal_text(c.score);
    const std::string* parts[4] = {&score, &r.adjustment, &r.base, &r.exceptional};
    t.state = ScoreTexts::Ready;
    for (int k = 0; k < 4; ++k) {
      if (parts[k]->size() > ScoreTexts::kWidth) {
        t.state = ScoreTexts::TooLong;
        break;
      }
      std::memcpy(t.text[k], parts[k]->data(), parts[k]->size());
      t.length[k] = static_cast<uint8_t>(parts[k]->size());
    }
    return t;
  }
};

LineFormatter::LineFormatter(const Parameters& p, const Solution& s, Format format)
    : impl_(new Impl{p, s, format == Format::Csv}) {}
LineFormatter::~LineFormatter() = default;

void LineFormatter::append(const Clinician& c, size_t i, std::string& out) {
  Impl& m = *impl_;
  constexpr size_t kLongestId = 256;  // with 4 x 40 for the percentages, 3 x 22 for the cents, 41 for paid
  char line[1024];
  int index = score_index(c.score);
  if (index >= 0 && c.id.size() <= kLongestId && plain_id(c.id, m.csv)) {
    const ScoreTexts& t = m.texts(c, index, i);
    if (t.state == ScoreTexts::Ready) {
      int64_t b = i < m.s.base_cents.size() ? m.s.base_cents[i] : 0;
      int64_t e = i < m.s.exceptional_cents.size() ? m.s.exceptional_cents[i] : 0;
      char* o = line;
      if (m.csv) {
        o = put(o, c.id);
        *o++ = ',';
        o = put(o, t.get(0));
        *o++ = ',';
        o = put_decimal(o, c.paid);
        if (o) {
          *o++ = ',';
          o = put(o, t.get(1));
          *o++ = ',';
          o = put(o, t.get(2));
          *o++ = ',';
          o = put(o, t.get(3));
          *o++ = ',';
          o = put_cents(o, b + e);
          *o++ = ',';
          o = put_cents(o, b);
          *o++ = ',';
          o = put_cents(o, e);
        }
      } else {
        o = put(o, "{\"id\": \"");
        o = put(o, c.id);
        o = put(o, "\", \"final_score\": ");
        o = put(o, t.get(0));
        o = put(o, ", \"part_b_paid\": ");
        o = put_decimal(o, c.paid);
        if (o) {
          o = put(o, ", \"adjustment\": ");
          o = put(o, t.get(1));
          o = put(o, ", \"base_adjustment\": ");
          o = put(o, t.get(2));
          o = put(o, ", \"exceptional_adjustment\": ");
          o = put(o, t.get(3));
          o = put(o, ", \"adjustment_dollars\": ");
          o = put_cents(o, b + e);
          o = put(o, ", \"base_dollars\": ");
          o = put_cents(o, b);
          o = put(o, ", \"exceptional_dollars\": ");
          o = put_cents(o, e);
          *o++ = '}';
        }
      }
      if (o) {
        *o++ = '\n';
        out.append(line, static_cast<size_t>(o - line));
        return;
      }
    }
  }
  // Anything else (a long or escaped id, a score with more decimals, a huge amount): the reference.
  out += m.csv ? csv_line(m.p, m.s, c, i) : json_line(m.p, m.s, c, i);
  out += '\n';
}

bool write_lines(std::FILE* out, const Parameters& p, const Solution& s, const std::vector<Clinician>& population,
                 Format format) {
  bool csv = format == Format::Csv;
  if (csv) {
    std::string header = csv_header() + "\n";
    if (std::fwrite(header.data(), 1, header.size(), out) != header.size()) return false;
  }
  // Blocks of lines are taken by whichever thread is free; the first thread also writes each
  // next block as soon as it is formatted, so the text held at once stays a few blocks.
  constexpr size_t kBlock = 16384;
  size_t n = population.size(), blocks = (n + kBlock - 1) / kBlock;
  struct Slot {
    std::string text;
    std::atomic<bool> ready{false};
  };
  std::vector<Slot> slots(blocks);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  size_t written = 0;
  auto format_blocks = [&](bool writer) {
    LineFormatter f(p, s, format);
    for (size_t k; !failed.load(std::memory_order_relaxed) && (k = next.fetch_add(1)) < blocks;) {
      size_t begin = k * kBlock, end = std::min(n, begin + kBlock);
      std::string& text = slots[k].text;
      text.reserve((end - begin) * (csv ? 64 : 256));
      for (size_t i = begin; i < end; ++i) f.append(population[i], i, text);
      slots[k].ready.store(true, std::memory_order_release);
      for (; writer && written < blocks && slots[written].ready.load(std::memory_order_acquire); ++written) {
        std::string& t = slots[written].text;
        if (std::fwrite(t.data(), 1, t.size(), out) != t.size()) failed = true;
        std::string().swap(t);
      }
    }
  };
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(threads, blocks)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(format_blocks, false);
  format_blocks(true);
  for (auto& th : pool) th.join();
  for (; !failed && written < blocks; ++written) {
    std::string& t = slots[written].text;
    if (std::fwrite(t.data(), 1, t.size(), out) != t.size()) failed = true;
    std::string().swap(t);
  }
  return !failed && std::fflush(out) == 0;
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
