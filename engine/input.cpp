#include "engine/input.hpp"

#include <algorithm>
#include <array>
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "dsl/parser.hpp"
#include "engine/ondemand.hpp"
#include "engine/yaml_reader.hpp"

namespace merit::engine {

using dsl::Code;
using dsl::Diagnostics;
using dsl::Kind;

const Document* Document::find(std::string_view key) const {
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &items[i];
  return nullptr;
}

namespace {

// Builds a Document from nlohmann's SAX events, keeping each number's text (never a double).
std::optional<Document> parse_json(const dsl::SourcePtr& src, Diagnostics& diags) {
  // Containers are filled on a stack of their own and moved into their parent when closed, so
  // no pointer into a growing vector is ever kept.
  struct Builder : nlohmann::json_sax<nlohmann::json> {
    std::vector<Document> open;       // containers being filled (moved in when closed)
    std::vector<std::string> keys;    // pending key per open object
    std::optional<Document> root;
    std::string error;
    size_t error_pos = 0;
    bool has_error = false;

    bool put(Document d) {
      if (open.empty()) {
        root = std::move(d);
        return true;
      }
      Document& parent = open.back();
      if (parent.kind == Document::Kind::Object) parent.keys.push_back(keys.back());
      parent.items.push_back(std::move(d));
      return true;
    }
    bool null() override { return put(Document{}); }
    bool boolean(bool v) override {
      Document d;
      d.kind = Document::Kind::Bool;
      d.flag = v;
      return put(std::move(d));
    }
    bool num(std::string s) {
      Document d;
      d.kind = Document::Kind::Number;
      d.text = std::move(s);
      return put(std::move(d));
    }
    bool number_integer(number_integer_t v) override { return num(std::to_string(v)); }
    bool number_unsigned(number_unsigned_t v) override { return num(std::to_string(v)); }
    bool number_float(number_float_t, const string_t& s) override { return num(s); }
    bool string(string_t& v) override {
      Document d;
      d.kind = Document::Kind::String;
      d.quoted = true;  // a JSON string is text, never a number
      d.text = v;
      return put(std::move(d));
    }
    bool binary(binary_t&) override { return false; }
    bool begin(Document::Kind k) {
      if (open.size() >= 256) {
        error = "document nested too deeply (limit 256)";
        has_error = true;
        return false;
      }
      Document d;
      d.kind = k;
      open.push_back(std::move(d));
      if (k == Document::Kind::Object) keys.emplace_back();
      return true;
    }
    bool finish() {
      Document d = std::move(open.back());
      open.pop_back();
      if (d.kind == Document::Kind::Object) keys.pop_back();
      return put(std::move(d));
    }
    bool start_object(std::size_t) override { return begin(Document::Kind::Object); }
    bool key(string_t& k) override {
      const Document& o = open.back();
      if (std::find(o.keys.begin(), o.keys.end(), k) != o.keys.end()) {
        error = fmt::format("duplicate key \"{}\"", k);
        has_error = true;
        return false;
      }
      keys.back() = k;
      return true;
    }
    bool end_object() override { return finish(); }
    bool start_array(std::size_t) override { return begin(Document::Kind::Array); }
    bool end_array() override { return finish(); }
    bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
      std::string m = ex.what();
      auto c = m.rfind(": ");
      error = c == std::string::npos ? m : m.substr(c + 2);
      error_pos = pos;
      has_error = true;
      return false;
    }
  };
  Builder b;
  const std::string& text = src->text();
  bool ok = nlohmann::json::sax_parse(text, &b, nlohmann::json::input_format_t::json, true, false);
  if (!ok || b.has_error || !b.root) {
    uint32_t pos = static_cast<uint32_t>(std::min(b.error_pos ? b.error_pos - 1 : 0, text.size()));
    diags.add(Code::InputSyntax, {src, {pos, pos + 1}},
              fmt::format("malformed JSON: {}", b.error.empty() ? "unexpected end of input" : b.error));
    return std::nullopt;
  }
  return std::move(b.root);
}

// The fast path for well-formed JSON (simdjson On-Demand, several times faster than the SAX
// parser on a batch line). It declines -- and parse_json, the reference, runs instead and reports
// the located error -- on anything it does not take as is: malformed text, a duplicate key, a
// number simdjson does not parse exactly, nesting deeper than 256, a scalar document.
class FastJson {
 public:
  std::optional<Document> parse(const std::string& text) {
    buffer_.assign(text);
    buffer_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (parser_.iterate(buffer_.data(), text.size(), buffer_.size()).get(doc)) return std::nullopt;
    simdjson::ondemand::json_type type;
    if (doc.type().get(type) || (type != simdjson::ondemand::json_type::object && type != simdjson::ondemand::json_type::array))
      return std::nullopt;
    Document out;
    if (type == simdjson::ondemand::json_type::object) {
      // On-Demand stops at the end of the root: what follows it must be whitespace only.
      simdjson::ondemand::object root;
      std::string_view whole;
      bool more = false;
      if (doc.get_object().get(root) || root.raw_json().get(whole) || root.reset().get(more)) return std::nullopt;
      for (const char* p = whole.data() + whole.size(); p < buffer_.data() + text.size(); ++p)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return std::nullopt;
      if (!read_object(root, out, 0)) return std::nullopt;
      return out;
    }
    simdjson::ondemand::value root;
    if (doc.get_value().get(root)) return std::nullopt;
    if (!read(root, out, 0) || !engine::detail::ends_after_root(text)) return std::nullopt;
    return out;
  }

