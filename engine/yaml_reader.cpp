#include "engine/yaml_reader.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "dsl/parser.hpp"

namespace merit::engine::detail {

using dsl::Code;
using dsl::Diagnostics;
using dsl::Location;

namespace {
// Aliases repeat a node without repeating its text, and `&a [*a]` even contains itself, so a
// recursive walk of a loaded tree could expand ~10^9 nodes or never end. Every reader of our
// YAML walks recursively: bound the nesting and the expanded size once, here.
const char* too_much(const YAML::Node& n, size_t depth, size_t& budget) {
  if (depth > 256) return "nested too deeply (limit 256)";
  if (budget-- == 0) return "its aliases expand to too many values";
  const char* r = nullptr;
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end() && !r; ++it)
      if (!(r = too_much(it->first, depth + 1, budget))) r = too_much(it->second, depth + 1, budget);
  } else if (n.IsSequence()) {
    for (auto it = n.begin(); it != n.end() && !r; ++it) r = too_much(*it, depth + 1, budget);
  }
  return r;
}
}  // namespace

std::optional<YamlDoc> parse_yaml(const dsl::SourcePtr& source, Diagnostics& diags) {
  try {
    YamlDoc d{source, YAML::Load(source->text())};
    size_t budget = 10000 + 10 * source->text().size();
    if (const char* why = too_much(d.root, 0, budget)) {
      diags.add(Code::YamlSyntax, {source, {0, 0}}, fmt::format("malformed YAML: document {}", why),
                "nest less, and write values out instead of repeating aliases (*name)");
      return std::nullopt;
    }
    return d;
  } catch (const YAML::Exception& e) {
    uint32_t pos = e.mark.is_null() ? 0 : static_cast<uint32_t>(e.mark.pos);
    diags.add(Code::YamlSyntax, {source, {pos, pos + 1}}, fmt::format("malformed YAML: {}", e.msg),
              "check indentation and that every ':' in a value is quoted");
    return std::nullopt;
  }
}

Location where(const YamlDoc& doc, const YAML::Node& node) {
  YAML::Mark m = node.Mark();
  if (m.is_null()) return {doc.source, {0, 0}};
  auto pos = static_cast<uint32_t>(m.pos);
  uint32_t len = 1;
  if (node.IsScalar() && !is_quoted(node)) len = std::max<uint32_t>(1, static_cast<uint32_t>(node.Scalar().size()));
  const std::string& t = doc.source->text();
  // A plain scalar's text may contain folded newlines: never underline past the line end.
  uint32_t end = pos;
  while (end < pos + len && end < t.size() && t[end] != '\n') ++end;
  return {doc.source, {pos, std::max(end, pos + 1)}};
}

bool is_quoted(const YAML::Node& scalar) { return scalar.Tag() == "!"; }

dsl::SourcePtr embedded_source(const YamlDoc& doc, const YAML::Node& scalar) {
  const std::string& file = doc.source->text();
  const std::string& text = scalar.Scalar();
  auto start = static_cast<uint32_t>(scalar.Mark().pos);
  std::vector<dsl::Source::Segment> segs;
  // Align the scalar's characters with the file from the scalar's mark, skipping the bytes YAML
  // removed (quotes, block header, indentation). Stop mapping at the first byte that disagrees.
  uint32_t cur = start;
  if (cur < file.size() && (file[cur] == '|' || file[cur] == '>')) {
    while (cur < file.size() && file[cur] != '\n') ++cur;
  } else if (cur < file.size() && (file[cur] == '"' || file[cur] == '\'')) {
    ++cur;
  }
  for (uint32_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    uint32_t probe = cur;
    while (probe < file.size() && file[probe] != c &&
           (file[probe] == ' ' || file[probe] == '\n' || file[probe] == '\r' || file[probe] == '\t'))
      ++probe;
    if (probe >= file.size() || file[probe] != c) break;
    if (segs.empty() || segs.back().parent_begin + (i - segs.back().local_begin) != probe)
      segs.push_back({i, probe});
    cur = probe + 1;
  }
  return dsl::Source::embedded(doc.source, text, std::move(segs), start);
}

