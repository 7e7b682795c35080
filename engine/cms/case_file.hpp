// Case files: a clinician profile, a QPP submission and (for tests) expected results in one
// YAML file (docs/inputs.md "Case files"). Also the plain "submission + profile" pair that
// `merit score` takes, which is a case without expectations.
// In:  file paths.  Out: a CaseFile; the policy input record built from it; expectation checks.
// Invariant: every problem is a diagnostic naming the file and the path inside it ($.profile...).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostic.hpp"
#include "engine/input.hpp"
#include "engine/interpreter.hpp"
#include "engine/policy.hpp"

namespace merit::engine::cms {

struct Expectation {
  std::string rule;
  Document value;
  std::optional<dsl::Decimal> tolerance;  // per field; else the case's
  dsl::Location where;
};

// A document and the text it came from (a case's inline part shares the case file's source).
struct Part {
  Document doc;
  dsl::SourcePtr source;
  std::string path = "$";  // JSON path of `doc` inside its source
};

struct CaseFile {
  std::filesystem::path file;
  std::string id, title, source, uncertain, year, expected_error;
  std::filesystem::path policy_dir;  // from `policy:` or `year:` (may be empty: the caller decides)
  Part profile, submission;
  dsl::Decimal tolerance;            // default for numeric expectations
  std::vector<Expectation> expected;
};

// Where `year: 2018` finds its policy: <root>/2018.
struct PolicyRoots {
  std::filesystem::path root;
  std::filesystem::path for_year(const std::string& year) const { return root / year; }
};

// Reads a case file. Profile and submission may be inline or paths relative to the case file.
std::optional<CaseFile> read_case(const std::filesystem::path& file, const PolicyRoots& roots, dsl::Diagnostics& diags);
// A case from a submission file and a profile file (`merit score SUB --profile PROFILE`).
std::optional<CaseFile> case_from_files(const std::filesystem::path& submission, const std::filesystem::path& profile,
                                        dsl::Diagnostics& diags);

// Builds the policy's input record for the case: the profile's fields plus the submission's
// (engine/cms/submission), bound and checked against the policy's inputs.
// `index` (engine/cms/submission.hpp), built once per policy, makes measure look-ups constant time.
class MeasureIndex;
bool bind_case(const CaseFile& c, const Policy& policy, const Program& program, Arena& arena, Value& out,
               dsl::Diagnostics& diags, const MeasureIndex* index = nullptr);

// One expectation compared with an outcome.
struct Comparison {
  std::string rule;
  bool ok = false;
  std::string expected, actual, detail;  // display forms; detail: difference and tolerance, or the error
};
std::vector<Comparison> compare(const CaseFile& c, const Program& program, const Outcome& outcome, Arena& arena);
// The definitions the expectations name (unknown names are reported as diagnostics).
std::vector<int> expected_rules(const CaseFile& c, const Program& program, dsl::Diagnostics& diags);

}  // namespace merit::engine::cms