 private:
  bool read_object(simdjson::ondemand::object obj, Document& out, int depth) {
    if (depth >= 256) return false;
    out.kind = Document::Kind::Object;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      if (std::find(out.keys.begin(), out.keys.end(), key) != out.keys.end()) return false;  // duplicate
      out.keys.emplace_back(key);
      out.items.emplace_back();
      simdjson::ondemand::value child;
      if (field.value().get(child) || !read(child, out.items.back(), depth + 1)) return false;
    }
    return true;
  }

  bool read(simdjson::ondemand::value v, Document& out, int depth) {
    simdjson::ondemand::json_type type;
    if (v.type().get(type)) return false;
    switch (type) {
      case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object obj;
        return !v.get_object().get(obj) && read_object(obj, out, depth);
      }
      case simdjson::ondemand::json_type::array: {
        if (depth >= 256) return false;
        out.kind = Document::Kind::Array;
        simdjson::ondemand::array arr;
        if (v.get_array().get(arr)) return false;
        for (auto element : arr) {
          simdjson::ondemand::value child;
          if (element.get(child)) return false;
          out.items.emplace_back();
          if (!read(child, out.items.back(), depth + 1)) return false;
        }
        return true;
      }
      case simdjson::ondemand::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s)) return false;
        out.kind = Document::Kind::String;
        out.quoted = true;
        out.text.assign(s);
        return true;
      }
      case simdjson::ondemand::json_type::number: {
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r'))
          raw.remove_suffix(1);
        simdjson::ondemand::number n;
        if (v.get_number().get(n)) return false;  // validates the number; big integers go the slow way
        out.kind = Document::Kind::Number;
        out.text.assign(raw == "-0" ? std::string_view("0") : raw);  // as the reference writes an integer
        return true;
      }
      case simdjson::ondemand::json_type::boolean: {
        bool b;
        if (v.get_bool().get(b)) return false;
        out.kind = Document::Kind::Bool;
        out.flag = b;
        return true;
      }
      case simdjson::ondemand::json_type::null: {
        if (!ondemand_util::is_null(v)) return false;
        out.kind = Document::Kind::Null;
        return true;
      }
    }
    return false;
  }

  simdjson::ondemand::parser parser_;
  std::string buffer_;
};

Document from_yaml(const YAML::Node& n) {
  Document d;
  if (!n.Mark().is_null()) {
    d.offset = static_cast<uint32_t>(n.Mark().pos);
    d.has_offset = true;
  }
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    d.quoted = detail::is_quoted(n);
    d.text = s;
    if (!d.quoted && (s == "true" || s == "false")) {
      d.kind = Document::Kind::Bool;
      d.flag = s == "true";
    } else if (!d.quoted && (s == "null" || s == "~")) {
      d.kind = Document::Kind::Null;
    } else {
      // Plain scalars stay text; bind_value reads them as the declared type wants.
      d.kind = Document::Kind::String;
    }
  } else if (n.IsSequence()) {
    d.kind = Document::Kind::Array;
    for (const auto& e : n) d.items.push_back(from_yaml(e));
  } else if (n.IsMap()) {
    d.kind = Document::Kind::Object;
    for (auto it = n.begin(); it != n.end(); ++it) {
      d.keys.push_back(it->first.IsScalar() ? it->first.Scalar() : std::string("?"));
      d.key_offsets.push_back(it->first.Mark().is_null() ? 0 : static_cast<uint32_t>(it->first.Mark().pos));
      d.items.push_back(from_yaml(it->second));
    }
  }
  return d;
}

}  // namespace

