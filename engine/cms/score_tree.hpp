// The score in the QPP API's shape (docs/inputs.md; cms-data §4): total -> category parts with
// the weighted value and the `original` category score -> measurement sets -> measures, plus
// eligibility, bonuses and the payment adjustment; and a readable text summary.
// In:  a compiled year and an outcome that evaluated the policy's outputs.
// Invariant: presentation only. Every number is a rule's value; this file computes none.
#pragma once

#include <string>

#include "engine/interpreter.hpp"

namespace merit::engine::cms {

struct ScoreView {
  std::string case_id;
  std::string engine_version;
};

std::string render_score_json(const Program& program, const Outcome& outcome, const ScoreView& view);
std::string render_score_text(const Program& program, const Outcome& outcome, const ScoreView& view, bool color);

}  // namespace merit::engine::cms