MapReader::MapReader(const YamlDoc& doc, const YAML::Node& node, std::string what,
                     std::vector<std::string> allowed, Diagnostics& diags)
    : doc_(doc), node_(node), what_(std::move(what)), diags_(diags) {
  if (!node.IsMap()) {
    if (node.IsDefined() && !node.IsNull())
      diags.add(Code::YamlWrongType, where(doc, node), fmt::format("{} must be a mapping of keys to values", what_));
    else
      diags.add(Code::YamlWrongType, where(doc, node), fmt::format("{} is empty; it must be a mapping", what_));
    return;
  }
  is_map_ = true;
  std::map<std::string, YAML::Node> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node k = it->first;  // a copy: it->first lives in a temporary proxy
    if (!k.IsScalar()) {
      diags.add(Code::YamlWrongType, where(doc, k), "a key must be a plain name");
      continue;
    }
    const std::string& key = k.Scalar();
    if (auto prev = seen.find(key); prev != seen.end()) {
      auto& d = diags.add(Code::YamlDuplicateKey, where(doc, k), fmt::format("duplicate key '{}' in {}", key, what_),
                          "YAML keeps only one of them: remove or rename one");
      d.notes.push_back({where(doc, prev->second), "first written here"});
      continue;
    }
    seen.emplace(key, k);
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      auto& d = diags.add(Code::YamlUnknownKey, where(doc, k), fmt::format("unknown key '{}' in {}", key, what_));
      if (key.size() == 3 && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; }))
        d.help = "inside { } a ',' separates entries, so $90,000 splits in two: write $90000, or use block style";
      else if (auto s = dsl::did_you_mean(key, allowed); !s.empty())
        d.help = fmt::format("did you mean '{}'?", s);
      else
        d.help = fmt::format("allowed keys: {}", fmt::join(allowed, ", "));
      continue;
    }
    pairs_.emplace_back(k, it->second);
  }
}

const YAML::Node* MapReader::get(std::string_view key, bool required) {
  for (const auto& [k, v] : pairs_)
    if (k.Scalar() == key) return &v;
  if (required && is_map_)
    diags_.add(Code::YamlMissingKey, where(doc_, node_), fmt::format("{} needs a '{}' key", what_, key),
               fmt::format("add '{}: ...'", key));
  return nullptr;
}

bool expect_scalar(const YamlDoc& doc, const YAML::Node& n, std::string_view what, Diagnostics& diags) {
  if (n.IsScalar()) return true;
  diags.add(Code::YamlWrongType, where(doc, n),
            fmt::format("{} must be a single value, found a {}", what,
                        n.IsMap() ? "mapping" : n.IsSequence() ? "list" : "null"));
  return false;
}

std::optional<std::string> MapReader::string(std::string_view key, bool required) {
  const YAML::Node* n = get(key, required);
  if (!n) return std::nullopt;
  if (!expect_scalar(doc_, *n, fmt::format("'{}'", key), diags_)) return std::nullopt;
  return n->Scalar();
}

std::optional<bool> MapReader::boolean(std::string_view key) {
  const YAML::Node* n = get(key);
  if (!n) return std::nullopt;
  if (!expect_scalar(doc_, *n, fmt::format("'{}'", key), diags_)) return std::nullopt;
  if (n->Scalar() == "true") return true;
  if (n->Scalar() == "false") return false;
  diags_.add(Code::YamlWrongType, where(doc_, *n), fmt::format("'{}' must be true or false", key));
  return std::nullopt;
}

std::optional<int64_t> MapReader::integer(std::string_view key) {
  const YAML::Node* n = get(key);
  if (!n) return std::nullopt;
  if (!expect_scalar(doc_, *n, fmt::format("'{}'", key), diags_)) return std::nullopt;
  auto d = dsl::Decimal::parse(n->Scalar());
  if (d && d->to_int64()) return *d->to_int64();
  diags_.add(Code::YamlWrongType, where(doc_, *n), fmt::format("'{}' must be a whole number", key));
  return std::nullopt;
}

std::vector<std::string> string_list(const YamlDoc& doc, const YAML::Node& n, std::string_view what,
                                     Diagnostics& diags) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& e : n)
      if (expect_scalar(doc, e, fmt::format("each entry of {}", what), diags)) out.push_back(e.Scalar());
  } else {
    diags.add(Code::YamlWrongType, where(doc, n), fmt::format("{} must be a list of names", what));
  }
  return out;
}

std::vector<std::string> MapReader::strings(std::string_view key, bool required) {
  const YAML::Node* n = get(key, required);
  if (!n) return {};
  return string_list(doc_, *n, fmt::format("'{}'", key), diags_);
}

std::optional<dsl::Type> read_type(const YamlDoc& doc, const YAML::Node& node, Diagnostics& diags) {
  if (!expect_scalar(doc, node, "a type", diags)) return std::nullopt;
  return dsl::parse_type(embedded_source(doc, node), diags);
}

