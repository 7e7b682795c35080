// CMS's qpp-measures-data files (measures-data.json, benchmarks.json) -> the policy's reference
// tables as merit table files (YAML), see docs/inputs.md "Reference tables".
// Invariant: the output is deterministic (rows sorted by key, numbers copied from their JSON
// text, never through a double), and every file names its source.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "dsl/diagnostic.hpp"

namespace merit::engine::cms {

struct ImportOptions {
  int year = 0;                             // performance year; entries of other years are skipped
  std::vector<std::string> only_measures;   // quality/cost ids to keep (all when empty); IA and ACI are always complete
  bool override_tables = false;             // write `override: true` (for an overlay that extends the year's policy)
  std::string extends;                      // when set, also write policy.yaml extending this policy directory
  std::string source_note;                  // appended to each file's `source:` (e.g. a commit or snapshot)
  bool json = false;                        // write JSON table files (fast to load; no `checks:` block)
};

// The file names written into the output directory, in a fixed order (.yaml, or .json).
std::vector<std::string> import_file_names(bool json = false);

// Reads, checks (C900–C905) and writes. Returns false, writing nothing, if any error was found.
bool import_cms(const std::filesystem::path& measures_json, const std::filesystem::path& benchmarks_json,
                const ImportOptions& options, const std::filesystem::path& out_dir, dsl::Diagnostics& diags);

}  // namespace merit::engine::cms
