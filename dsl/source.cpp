#include "dsl/source.hpp"

#include <cstring>

#include <algorithm>

#include <fmt/format.h>

namespace merit::dsl {

std::shared_ptr<const Source> Source::from_text(std::string name, std::string text) {
  auto s = std::shared_ptr<Source>(new Source());
  s->name_ = std::move(name);
  s->text_ = std::move(text);
  s->index_lines();
  return s;
}

std::shared_ptr<const Source> Source::embedded(std::shared_ptr<const Source> parent,
                                               std::string text, std::vector<Segment> segments,
                                               uint32_t fallback_parent_offset) {
  auto s = std::shared_ptr<Source>(new Source());
  s->name_ = parent->name();
  s->text_ = std::move(text);
  s->parent_ = std::move(parent);
  s->segments_ = std::move(segments);
  s->fallback_parent_offset_ = fallback_parent_offset;
  s->index_lines();
  return s;
}

void Source::index_lines() {
  line_starts_.clear();
  line_starts_.push_back(0);
  // memchr: a batch line is one line of a few kilobytes, indexed once per line scored.
  const char* begin = text_.data();
  const char* end = begin + text_.size();
  for (const char* p = begin; (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)))); ++p)
    line_starts_.push_back(static_cast<uint32_t>(p - begin + 1));
}

std::string_view Source::slice(Span s) const {
  auto b = std::min<size_t>(s.begin, text_.size());
  auto e = std::clamp<size_t>(s.end, b, text_.size());
  return std::string_view(text_).substr(b, e - b);
}

uint32_t Source::to_root_offset(uint32_t local) const {
  if (!parent_) return local;
  uint32_t in_parent = fallback_parent_offset_;
  if (!segments_.empty()) {
    // Last segment that starts at or before `local`.
    auto it = std::upper_bound(segments_.begin(), segments_.end(), local,
                               [](uint32_t v, const Segment& s) { return v < s.local_begin; });
    if (it != segments_.begin()) {
      --it;
      in_parent = it->parent_begin + (local - it->local_begin);
    }
  }
  return parent_->to_root_offset(in_parent);
}

LineCol Source::line_col(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - line_starts_.begin());  // 1-based
  return {line, offset - line_starts_[line - 1] + 1};
}

std::string_view Source::line_text(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t b = line_starts_[line - 1];
  uint32_t e = line < line_starts_.size() ? line_starts_[line] - 1 : static_cast<uint32_t>(text_.size());
  std::string_view v = std::string_view(text_).substr(b, e - b);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

std::string Location::str() const {
  if (!source) return "<unknown>";
  const Source& root = source->root();
  LineCol lc = root.line_col(source->to_root_offset(span.begin));
  return fmt::format("{}:{}:{}", root.name(), lc.line, lc.column);
}

}  // namespace merit::dsl