namespace {

using dsl::Kind;
namespace types = dsl::types;

bool looks_numeric(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.');
}

// Parses a number, percent or money literal with an optional leading minus.
std::optional<Datum> parse_number(const YamlDoc& doc, const YAML::Node& node, bool want_money, Diagnostics& diags) {
  std::string text = node.Scalar();
  bool neg = !text.empty() && text[0] == '-';
  if (neg || (!text.empty() && text[0] == '+')) text.erase(0, 1);
  auto src = dsl::Source::from_text(doc.source->name(), text);
  Diagnostics local;
  auto e = dsl::parse_literal(src, local);
  bool ok = e && (e->kind == dsl::ExprKind::Number || e->kind == dsl::ExprKind::Money);
  if (ok && want_money != (e->kind == dsl::ExprKind::Money)) ok = false;
  if (!ok) {
    diags.add(Code::BadLiteral, where(doc, node),
              fmt::format("'{}' is not a valid {}", node.Scalar(), want_money ? "money amount" : "number"),
              want_money ? "write money as $90,000 or $1,234.50" : "write numbers as 12, 12.5, 1_000 or 60%");
    return std::nullopt;
  }
  Datum d;
  d.kind = want_money ? Datum::Kind::Money : Datum::Kind::Number;
  d.number = neg ? e->number.negated() : e->number;
  return d;
}

std::string kind_word(const YAML::Node& n) {
  return n.IsMap() ? "a mapping" : n.IsSequence() ? "a list" : n.IsNull() ? "nothing" : fmt::format("'{}'", n.Scalar());
}

}  // namespace

std::optional<Datum> read_datum(const YamlDoc& doc, const YAML::Node& node, const dsl::Type& declared,
                                dsl::Type& type_out, Diagnostics& diags) {
  auto wrong = [&](std::string expected) -> std::optional<Datum> {
    diags.add(Code::BadLiteral, where(doc, node), fmt::format("expected {}, found {}", expected, kind_word(node)));
    return std::nullopt;
  };
  if (declared && declared->kind == Kind::Table) return wrong("a table (write 'table:' instead of 'value:')");
  if (node.IsNull() || !node.IsDefined()) return wrong(declared ? dsl::to_string(declared) : "a value");
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    Kind k;
    if (declared) {
      k = declared->kind;
    } else if (is_quoted(node)) {
      k = Kind::String;
    } else if (s == "true" || s == "false") {
      k = Kind::Bool;
    } else if (s.size() > 1 && s[0] == ':') {
      k = Kind::Symbol;
    } else if (!s.empty() && (s[0] == '$' || (s.size() > 1 && s[0] == '-' && s[1] == '$'))) {
      k = Kind::Money;
    } else if (looks_numeric(s)) {
      k = Kind::Number;
    } else {
      k = Kind::String;
    }
    Datum d;
    switch (k) {
      case Kind::Bool:
        if (s != "true" && s != "false") return wrong("true or false");
        d.kind = Datum::Kind::Bool;
        d.flag = s == "true";
        type_out = types::boolean();
        return d;
      case Kind::Number:
      case Kind::Money: {
        auto r = parse_number(doc, node, k == Kind::Money, diags);
        if (r) type_out = k == Kind::Money ? types::money() : types::number();
        return r;
      }
      case Kind::String:
        d.kind = Datum::Kind::String;
        d.text = s;
        type_out = types::string();
        return d;
      case Kind::Symbol: {
        std::string name = s.size() > 1 && s[0] == ':' ? s.substr(1) : s;
        bool valid = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                     std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
        if (!valid) return wrong("a symbol such as :group");
        d.kind = Datum::Kind::Symbol;
        d.text = name;
        type_out = types::symbol();
        return d;
      }
      default: return wrong(dsl::to_string(declared));
    }
  }
  if (node.IsSequence()) {
    if (declared && declared->kind != Kind::List) return wrong(dsl::to_string(declared));
    Datum d;
    d.kind = Datum::Kind::List;
    dsl::Type elem = declared ? declared->elem : types::never();
    bool ok = true;
    for (const auto& e : node) {
      dsl::Type et;
      auto item = read_datum(doc, e, declared ? declared->elem : nullptr, et, diags);
      if (!item) {
        ok = false;
        continue;
      }
      if (!declared) {
        auto u = dsl::unify(elem, et);
        if (!u) {
          diags.add(Code::BadLiteral, where(doc, e),
                    fmt::format("list elements must have one type: this is {}, earlier ones are {}", dsl::to_string(et),
                                dsl::to_string(elem)),
                    "quote strings, or give the parameter a 'type:'");
          ok = false;
          continue;
        }
        elem = *u;
      }
      d.items.push_back(std::move(*item));
    }
    if (!ok) return std::nullopt;
    type_out = types::list(elem);
    return d;
  }
  // A mapping: a record.
  if (declared && declared->kind != Kind::Record) return wrong(dsl::to_string(declared));
  std::vector<std::string> allowed;
  if (declared)
    for (const auto& f : declared->fields) allowed.push_back(f.name);
  MapReader r(doc, node, "this record", allowed, diags);
  std::vector<std::pair<std::string, std::pair<Datum, dsl::Type>>> fields;
  bool ok = true;
  for (const auto& [k, v] : r.pairs()) {
    dsl::Type want;
    if (declared) want = declared->fields[dsl::field_index(declared, k.Scalar())].type;
    dsl::Type ft;
    auto item = read_datum(doc, v, want, ft, diags);
    if (!item) {
      ok = false;
      continue;
    }
    fields.push_back({k.Scalar(), {std::move(*item), ft}});
  }
  if (declared)
    for (const auto& f : declared->fields)
      if (!r.get(f.name)) {
        diags.add(Code::YamlMissingKey, where(doc, node), fmt::format("record needs field '{}'", f.name));
        ok = false;
      }
  if (!ok) return std::nullopt;
  std::sort(fields.begin(), fields.end(), [](auto& a, auto& b) { return a.first < b.first; });
  Datum d;
  d.kind = Datum::Kind::Record;
  std::vector<dsl::Field> tf;
  for (auto& [name, dv] : fields) {
    d.names.push_back(name);
    d.items.push_back(std::move(dv.first));
    tf.push_back({name, dv.second});
  }
  type_out = declared ? declared : types::record(std::move(tf));
  return d;
}

