#include "engine/report.hpp"

#include <cstdlib>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace merit::engine {

using nlohmann::json;

namespace {

std::vector<int> shown(const Program& p, const Outcome& o, const ReportOptions& opts) {
  if (!opts.rules.empty()) return opts.rules;
  std::vector<int> v;
  for (int d : p.order())
    if (p.definitions()[d].is_output && o.state[d] != Outcome::State::NotEvaluated) v.push_back(d);
  return v;
}

size_t significant_digits(const dsl::Decimal& d) {
  std::string s = d.normalized().abs().to_string();
  size_t n = 0;
  bool leading = true;
  for (char c : s) {
    if (c == '.') continue;
    if (leading && c == '0') continue;
    leading = false;
    ++n;
  }
  return n;
}

// An exact decimal for JSON: a number when a double carries every digit (<= 15 significant
// digits), else a string, so that no digit is ever lost on the way out.
json decimal_json(const dsl::Decimal& d) {
  dsl::Decimal n = d.normalized();
  if (auto i = n.to_int64(); i && n.scale() == 0) return json(*i);
  std::string s = n.to_string();
  if (significant_digits(d) <= 15) return json(std::strtod(s.c_str(), nullptr));
  return json(s);
}

json value_json(const Value& v, const dsl::Type& t) {
  switch (v.kind) {
    case ValueKind::Missing: return nullptr;
    case ValueKind::Bool: return v.flag;
    case ValueKind::Number:
    case ValueKind::Money: return decimal_json(v.number);
    case ValueKind::String: return std::string(v.text());
    case ValueKind::Symbol: return ":" + std::string(v.text());
    case ValueKind::List: {
      json a = json::array();
      for (uint32_t i = 0; i < v.size; ++i) a.push_back(value_json(v.items[i], t && t->kind == dsl::Kind::List ? t->elem : nullptr));
      return a;
    }
    case ValueKind::Record: {
      json o = json::object();
      for (uint32_t i = 0; i < v.size; ++i) {
        bool named = t && t->kind == dsl::Kind::Record && i < t->fields.size();
        o[named ? t->fields[i].name : fmt::format("_{}", i)] = value_json(v.items[i], named ? t->fields[i].type : nullptr);
      }
      return o;
    }
    case ValueKind::Table: return fmt::format("<table of {} rows>", v.table->rows.size());
  }
  return nullptr;
}

json error_json(const Program& p, const EvalError& e) {
  json j = {{"code", std::string(dsl::code_info(e.code).id)},
            {"definition", e.definition >= 0 ? p.definitions()[e.definition].name : ""},
            {"message", e.message},
            {"location", e.where.str()}};
  if (e.code == dsl::Code::FailedDependency && e.root_definition >= 0) {
    j["root_code"] = std::string(dsl::code_info(e.root_code).id);
    j["root_definition"] = p.definitions()[e.root_definition].name;
  }
  return j;
}

std::string value_text(const Program& p, const Outcome& o, int d) {
  if (o.state[d] == Outcome::State::Ok) return to_string(o.values[d], p.definitions()[d].type);
  if (o.state[d] == Outcome::State::Failed) {
    const EvalError& e = o.errors[o.error_of[d]];
    return fmt::format("<error {}>", dsl::code_info(e.code).id);
  }
  return "<not evaluated>";
}

}  // namespace

std::string render_value_json(const Value& v, const dsl::Type& type) { return value_json(v, type).dump(); }

std::string json_number(const dsl::Decimal& d) { return decimal_json(d).dump(); }

