// Fuzz target: the bytes are a results file for `merit payments` (several lines), read by
// engine::payments' fast reader (read_results_text: one pass over a normal batch line, the
// previous line's keys as a template, the older reader for anything else) and by the reference
// reader it must agree with. Besides never crashing, hanging, leaking or reading out of bounds
// (the text is read in place, in a buffer of exactly the input's size), it aborts when the two
// disagree: the same success, and then the same clinicians (id, and score and paid with the
// same coefficient, scale and text), or the same error message ("<name>:<line>: <what>").
//
//   JSONL: the reference is the reader as it was before the fast path: lines cut at '\n', one
//          '\r' dropped, blank lines (" \t\r\n\f\v") skipped, each other line through
//          read_jsonl_line (simdjson, then nlohmann's SAX reader, which says what is wrong), the
//          first bad line named by its number. read_results on a stream is checked too.
//   CSV:   read_results_text against read_results on a stream.
//
// read_jsonl_line lives in an unnamed namespace of payments.cpp, so this file includes
// payments.cpp itself (and links its dependencies, not merit_payments): the reference is the
// very code the library runs, not a copy of it.
#if defined(__GNUC__) && !defined(__clang__)
// GCC takes the included file for a header, where a type using the unnamed namespace is suspect.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsubobject-linkage"
#endif
#include "engine/payments/payments.cpp"  // NOLINT(bugprone-suspicious-include)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace pay = merit::engine::payments;

struct Outcome {
  bool ok = false;
  std::vector<pay::Clinician> clinicians;
  std::string error;
};

// The JSONL reader before the fast path, on one chunk (no file here is long enough for two).
bool reference_jsonl(std::string_view text, const std::string& name, std::vector<pay::Clinician>& out,
                     std::string& error) {
  std::vector<pay::Clinician> got;
  std::string line, why;
  size_t pos = 0, lineno = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    line.assign(text.substr(pos, end - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t\r\n\f\v") == std::string::npos) continue;
    if (!pay::read_jsonl_line(line, got, why)) {
      error = fmt::format("{}:{}: {}", name, lineno, why);
      return false;
    }
  }
  out.insert(out.end(), got.begin(), got.end());
  return true;
}

// A clinician already in the vector: both readers must append after it.
pay::Clinician sentinel() { return {"sentinel", *pay::Decimal::from_parts(425, 1), *pay::Decimal::from_parts(7, 0)}; }

bool same_decimal(const pay::Decimal& a, const pay::Decimal& b) {
  return a.coefficient() == b.coefficient() && a.scale() == b.scale() && a == b && a.to_string() == b.to_string();
}

bool same(const Outcome& a, const Outcome& b) {
  if (a.ok != b.ok) return false;
  if (!a.ok) return a.error == b.error;
  if (a.clinicians.size() != b.clinicians.size()) return false;
  for (size_t i = 0; i < a.clinicians.size(); ++i) {
    const auto& x = a.clinicians[i];
    const auto& y = b.clinicians[i];
    if (x.id != y.id || !same_decimal(x.score, y.score) || !same_decimal(x.paid, y.paid)) return false;
  }
  return true;
}

void print(const char* what, const Outcome& o) {
  if (!o.ok) {
    std::fprintf(stderr, "  %s: error \"%s\"\n", what, o.error.c_str());
    return;
  }
  std::fprintf(stderr, "  %s: %zu clinicians\n", what, o.clinicians.size());
  for (const auto& c : o.clinicians)
    std::fprintf(stderr, "    id \"%s\" score %s (%d) paid %s (%d)\n", c.id.c_str(), c.score.to_string().c_str(),
                 c.score.scale(), c.paid.to_string().c_str(), c.paid.scale());
}

void check(const char* format, const Outcome& fast, const Outcome& reference, const char* reference_name) {
  if (same(fast, reference)) return;
  std::fprintf(stderr, "fuzz_payments_lines: %s: read_results_text and %s disagree\n", format, reference_name);
  print("read_results_text", fast);
  print(reference_name, reference);
  std::abort();
}

Outcome fresh() {
  Outcome o;
  o.clinicians.push_back(sentinel());
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The bytes themselves (not a copy with room after it): a read past the end is ASan's to see.
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string name = "r";
  for (pay::Format format : {pay::Format::Jsonl, pay::Format::Csv}) {
    const char* label = format == pay::Format::Jsonl ? "JSONL" : "CSV";
    Outcome fast = fresh();
    fast.ok = pay::read_results_text(text, name, format, fast.clinicians, fast.error);

    Outcome stream = fresh();
    std::istringstream in{std::string(text)};
    stream.ok = pay::read_results(in, name, format, stream.clinicians, stream.error);

    if (format == pay::Format::Jsonl) {
      Outcome reference = fresh();
      reference.ok = reference_jsonl(text, name, reference.clinicians, reference.error);
      check(label, fast, reference, "the reference reader");
    }
    check(label, fast, stream, "read_results (stream)");
  }
  return 0;
}
