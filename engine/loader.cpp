#include "engine/loader.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "dsl/parser.hpp"
#include "engine/input.hpp"
#include "engine/yaml_reader.hpp"

namespace merit::engine {

namespace fs = std::filesystem;
using dsl::Code;
using dsl::Diagnostics;
using dsl::Location;
using namespace detail;

std::optional<std::string> read_file(const fs::path& path, Diagnostics& diags, const Location& from) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    diags.add(Code::IoError, from, fmt::format("'{}' is a directory, not a file", path.string()));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.add(Code::IoError, from, fmt::format("cannot read '{}'", path.string()),
              "check the path; paths in policy.yaml are relative to the policy's directory");
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path resolve_extends(const fs::path& dir, const std::string& extends) {
  fs::path p(extends);
  if (p.is_absolute()) return p;
  if (extends.find('/') != std::string::npos) return dir / p;
  return dir.parent_path() / p;  // a sibling: policies/2018 extends 2017 -> policies/2017
}

namespace {

const std::vector<std::string> kPolicyKeys = {"name", "year", "extends", "doc", "sources", "arithmetic",
                                              "parameters", "rules", "tables", "inputs", "outputs",
                                              "remove", "require_citations", "strict_inputs", "submission", "types"};

// A check declared under `checks:` in a table file (docs/policy-format.md#declared-checks).
struct TableCheck {
  enum class Kind { Monotone, Length, References } kind = Kind::Monotone;
  std::string column;                   // the checked column (a list, or the referring column)
  std::string direction_from;           // Monotone: a bool column; true means non-increasing
  std::vector<int64_t> lengths;         // Length: the allowed list sizes
  std::vector<std::string> tables;      // References: tables whose keys the column must name
  std::vector<Location> table_where;
  Location where;                       // the checked column's name, after the kind
  struct Exemption {
    std::vector<std::string> key;       // the row's key (or its leading columns)
    Location where;
    bool used = false;
  };
  std::vector<Exemption> allow;
};

// The checks of one table file, run when the layer's files have all been read.
struct DeclaredChecks {
  std::string table;
  Location table_where;                 // Parameter::where of the table they belong to
  YamlDoc doc;
  std::vector<YAML::Node> rows;         // the rows' nodes, in the order of the table's rows
  std::vector<TableCheck> checks;
};

struct Layer {
  Policy& policy;        // merged so far (the base when this layer starts)
  Diagnostics& diags;
  fs::path dir;
  std::string name;
  // Names introduced by this layer, to report duplicates within it.
  std::map<std::string, Location> params_here, defs_here, fns_here;
  // Position of every name in the merged vectors, so that adding N names costs N look-ups, not
  // N scans (built on first use, after this layer's removals).
  std::unordered_map<std::string, size_t> param_pos, def_pos, fn_pos;
  bool indexed = false;
  std::vector<DeclaredChecks> table_checks = {};  // from this layer's table files
  void index() {
    if (indexed) return;
    indexed = true;
    for (size_t i = 0; i < policy.parameters.size(); ++i) param_pos.emplace(policy.parameters[i].name, i);
    for (size_t i = 0; i < policy.definitions.size(); ++i) def_pos.emplace(policy.definitions[i]->qualified(), i);
    for (size_t i = 0; i < policy.functions.size(); ++i) fn_pos.emplace(policy.functions[i]->qualified(), i);
  }
};

std::optional<YamlDoc> load_yaml(const fs::path& path, Diagnostics& diags, const Location& from) {
  auto text = read_file(path, diags, from);
  if (!text) return std::nullopt;
  auto src = dsl::Source::from_text(path.string(), std::move(*text));
  return parse_yaml(src, diags);
}

// `types:` in policy.yaml: Name -> type text. Each may use the names before it.
void read_type_names(Layer& L, const YamlDoc& doc, const YAML::Node& node) {
  MapReader m(doc, node, "'types'", {}, L.diags);
  if (!m.ok()) return;
  for (const auto& [k, v] : m.pairs()) {
    const std::string& name = k.Scalar();
    auto t = read_type(doc, v, L.diags);
    if (!t) continue;
    auto it = std::find_if(L.policy.type_names.begin(), L.policy.type_names.end(),
                           [&](const auto& e) { return e.first == name; });
    if (it != L.policy.type_names.end())
      it->second = *t;  // a later layer may redefine a type; the checker sees the new one
    else
      L.policy.type_names.emplace_back(name, *t);
  }
}

// `submission:` in policy.yaml: categories (name -> {table, as}) and id_prefix_aliases
// (from -> to). A layer that writes it replaces the inherited block as a whole.
void read_submission_format(Layer& L, const YamlDoc& doc, const YAML::Node& node) {
  MapReader r(doc, node, "'submission'", {"categories", "id_prefix_aliases"}, L.diags);
  if (!r.ok()) return;
  SubmissionFormat f;
  f.where = where(doc, node);
  if (const YAML::Node* c = r.get("categories", true)) {
    MapReader cats(doc, *c, "'submission: categories'", {}, L.diags);
    if (cats.ok())
      for (const auto& [k, v] : cats.pairs()) {
        MapReader cr(doc, v, fmt::format("category '{}'", k.Scalar()), {"table", "as"}, L.diags);
        if (!cr.ok()) continue;
        f.categories.push_back({k.Scalar(), cr.string("as").value_or(k.Scalar()), cr.string("table").value_or("")});
      }
  }
  if (const YAML::Node* a = r.get("id_prefix_aliases")) {
    MapReader al(doc, *a, "'submission: id_prefix_aliases'", {}, L.diags);
    if (al.ok())
      for (const auto& [k, v] : al.pairs())
        if (expect_scalar(doc, v, "a measure id prefix", L.diags)) f.id_prefix_aliases.emplace_back(k.Scalar(), v.Scalar());
  }
  L.policy.submission = std::move(f);
}

std::vector<std::string> parameter_names(const Policy& p) {
  std::vector<std::string> v;
  for (const auto& x : p.parameters) v.push_back(x.name);
  return v;
}

void duplicate(Layer& L, std::map<std::string, Location>& here, const std::string& name, const Location& at,
               std::string_view what) {
  auto [it, fresh] = here.emplace(name, at);
  if (fresh) return;
  auto& d = L.diags.add(Code::DuplicateName, at, fmt::format("{} '{}' is defined twice in policy '{}'", what, name, L.name),
                        "keep one definition; to change an inherited one, use override");
  d.notes.push_back({it->second, "first defined here"});
}

// Adds or replaces a parameter according to the layer rules.
void put_parameter(Layer& L, Parameter p, bool is_override) {
  L.index();
  auto pos = L.param_pos.find(p.name);
  auto it = pos == L.param_pos.end() ? L.policy.parameters.end() : L.policy.parameters.begin() + pos->second;
  bool inherited = it != L.policy.parameters.end() && L.params_here.count(p.name) == 0;
  duplicate(L, L.params_here, p.name, p.where, "parameter");
  if (is_override) {
    if (it == L.policy.parameters.end()) {
      auto& d = L.diags.add(Code::OverrideOfNothing, p.where,
                            fmt::format("'{}' overrides a parameter that the base policy does not define", p.name));
      if (auto s = dsl::did_you_mean(p.name, parameter_names(L.policy)); !s.empty())
        d.help = fmt::format("did you mean '{}'?", s);
      else
        d.help = "move it under 'parameters:' to add a new parameter";
      return;
    }
    if (!dsl::same(it->type, p.type) && !(it->type->kind == dsl::Kind::List && p.type->kind == dsl::Kind::List &&
                                          dsl::assignable(p.type, it->type))) {
      auto& d = L.diags.add(Code::DeclaredType, p.where,
                            fmt::format("override of '{}' changes its type from {} to {}", p.name,
                                        dsl::to_string(it->type), dsl::to_string(p.type)),
                            "an override must keep the parameter's type, so that the rules reading it still check");
      d.notes.push_back({it->where, "inherited definition"});
      return;
    }
    p.type = it->type;
    *it = std::move(p);
    return;
  }
  if (inherited) {
    auto& d = L.diags.add(Code::ImplicitOverride, p.where,
                          fmt::format("'{}' is inherited from the base policy; redefining it needs an override", p.name),
                          "move it under 'overrides:' in this parameter file");
    d.notes.push_back({it->where, "inherited definition"});
    return;
  }
  if (it != L.policy.parameters.end()) return;  // duplicate within the layer, already reported
  L.param_pos.emplace(p.name, L.policy.parameters.size());
  L.policy.parameters.push_back(std::move(p));
}

std::vector<std::string> citations_of(MapReader& r) { return r.strings("cite"); }

// One entry under `parameters:` or `overrides:`.
void read_parameter(Layer& L, const YamlDoc& doc, const YAML::Node& key, const YAML::Node& value, bool is_override) {
  Parameter p;
  p.name = key.Scalar();
  p.where = where(doc, key);
  p.origin = L.name;
  if (!value.IsMap()) {  // short form: name: value
    dsl::Type t;
    auto d = read_datum(doc, value, nullptr, t, L.diags);
    if (!d) return;
    p.value = std::move(*d);
    p.type = t;
    put_parameter(L, std::move(p), is_override);
    return;
  }
  MapReader r(doc, value, fmt::format("parameter '{}'", p.name),
              {"value", "table", "type", "doc", "cite", "note", "unit"}, L.diags);
  dsl::Type declared;
  if (const YAML::Node* t = r.get("type"))
    if (auto ty = read_type(doc, *t, L.diags)) declared = *ty;
  p.doc = r.string("doc").value_or("");
  p.note = r.string("note").value_or("");
  p.unit = r.string("unit").value_or("");
  p.citations = citations_of(r);
  const YAML::Node* v = r.get("value");
  const YAML::Node* t = r.get("table");
  if ((v == nullptr) == (t == nullptr)) {
    L.diags.add(Code::YamlMissingKey, where(doc, value),
                fmt::format("parameter '{}' needs exactly one of 'value:' or 'table:'", p.name));
    return;
  }
  dsl::Type ty;
  auto d = v ? read_datum(doc, *v, declared, ty, L.diags) : read_table(doc, *t, ty, L.diags);
  if (!d) return;
  p.value = std::move(*d);
  p.type = ty;
  put_parameter(L, std::move(p), is_override);
}

void read_parameter_file(Layer& L, const fs::path& path, const Location& from) {
  auto doc = load_yaml(path, L.diags, from);
  if (!doc) return;
  MapReader r(*doc, doc->root, path.filename().string(), {"doc", "parameters", "overrides"}, L.diags);
  if (!r.ok()) return;
  for (auto [key, is_override] : {std::pair{"parameters", false}, std::pair{"overrides", true}}) {
    const YAML::Node* n = r.get(key);
    if (!n) continue;
    MapReader m(*doc, *n, fmt::format("'{}'", key), {}, L.diags);
    for (const auto& [k, v] : m.pairs()) read_parameter(L, *doc, k, v, is_override);
  }
}

// --- Declared checks of table files (`checks:`; docs/policy-format.md#declared-checks) ---------
// A table file may declare checks on its rows: `monotone` (a list of numbers in order, reversed
// where a bool column is true), `length` (allowed list sizes) and `references` (a column's value is
// a key of other tables). Each may exempt rows under `allow:`, each exemption with a `note:`.
// Mistakes in a declaration are E206 (E111/E113 for keys); a row that fails is E208, at the row's
// value, with a note at the check. They run when all of the layer's files have been read, so a
// referenced table may be listed after the table that refers to it.

bool same_place(const Location& a, const Location& b) { return a.source == b.source && a.span == b.span; }

std::vector<std::string> column_names(const dsl::Type& row) {
  std::vector<std::string> v;
  for (const auto& f : row->fields) v.push_back(f.name);
  return v;
}

// The column `name` of the row type, reported (E206 at `at`) when it does not exist.
dsl::Type check_column(const YamlDoc& doc, const YAML::Node& at, const std::string& name, const std::string& table,
                       const dsl::Type& row, Diagnostics& diags) {
  int i = dsl::field_index(row, name);
  if (i >= 0) return row->fields[static_cast<size_t>(i)].type;
  auto& d = diags.add(Code::BadTable, where(doc, at), fmt::format("the check names '{}', which is not a column of table '{}'", name, table));
  if (auto s = dsl::did_you_mean(name, column_names(row)); !s.empty())
    d.help = fmt::format("did you mean '{}'?", s);
  else
    d.help = fmt::format("columns: {}", fmt::join(column_names(row), ", "));
  return nullptr;
}

bool is_number_list(const dsl::Type& t) {
  return t->kind == dsl::Kind::List && (dsl::is_numeric(t->elem) || t->elem->kind == dsl::Kind::Never);
}

// The `checks:` list of a table file with row type `row` and key columns `keys`.
bool read_checks(const YamlDoc& doc, const YAML::Node& node, const std::string& table, const dsl::Type& row,
                 const std::vector<std::string>& keys, std::vector<TableCheck>& out, Diagnostics& diags) {
  if (!node.IsSequence()) {
    diags.add(Code::YamlWrongType, where(doc, node), "'checks' must be a list of checks",
              "write each check as '- {monotone: column}', '- {length: column, in: [9, 10]}' or "
              "'- {references: table, column: column}'");
    return false;
  }
  bool ok = true;
  for (const auto& e : node) {
    TableCheck c;
    std::vector<std::string> kinds;
    if (e.IsMap())
      for (auto it = e.begin(); it != e.end(); ++it)
        if (it->first.IsScalar())
          for (const char* k : {"monotone", "length", "references"})
            if (it->first.Scalar() == k) kinds.push_back(k);
    if (kinds.size() != 1) {
      diags.add(e.IsMap() ? Code::YamlMissingKey : Code::YamlWrongType, where(doc, e),
                kinds.empty() ? "a check needs one of 'monotone:', 'length:' or 'references:'"
                              : fmt::format("a check has one kind, but this one has {}", fmt::join(kinds, " and ")),
                "write one check per list entry");
      ok = false;
      continue;
    }
    const std::string kind = kinds[0];
    std::vector<std::string> allowed = {kind, "allow"};
    if (kind == "monotone") allowed.push_back("direction_from");
    if (kind == "length") allowed.push_back("in");
    if (kind == "references") allowed.push_back("column");
    MapReader r(doc, e, fmt::format("a '{}' check", kind), allowed, diags);
    bool good = true;
    if (kind == "monotone" || kind == "length") {
      c.kind = kind == "monotone" ? TableCheck::Kind::Monotone : TableCheck::Kind::Length;
      auto col = r.string(kind, true);
      if (!col) {
        ok = false;
        continue;
      }
      c.column = *col;
      c.where = where(doc, *r.get(kind));
      dsl::Type t = check_column(doc, *r.get(kind), c.column, table, row, diags);
      if (t && (kind == "monotone" ? !is_number_list(t) : t->kind != dsl::Kind::List)) {
        diags.add(Code::BadTable, c.where,
                  fmt::format("'{}' is {}; a {} check needs a list{}", c.column, dsl::to_string(t), kind,
                              kind == "monotone" ? " of numbers" : ""));
        t = nullptr;
      }
      good = t != nullptr;
      if (kind == "monotone") {
        if (auto dir = r.string("direction_from")) {
          c.direction_from = *dir;
          dsl::Type dt = check_column(doc, *r.get("direction_from"), *dir, table, row, diags);
          if (dt && dt->kind != dsl::Kind::Bool) {
            diags.add(Code::BadTable, where(doc, *r.get("direction_from")),
                      fmt::format("'{}' is {}; 'direction_from' names a bool column (true: the list decreases)", *dir,
                                  dsl::to_string(dt)));
            dt = nullptr;
          }
          good = good && dt != nullptr;
        }
      } else if (const YAML::Node* in = r.get("in", true)) {
        std::vector<YAML::Node> sizes;
        if (in->IsSequence())
          for (const auto& x : *in) sizes.push_back(x);
        else
          sizes.push_back(*in);
        for (const auto& x : sizes) {
          auto n = x.IsScalar() ? dsl::Decimal::parse(x.Scalar()) : std::nullopt;
          auto v = n ? n->to_int64() : std::nullopt;
          if (!v || *v < 0) {
            diags.add(Code::BadLiteral, where(doc, x), "'in' lists the allowed lengths, as whole numbers such as [9, 10]");
            good = false;
            continue;
          }
          c.lengths.push_back(*v);
        }
      } else {
        good = false;
      }
    } else {
      c.kind = TableCheck::Kind::References;
      const YAML::Node* refs = r.get("references", true);
      auto col = r.string("column", true);
      if (!refs || !col) {
        ok = false;
        continue;
      }
      c.tables = string_list(doc, *refs, "'references'", diags);
      if (refs->IsSequence()) {
        for (const auto& x : *refs)
          if (x.IsScalar()) c.table_where.push_back(where(doc, x));
      } else {
        c.table_where.push_back(where(doc, *refs));
      }
      c.tables.resize(std::min(c.tables.size(), c.table_where.size()));
      c.column = *col;
      c.where = where(doc, *r.get("column"));
      dsl::Type t = check_column(doc, *r.get("column"), c.column, table, row, diags);
      if (t && t->kind != dsl::Kind::String && t->kind != dsl::Kind::Symbol && t->kind != dsl::Kind::Number) {
        diags.add(Code::BadTable, c.where,
                  fmt::format("'{}' is {}; a references check needs a string, symbol or number column", c.column,
                              dsl::to_string(t)));
        t = nullptr;
      }
      good = t != nullptr && !c.tables.empty();
    }
    if (const YAML::Node* allow = r.get("allow")) {
      if (!allow->IsSequence()) {
        diags.add(Code::YamlWrongType, where(doc, *allow), "'allow' must be a list of exemptions",
                  "write '- {key: [...], note: \"why this row is exempt\"}'");
        good = false;
      } else {
        for (const auto& x : *allow) {
          MapReader ar(doc, x, "an exemption", {"key", "note"}, diags);
          if (!ar.ok()) {
            good = false;
            continue;
          }
          const YAML::Node* k = ar.get("key", true);
          auto note = ar.string("note", true);
          if (!k || !note) {
            good = false;
            continue;
          }
          TableCheck::Exemption ex;
          ex.key = string_list(doc, *k, "'key'", diags);
          ex.where = where(doc, *k);
          if (ex.key.empty() || ex.key.size() > keys.size()) {
            diags.add(Code::BadTable, ex.where,
                      fmt::format("table '{}' has {} key column{} ({}), but this exemption's key has {} value{}", table,
                                  keys.size(), keys.size() == 1 ? "" : "s", fmt::join(keys, ", "), ex.key.size(),
                                  ex.key.size() == 1 ? "" : "s"),
                      "write the row's key, or its first key values to exempt every row that starts with them");
            good = false;
            continue;
          }
          c.allow.push_back(std::move(ex));
        }
      }
    }
    if (good)
      out.push_back(std::move(c));
    else
      ok = false;
  }
  return ok;
}

const Datum* record_field(const Datum& record, std::string_view name) {
  auto it = std::lower_bound(record.names.begin(), record.names.end(), name);
  if (it == record.names.end() || *it != name) return nullptr;
  return &record.items[static_cast<size_t>(it - record.names.begin())];
}

// A key value as an exemption writes it: the text of strings and symbols, numbers without trailing zeros.
std::string key_text(const Datum& d) {
  switch (d.kind) {
    case Datum::Kind::String:
    case Datum::Kind::Symbol: return d.text;
    case Datum::Kind::Number:
    case Datum::Kind::Money: return d.number.normalized().to_string();
    default: return to_string(d);
  }
}

void run_checks(Layer& L, DeclaredChecks& dc) {
  const Parameter* p = L.policy.find_parameter(dc.table);
  // Only the table these checks were declared with (not one that an error kept from replacing).
  if (!p || !same_place(p->where, dc.table_where) || p->value.kind != Datum::Kind::Table ||
      p->value.items.size() != dc.rows.size())
    return;
  const Datum& table = p->value;
  const std::vector<std::string>& keys = table.names;
  for (TableCheck& c : dc.checks) {
    // References: the keys of the named tables.
    std::unordered_set<std::string> known;
    std::vector<std::string> known_list;
    if (c.kind == TableCheck::Kind::References) {
      bool ok = true;
      for (size_t i = 0; i < c.tables.size(); ++i) {
        const Parameter* t = L.policy.find_parameter(c.tables[i]);
        if (!t || t->value.kind != Datum::Kind::Table || t->value.names.size() != 1) {
          auto& d = L.diags.add(Code::BadTable, c.table_where[i],
                                !t ? fmt::format("the check refers to table '{}', which the policy does not define", c.tables[i])
                                   : fmt::format("the check refers to '{}', which is not a table with one key column", c.tables[i]));
          std::vector<std::string> tables;
          for (const auto& x : L.policy.parameters)
            if (x.value.kind == Datum::Kind::Table) tables.push_back(x.name);
          if (auto s = dsl::did_you_mean(c.tables[i], tables); !t && !s.empty()) d.help = fmt::format("did you mean '{}'?", s);
          else d.help = "a references check names tables with a single key column, listed in policy.yaml";
          ok = false;
          continue;
        }
        for (const Datum& row : t->value.items)
          if (const Datum* k = record_field(row, t->value.names[0])) {
            if (known.insert(key_text(*k)).second) known_list.push_back(key_text(*k));
          }
      }
      if (!ok) continue;
    }
    for (size_t i = 0; i < table.items.size(); ++i) {
      const Datum& row = table.items[i];
      std::vector<std::string> key;
      std::vector<std::string> key_shown;
      for (const auto& k : keys)
        if (const Datum* f = record_field(row, k)) {
          key.push_back(key_text(*f));
          key_shown.push_back(to_string(*f));
        }
      auto exempt = std::find_if(c.allow.begin(), c.allow.end(), [&](const TableCheck::Exemption& ex) {
        return ex.key.size() <= key.size() && std::equal(ex.key.begin(), ex.key.end(), key.begin());
      });
      if (exempt != c.allow.end()) {
        exempt->used = true;
        continue;
      }
      const Datum* value = record_field(row, c.column);
      if (!value) continue;
      std::string problem, help;
      if (c.kind == TableCheck::Kind::Monotone) {
        const Datum* dir = c.direction_from.empty() ? nullptr : record_field(row, c.direction_from);
        bool down = dir && dir->flag;
        for (size_t k = 1; k < value->items.size() && problem.empty(); ++k) {
          int cmp = compare(value->items[k].number, value->items[k - 1].number);
          if (down ? cmp > 0 : cmp < 0)
            problem = fmt::format("'{}' must not {}{}, but {}[{}] = {} is {} than {}[{}] = {}", c.column,
                                  down ? "increase" : "decrease",
                                  dir ? fmt::format(" ('{}' is {})", c.direction_from, down ? "true" : "false") : "",
                                  c.column, k, to_string(value->items[k]), down ? "more" : "less", c.column, k - 1,
                                  to_string(value->items[k - 1]));
        }
        help = "correct the row; if its source publishes it this way, exempt it";
      } else if (c.kind == TableCheck::Kind::Length) {
        auto n = static_cast<int64_t>(value->items.size());
        if (std::find(c.lengths.begin(), c.lengths.end(), n) == c.lengths.end()) {
          std::vector<std::string> allowed;
          for (auto x : c.lengths) allowed.push_back(std::to_string(x));
          problem = fmt::format("'{}' has {} value{}; the check allows {}", c.column, n, n == 1 ? "" : "s",
                                allowed.size() == 1 ? allowed[0]
                                                    : fmt::format("{} or {}", fmt::join(allowed.begin(), allowed.end() - 1, ", "),
                                                                  allowed.back()));
        }
        help = "correct the row; if its source publishes it this way, exempt it";
      } else if (!known.count(key_text(*value))) {
        problem = fmt::format("'{}' is {}, which is not a key of {}", c.column, to_string(*value), fmt::join(c.tables, " or "));
        if (auto s = dsl::did_you_mean(key_text(*value), known_list); !s.empty())
          help = fmt::format("did you mean \"{}\"? Otherwise add the row to {}, or exempt it", s, c.tables[0]);
        else
          help = fmt::format("add the row to {}, or exempt it", c.tables[0]);
      }
      if (problem.empty()) continue;
      const YAML::Node& node = dc.rows[i];
      Location at = node.IsMap() && node[c.column] ? where(dc.doc, node[c.column]) : where(dc.doc, node);
      auto& d = L.diags.add(Code::TableCheckFailed, at,
                            fmt::format("table '{}', row [{}]: {}", dc.table, fmt::join(key_shown, ", "), problem));
      d.help = fmt::format("{}: add {{key: [{}], note: \"why\"}} under the check's 'allow:'", help, fmt::join(key_shown, ", "));
      d.notes.push_back({c.where, "the check is declared here"});
    }
    for (const auto& ex : c.allow)
      if (!ex.used)
        L.diags.add(Code::TableCheckFailed, ex.where,
                    fmt::format("the exemption [{}] matches no row of table '{}'", fmt::join(ex.key, ", "), dc.table),
                    "remove the exemption, or correct its key");
  }
}

void run_table_checks(Layer& L) {
  for (auto& dc : L.table_checks) run_checks(L, dc);
  L.table_checks.clear();
}

// A JSON value as a constant of the column's type. JSON strings are only strings and numbers
// keep their text, so nothing goes through a double. Errors name the JSON path.
std::optional<Datum> datum_from_json(const Document& d, const dsl::Type& type, const std::string& path,
                                     const dsl::SourcePtr& src, Diagnostics& diags) {
  auto fail = [&](std::string_view expected) -> std::optional<Datum> {
    auto& diag = diags.add(Code::BadTable, {}, fmt::format("{}: expected {}", path, expected));
    diag.notes.push_back({{}, fmt::format("in {}", src->name())});
    return std::nullopt;
  };
  Datum out;
  switch (type->kind) {
    case dsl::Kind::Bool:
      if (d.kind != Document::Kind::Bool) return fail("true or false");
      out.kind = Datum::Kind::Bool;
      out.flag = d.flag;
      return out;
    case dsl::Kind::Number:
    case dsl::Kind::Money: {
      if (d.kind != Document::Kind::Number) return fail("a number");
      auto n = dsl::Decimal::parse(d.text);
      if (!n) return fail("a decimal number without an exponent, at most 18 digits after the point");
      out.kind = type->kind == dsl::Kind::Money ? Datum::Kind::Money : Datum::Kind::Number;
      out.number = *n;
      return out;
    }
    case dsl::Kind::String:
    case dsl::Kind::Symbol:
      if (d.kind != Document::Kind::String) return fail("a string");
      out.kind = type->kind == dsl::Kind::Symbol ? Datum::Kind::Symbol : Datum::Kind::String;
      out.text = d.text;
      return out;
    case dsl::Kind::List:
      if (d.kind != Document::Kind::Array) return fail("a list");
      out.kind = Datum::Kind::List;
      for (size_t i = 0; i < d.items.size(); ++i) {
        auto e = datum_from_json(d.items[i], type->elem, fmt::format("{}[{}]", path, i), src, diags);
        if (!e) return std::nullopt;
        out.items.push_back(std::move(*e));
      }
      return out;
    case dsl::Kind::Record:
      if (d.kind != Document::Kind::Object) return fail("an object");
      out.kind = Datum::Kind::Record;
      for (const auto& f : type->fields) {  // sorted by name, as Datum records are
        const Document* v = d.find(f.name);
        if (!v) return fail(fmt::format("an object with the field '{}'", f.name));
        auto e = datum_from_json(*v, f.type, path + "." + f.name, src, diags);
        if (!e) return std::nullopt;
        out.names.push_back(f.name);
        out.items.push_back(std::move(*e));
      }
      if (d.keys.size() != type->fields.size()) return fail(fmt::format("exactly the columns {}", dsl::to_string(type)));
      return out;
    default:
      return fail(dsl::to_string(type));
  }
}

// A table file in JSON (`merit import-cms --format json`): the keys of a YAML table file except
// `checks:` (the importer checks generated data itself). yaml-cpp builds a node per scalar, so
// CMS's full tables load several times faster from JSON.
void read_table_json(Layer& L, const fs::path& path, const Location& from) {
  auto text = read_file(path, L.diags, from);
  if (!text) return;
  auto src = dsl::Source::from_text(path.string(), std::move(*text));
  auto doc = parse_document(src, L.diags, "json");
  if (!doc) return;
  auto fail = [&](std::string message) {
    auto& d = L.diags.add(Code::BadTable, Location{src, {0, 1}}, std::move(message));
    d.help = "a JSON table file is {\"table\", \"key\", \"columns\", \"rows\"} plus doc, cite, note, source, override";
  };
  if (doc->kind != Document::Kind::Object) return fail("$: expected an object");
  static const std::vector<std::string> known = {"table", "doc", "cite", "note", "source", "override", "key", "columns", "rows"};
  for (const auto& k : doc->keys)
    if (std::find(known.begin(), known.end(), k) == known.end()) return fail(fmt::format("$.{}: unknown key", k));
  auto text_of = [&](const char* key) -> std::string {
    const Document* v = doc->find(key);
    return v && v->kind == Document::Kind::String ? v->text : std::string();
  };
  Parameter p;
  p.name = text_of("table");
  if (p.name.empty()) return fail("$.table: the table's name is missing");
  p.where = Location{src, {0, 1}};
  p.origin = L.name;
  p.doc = text_of("doc");
  p.note = text_of("note");
  if (const Document* c = doc->find("cite")) {
    if (c->kind == Document::Kind::String) p.citations.push_back(c->text);
    for (const auto& e : c->items) p.citations.push_back(e.text);
  }
  if (auto s = text_of("source"); !s.empty()) p.citations.push_back("data: " + s);
  const Document* ov = doc->find("override");
  bool is_override = ov && ov->kind == Document::Kind::Bool && ov->flag;
  const Document* key = doc->find("key");
  const Document* columns = doc->find("columns");
  const Document* rows = doc->find("rows");
  if (!key || key->kind != Document::Kind::Array || key->items.empty()) return fail("$.key: expected a list of column names");
  if (!columns || columns->kind != Document::Kind::Object) return fail("$.columns: expected an object of column types");
  if (!rows || rows->kind != Document::Kind::Array) return fail("$.rows: expected a list of rows");
  std::vector<dsl::Field> fields;
  for (size_t i = 0; i < columns->keys.size(); ++i) {
    auto tsrc = dsl::Source::from_text(fmt::format("{} $.columns.{}", path.string(), columns->keys[i]), columns->items[i].text);
    auto t = dsl::parse_type(tsrc, L.diags);
    if (!t) return;
    fields.push_back({columns->keys[i], *t});
  }
  dsl::Type row_type = dsl::types::record(std::move(fields));
  std::vector<std::string> keys;
  for (const auto& k : key->items) {
    if (dsl::field_index(row_type, k.text) < 0) return fail(fmt::format("$.key: '{}' is not a column", k.text));
    keys.push_back(k.text);
  }
  Datum t;
  t.kind = Datum::Kind::Table;
  t.names = keys;
  std::set<std::string> seen;
  for (size_t i = 0; i < rows->items.size(); ++i) {
    auto d = datum_from_json(rows->items[i], row_type, fmt::format("$.rows[{}]", i), src, L.diags);
    if (!d) return;
    std::string key_text;
    for (const auto& k : keys) key_text += to_string(d->items[static_cast<size_t>(dsl::field_index(row_type, k))]) + "|";
    if (!seen.insert(key_text).second) return fail(fmt::format("$.rows[{}]: two rows have the same key", i));
    t.items.push_back(std::move(*d));
  }
  p.value = std::move(t);
  p.type = dsl::types::table(row_type, keys);
  put_parameter(L, std::move(p), is_override);
}

// A data file holding one reference table (measures, benchmarks...).
void read_table_file(Layer& L, const fs::path& path, const Location& from) {
  if (path.extension() == ".json") return read_table_json(L, path, from);
  auto doc = load_yaml(path, L.diags, from);
  if (!doc) return;
  MapReader r(*doc, doc->root, path.filename().string(),
              {"table", "doc", "cite", "note", "source", "override", "key", "columns", "rows", "checks"}, L.diags);
  if (!r.ok()) return;
  Parameter p;
  auto name = r.string("table", true);
  if (!name) return;
  p.name = *name;
  p.where = where(*doc, *r.get("table"));
  p.origin = L.name;
  p.doc = r.string("doc").value_or("");
  p.note = r.string("note").value_or("");
  p.citations = citations_of(r);
  if (auto s = r.string("source")) p.citations.push_back("data: " + *s);
  bool is_override = r.boolean("override").value_or(false);
  // The table body is this same mapping's key/columns/rows.
  YAML::Node body(YAML::NodeType::Map);
  for (const auto& k : {"key", "columns", "rows"})
    if (const YAML::Node* n = r.get(k)) body[k] = *n;
  if (!r.get("key", true) || !r.get("rows", true)) return;
  dsl::Type ty;
  auto d = read_table(*doc, body, ty, L.diags);
  if (!d) return;
  p.value = std::move(*d);
  p.type = ty;
  DeclaredChecks dc{p.name, p.where, *doc, {}, {}};
  if (const YAML::Node* c = r.get("checks")) read_checks(*doc, *c, p.name, ty->elem, ty->keys, dc.checks, L.diags);
  put_parameter(L, std::move(p), is_override);
  if (dc.checks.empty()) return;
  for (const auto& row : *r.get("rows")) dc.rows.push_back(row);
  L.table_checks.push_back(std::move(dc));
}

template <typename T>
void put_named(Layer& L, std::vector<std::shared_ptr<T>>& into, std::shared_ptr<T> item,
               std::map<std::string, Location>& here, std::string_view what) {
  L.index();
  auto& positions = what == "function" ? L.fn_pos : L.def_pos;
  std::string q = item->qualified();
  Location at{item->source, item->name_span};
  auto pos = positions.find(q);
  auto it = pos == positions.end() ? into.end() : into.begin() + pos->second;
  bool inherited = it != into.end() && here.count(q) == 0;
  duplicate(L, here, q, at, what);
  if (item->is_override) {
    if (it == into.end()) {
      std::vector<std::string> cands;
      for (const auto& x : into) cands.push_back(x->qualified());
      auto& d = L.diags.add(Code::OverrideOfNothing, at,
                            fmt::format("'{}' overrides a {} that the base policy does not define", q, what));
      if (auto s = dsl::did_you_mean(q, cands); !s.empty())
        d.help = fmt::format("did you mean '{}'?", s);
      else
        d.help = "remove 'override' to add a new one";
      return;
    }
    *it = std::move(item);
    return;
  }
  if (inherited) {
    auto& d = L.diags.add(Code::ImplicitOverride, at,
                          fmt::format("'{}' is inherited from the base policy; redefining it needs 'override'", q),
                          fmt::format("write: override {} {} ...", what == "function" ? "fn" : "def", (*it)->name));
    d.notes.push_back({Location{(*it)->source, (*it)->name_span}, "inherited definition"});
    return;
  }
  if (it != into.end()) return;  // duplicate within the layer, already reported
  positions.emplace(q, into.size());
  into.push_back(std::move(item));
}

// Definitions written in YAML: {module: m, definitions: {name: expr | {expr, doc, cite, note, type, override}}}
void read_yaml_rules(Layer& L, const YamlDoc& doc) {
  MapReader r(doc, doc.root, doc.source->name(), {"module", "doc", "definitions"}, L.diags);
  if (!r.ok()) return;
  std::string module = r.string("module").value_or("");
  const YAML::Node* defs = r.get("definitions", true);
  if (!defs) return;
  MapReader m(doc, *defs, "'definitions'", {}, L.diags);
  for (const auto& [k, v] : m.pairs()) {
    auto d = std::make_shared<dsl::Definition>();
    d->module = module;
    d->name = k.Scalar();
    d->source = doc.source;
    Location at = where(doc, k);
    d->name_span = at.span;
    const YAML::Node* expr = &v;
    MapReader dr(doc, v.IsMap() ? v : YAML::Node(YAML::NodeType::Map), fmt::format("definition '{}'", d->name),
                 {"expr", "doc", "cite", "note", "type", "override"}, L.diags);
    if (v.IsMap()) {
      expr = dr.get("expr", true);
      if (!expr) continue;
      d->doc = dr.string("doc").value_or("");
      d->note = dr.string("note").value_or("");
      d->citations = dr.strings("cite");
      d->is_override = dr.boolean("override").value_or(false);
      if (const YAML::Node* t = dr.get("type"))
        if (auto ty = read_type(doc, *t, L.diags)) d->declared = *ty;
    }
    if (!expect_scalar(doc, *expr, "an expression", L.diags)) continue;
    d->body_source = embedded_source(doc, *expr);
    d->body = dsl::parse_expression(d->body_source, L.diags);
    if (!d->body) continue;
    put_named(L, L.policy.definitions, std::move(d), L.defs_here, "definition");
  }
}

void read_rule_file(Layer& L, const fs::path& path, const Location& from) {
  auto text = read_file(path, L.diags, from);
  if (!text) return;
  auto src = dsl::Source::from_text(path.string(), std::move(*text));
  std::string ext = path.extension().string();
  if (ext == ".yaml" || ext == ".yml") {
    if (auto doc = parse_yaml(src, L.diags)) read_yaml_rules(L, *doc);
    return;
  }
  dsl::RuleFile file = dsl::parse_rule_file(src, L.diags);
  for (auto& d : file.definitions) put_named(L, L.policy.definitions, d, L.defs_here, "definition");
  for (auto& f : file.functions) put_named(L, L.policy.functions, f, L.fns_here, "function");
}

void read_inputs(Layer& L, const YamlDoc& doc, const YAML::Node& node) {
  MapReader m(doc, node, "'inputs'", {}, L.diags);
  for (const auto& [k, v] : m.pairs()) {
    InputDecl in;
    in.name = k.Scalar();
    in.where = where(doc, k);
    const YAML::Node* type_node = &v;
    std::optional<MapReader> r;  // outlives the if: type_node points into it
    if (v.IsMap()) {
      r.emplace(doc, v, fmt::format("input '{}'", in.name), std::vector<std::string>{"type", "doc", "optional"}, L.diags);
      type_node = r->get("type", true);
      in.doc = r->string("doc").value_or("");
      in.optional = r->boolean("optional").value_or(false);
      if (!type_node) continue;
    }
    auto t = read_type(doc, *type_node, L.diags);
    if (!t) continue;
    in.type = *t;
    auto it = std::find_if(L.policy.inputs.begin(), L.policy.inputs.end(), [&](auto& x) { return x.name == in.name; });
    if (it != L.policy.inputs.end())
      *it = std::move(in);  // a later layer may redeclare an input (documented in docs/policy-format.md)
    else
      L.policy.inputs.push_back(std::move(in));
  }
}

void read_arithmetic(Layer& L, const YamlDoc& doc, const YAML::Node& node) {
  MapReader r(doc, node, "'arithmetic'", {"division_scale", "division_rounding", "rounding"}, L.diags);
  if (auto s = r.integer("division_scale")) {
    if (*s < 0 || *s > dsl::Decimal::kMaxScale)
      L.diags.add(Code::BadPolicySetting, where(doc, *r.get("division_scale")),
                  fmt::format("division_scale must be between 0 and {}", dsl::Decimal::kMaxScale));
    else
      L.policy.arithmetic.division_scale = static_cast<int>(*s);
  }
  for (auto [key, target] : {std::pair{"division_rounding", &L.policy.arithmetic.division_rounding},
                             std::pair{"rounding", &L.policy.arithmetic.default_rounding}}) {
    if (auto s = r.string(key)) {
      if (auto m = dsl::rounding_from_name(*s))
        *target = *m;
      else
        L.diags.add(Code::BadPolicySetting, where(doc, *r.get(key)), fmt::format("unknown rounding mode '{}'", *s),
                    "modes: half_up, half_even, half_down, down, up, floor, ceiling");
    }
  }
}

template <typename T, typename Name>
void remove_named(Layer& L, std::vector<T>& v, const std::string& name, const Location& at, std::string_view what,
                  Name name_of) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& x) { return name_of(x) == name; });
  if (it == v.end()) {
    std::vector<std::string> cands;
    for (const auto& x : v) cands.push_back(name_of(x));
    auto& d = L.diags.add(Code::RemoveOfNothing, at, fmt::format("cannot remove {} '{}': the base does not define it", what, name));
    if (auto s = dsl::did_you_mean(name, cands); !s.empty()) d.help = fmt::format("did you mean '{}'?", s);
    return;
  }
  v.erase(it);
}