dsl::Diagnostics eval_diagnostics(const Program& p, const Outcome& o) {
  dsl::Diagnostics diags(1000);
  for (const auto& e : o.errors) {
    if (e.code == dsl::Code::FailedDependency) continue;
    auto& d = diags.add(e.code, e.where, fmt::format("in '{}': {}", p.definitions()[e.definition].name, e.message));
    for (const auto& other : o.errors)
      if (other.code == dsl::Code::FailedDependency && other.root_definition == e.definition && other.definition != e.definition)
        d.notes.push_back({{}, fmt::format("'{}' failed because it reads this (error[{}])", p.definitions()[other.definition].name,
                                              dsl::code_info(dsl::Code::FailedDependency).id)});
    switch (e.code) {
      case dsl::Code::MissingInput: d.help = "supply the field, or give a fallback with '??', e.g. input.x ?? 0"; break;
      case dsl::Code::TableMiss: d.help = "add a row for this key, or give a fallback with '??'"; break;
      case dsl::Code::DivisionByZero: d.help = "guard the division, e.g. if d == 0 then 0 else n / d"; break;
      case dsl::Code::EmptyCollection: d.help = "check count(list) > 0 first, or use sum(), which is 0 for an empty list"; break;
      default: break;
    }
  }
  return diags;
}

std::string render_text(const Program& p, const Outcome& o, const ReportOptions& opts) {
  std::vector<int> rows = shown(p, o, opts);
  size_t width = 0;
  for (int d : rows) width = std::max(width, p.definitions()[d].name.size());
  std::string out;
  for (int d : rows) out += fmt::format("{:<{}} = {}\n", p.definitions()[d].name, width, value_text(p, o, d));
  return out;
}