namespace detail {
bool ends_after_root(std::string_view text) {
  // One pass with a class table: 1 for a bracket, 2 for a quote, 0 for anything else.
  static const auto kClass = [] {
    std::array<uint8_t, 256> t{};
    t['{'] = t['['] = t['}'] = t[']'] = 1;
    t['"'] = 2;
    return t;
  }();
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end && ws(*p)) ++p;
  int depth = 0;
  while (p < end) {
    uint8_t k = kClass[static_cast<unsigned char>(*p)];
    if (k == 0) {
      ++p;
    } else if (k == 2) {  // a string: to its closing quote, over escapes
      for (++p; p < end && *p != '"'; ++p)
        if (*p == '\\') ++p;
      ++p;
    } else if (*p == '{' || *p == '[') {
      ++depth;
      ++p;
    } else {
      ++p;
      if (--depth == 0) break;
    }
  }
  while (p < end && ws(*p)) ++p;
  return depth == 0 && p == end;
}

std::optional<Document> parse_json_fast(const std::string& text) {
  thread_local FastJson fast;  // its buffers are reused from one document to the next
  return fast.parse(text);
}
std::optional<Document> parse_json_reference(const dsl::SourcePtr& source, dsl::Diagnostics& diags) {
  return parse_json(source, diags);
}
}  // namespace detail

std::optional<Document> parse_document(const dsl::SourcePtr& source, Diagnostics& diags, std::string_view format) {
  std::string fmt_name(format);
  if (fmt_name.empty()) {
    const std::string& n = source->name();
    fmt_name = (n.size() >= 5 && (n.ends_with(".yaml") || n.ends_with(".yml"))) ? "yaml" : "json";
  }
  if (fmt_name == "json") {
    if (auto doc = detail::parse_json_fast(source->text())) return doc;
    return parse_json(source, diags);
  }
  Diagnostics local;
  auto doc = detail::parse_yaml(source, local);
  if (!doc) {
    for (const auto& d : local.items()) diags.add(Code::InputSyntax, d.where, d.message, d.help);
    return std::nullopt;
  }
  // Duplicate keys: yaml-cpp keeps them silently; inputs must not.
  dsl::Diagnostics dup;
  std::function<void(const YAML::Node&)> scan = [&](const YAML::Node& n) {
    if (n.IsMap()) {
      detail::MapReader r(*doc, n, "this mapping", {}, dup);
      for (auto it = n.begin(); it != n.end(); ++it) scan(it->second);
    } else if (n.IsSequence()) {
      for (const auto& e : n) scan(e);
    }
  };
  scan(doc->root);
  bool bad = false;
  for (const auto& d : dup.items())
    if (d.code == Code::YamlDuplicateKey) {
      diags.add(Code::InputSyntax, d.where, d.message, d.help);
      bad = true;
    }
  if (bad) return std::nullopt;
  return from_yaml(doc->root);
}

namespace {

dsl::Location doc_location(const Document& d, const dsl::SourcePtr& src) {
  if (!d.has_offset || !src) return {};
  return {src, {d.offset, d.offset + 1}};
}

// The k-th key of an object (a field the policy does not know is the key's fault, not the value's).
dsl::Location key_location(const Document& d, size_t k, const dsl::SourcePtr& src) {
  if (k >= d.key_offsets.size() || !src) return doc_location(d.items[k], src);
  uint32_t b = d.key_offsets[k];
  const std::string& text = src->text();
  bool quoted = b < text.size() && (text[b] == '"' || text[b] == '\'');
  uint32_t len = quoted ? 1 : static_cast<uint32_t>(std::max<size_t>(1, d.keys[k].size()));
  return {src, {b, b + len}};
}

bool type_error(const Document& d, const dsl::Type& t, Diagnostics& diags, const dsl::SourcePtr& src,
                const std::string& path, std::string extra = {}) {
  auto& diag = diags.add(Code::InputType, doc_location(d, src),
                         fmt::format("{}: expected {}, found {}", path, dsl::to_string(t), describe(d)));
  diag.help = extra;
  if (!diag.where.valid()) diag.notes.push_back({{}, fmt::format("in {}", src ? src->name() : "input")});
  return false;
}

std::optional<dsl::Decimal> read_decimal(const Document& d, bool money) {
  std::string t = d.text;
  if (d.kind == Document::Kind::Number) return json_number(t);
  if (d.kind != Document::Kind::String || d.quoted) return std::nullopt;
  // YAML plain scalar: number, percent or money literal with an optional sign.
  bool neg = !t.empty() && t[0] == '-';
  if (neg) t.erase(0, 1);
  Diagnostics ignore;
  auto e = dsl::parse_literal(dsl::Source::from_text("", t), ignore);
  if (!e || (e->kind != dsl::ExprKind::Number && e->kind != dsl::ExprKind::Money)) return std::nullopt;
  if ((e->kind == dsl::ExprKind::Money) != money && e->kind == dsl::ExprKind::Money) return std::nullopt;
  return neg ? e->number.negated() : e->number;
}

}  // namespace

