// merit import-cms: CMS's qpp-measures-data files -> the policy's reference tables.
// In:  measures-data.json (a flat array of measures: quality, ia, aci/pi, cost) and benchmarks.json
//      (a flat array of benchmark entries), both read with engine::parse_document, which keeps every
//      number's text. Formats: ../shared/reference/cms-data.md §2.1-2.2; tables: docs/inputs.md.
// Out: five YAML table files (import_file_names()), rows sorted by key, numbers copied from their
//      JSON text; with options.extends also a policy.yaml that makes the folder an overlay.
// Checks: C900 (missing field, wrong type), C901 (deciles not monotone in the measure's direction),
//      C902 (wrong number of deciles), C903 (warning: benchmark for a measure the measures file does
//      not list), C904 (duplicates), C905 (warning: a known published quirk, kept as published).
//      JSON documents carry no positions, so each diagnostic names the JSON path in its message and
//      the file in a note, as input errors do (engine/input.cpp, I801).
// Invariant: nothing is written unless the whole import succeeded; files are written to temporary
//      names and renamed into place at the end.
#include "engine/cms/import.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "engine/input.hpp"
#include "engine/loader.hpp"

namespace merit::engine::cms {

namespace fs = std::filesystem;
using dsl::Code;

namespace {

// Published CMS data quirks, kept as published: a benchmark whose deciles break the monotone
// check (C901) is reported as C905 (a warning) instead when it is listed here, and the table file
// exempts its row from the `monotone` check with this text as the note. Matched by performance
// year, measure id and submission method. Source: ../shared/reference/cms-data.md §2.1,
// "Data quirks worth tests".
struct KnownQuirk {
  int year;
  std::string_view measure;
  std::string_view method;
  std::string_view what;
};
constexpr KnownQuirk kKnownQuirks[] = {
    {2017, "AQI18", "registry",
     "CMS publishes AQI18 as inverse (isInverse) but its 2017 registry deciles increase (cms-data.md §2.1)"},
    {2018, "CAHPS_9", "certifiedSurveyVendor",
     "CMS publishes CAHPS_9's 2018 deciles out of order (93.55, 92.24, 94.7; cms-data.md §2.1)"},
};

const KnownQuirk* find_quirk(int year, std::string_view measure, std::string_view method) {
  for (const auto& q : kKnownQuirks)
    if (q.year == year && q.measure == measure && q.method == method) return &q;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Reading JSON entries

// An exact decimal number's text: JSON text without an exponent is kept as written; an exponent
// moves the decimal point in the text. Nullopt when the value is not a representable Decimal.
std::optional<std::string> plain_number(const std::string& text) {
  auto e = text.find_first_of("eE");
  std::string out = text;
  if (e != std::string::npos) {
    std::string mant = text.substr(0, e);
    bool neg = !mant.empty() && mant[0] == '-';
    if (neg) mant.erase(0, 1);
    long exp = 0;
    try {
      exp = std::stol(text.substr(e + 1));
    } catch (...) {
      return std::nullopt;
    }
    if (exp > 60 || exp < -60) return std::nullopt;
    auto dot = mant.find('.');
    std::string digits = dot == std::string::npos ? mant : mant.substr(0, dot) + mant.substr(dot + 1);
    long point = static_cast<long>(dot == std::string::npos ? mant.size() : dot) + exp;
    if (point <= 0) {
      out = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
      out = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
    } else {
      out = digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
    }
    size_t nz = 0;  // leading zeros of the integer part (keep one)
    while (nz + 1 < out.size() && out[nz] == '0' && out[nz + 1] != '.') ++nz;
    out.erase(0, nz);
    if (out.find('.') != std::string::npos) {  // trailing fractional zeros the shift created
      while (out.back() == '0') out.pop_back();
      if (out.back() == '.') out.pop_back();
    }
    if (neg && out != "0") out = "-" + out;
  }
  if (!dsl::Decimal::parse(out)) return std::nullopt;
  return out;
}


// Reports problems in one JSON file: the JSON path in the message, the file in a note.
struct FileReport {
  dsl::SourcePtr source;
  dsl::Diagnostics& diags;
  dsl::Diagnostic& add(Code code, const std::string& path, const std::string& message, std::string help = {}) {
    auto& d = diags.add(code, {}, fmt::format("{}: {}", path, message), std::move(help));
    d.notes.push_back({{}, fmt::format("in {}", source->name())});
    return d;
  }
};

enum class Need { Required, Optional };

// One object of a JSON array, read field by field. A missing or mistyped field is C900; an
// optional field that is absent or null gives the documented default ("" / 0 / false / []).
struct Entry {
  const Document& doc;
  std::string path;
  FileReport& report;
  bool ok = true;

  // The field's value; null for an optional field that is absent or null, and for a required
  // field that is absent (reported). A required null is returned, for the caller's type check.
  const Document* field(const std::string& key, Need need) {
    const Document* f = doc.find(key);
    if (need == Need::Optional) return f && f->kind != Document::Kind::Null ? f : nullptr;
    if (!f) fail(path + "." + key, "required field is missing");
    return f;
  }
  void fail(const std::string& at, const std::string& message) {
    report.add(Code::CmsFormat, at, message);
    ok = false;
  }
  void wrong(const std::string& key, const Document& f, std::string_view expected) {
    fail(path + "." + key, fmt::format("expected {}, found {}", expected, describe(f)));
  }
  std::string text(const std::string& key, Need need = Need::Required) {
    const Document* f = field(key, need);
    if (!f) return "";
    if (f->kind != Document::Kind::String) {
      wrong(key, *f, "a string");
      return "";
    }
    return f->text;
  }
  bool flag(const std::string& key, Need need = Need::Required) {
    const Document* f = field(key, need);
    if (!f) return false;
    if (f->kind != Document::Kind::Bool) {
      wrong(key, *f, "true or false");
      return false;
    }
    return f->flag;
  }
  std::string number_at(const Document& f, const std::string& at) {
    if (f.kind != Document::Kind::Number) {
      fail(at, fmt::format("expected a number, found {}", describe(f)));
      return "0";
    }
    auto n = plain_number(f.text);
    if (!n) {
      fail(at, fmt::format("{} is not an exact decimal of at most 18 digits after the point", f.text));
      return "0";
    }
    return *n;
  }
  std::string number(const std::string& key, Need need = Need::Required) {
    const Document* f = field(key, need);
    return f ? number_at(*f, path + "." + key) : "0";
  }
  const Document* list(const std::string& key, Need need) {
    const Document* f = field(key, need);
    if (f && f->kind != Document::Kind::Array) {
      wrong(key, *f, "a list");
      return nullptr;
    }
    return f;
  }
  std::vector<std::string> texts(const std::string& key, Need need = Need::Required) {
    std::vector<std::string> out;
    if (const Document* f = list(key, need))
      for (size_t i = 0; i < f->items.size(); ++i) {
        if (f->items[i].kind == Document::Kind::String)
          out.push_back(f->items[i].text);
        else
          fail(fmt::format("{}.{}[{}]", path, key, i), fmt::format("expected a string, found {}", describe(f->items[i])));
      }
    return out;
  }
  std::vector<std::string> numbers(const std::string& key, Need need = Need::Required) {
    std::vector<std::string> out;
    if (const Document* f = list(key, need))
      for (size_t i = 0; i < f->items.size(); ++i) out.push_back(number_at(f->items[i], fmt::format("{}.{}[{}]", path, key, i)));
    return out;
  }
  // A list of objects, each with an optional string field `name` ("" when absent): quality
  // measures' strata.
  std::vector<std::string> names_of(const std::string& key) {
    std::vector<std::string> out;
    if (const Document* f = list(key, Need::Optional))
      for (size_t i = 0; i < f->items.size(); ++i) {
        std::string at = fmt::format("{}.{}[{}]", path, key, i);
        const Document& s = f->items[i];
        const Document* n = s.kind == Document::Kind::Object ? s.find("name") : nullptr;
        if (s.kind != Document::Kind::Object)
          fail(at, fmt::format("expected an object, found {}", describe(s)));
        else if (!n || n->kind == Document::Kind::Null)
          out.emplace_back();  // single-rate eCQMs list one unnamed stratum (its eMeasure UUIDs)
        else if (n->kind != Document::Kind::String)
          fail(at + ".name", fmt::format("expected a string, found {}", describe(*n)));
        else
          out.push_back(n->text);
      }
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// The tables, as YAML text

std::string yq(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}
std::string yaml_bool(bool b) { return b ? "true" : "false"; }
std::string yaml_strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + yq(v[i]);
  return out + "]";
}
std::string yaml_numbers(const std::vector<std::string>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); }

struct Column {
  std::string name;
  std::string type;
};

struct OutTable {
  std::string file;
  std::string name;
  std::string doc;
  std::string from;  // the input file the rows come from
  std::vector<std::string> key;
  std::vector<Column> columns;
  // Per row: the key values (for sorting) and the cells in column order, as YAML text.
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> rows;
  std::string checks;  // YAML text of a `checks:` block, or empty
  bool excerpt = false;

  void add(std::vector<std::string> key_values, std::vector<std::string> cells) {
    rows.emplace_back(std::move(key_values), std::move(cells));
  }
  // The same table as a JSON table file (docs/policy-format.md): the cells are already JSON
  // values except for YAML's \xNN escapes of control characters.
  std::string render_json(const ImportOptions& o, size_t selected) const {
    auto jq = [](const std::string& text) {
      std::string q = yq(text);
      for (size_t pos; (pos = q.find("\\x")) != std::string::npos;) q.replace(pos, 2, "\\u00");
      return q;
    };
    std::string source = fmt::format("CMSgov/qpp-measures-data {}, performance year {}", from, o.year);
    if (excerpt)
      source += fmt::format("; excerpt: only the measures named by --measures ({} id{})", selected, selected == 1 ? "" : "s");
    if (!o.source_note.empty()) source += "; " + o.source_note;
    std::string s = "{\n";
    s += fmt::format("\"table\": {},\n\"doc\": {},\n\"cite\": \"QMD\",\n\"source\": {},\n", jq(name), jq(doc), jq(source));
    if (o.override_tables) s += "\"override\": true,\n";
    std::vector<std::string> quoted_key;
    for (const auto& k : key) quoted_key.push_back(jq(k));
    s += fmt::format("\"key\": [{}],\n\"columns\": {{", fmt::join(quoted_key, ", "));
    for (size_t i = 0; i < columns.size(); ++i) s += fmt::format("{}{}: {}", i ? ", " : "", jq(columns[i].name), jq(columns[i].type));
    s += "},\n\"rows\": [";
    auto sorted = rows;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t r = 0; r < sorted.size(); ++r) {
      s += r ? ",\n  {" : "\n  {";
      for (size_t i = 0; i < columns.size(); ++i) {
        std::string cell = sorted[r].second[i];
        for (size_t pos; (pos = cell.find("\\x")) != std::string::npos;) cell.replace(pos, 2, "\\u00");
        s += fmt::format("{}{}: {}", i ? ", " : "", jq(columns[i].name), cell);
      }
      s += "}";
    }
    return s + "\n]}\n";
  }

  std::string render(const ImportOptions& o, size_t selected) const {
    if (o.json) return render_json(o, selected);
    std::string s = fmt::format(
        "# Generated by `merit import-cms` from CMS's qpp-measures-data ({}); edit the source data or\n"
        "# the importer rather than this file. Columns: docs/inputs.md, \"Reference tables\".\n",
        from);
    s += fmt::format("table: {}\n", name);
    s += fmt::format("doc: {}\n", yq(doc));
    s += "cite: \"QMD\"\n";
    std::string source = fmt::format("CMSgov/qpp-measures-data {}, performance year {}", from, o.year);
    if (excerpt)
      source += fmt::format("; excerpt: only the measures named by --measures ({} id{})", selected, selected == 1 ? "" : "s");
    if (!o.source_note.empty()) source += "; " + o.source_note;
    s += fmt::format("source: {}\n", yq(source));
    if (o.override_tables) s += "override: true\n";
    s += fmt::format("key: [{}]\n", fmt::join(key, ", "));
    s += "columns:\n";
    for (const auto& c : columns) s += fmt::format("  {}: {}\n", c.name, c.type.find('<') != std::string::npos ? yq(c.type) : c.type);
    s += checks;
    if (rows.empty()) return s + "rows: []\n";
    s += "rows:\n";
    auto sorted = rows;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [k, cells] : sorted) {
      s += "  - {";
      for (size_t i = 0; i < columns.size(); ++i) s += fmt::format("{}{}: {}", i ? ", " : "", columns[i].name, cells[i]);
      s += "}\n";
    }
    return s;
  }
};

// What the measures file says about a measure that benchmarks need.
struct MeasureInfo {
  std::string category;  // quality, cost, ia, aci/pi
  bool inverse = false;
  bool cost = false;     // category cost: benchmarks have 10 deciles
  size_t index = 0;      // position in the measures file
};

std::optional<Document> read_json(const fs::path& path, dsl::Diagnostics& diags, dsl::SourcePtr& source) {
  auto text = engine::read_file(path, diags);
  if (!text) return std::nullopt;
  source = dsl::Source::from_text(path.string(), std::move(*text));
  return parse_document(source, diags, "json");
}

bool write_all(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& files, dsl::Diagnostics& diags) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    diags.add(Code::IoError, {}, fmt::format("cannot create '{}': {}", dir.string(), ec.message()));
    return false;
  }
  std::vector<std::pair<fs::path, fs::path>> written;  // temp -> final
  auto discard = [&] {
    for (const auto& [tmp, final] : written) fs::remove(tmp, ec);
  };
  for (const auto& [name, text] : files) {
    fs::path final = dir / name;
    fs::path tmp = dir / fmt::format(".{}.tmp-import", name);
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      diags.add(Code::IoError, {}, fmt::format("cannot write '{}'", tmp.string()),
                "check that the output directory is writable");
      discard();
      return false;
    }
    written.emplace_back(tmp, final);
  }
  for (const auto& [tmp, final] : written) {
    fs::rename(tmp, final, ec);
    if (ec) {
      diags.add(Code::IoError, {}, fmt::format("cannot rename '{}' to '{}': {}", tmp.string(), final.string(), ec.message()));
      discard();
      return false;
    }
  }
  return true;
}

