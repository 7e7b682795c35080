// Inputs: JSON or YAML documents -> the policy's input record, in an evaluator's arena.
// In:  document text.  Out: a Value of the policy's input type.
// Invariant: numbers are read from their text (never through a double); every problem is an
// I8xx diagnostic naming the file and the JSON path ($.measures[2].rate).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostic.hpp"
#include "engine/policy.hpp"
#include "engine/value.hpp"

namespace merit::engine {

// A parsed document, independent of JSON or YAML. Numbers keep their source text.
struct Document {
  enum class Kind : uint8_t { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  bool flag = false;
  bool quoted = false;           // YAML: the scalar was quoted (so it is a string)
  std::string text;              // Number: the literal; String: the value
  std::vector<Document> items;   // Array elements; Object values
  std::vector<std::string> keys; // Object keys (document order)
  std::vector<uint32_t> key_offsets;  // Object keys' byte offsets, where known (YAML)
  uint32_t offset = 0;           // byte offset in the source, where known (YAML)
  bool has_offset = false;
  const Document* find(std::string_view key) const;
};

// Parses JSON (simdjson, or nlohmann::json's SAX parser where simdjson declines) or YAML (chosen by `format`: "json", "yaml", or
// "" to decide from the file name's extension). Reports I800 on malformed text.
std::optional<Document> parse_document(const dsl::SourcePtr& source, dsl::Diagnostics& diags,
                                       std::string_view format = "");

// Converts `doc` to the policy's input record. Fields the policy declares optional may be
// absent (they become 'missing'); with `strict`, fields the policy does not declare are errors.
bool bind_input(const Document& doc, const std::vector<InputDecl>& inputs, const dsl::Type& input_type,
                bool strict, Arena& arena, Value& out, dsl::Diagnostics& diags, const dsl::SourcePtr& source,
                std::string_view path_prefix = "$");

// How a document node reads in a message: "null", "true", "12.5", "\"text\"", "a list", "an object".
std::string describe(const Document& d);
// A JSON number's exact value from its text; an exponent moves the decimal point in the text
// (1.5e2 is 150), and a value that needs more than 18 fractional digits is refused, not rounded.
std::optional<dsl::Decimal> json_number(std::string_view text);

namespace detail {
// The two JSON parsers behind parse_document, exposed for the test that they agree: the fast
// one (simdjson) returns nothing where it declines, and then the reference (nlohmann's SAX
// parser, which locates every error) runs.
std::optional<Document> parse_json_fast(const std::string& text);
std::optional<Document> parse_json_reference(const dsl::SourcePtr& source, dsl::Diagnostics& diags);
// For text whose first value simdjson's On-Demand parser has read (it stops there): true when
// nothing but whitespace follows that value (a second value or stray text must be refused).
bool ends_after_root(std::string_view text);
}  // namespace detail

// A value from the document, typed (exposed for tests and the case runner).
bool bind_value(const Document& doc, const dsl::Type& type, Arena& arena, Value& out, dsl::Diagnostics& diags,
                const dsl::SourcePtr& source, const std::string& path, bool strict);

}  // namespace merit::engine
