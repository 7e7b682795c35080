// The plain data model of a policy: what the loader fills and the compiler reads.
// Regular value types with a deterministic debug printer; no YAML and no evaluation here.
#pragma once

#include <string>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/decimal.hpp"
#include "dsl/parser.hpp"
#include "dsl/source.hpp"
#include "dsl/types.hpp"

namespace merit::engine {

// A constant as written in a parameter or data file, before it becomes a runtime Value.
struct Datum {
  enum class Kind { Bool, Number, Money, String, Symbol, List, Record, Table } kind = Kind::Number;
  bool flag = false;
  dsl::Decimal number;
  std::string text;
  std::vector<Datum> items;          // List elements; Record fields (sorted by name); Table rows
  std::vector<std::string> names;    // Record field names; Table key names
  friend bool operator==(const Datum&, const Datum&) = default;
};
std::string to_string(const Datum& d);

struct Parameter {
  std::string name;           // dotted: "quality.data_completeness"
  dsl::Type type;
  Datum value;
  std::string doc;
  std::string unit;           // display hint: "percent", "points", "dollars"...
  std::vector<std::string> citations;
  std::string note;           // e.g. "[U] uncertain: ..."
  std::string origin;         // the policy (layer) that set this value
  dsl::Location where;
};

struct InputDecl {
  std::string name;
  dsl::Type type;
  bool optional = false;
  std::string doc;
  dsl::Location where;
};

struct Source {
  std::string id;
  std::string title;
  std::string cite;
  std::string url;
};

struct Arithmetic {
  int division_scale = 18;                                 // digits kept by '/' and mean()
  dsl::Rounding division_rounding = dsl::Rounding::HalfEven;
  dsl::Rounding default_rounding = dsl::Rounding::HalfUp;  // round(x, d) without a mode
  friend bool operator==(const Arithmetic&, const Arithmetic&) = default;
};

// How the QPP submission format maps onto this policy (read by engine/cms, not by the rules):
// which measurement-set categories exist, which reference table lists each one's measures,
// and renamed measure-id prefixes (2018 renamed ACI_ to PI_).
struct SubmissionCategory {
  std::string name;       // as the JSON writes it: "aci"
  std::string canonical;  // as the rules see it: "pi"
  std::string table;      // table parameter listing the category's measures (may be empty)
  friend bool operator==(const SubmissionCategory&, const SubmissionCategory&) = default;
};
struct SubmissionFormat {
  std::vector<SubmissionCategory> categories;
  std::vector<std::pair<std::string, std::string>> id_prefix_aliases;  // from -> to
  dsl::Location where;
  const SubmissionCategory* find(std::string_view name) const {
    for (const auto& c : categories)
      if (c.name == name) return &c;
    return nullptr;
  }
};

struct Policy {
  std::string name;
  std::string year;
  std::string doc;
  std::vector<std::string> layers;  // policy names from the root base to this one
  std::vector<Source> sources;
  Arithmetic arithmetic;
  std::vector<Parameter> parameters;
  std::vector<InputDecl> inputs;
  std::vector<std::shared_ptr<dsl::Definition>> definitions;
  std::vector<std::shared_ptr<dsl::Function>> functions;
  std::vector<std::string> outputs;
  dsl::Location outputs_where;
  std::vector<dsl::Location> output_where;  // per entry of `outputs`
  SubmissionFormat submission;
  dsl::TypeNames type_names;  // policy.yaml `types:` (inherited, extended by each layer)
  bool require_citations = true;
  bool strict_inputs = true;

  const Parameter* find_parameter(std::string_view name) const;
  const dsl::Definition* find_definition(std::string_view qualified) const;
  dsl::Type input_type() const;  // the record of all inputs
  // Deterministic text dump: used by golden tests and `merit dump-policy`.
  std::string debug_string() const;
};

}  // namespace merit::engine