namespace {

// Where a value sits in the document ($.measurement_sets[2].measures[0].id), kept as a chain of
// steps on the stack and rendered only when a problem is reported: binding a valid document
// builds no path strings.
struct PathStep {
  const PathStep* parent = nullptr;
  std::string_view root;   // the first step only
  std::string_view field;  // a record field
  size_t index = 0;        // a list element, when `field` is empty and `root` is empty
  bool is_index = false;
};

std::string render(const PathStep& p) {
  std::string out = p.parent ? render(*p.parent) : std::string(p.root);
  if (p.is_index) out += fmt::format("[{}]", p.index);
  else if (!p.field.empty()) out += fmt::format(".{}", p.field);
  return out;
}

bool bind_at(const Document& d, const dsl::Type& t, Arena& arena, Value& out, Diagnostics& diags,
             const dsl::SourcePtr& src, const PathStep& at, bool strict) {
  switch (t->kind) {
    case Kind::Bool:
      if (d.kind != Document::Kind::Bool) return type_error(d, t, diags, src, render(at));
      out = Value::boolean(d.flag);
      return true;
    case Kind::Number:
    case Kind::Money: {
      bool money = t->kind == Kind::Money;
      // JSON has no money type: a plain number is taken as dollars.
      auto v = read_decimal(d, money);
      if (!v) return type_error(d, t, diags, src, render(at), money ? "write dollars as a number, e.g. 90000.50" : "");
      out = Value::num(*v, money);
      return true;
    }
    case Kind::String:
    case Kind::Symbol: {
      if (d.kind != Document::Kind::String) return type_error(d, t, diags, src, render(at));
      std::string_view s = d.text;
      if (t->kind == Kind::Symbol && !s.empty() && s[0] == ':') s.remove_prefix(1);
      out = Value::str(arena.copy(s), t->kind == Kind::Symbol);
      return true;
    }
    case Kind::List: {
      if (d.kind != Document::Kind::Array) return type_error(d, t, diags, src, render(at));
      Value* items = arena.values(d.items.size());
      bool ok = true;
      for (size_t i = 0; i < d.items.size(); ++i) {
        PathStep step{&at, {}, {}, i, true};
        ok &= bind_at(d.items[i], t->elem, arena, items[i], diags, src, step, strict);
      }
      out = Value::list(items, static_cast<uint32_t>(d.items.size()));
      return ok;
    }
    case Kind::Record: {
      if (d.kind != Document::Kind::Object) return type_error(d, t, diags, src, render(at));
      Value* fields = arena.values(t->fields.size());
      bool ok = true;
      for (size_t i = 0; i < t->fields.size(); ++i) {
        // Where the field is when the document follows the type's order (by name), else a search.
        const Document* v = i < d.keys.size() && d.keys[i] == t->fields[i].name ? &d.items[i] : d.find(t->fields[i].name);
        PathStep step{&at, {}, t->fields[i].name, 0, false};
        if (!v) {
          auto& diag = diags.add(Code::InputMissing, doc_location(d, src),
                                 fmt::format("{}: required field is missing", render(step)));
          if (!diag.where.valid()) diag.notes.push_back({{}, fmt::format("in {}", src ? src->name() : "input")});
          fields[i] = Value();
          ok = false;
          continue;
        }
        ok &= bind_at(*v, t->fields[i].type, arena, fields[i], diags, src, step, strict);
      }
      // With every declared field found and as many keys as fields, no key can be unknown.
      if (strict && (d.keys.size() != t->fields.size() || !ok))
        for (size_t k = 0; k < d.keys.size(); ++k)
          if (dsl::field_index(t, d.keys[k]) < 0) {
            std::vector<std::string> names;
            for (const auto& f : t->fields) names.push_back(f.name);
            auto& diag = diags.add(Code::InputUnknown, key_location(d, k, src),
                                   fmt::format("{}.{}: the policy has no such field", render(at), d.keys[k]));
            if (auto s = dsl::did_you_mean(d.keys[k], names); !s.empty()) diag.help = fmt::format("did you mean '{}'?", s);
            ok = false;
          }
      out = Value::record(fields, static_cast<uint32_t>(t->fields.size()));
      return ok;
    }
    default: return type_error(d, t, diags, src, render(at), "this type cannot come from an input");
  }
}

}  // namespace