std::string render_json(const Program& p, const Outcome& o, const ReportOptions& opts) {
  json j;
  j["policy"] = p.policy_name();
  if (!p.year().empty()) j["year"] = p.year();
  json results = json::object();
  for (int d : shown(p, o, opts)) {
    const auto& def = p.definitions()[d];
    if (o.state[d] == Outcome::State::Ok) results[def.name] = value_json(o.values[d], def.type);
    else results[def.name] = nullptr;
  }
  j["results"] = results;
  json errors = json::array();
  for (const auto& e : o.errors) errors.push_back(error_json(p, e));
  j["errors"] = errors;
  if (!o.trace.steps.empty()) j["trace"] = json::parse(render_trace_json(p, o));
  // Strings from inputs may hold invalid UTF-8: replace it rather than throw type_error 316.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_trace_json(const Program& p, const Outcome& o) {
  json steps = json::array();
  for (const auto& s : o.trace.steps) {
    const auto& d = p.definitions()[s.definition];
    json j = {{"definition", d.name}, {"location", d.where.str()}, {"citations", d.citations}};
    if (o.state[s.definition] == Outcome::State::Ok) j["value"] = value_json(o.values[s.definition], d.type);
    else if (o.state[s.definition] == Outcome::State::Failed) j["error"] = error_json(p, o.errors[o.error_of[s.definition]]);
    json reads = json::array();
    for (int r : s.definitions_read) reads.push_back(p.definitions()[r].name);
    j["reads"] = reads;
    json params = json::array();
    for (int r : s.parameters_read) {
      const auto& pp = p.parameters()[r];
      params.push_back({{"name", pp.name}, {"value", value_json(p.constants()[pp.constant], pp.type)}, {"citations", pp.citations}});
      if (!pp.note.empty()) params.back()["note"] = pp.note;
    }
    j["parameters"] = params;
    json inputs = json::array();
    for (int fi : s.inputs_read) {
      const auto& f = p.input_type()->fields[fi];
      const Value& v = o.input.items[fi];
      inputs.push_back({{"name", f.name}, {"value", v.is_missing() ? json(nullptr) : value_json(v, f.type)}});
    }
    j["inputs"] = inputs;
    if (!d.note.empty()) j["note"] = d.note;
    steps.push_back(j);
  }
  return steps.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Long values (a whole submission, a list of scored measures) are cut in the tree so that it
// stays readable; `merit eval --format json` and `merit score --format json` show them whole.
std::string clip(std::string text) {
  constexpr size_t kMax = 240;
  if (text.size() <= kMax) return text;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return fmt::format("{} … ({} more characters)", text.substr(0, cut), text.size() - cut);
}

std::string render_explanation(const Program& p, const Outcome& o, const std::vector<int>& rules) {
  std::vector<const TraceStep*> step_of(p.definitions().size(), nullptr);
  for (const auto& s : o.trace.steps) step_of[s.definition] = &s;
  std::string out;
  std::set<int> printed;
  auto cite = [](const std::vector<std::string>& c) {
    return c.empty() ? std::string() : fmt::format("  [{}]", fmt::join(c, "; "));
  };
  std::function<void(int, const std::string&, bool, bool)> node = [&](int d, const std::string& prefix, bool last,
                                                                     bool root) {
    const auto& def = p.definitions()[d];
    std::string branch = root ? "" : (last ? "└─ " : "├─ ");
    bool again = printed.count(d) > 0;
    out += fmt::format("{}{}{} = {}{}{}\n", prefix, branch, def.name, clip(value_text(p, o, d)), cite(def.citations),
                       again ? "  (see above)" : "");
    if (again) return;
    printed.insert(d);
    std::string child_prefix = root ? "" : prefix + (last ? "   " : "│  ");
    if (!def.note.empty()) out += fmt::format("{}   note: {}\n", child_prefix, def.note);
    if (o.state[d] == Outcome::State::Failed) {
      const EvalError& e = o.errors[o.error_of[d]];
      out += fmt::format("{}   error[{}] at {}: {}\n", child_prefix, dsl::code_info(e.code).id, e.where.str(), e.message);
    }
    const TraceStep* s = step_of[d];
    if (!s) return;
    size_t n = s->inputs_read.size() + s->parameters_read.size() + s->definitions_read.size();
    size_t k = 0;
    for (int fi : s->inputs_read) {
      const auto& f = p.input_type()->fields[fi];
      bool is_last = ++k == n;
      const Value& v = o.input.items[fi];
      out += fmt::format("{}{}input {} = {}\n", child_prefix, is_last ? "└─ " : "├─ ", f.name,
                         v.is_missing() ? "missing" : clip(to_string(v, f.type)));
    }
    for (int pi : s->parameters_read) {
      const auto& pp = p.parameters()[pi];
      bool is_last = ++k == n;
      out += fmt::format("{}{}param {} = {}{}\n", child_prefix, is_last ? "└─ " : "├─ ", pp.name,
                         clip(to_string(p.constants()[pp.constant], pp.type)), cite(pp.citations));
      // The doubt behind a number ([U] marks) is shown next to it.
      if (!pp.note.empty())
        out += fmt::format("{}{}   note: {}\n", child_prefix, is_last ? "   " : "│  ", pp.note);
    }
    for (int r : s->definitions_read) node(r, child_prefix, ++k == n, false);
  };
  for (int r : rules) {
    if (!out.empty()) out += "\n";
    node(r, "", true, true);
  }
  return out;
}

std::string render_dot(const Program& p, const std::vector<int>& rules) {
  std::vector<int> defs = rules.empty() ? p.order() : p.closure(rules);
  std::set<int> in(defs.begin(), defs.end());
  std::string out = fmt::format("digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
                                p.policy_name());
  std::set<int> params;
  for (int d : defs) {
    const auto& def = p.definitions()[d];
    std::string tip = def.citations.empty() ? def.doc : fmt::format("{}", fmt::join(def.citations, "; "));
    for (auto& c : tip)
      if (c == '"') c = '\'';
    out += fmt::format("  \"{}\" [tooltip=\"{}\"{}];\n", def.name, tip, def.is_output ? ", style=bold" : "");
    for (int r : def.reads_definitions)
      if (in.count(r)) out += fmt::format("  \"{}\" -> \"{}\";\n", p.definitions()[r].name, def.name);
    for (int pi : def.reads_parameters) {
      params.insert(pi);
      out += fmt::format("  \"param.{}\" -> \"{}\";\n", p.parameters()[pi].name, def.name);
    }
  }
  for (int pi : params)
    out += fmt::format("  \"param.{}\" [shape=note, color=gray40];\n", p.parameters()[pi].name);
  out += "}\n";
  return out;
}

}  // namespace merit::engine