void read_removals(Layer& L, const YamlDoc& doc, const YAML::Node& node) {
  MapReader r(doc, node, "'remove'", {"definitions", "functions", "parameters", "inputs"}, L.diags);
  auto each = [&](const char* key, auto&& fn) {
    if (const YAML::Node* n = r.get(key)) {
      if (!n->IsSequence()) {
        L.diags.add(Code::YamlWrongType, where(doc, *n), fmt::format("'remove.{}' must be a list of names", key));
        return;
      }
      for (const auto& e : *n)
        if (expect_scalar(doc, e, "a name to remove", L.diags)) fn(e.Scalar(), where(doc, e));
    }
  };
  each("definitions", [&](const std::string& n, const Location& at) {
    remove_named(L, L.policy.definitions, n, at, "definition", [](const auto& d) { return d->qualified(); });
  });
  each("functions", [&](const std::string& n, const Location& at) {
    remove_named(L, L.policy.functions, n, at, "function", [](const auto& f) { return f->qualified(); });
  });
  each("parameters", [&](const std::string& n, const Location& at) {
    remove_named(L, L.policy.parameters, n, at, "parameter", [](const Parameter& p) { return p.name; });
  });
  each("inputs", [&](const std::string& n, const Location& at) {
    remove_named(L, L.policy.inputs, n, at, "input", [](const InputDecl& i) { return i.name; });
  });
}

