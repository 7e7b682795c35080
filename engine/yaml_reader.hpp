// Strict reading of YAML documents with located diagnostics. Only loader.cpp and input.cpp
// include this; yaml-cpp is private to the engine library.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dsl/diagnostic.hpp"
#include "engine/policy.hpp"

namespace merit::engine::detail {

struct YamlDoc {
  dsl::SourcePtr source;
  YAML::Node root;
};

// Parses text as YAML; reports E110 on malformed input. yaml-cpp exceptions stop here.
std::optional<YamlDoc> parse_yaml(const dsl::SourcePtr& source, dsl::Diagnostics& diags);

dsl::Location where(const YamlDoc& doc, const YAML::Node& node);
// The DSL text of a scalar, mapped back into the YAML file for carets (exact for plain and
// literal-block scalars; quoted or folded ones map to their first character).
dsl::SourcePtr embedded_source(const YamlDoc& doc, const YAML::Node& scalar);

// Reads one YAML mapping strictly: unknown and duplicate keys are reported on construction.
class MapReader {
 public:
  MapReader(const YamlDoc& doc, const YAML::Node& node, std::string what,
            std::vector<std::string> allowed, dsl::Diagnostics& diags);
  bool ok() const { return is_map_; }
  // The value of `key`, or nullptr. A missing required key is reported at the mapping.
  const YAML::Node* get(std::string_view key, bool required = false);
  std::optional<std::string> string(std::string_view key, bool required = false);
  std::optional<bool> boolean(std::string_view key);
  std::optional<int64_t> integer(std::string_view key);
  // A string or a list of strings.
  std::vector<std::string> strings(std::string_view key, bool required = false);
  // Every pair in document order (duplicates already reported and dropped).
  const std::vector<std::pair<YAML::Node, YAML::Node>>& pairs() const { return pairs_; }

 private:
  const YamlDoc& doc_;
  YAML::Node node_;
  std::string what_;
  dsl::Diagnostics& diags_;
  bool is_map_ = false;
  std::vector<std::pair<YAML::Node, YAML::Node>> pairs_;
};

bool expect_scalar(const YamlDoc& doc, const YAML::Node& n, std::string_view what, dsl::Diagnostics& diags);
std::vector<std::string> string_list(const YamlDoc& doc, const YAML::Node& n, std::string_view what,
                                     dsl::Diagnostics& diags);
bool is_quoted(const YAML::Node& scalar);

// A constant from YAML: typed by `declared` when given, else inferred from the text
// (true/false, :symbol, $money, numbers and percents, otherwise a string; quoted -> string).
std::optional<Datum> read_datum(const YamlDoc& doc, const YAML::Node& node, const dsl::Type& declared,
                                dsl::Type& type_out, dsl::Diagnostics& diags);
// A `table:` block: {key: [...], columns: {...}?, rows: [...]}.
std::optional<Datum> read_table(const YamlDoc& doc, const YAML::Node& node, dsl::Type& type_out,
                                dsl::Diagnostics& diags);
std::optional<dsl::Type> read_type(const YamlDoc& doc, const YAML::Node& node, dsl::Diagnostics& diags);

}  // namespace merit::engine::detail