std::optional<Datum> read_table(const YamlDoc& doc, const YAML::Node& node, dsl::Type& type_out, Diagnostics& diags) {
  MapReader r(doc, node, "the table", {"key", "columns", "rows"}, diags);
  if (!r.ok()) return std::nullopt;
  std::vector<std::string> keys = r.strings("key", true);
  const YAML::Node* rows = r.get("rows", true);
  dsl::Type row_type, declared_row;  // declared_row: from 'columns:' only
  if (const YAML::Node* cols = r.get("columns")) {
    MapReader c(doc, *cols, "'columns'", {}, diags);
    std::vector<dsl::Field> fields;
    for (const auto& [k, v] : c.pairs())
      if (auto t = read_type(doc, v, diags)) fields.push_back({k.Scalar(), *t});
    row_type = declared_row = dsl::types::record(std::move(fields));
  }
  if (!rows || keys.empty()) return std::nullopt;
  if (!rows->IsSequence()) {
    diags.add(Code::YamlWrongType, where(doc, *rows), "'rows' must be a list of records");
    return std::nullopt;
  }
  Datum t;
  t.kind = Datum::Kind::Table;
  t.names = keys;
  bool ok = true;
  std::set<std::string> seen_keys;
  for (const auto& row : *rows) {
    dsl::Type rt;
    // Without 'columns:' every row is typed from its own text and compared with the first row
    // (E206 below); reading later rows as the first row's type would turn a quoted "2" into a number.
    auto d = read_datum(doc, row, declared_row, rt, diags);
    if (!d) {
      ok = false;
      continue;
    }
    if (d->kind != Datum::Kind::Record) {
      diags.add(Code::BadTable, where(doc, row), "each row must be a record such as {measure: \"001\", points: 3}");
      ok = false;
      continue;
    }
    if (!row_type) {
      row_type = rt;
    } else if (!dsl::assignable(rt, row_type)) {
      diags.add(Code::BadTable, where(doc, row),
                fmt::format("this row is {} but the first row is {}", dsl::to_string(rt), dsl::to_string(row_type)),
                "every row needs the same fields with the same types (or declare 'columns:')");
      ok = false;
      continue;
    }
    std::string key_text;
    for (const auto& k : keys) {
      auto it = std::find(d->names.begin(), d->names.end(), k);
      if (it == d->names.end()) {
        diags.add(Code::BadTable, where(doc, row), fmt::format("row has no key field '{}'", k));
        ok = false;
        key_text.clear();
        break;
      }
      key_text += to_string(d->items[it - d->names.begin()]) + "|";
    }
    if (!key_text.empty() && !seen_keys.insert(key_text).second) {
      diags.add(Code::BadTable, where(doc, row), "two rows have the same key",
                fmt::format("the key ({}) must identify one row", fmt::join(keys, ", ")));
      ok = false;
    }
    t.items.push_back(std::move(*d));
  }
  if (!ok) return std::nullopt;
  if (!row_type) row_type = dsl::types::record({});
  for (const auto& k : keys)
    if (dsl::field_index(row_type, k) < 0) {
      diags.add(Code::BadTable, where(doc, node), fmt::format("key '{}' is not a column of the table", k));
      return std::nullopt;
    }
  type_out = dsl::types::table(row_type, keys);
  return t;
}

}  // namespace merit::engine::detail
