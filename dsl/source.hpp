// Source text and positions.
// In:  a file's bytes (or a DSL scalar embedded in a YAML file).
// Out: compact byte spans that are turned into line:col only when rendered.
// Invariant: a Span always refers to bytes of the Source it was made against; an embedded
//            Source maps its spans back to the enclosing file through its segment table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace merit::dsl {

struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
  friend bool operator==(const Span&, const Span&) = default;
};

struct LineCol {
  uint32_t line = 1;    // 1-based
  uint32_t column = 1;  // 1-based, in bytes
};

// A named text. For DSL written inside a YAML scalar, `parent` is the YAML file and
// `segments` says where runs of this text sit in the parent (a literal block scalar
// strips indentation, so one run per line).
class Source {
 public:
  struct Segment {
    uint32_t local_begin;   // offset in this text
    uint32_t parent_begin;  // offset of the same byte in the parent
  };

  static std::shared_ptr<const Source> from_text(std::string name, std::string text);
  // Text embedded in `parent`; offsets map through `segments` (sorted by local_begin).
  // An empty segment table maps every offset to `fallback_parent_offset`.
  static std::shared_ptr<const Source> embedded(std::shared_ptr<const Source> parent,
                                                std::string text, std::vector<Segment> segments,
                                                uint32_t fallback_parent_offset);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  std::string_view slice(Span s) const;

  // The file this text lives in, and an offset in it.
  const Source& root() const { return parent_ ? parent_->root() : *this; }
  uint32_t to_root_offset(uint32_t local) const;

  LineCol line_col(uint32_t offset) const;  // offset into *this* text (not root)
  std::string_view line_text(uint32_t line) const;  // without the newline

 private:
  Source() = default;
  void index_lines();

  std::string name_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
  std::shared_ptr<const Source> parent_;
  std::vector<Segment> segments_;
  uint32_t fallback_parent_offset_ = 0;
};

using SourcePtr = std::shared_ptr<const Source>;

// A position that survives its stage: which text, which bytes.
struct Location {
  SourcePtr source;
  Span span;
  bool valid() const { return source != nullptr; }
  // "file:line:col" in the root file.
  std::string str() const;
};

}  // namespace merit::dsl
