#include "dsl/diagnostic.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace merit::dsl {

namespace {
const std::vector<CodeInfo>& table() {
  static const std::vector<CodeInfo> t = {
#define MERIT_CODE(name, code, sev, summary) {Code::name, code, Severity::sev, summary},
#include "dsl/diagnostic_codes.def"
#undef MERIT_CODE
  };
  return t;
}
}  // namespace

const CodeInfo& code_info(Code c) { return table()[static_cast<size_t>(c)]; }
const std::vector<CodeInfo>& all_codes() { return table(); }

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

Diagnostic& Diagnostics::add(Code code, Location where, std::string message, std::string help) {
  Severity sev = code_info(code).severity;
  if (sev == Severity::Error && errors_ >= error_limit_) {
    truncated_ = true;
    ++errors_;
    overflow_sink_ = {};
    return overflow_sink_;
  }
  if (sev == Severity::Error) ++errors_;
  if (sev == Severity::Warning) ++warnings_;
  items_.push_back(Diagnostic{code, sev, std::move(where), std::move(message), std::move(help), {}});
  return items_.back();
}

void Diagnostics::append(const Diagnostics& other) {
  for (const auto& d : other.items_) {
    Diagnostic& n = add(d.code, d.where, d.message, d.help);
    n.notes = d.notes;
  }
  if (other.truncated_) truncated_ = true;
}

namespace {
auto sort_key(const Diagnostic& d) {
  std::string file = d.where.source ? d.where.source->root().name() : std::string();
  uint32_t off = d.where.source ? d.where.source->to_root_offset(d.where.span.begin) : 0;
  return std::make_tuple(file, off, static_cast<int>(d.code));
}
}  // namespace

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return sort_key(a) < sort_key(b);
  });
}

namespace {
void render_snippet(std::string& out, const Location& where, bool color) {
  if (!where.source) return;
  const Source& root = where.source->root();
  uint32_t b = where.source->to_root_offset(where.span.begin);
  uint32_t e = where.span.end > where.span.begin
                   ? where.source->to_root_offset(where.span.end - 1) + 1
                   : b;
  LineCol lc = root.line_col(b);
  std::string_view line = root.line_text(lc.line);
  std::string gutter = fmt::format("{}", lc.line);
  std::string pad(gutter.size(), ' ');
  out += fmt::format(" {} |\n {} | {}\n {} | ", pad, gutter, line, pad);
  // Caret under the first byte, tildes to the end of the span on this line.
  uint32_t col0 = lc.column - 1;
  for (uint32_t i = 0; i < col0 && i < line.size(); ++i) out += line[i] == '\t' ? '\t' : ' ';
  LineCol lce = root.line_col(e == b ? b : e - 1);
  uint32_t width = (lce.line == lc.line && e > b) ? (lce.column - lc.column + 1) : 1;
  if (color) out += "\x1b[1;32m";
  out += '^';
  for (uint32_t i = 1; i < width; ++i) out += '~';
  if (color) out += "\x1b[0m";
  out += '\n';
}
}  // namespace

std::string render(const Diagnostic& d, bool color) {
  std::string out;
  const char* sev_color = d.severity == Severity::Error ? "\x1b[1;31m" : "\x1b[1;35m";
  std::string head = fmt::format("{}[{}]", severity_name(d.severity), code_info(d.code).id);
  if (color) head = fmt::format("{}{}\x1b[0m", sev_color, head);
  if (d.where.valid())
    out += fmt::format("{}: {}: {}\n", d.where.str(), head, d.message);
  else
    out += fmt::format("{}: {}\n", head, d.message);
  render_snippet(out, d.where, color);
  for (const auto& n : d.notes) {
    if (n.where.valid()) {
      out += fmt::format("{}: note: {}\n", n.where.str(), n.message);
      render_snippet(out, n.where, color);
    } else {
      out += fmt::format("   = note: {}\n", n.message);
    }
  }
  if (!d.help.empty()) out += fmt::format("   = help: {}\n", d.help);
  return out;
}

std::string Diagnostics::render(bool color) const {
  std::string out;
  for (const auto& d : items_) out += dsl::render(d, color);
  if (truncated_)
    out += fmt::format("error limit reached ({} errors shown); fix these and run again\n",
                       error_limit_);
  if (errors_ || warnings_)
    out += fmt::format("{} error{}, {} warning{}\n", errors_, errors_ == 1 ? "" : "s", warnings_,
                       warnings_ == 1 ? "" : "s");
  return out;
}

namespace {
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(name, c);
    // Also accept a candidate whose last dotted part matches exactly (wrong module prefix).
    auto dot = c.rfind('.');
    if (dot != std::string::npos && std::string_view(c).substr(dot + 1) == name) d = 1;
    if (d >= std::max<size_t>(name.size(), 1) && d != 1) continue;  // nothing in common: no hint
    if (name.size() <= 2 && d > 0 && c.find('.') == std::string::npos) continue;  // 'x' vs 'v' is noise
    if (d < best_d || (d == best_d && !best.empty() && c < best)) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace merit::dsl