// The first pair of neighbouring deciles out of the wanted order: the index of the later one, or 0.
// `direction` > 0: non-decreasing; < 0: non-increasing.
size_t first_break(const std::vector<dsl::Decimal>& d, int direction) {
  for (size_t k = 1; k < d.size(); ++k) {
    int c = compare(d[k], d[k - 1]);
    if ((direction > 0 && c < 0) || (direction < 0 && c > 0)) return k;
  }
  return 0;
}

}  // namespace

std::vector<std::string> import_file_names(bool json) {
  std::vector<std::string> names = {"quality-measures", "quality-benchmarks", "ia-activities", "aci-measures", "cost-measures"};
  for (auto& n : names) n += json ? ".json" : ".yaml";
  return names;
}

bool import_cms(const fs::path& measures_json, const fs::path& benchmarks_json, const ImportOptions& options,
                const fs::path& out_dir, dsl::Diagnostics& diags) {
  size_t errors_before = diags.error_count();
  dsl::SourcePtr msrc, bsrc;
  auto mdoc = read_json(measures_json, diags, msrc);
  auto bdoc = read_json(benchmarks_json, diags, bsrc);
  if (!mdoc || !bdoc) return false;
  FileReport mrep{msrc, diags}, brep{bsrc, diags};
  std::string mname = measures_json.filename().string(), bname = benchmarks_json.filename().string();

  std::set<std::string> only(options.only_measures.begin(), options.only_measures.end());
  auto selected = [&](const std::string& id) { return only.empty() || only.count(id) > 0; };

  const std::vector<std::string> names = import_file_names(options.json);
  OutTable qm{names[0], "quality.measures", "", mname, {"id"}, {}, {}, {}, !only.empty()};
  qm.doc = fmt::format("Quality measures of performance year {}: one row per measure id.", options.year);
  qm.columns = {{"id", "string"},           {"title", "string"},          {"measure_type", "string"},
                {"high_priority", "bool"},  {"inverse", "bool"},          {"metric_type", "string"},
                {"overall_algorithm", "string"}, {"capped", "bool"},      {"methods", "list<string>"},
                {"strata", "list<string>"}, {"first_year", "number"},     {"last_year", "number"}};
  OutTable qb{names[1], "quality.benchmarks", "", bname, {"id", "method"}, {}, {}, {}, !only.empty()};
  qb.doc = fmt::format(
      "Benchmarks of performance year {}: per measure and submission method, the lower bounds of deciles 2 to 10 "
      "in the measure's better direction (10 values, deciles 1 to 10, for cost measures); inverse measures' "
      "deciles decrease.",
      options.year);
  qb.columns = {{"id", "string"},       {"method", "string"},     {"deciles", "list<number>"},
                {"topped_out", "bool"}, {"benchmark_year", "number"}, {"inverse", "bool"}};
  OutTable ia{names[2], "ia.activities", "", mname, {"id"}, {}, {}, {}, false};
  ia.doc = fmt::format("Improvement activities of performance year {}: one row per activity id.", options.year);
  ia.columns = {{"id", "string"},        {"title", "string"},       {"weight", "string"},     {"cehrt_eligible", "bool"},
                {"subcategory", "string"}, {"first_year", "number"}, {"last_year", "number"}};
  OutTable aci{names[3], "aci.measures", "", mname, {"id"}, {}, {}, {}, false};
  aci.doc = fmt::format(
      "Advancing Care Information / Promoting Interoperability measures of performance year {}: one row per "
      "measure id.",
      options.year);
  aci.columns = {{"id", "string"},          {"title", "string"},        {"metric_type", "string"},
                 {"weight", "number"},      {"required", "bool"},       {"bonus", "bool"},
                 {"reporting_category", "string"}, {"transition", "bool"}, {"objective", "string"},
                 {"substitutes", "list<string>"}, {"first_year", "number"}, {"last_year", "number"}};
  OutTable cost{names[4], "cost.measures", "", mname, {"id"}, {}, {}, {}, !only.empty()};
  cost.doc = fmt::format("Cost measures of performance year {}: one row per measure id.", options.year);
  cost.columns = {{"id", "string"}, {"title", "string"}, {"inverse", "bool"}, {"first_year", "number"}, {"last_year", "number"}};

  // --- measures-data.json
  std::map<std::string, MeasureInfo> measures;
  if (mdoc->kind != Document::Kind::Array) {
    mrep.add(Code::CmsFormat, "$", fmt::format("expected a list of measures, found {}", describe(*mdoc)));
    return false;
  }
  for (size_t i = 0; i < mdoc->items.size(); ++i) {
    const Document& m = mdoc->items[i];
    std::string path = fmt::format("$[{}]", i);
    if (m.kind != Document::Kind::Object) {
      mrep.add(Code::CmsFormat, path, fmt::format("expected a measure object, found {}", describe(m)));
      continue;
    }
    Entry e{m, path, mrep};
    std::string id = e.text("measureId");
    std::string category = e.text("category");
    if (!e.ok) continue;
    if (auto [it, fresh] = measures.try_emplace(id, MeasureInfo{category, false, false, i}); !fresh) {
      mrep.add(Code::CmsDuplicate, path + ".measureId",
               fmt::format("measure '{}' is listed twice (first at $[{}])", id, it->second.index),
               "keep one entry per measure id");
      continue;
    }
    MeasureInfo& info = measures[id];
    std::string title = e.text("title");
    std::string metric = e.text("metricType");
    std::string first = e.number("firstPerformanceYear", Need::Optional);
    std::string last = e.number("lastPerformanceYear", Need::Optional);
    if (category == "quality") {
      std::string measure_type = e.text("measureType");
      bool hp = e.flag("isHighPriority");
      bool inverse = e.flag("isInverse");
      std::string algorithm = e.text("overallAlgorithm", Need::Optional);
      bool capped = e.flag("isToppedOutByProgram", Need::Optional);
      auto methods = e.texts("submissionMethods", Need::Optional);
      auto strata = e.names_of("strata");
      info.inverse = inverse;  // (458, all-cause readmission, is a costScore quality measure with 9 deciles)
      if (e.ok && selected(id))
        qm.add({id}, {yq(id), yq(title), yq(measure_type), yaml_bool(hp), yaml_bool(inverse), yq(metric),
                      yq(algorithm), yaml_bool(capped), yaml_strings(methods), yaml_strings(strata), first, last});
    } else if (category == "ia") {
      std::string weight = "none";
      if (const Document* w = e.field("weight", Need::Optional)) {
        if (w->kind == Document::Kind::String && (w->text == "medium" || w->text == "high"))
          weight = w->text;
        else
          e.wrong("weight", *w, "\"medium\", \"high\" or null");
      }
      bool cehrt = e.flag("cehrtEligible", Need::Optional);
      std::string sub = e.text("subcategoryId", Need::Optional);
      if (e.ok)
        ia.add({id}, {yq(id), yq(title), yq(weight), yaml_bool(cehrt), yq(sub), first, last});
    } else if (category == "aci" || category == "pi") {
      std::string weight = e.number("weight", Need::Optional);
      bool required = e.flag("isRequired");
      bool bonus = e.flag("isBonus");
      std::string reporting = e.text("reportingCategory", Need::Optional);
      auto sets = e.texts("measureSets", Need::Optional);
      bool transition = std::find(sets.begin(), sets.end(), "transition") != sets.end();
      std::string objective = e.text("objective", Need::Optional);
      auto substitutes = e.texts("substitutes", Need::Optional);
      if (e.ok)
        aci.add({id}, {yq(id), yq(title), yq(metric), weight, yaml_bool(required), yaml_bool(bonus),
                       yq(reporting), yaml_bool(transition), yq(objective), yaml_strings(substitutes), first,
                       last});
    } else if (category == "cost") {
      bool inverse = e.flag("isInverse");
      info.inverse = inverse;
      info.cost = true;
      if (e.ok && selected(id)) cost.add({id}, {yq(id), yq(title), yaml_bool(inverse), first, last});
    } else {
      mrep.add(Code::CmsFormat, path + ".category",
               fmt::format("'{}' is not a category of the measures file", category),
               "categories: quality, ia, aci (2017), pi (2018 on), cost");
    }
  }

  // --- benchmarks.json
  if (bdoc->kind != Document::Kind::Array) {
    brep.add(Code::CmsFormat, "$", fmt::format("expected a list of benchmarks, found {}", describe(*bdoc)));
    return false;
  }
  std::map<std::pair<std::string, std::string>, size_t> seen_benchmarks;
  std::set<std::string> other_years;
  size_t this_year = 0;
  std::vector<std::string> monotone_allow, references_allow;  // YAML `allow:` entries
  std::set<std::string> unknown_referenced;
  for (size_t i = 0; i < bdoc->items.size(); ++i) {
    const Document& b = bdoc->items[i];
    std::string path = fmt::format("$[{}]", i);
    if (b.kind != Document::Kind::Object) {
      brep.add(Code::CmsFormat, path, fmt::format("expected a benchmark object, found {}", describe(b)));
      continue;
    }
    Entry e{b, path, brep};
    if (const Document* py = e.field("performanceYear", Need::Optional)) {
      std::string y = e.number_at(*py, path + ".performanceYear");
      if (!e.ok) continue;
      if (y != std::to_string(options.year)) {
        other_years.insert(y);
        continue;
      }
    }
    ++this_year;
    std::string id = e.text("measureId");
    std::string method = e.text("submissionMethod");
    std::vector<std::string> deciles = e.numbers("deciles");
    std::string benchmark_year = e.number("benchmarkYear");
    bool topped_out = e.flag("isToppedOut", Need::Optional);
    if (!e.ok) continue;
    if (auto [it, fresh] = seen_benchmarks.try_emplace({id, method}, i); !fresh) {
      brep.add(Code::CmsDuplicate, path,
               fmt::format("benchmark for measure '{}' and method '{}' is listed twice (first at $[{}])", id, method,
                           it->second),
               "keep one benchmark per measure and submission method");
      continue;
    }
    auto m = measures.find(id);
    const MeasureInfo* info = m != measures.end() && (m->second.category == "quality" || m->second.category == "cost")
                                  ? &m->second
                                  : nullptr;
    bool keep = selected(id);
    if (!info) {
      brep.add(Code::CmsUnknownMeasure, path + ".measureId",
               fmt::format("measure '{}' ({}) is not a quality or cost measure of {}; the row is kept with inverse "
                           "false",
                           id, method, mname),
               "CMS publishes some benchmarks for measures it no longer lists; the table's references check exempts it");
      if (keep) unknown_referenced.insert(id);
    }
    size_t want = info && info->cost ? 10 : 9;
    if (deciles.size() != want)
      brep.add(Code::CmsDecilesLength, path + ".deciles",
               fmt::format("expected {} deciles for {} measure '{}', found {}", want, info && info->cost ? "cost" : "quality",
                           id, deciles.size()),
               want == 10 ? "a cost benchmark lists the lower bounds of deciles 1 to 10"
                          : "a quality benchmark lists the lower bounds of deciles 2 to 10");
    std::vector<dsl::Decimal> values;
    for (const auto& d : deciles) values.push_back(*dsl::Decimal::parse(d));
    std::string key_yaml = fmt::format("[{}, {}]", yq(id), yq(method));
    if (info) {
      int direction = info->inverse ? -1 : 1;
      if (size_t k = first_break(values, direction)) {
        std::string what = fmt::format(
            "deciles of {} measure '{}' ({}) must {}, but deciles[{}] = {} is {} than deciles[{}] = {}",
            info->inverse ? "inverse" : "direct", id, method, info->inverse ? "not increase" : "not decrease", k,
            deciles[k], info->inverse ? "more" : "less", k - 1, deciles[k - 1]);
        if (const KnownQuirk* q = find_quirk(options.year, id, method)) {
          brep.add(Code::CmsKnownQuirk, path + ".deciles", fmt::format("{}; kept as published", what),
                   std::string(q->what));
          if (keep) monotone_allow.push_back(fmt::format("{{key: {}, note: {}}}", key_yaml, yq(q->what)));
        } else {
          brep.add(Code::CmsDecilesOrder, path + ".deciles", what,
                   info->inverse ? "an inverse measure's deciles go from the highest (worst) rate down"
                                 : "a measure's deciles go from the lowest rate up; for an inverse measure set "
                                   "isInverse in the measures file");
        }
      }
    } else if (first_break(values, 1) && first_break(values, -1)) {
      brep.add(Code::CmsDecilesOrder, path + ".deciles",
               fmt::format("deciles of measure '{}' ({}) neither increase nor decrease: deciles[{}] = {} after "
                           "deciles[{}] = {}",
                           id, method, first_break(values, 1), deciles[first_break(values, 1)],
                           first_break(values, 1) - 1, deciles[first_break(values, 1) - 1]),
               "deciles are monotone: increasing for direct measures, decreasing for inverse ones");
    } else if (first_break(values, 1) && keep) {
      // Decreasing, but with no measure entry its direction is unknown: the row says inverse
      // false, so the monotone check exempts it.
      monotone_allow.push_back(fmt::format(
          "{{key: {}, note: {}}}", key_yaml,
          yq(fmt::format("{} does not list the measure, so the row's inverse is false; CMS's deciles decrease", mname))));
    }
    if (keep)
      qb.add({id, method}, {yq(id), yq(method), yaml_numbers(deciles), yaml_bool(topped_out), benchmark_year,
                            yaml_bool(info && info->inverse)});
  }
  if (this_year == 0 && !other_years.empty())
    brep.add(Code::CmsFormat, "$",
             fmt::format("no benchmark is for performance year {} (the entries are for {})", options.year,
                         fmt::join(other_years, ", ")),
             "check the year argument, and that the two files are of the same year");

  for (const auto& id : only) {
    auto m = measures.find(id);
    if (m == measures.end() || (m->second.category != "quality" && m->second.category != "cost"))
      diags.add(Code::CmsUnknownMeasure, {},
                fmt::format("the measure '{}' to keep (--measures) is not a quality or cost measure of {}", id, mname),
                "IA and ACI/PI tables are always complete; name quality and cost measure ids");
  }
  if (diags.error_count() > errors_before) return false;

  // The benchmarks table's declared checks (docs/policy-format.md#declared-checks): the loader
  // verifies them whenever the policy is loaded, so a hand edit cannot break them silently.
  std::string& c = qb.checks;
  c = "checks:\n";
  c += "  - {length: deciles, in: [9, 10]}\n";
  c += "  - monotone: deciles\n    direction_from: inverse\n";
  if (!monotone_allow.empty()) {
    c += "    allow:\n";
    for (const auto& a : monotone_allow) c += "      - " + a + "\n";
  }
  // Cost benchmarks are rows of this table, but their measures are in cost.measures.
  c += "  - references: [quality.measures, cost.measures]\n    column: id\n";
  if (!unknown_referenced.empty()) {
    c += "    allow:\n";
    for (const auto& id : unknown_referenced)
      c += fmt::format("      - {{key: [{}], note: {}}}\n", yq(id),
                       yq(fmt::format("CMS publishes benchmarks for this measure, but {} does not list it", mname)));
  }

  std::vector<std::pair<std::string, std::string>> files;
  size_t n_selected = only.size();
  for (const OutTable* t : {&qm, &qb, &ia, &aci, &cost}) files.emplace_back(t->file, t->render(options, n_selected));
  if (!options.extends.empty()) {
    std::string p = fmt::format(
        "# Generated by `merit import-cms`: the {} reference tables from CMS's qpp-measures-data, as a layer\n"
        "# over the policy it extends (docs/policy-format.md, \"Inheritance\").\n",
        options.year);
    p += fmt::format("name: {}\n", yq(fmt::format("{}-qpp-measures-data", options.year)));
    p += fmt::format("doc: {}\n",
                     yq(fmt::format("The {} policy with its reference tables imported from {} and {}.",
                                        options.year, mname, bname)));
    p += fmt::format("extends: {}\n", yq(options.extends));
    p += "tables:\n";
    for (const auto& n : names) p += fmt::format("  - {}\n", n);
    files.emplace_back("policy.yaml", p);
  }
  return write_all(out_dir, files, diags);
}

}  // namespace merit::engine::cms
