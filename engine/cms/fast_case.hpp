// The fast path of `merit batch`: one JSON line {"case", "part_b_paid", "profile", "submission"}
// read straight into the policy's input record, without the documents in between.
// In:  a batch line; the compiled policy and its MeasureIndex.
// Out: the input record in the caller's arena, the case id and the Part B amount's text; or
//      false, having written nothing the caller keeps.
// Invariant: it is a shortcut, never a second reader. It accepts a line only when the reference
//      path -- parse_document, read_submission (engine/cms/submission.cpp), bind_input -- would
//      accept it and build the same record; anything else (a malformed or unusual line, a
//      problem of any kind, a shape it does not take) it declines, and the reference path runs
//      and reports. tests/unit/fast_case_test.cpp checks the two agree line by line.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/cms/submission.hpp"
#include "engine/program.hpp"

namespace merit::engine::cms {

class FastCaseReader {
 public:
  // Holds references to all three: they must outlive the reader.
  FastCaseReader(const Policy& policy, const Program& program, const MeasureIndex& index);
  ~FastCaseReader();
  FastCaseReader(FastCaseReader&&) noexcept;

  // False when the policy's input types are not the shape this reader writes (then it
  // declines every line).
  bool enabled() const;
  // `id` is left alone when the line has no string "case"; `paid` is the number's text or empty.
  bool read(const std::string& line, Arena& arena, Value& input, std::string& id, std::string& paid);
  // The same for a line inside a larger buffer: `readable` bytes from line.data() may be read
  // (the parser reads up to 64 past the end; with fewer the line is copied first).
  bool read(std::string_view line, size_t readable, Arena& arena, Value& input, std::string& id, std::string& paid);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace merit::engine::cms
