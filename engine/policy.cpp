#include "engine/policy.hpp"

#include <fmt/format.h>

namespace merit::engine {

std::string to_string(const Datum& d) {
  switch (d.kind) {
    case Datum::Kind::Bool: return d.flag ? "true" : "false";
    case Datum::Kind::Number: return d.number.to_string();
    case Datum::Kind::Money: {
      std::string s = "$";
      d.number.append_to(s);
      return s;
    }
    case Datum::Kind::String: return fmt::format("\"{}\"", d.text);
    case Datum::Kind::Symbol: return ":" + d.text;
    case Datum::Kind::List: {
      std::string s = "[";
      for (size_t i = 0; i < d.items.size(); ++i) s += (i ? ", " : "") + to_string(d.items[i]);
      return s + "]";
    }
    case Datum::Kind::Record: {
      std::string s = "{";
      for (size_t i = 0; i < d.items.size(); ++i)
        s += fmt::format("{}{}: {}", i ? ", " : "", d.names[i], to_string(d.items[i]));
      return s + "}";
    }
    case Datum::Kind::Table:
      return fmt::format("table[{}] ({} rows)", fmt::join(d.names, ", "), d.items.size());
  }
  return "?";
}

const Parameter* Policy::find_parameter(std::string_view name) const {
  for (const auto& p : parameters)
    if (p.name == name) return &p;
  return nullptr;
}

const dsl::Definition* Policy::find_definition(std::string_view q) const {
  for (const auto& d : definitions)
    if (d->qualified() == q) return d.get();
  return nullptr;
}

dsl::Type Policy::input_type() const {
  std::vector<dsl::Field> fields;
  for (const auto& i : inputs) fields.push_back({i.name, i.type});
  return dsl::types::record(std::move(fields));
}

std::string Policy::debug_string() const {
  std::string s = fmt::format("policy {} (year {})\n", name, year.empty() ? "-" : year);
  s += fmt::format("layers: {}\n", fmt::join(layers, " <- "));
  s += fmt::format("arithmetic: division_scale={} division_rounding={} rounding={}\n",
                   arithmetic.division_scale, dsl::rounding_name(arithmetic.division_rounding),
                   dsl::rounding_name(arithmetic.default_rounding));
  for (const auto& p : parameters)
    s += fmt::format("param {}: {} = {}  [{}] from {}\n", p.name, dsl::to_string(p.type), to_string(p.value),
                     fmt::join(p.citations, "; "), p.origin);
  for (const auto& i : inputs)
    s += fmt::format("input {}: {}{}\n", i.name, dsl::to_string(i.type), i.optional ? " (optional)" : "");
  for (const auto& f : functions) s += fmt::format("fn {} = {}\n", f->qualified(), dsl::dump(*f->body));
  for (const auto& d : definitions)
    s += fmt::format("def {} = {}  [{}]\n", d->qualified(), dsl::dump(*d->body), fmt::join(d->citations, "; "));
  if (!outputs.empty()) s += fmt::format("outputs: {}\n", fmt::join(outputs, ", "));
  return s;
}

}  // namespace merit::engine