std::string describe(const Document& d) {
  switch (d.kind) {
    case Document::Kind::Null: return "null";
    case Document::Kind::Bool: return d.flag ? "true" : "false";
    case Document::Kind::Number: return d.text;
    case Document::Kind::String: return fmt::format("\"{}\"", d.text);
    case Document::Kind::Array: return "a list";
    case Document::Kind::Object: return "an object";
  }
  return "?";
}

std::optional<dsl::Decimal> json_number(std::string_view text) {
  auto e = text.find_first_of("eE");
  if (e == std::string_view::npos) return dsl::Decimal::parse(text);  // the usual case: no copy
  std::string t(text);
  std::string mant = t.substr(0, e);
  auto ex = dsl::Decimal::parse(t.substr(e + 1));
  if (!ex || !ex->to_int64() || *ex->to_int64() > 38 || *ex->to_int64() < -38) return std::nullopt;
  int64_t x = *ex->to_int64();
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.erase(0, 1);
  auto dot = mant.find('.');
  std::string digits = dot == std::string::npos ? mant : mant.substr(0, dot) + mant.substr(dot + 1);
  int64_t point = static_cast<int64_t>(dot == std::string::npos ? mant.size() : dot) + x;  // digits before the point
  if (point <= 0) {
    digits = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (point >= static_cast<int64_t>(digits.size())) {
    digits += std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    digits.insert(static_cast<size_t>(point), ".");
  }
  auto r = dsl::Decimal::parse(digits);
  if (!r) return std::nullopt;
  return neg ? r->negated() : *r;
}

bool bind_value(const Document& d, const dsl::Type& t, Arena& arena, Value& out, Diagnostics& diags,
                const dsl::SourcePtr& src, const std::string& path, bool strict) {
  PathStep root{nullptr, path, {}, 0, false};
  return bind_at(d, t, arena, out, diags, src, root, strict);
}

bool bind_input(const Document& doc, const std::vector<InputDecl>& inputs, const dsl::Type& input_type, bool strict,
                Arena& arena, Value& out, Diagnostics& diags, const dsl::SourcePtr& source, std::string_view prefix) {
  std::string root(prefix);
  if (doc.kind != Document::Kind::Object) {
    diags.add(Code::InputType, doc_location(doc, source), fmt::format("{}: the input must be an object of fields", root));
    return false;
  }
  Value* fields = arena.values(input_type->fields.size());
  bool ok = true;
  PathStep top{nullptr, root, {}, 0, false};
  for (size_t i = 0; i < input_type->fields.size(); ++i) {
    const auto& f = input_type->fields[i];
    const Document* v = i < doc.keys.size() && doc.keys[i] == f.name ? &doc.items[i] : doc.find(f.name);
    if (!v || v->kind == Document::Kind::Null) {
      fields[i] = Value();
      auto decl = std::find_if(inputs.begin(), inputs.end(), [&](const InputDecl& x) { return x.name == f.name; });
      if (decl != inputs.end() && decl->optional) continue;
      std::string fp = fmt::format("{}.{}", root, f.name);
      auto& diag = diags.add(Code::InputMissing, doc_location(doc, source),
                             fmt::format("{}: required input is missing", fp),
                             decl != inputs.end() && !decl->doc.empty()
                                 ? fmt::format("add '{}:' to the input ({})", f.name, decl->doc)
                                 : fmt::format("add '{}:' to the input", f.name));
      if (!diag.where.valid()) diag.notes.push_back({{}, fmt::format("in {}", source ? source->name() : "input")});
      ok = false;
      continue;
    }
    PathStep step{&top, {}, f.name, 0, false};  // the path is written only for a message
    ok &= bind_at(*v, f.type, arena, fields[i], diags, source, step, strict);
  }
  if (strict)
    for (size_t k = 0; k < doc.keys.size(); ++k)
      if (dsl::field_index(input_type, doc.keys[k]) < 0) {
        std::vector<std::string> names;
        for (const auto& f : input_type->fields) names.push_back(f.name);
        auto& diag = diags.add(Code::InputUnknown, key_location(doc, k, source),
                               fmt::format("{}.{}: the policy declares no such input", root, doc.keys[k]));
        if (auto s = dsl::did_you_mean(doc.keys[k], names); !s.empty())
          diag.help = fmt::format("did you mean '{}'?", s);
        else
          diag.help = "remove it from the input, or declare it under 'inputs:' in policy.yaml";
        if (!diag.where.valid()) diag.notes.push_back({{}, fmt::format("in {}", source ? source->name() : "input")});
        ok = false;
      }
  out = Value::record(fields, static_cast<uint32_t>(input_type->fields.size()));
  return ok;
}

}  // namespace merit::engine
