#include "engine/loader.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "dsl/parser.hpp"
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
                                              "remove", "require_citations", "strict_inputs", "submission"};

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

// A data file holding one reference table (measures, benchmarks...).
void read_table_file(Layer& L, const fs::path& path, const Location& from) {
  auto doc = load_yaml(path, L.diags, from);
  if (!doc) return;
  MapReader r(*doc, doc->root, path.filename().string(),
              {"table", "doc", "cite", "note", "source", "override", "key", "columns", "rows"}, L.diags);
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
  put_parameter(L, std::move(p), is_override);
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