Policy load_layer(const fs::path& dir, Diagnostics& diags, const LoadOptions& opts, std::vector<fs::path>& chain,
                  const Location& from, const std::string* given_text = nullptr) {
  Policy policy;
  fs::path file = dir / "policy.yaml";
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(dir, ec);
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    diags.add(Code::ExtendsCycle, from, fmt::format("policies extend each other in a cycle through '{}'", dir.string()),
              "one policy must be the base of the others and extend nothing");
    return policy;
  }
  if (chain.size() >= opts.max_extends_depth) {
    diags.add(Code::ExtendsCycle, from, "policies extend each other too deeply");
    return policy;
  }
  if (!given_text && !fs::exists(file, ec)) {
    diags.add(from.valid() ? Code::UnknownBase : Code::IoError, from,
              fmt::format("no policy at '{}' (missing {})", dir.string(), file.string()),
              "a policy directory holds a policy.yaml");
    return policy;
  }
  chain.push_back(canonical);
  auto doc = given_text ? parse_yaml(dsl::Source::from_text(file.string(), *given_text), diags)
                        : load_yaml(file, diags, from);
  if (!doc) return policy;
  MapReader r(*doc, doc->root, "policy.yaml", kPolicyKeys, diags);
  if (!r.ok()) return policy;

  if (auto ext = r.string("extends")) {
    Location at = where(*doc, *r.get("extends"));
    fs::path base = resolve_extends(dir, *ext);
    if (!fs::exists(base / "policy.yaml", ec)) {
      std::vector<std::string> known;
      for (const auto& e : fs::directory_iterator(dir.parent_path(), ec))
        if (fs::exists(e.path() / "policy.yaml", ec)) known.push_back(e.path().filename().string());
      std::sort(known.begin(), known.end());
      auto& d = diags.add(Code::UnknownBase, at, fmt::format("extends '{}', but there is no policy at '{}'", *ext, base.string()));
      d.help = known.empty() ? "name a sibling policy directory" : fmt::format("known policies: {}", fmt::join(known, ", "));
    } else {
      policy = load_layer(base, diags, opts, chain, at);
    }
  }

  Layer L{policy, diags, dir, r.string("name", true).value_or(dir.filename().string()), {}, {}, {}, {}, {}, {}, false};
  policy.name = L.name;
  policy.year = r.string("year").value_or(policy.year);
  policy.doc = r.string("doc").value_or(policy.doc);
  policy.layers.push_back(L.name);
  if (auto b = r.boolean("require_citations")) policy.require_citations = *b;
  if (auto b = r.boolean("strict_inputs")) policy.strict_inputs = *b;
  if (const YAML::Node* s = r.get("sources")) {
    if (!s->IsSequence()) {
      diags.add(Code::YamlWrongType, where(*doc, *s), "'sources' must be a list");
    } else {
      for (const auto& e : *s) {
        MapReader sr(*doc, e, "a source", {"id", "title", "cite", "url"}, diags);
        if (!sr.ok()) continue;
        policy.sources.push_back({sr.string("id").value_or(""), sr.string("title", true).value_or(""),
                                  sr.string("cite").value_or(""), sr.string("url").value_or("")});
      }
    }
  }
  if (const YAML::Node* a = r.get("arithmetic")) read_arithmetic(L, *doc, *a);
  if (const YAML::Node* s = r.get("submission")) read_submission_format(L, *doc, *s);
  // Named types first: inputs, parameters, tables and rules below may use them.
  dsl::TypeNamesScope type_scope(&policy.type_names);
  if (const YAML::Node* t = r.get("types")) read_type_names(L, *doc, *t);
  if (const YAML::Node* rm = r.get("remove")) read_removals(L, *doc, *rm);
  if (const YAML::Node* in = r.get("inputs")) read_inputs(L, *doc, *in);

  auto files = [&](const char* key, auto&& reader) {
    const YAML::Node* n = r.get(key);
    if (!n) return;
    if (!n->IsSequence()) {
      diags.add(Code::YamlWrongType, where(*doc, *n), fmt::format("'{}' must be a list of file paths", key));
      return;
    }
    for (const auto& e : *n)
      if (expect_scalar(*doc, e, "a file path", diags)) reader(L, dir / e.Scalar(), where(*doc, e));
  };
  files("parameters", read_parameter_file);
  files("tables", read_table_file);
  run_table_checks(L);  // after every table of the layer: a references check may name a later one
  files("rules", read_rule_file);

  if (const YAML::Node* o = r.get("outputs")) {
    policy.outputs = string_list(*doc, *o, "'outputs'", diags);
    policy.outputs_where = where(*doc, *o);
    // Where each entry is written, in the same order string_list() kept them.
    policy.output_where.clear();
    if (o->IsSequence()) {
      for (const auto& e : *o)
        if (e.IsScalar()) policy.output_where.push_back(where(*doc, e));
    } else if (o->IsScalar()) {
      policy.output_where.push_back(where(*doc, *o));
    }
  }
  chain.pop_back();
  return policy;
}

}  // namespace

Policy load_policy_text(const fs::path& dir, std::string text, Diagnostics& diags, const LoadOptions& opts) {
  std::vector<fs::path> chain;
  return load_layer(dir, diags, opts, chain, {}, &text);
}

Policy load_policy(const fs::path& dir, Diagnostics& diags, const LoadOptions& opts) {
  std::vector<fs::path> chain;
  return load_layer(dir, diags, opts, chain, {});
}

}  // namespace merit::engine
