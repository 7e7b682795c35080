// The QPP Submissions API JSON -> the policy's submission inputs (see submission.hpp and
// docs/inputs.md "The submission"). One pass over the document: every problem is reported
// (I801 wrong type, I802 missing field, I804 unknown category, I805 unknown measure, I806 other
// year, I807 bad counts, I808 duplicate measure), the normalised fields are built alongside and
// appended to `out` only when nothing was wrong.
#include "engine/cms/submission.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/cms/tables.hpp"

namespace merit::engine::cms {

namespace {

using dsl::Code;
using dsl::Decimal;
using DK = Document::Kind;

// ---- output documents ---------------------------------------------------------------------

Document make(DK kind, size_t fields = 0) {
  Document d;
  d.kind = kind;
  d.keys.reserve(fields);
  d.items.reserve(fields);
  return d;
}
Document str_doc(std::string text) {
  Document d = make(DK::String);
  d.quoted = true;  // always text, never read as a number
  d.text = std::move(text);
  return d;
}
Document num_doc(std::string text) {
  Document d = make(DK::Number);
  d.text = std::move(text);
  return d;
}
Document bool_doc(bool v) {
  Document d = make(DK::Bool);
  d.flag = v;
  return d;
}
void put(Document& object, std::string key, Document value) {
  object.keys.push_back(std::move(key));
  object.items.push_back(std::move(value));
}

// ---- reading numbers exactly --------------------------------------------------------------

// A JSON number's text (exponents allowed) as a Decimal, exactly as engine/input.cpp reads it
// when the field is bound, so that what this reader accepts the binder accepts too.
// A number read from the document: its value and the text the output keeps.
struct Num {
  Decimal value;
  std::string text;
};

// ---- the measure's metric type and the value's shape --------------------------------------

enum class Shape { Unknown, Boolean, Proportion, NonProportion, Single, Multi, Cahps };

// qpp-measures-data metricType -> the shape its value has in a submission.
Shape shape_of_metric(std::string_view m) {
  if (m == "boolean") return Shape::Boolean;
  if (m == "proportion") return Shape::Proportion;
  if (m == "nonProportion") return Shape::NonProportion;
  if (m == "singlePerformanceRate" || m == "registrySinglePerformanceRate") return Shape::Single;
  if (m == "multiPerformanceRate" || m == "registryMultiPerformanceRate") return Shape::Multi;
  if (m == "cahps") return Shape::Cahps;
  return Shape::Unknown;
}

constexpr const char* kMet = "performanceMet";
constexpr const char* kNotMet = "performanceNotMet";
constexpr const char* kEligible = "eligiblePopulation";
constexpr const char* kExclusion = "eligiblePopulationExclusion";
constexpr const char* kException = "eligiblePopulationException";

bool present(const Document& object, std::string_view key) {
  const Document* v = object.find(key);
  return v && v->kind != DK::Null;
}


std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// ---- the reader ---------------------------------------------------------------------------

class Reader {
 public:
  Reader(const Policy& policy, const dsl::SourcePtr& source, dsl::Diagnostics& diags, const MeasureIndex* index)
      : policy_(policy), index_(index), src_(source), diags_(diags) {
    if (auto y = Decimal::parse(policy.year)) year_ = y->to_int64();
  }

  bool ok() const { return ok_; }

  // The submission object at `path`; fills the three output fields.
  void read(const Document& root, const std::string& path, Document& entity, Document& year, Document& sets) {
    if (root.kind != DK::Object) {
      error(Code::InputType, root, fmt::format("{}: expected an object (a QPP submission), found {}", path, describe(root)),
            "a submission is an object with entityType, performanceYear and measurementSets");
      return;
    }
    if (const Document* e = require(root, "entityType", path)) {
      if (auto s = string_of(*e, path + ".entityType")) entity = str_doc(*s);
    }
    if (const Document* y = require(root, "performanceYear", path)) {
      std::string yp = path + ".performanceYear";
      if (auto n = number_of(*y, yp, true)) {
        year = num_doc(n->text);
        if (year_ && !(n->value == Decimal::from_int(*year_)))
          error(Code::WrongYear, *y, fmt::format("{}: {}, but the policy is for {}", yp, n->text, *year_),
                fmt::format("read it with the {} policy, or correct performanceYear", n->text));
      }
    }
    if (const Document* m = require(root, "measurementSets", path)) {
      std::string mp = path + ".measurementSets";
      if (m->kind != DK::Array) {
        type_error(*m, mp, "a list");
      } else {
        for (size_t i = 0; i < m->items.size(); ++i) {
          Document set = read_set(m->items[i], fmt::format("{}[{}]", mp, i));
          if (ok_) sets.items.push_back(std::move(set));
        }
      }
    }
  }

 private:
  const Policy& policy_;
  const MeasureIndex* index_;  // may be null: then tables are scanned
  const dsl::SourcePtr& src_;
  dsl::Diagnostics& diags_;
  std::optional<int64_t> year_;
  bool ok_ = true;

  dsl::Location location(const Document& d) const {
    if (!d.has_offset || !src_) return {};
    return {src_, {d.offset, d.offset + 1}};
  }

  // One error at `at` (the file is named in a note when the document has no positions: JSON).
  dsl::Diagnostic& error(Code code, const Document& at, std::string message, std::string help = {},
                         std::vector<dsl::Diagnostic::Note> notes = {}) {
    ok_ = false;
    auto& d = diags_.add(code, location(at), std::move(message), std::move(help));
    d.notes = std::move(notes);
    if (!d.where.valid()) d.notes.push_back({{}, fmt::format("in {}", src_ ? src_->name() : "input")});
    return d;
  }

  void type_error(const Document& d, const std::string& path, std::string_view expected, std::string help = {}) {
    error(Code::InputType, d, fmt::format("{}: expected {}, found {}", path, expected, describe(d)), std::move(help));
  }

  // The field `key` of `object`, or null after an I802 (a null value is the value's problem:
  // the caller reports it as the wrong type).
  const Document* require(const Document& object, std::string_view key, const std::string& path) {
    if (const Document* v = object.find(key)) return v;
    error(Code::InputMissing, object, fmt::format("{}.{}: required field is missing", path, key));
    return nullptr;
  }

  std::optional<std::string> string_of(const Document& d, const std::string& path) {
    if (d.kind == DK::String) return d.text;
    type_error(d, path, "string");
    return std::nullopt;
  }

  std::optional<bool> bool_of(const Document& d, const std::string& path) {
    if (d.kind == DK::Bool) return d.flag;
    type_error(d, path, "bool");
    return std::nullopt;
  }

  // A number: JSON numbers keep their text; a YAML plain scalar must be plain decimal text.
  std::optional<Num> number_of(const Document& d, const std::string& path, bool whole) {
    std::optional<Decimal> v;
    std::string text;
    if (d.kind == DK::Number) {
      v = json_number(d.text);
      text = d.text;
    } else if (d.kind == DK::String && !d.quoted && !d.text.empty()) {
      std::string_view t = d.text;
      if (t[0] == '+') t.remove_prefix(1);
      v = Decimal::parse(t);
      if (v) text = v->to_string();
    } else {
      type_error(d, path, whole ? "a whole number" : "number");
      return std::nullopt;
    }
    if (!v) {
      // A JSON number merit cannot hold exactly (a YAML scalar that is not a number is just text).
      type_error(d, path, whole ? "a whole number" : "number",
                 d.kind == DK::Number ? "numbers are read exactly: at most 38 digits, 18 of them after the point" : "");
      return std::nullopt;
    }
    if (whole && !v->is_integer()) {
      type_error(d, path, "a whole number");
      return std::nullopt;
    }
    return Num{*v, std::move(text)};
  }

  // An optional count (absent or null: 0); whole and not negative.
  std::optional<Num> count(const Document& object, std::string_view key, const std::string& path, bool required) {
    const Document* v = object.find(key);
    // The common case, a plain whole number, needs no path: build it only to report a problem.
    if (v && v->kind == DK::Number && v->text.find_first_of(".eE-") == std::string::npos)
      if (auto n = Decimal::parse(v->text)) return Num{*n, v->text};
    if (!v && !required) return Num{Decimal(), "0"};  // an optional count left out: 0
    std::string fp = fmt::format("{}.{}", path, key);
    if (!v || (v->kind == DK::Null && !required)) {
      if (required) require(object, key, path);
      return required ? std::nullopt : std::optional<Num>(Num{Decimal(), "0"});
    }
    auto n = number_of(*v, fp, true);
    if (n && n->value.is_negative()) {
      error(Code::BadCounts, *v, fmt::format("{}: {} is negative", fp, n->text));
      return std::nullopt;
    }
    return n;
  }

  Document read_set(const Document& d, const std::string& path) {
    Document set = make(DK::Object, 3);
    if (d.kind != DK::Object) {
      type_error(d, path, "an object", "a measurement set has category, submissionMethod and measurements");
      return set;
    }
    const SubmissionCategory* category = nullptr;
    std::string category_name;
    if (const Document* c = require(d, "category", path)) {
      std::string cp = path + ".category";
      if (auto s = string_of(*c, cp)) {
        category_name = *s;
        category = policy_.submission.find(*s);
        if (!category) {
          std::vector<std::string> names;
          for (const auto& k : policy_.submission.categories) names.push_back(k.name);
          std::string help;
          if (auto m = dsl::did_you_mean(*s, names); !m.empty())
            help = fmt::format("did you mean '{}'?", m);
          else if (names.empty())
            help = "the policy declares no categories ('submission: categories' in policy.yaml)";
          else
            help = fmt::format("the categories are {}", fmt::join(names, ", "));
          error(Code::UnknownCategory, *c, fmt::format("{}: '{}' is not a category", cp, *s), help);
        }
      }
    }
    std::string method;
    if (const Document* m = require(d, "submissionMethod", path)) {
      if (auto s = string_of(*m, path + ".submissionMethod")) method = *s;
    }
    Document measures = make(DK::Array);
    const Document* list = d.find("measurements");
    std::string lp = path + ".measurements";
    if (list && list->kind != DK::Null && list->kind != DK::Array) {
      type_error(*list, lp, "a list");
    } else if (list && list->kind == DK::Array) {
      std::unordered_map<std::string, size_t> first;  // measure id (after aliases) -> index
      for (size_t j = 0; j < list->items.size(); ++j) {
        const Document& m = list->items[j];
        std::string mp = lp + '[' + std::to_string(j) + ']';
        std::string id;
        Document measure = read_measure(m, mp, category, category_name, id);
        if (!id.empty()) {
          auto [it, fresh] = first.emplace(id, j);
          if (!fresh) {
            const Document& prior = list->items[it->second];
            std::string prior_path = fmt::format("{}[{}]", lp, it->second);
            dsl::Location ploc = location(prior);
            std::vector<dsl::Diagnostic::Note> notes;
            notes.push_back({ploc, ploc.valid() ? std::string("first reported here")
                                                : fmt::format("first reported at {}", prior_path)});
            error(Code::DuplicateMeasure, m,
                  fmt::format("{}: measure '{}' already reported at [{}]", mp, id, it->second),
                  "report each measure once per measurement set", std::move(notes));
          }
        }
        if (ok_) measures.items.push_back(std::move(measure));
      }
    }
    put(set, "category", str_doc(category ? category->canonical : category_name));
    put(set, "method", str_doc(method));
    put(set, "measures", std::move(measures));
    return set;
  }

  // The category table's row for `id`, checking that the measure exists in the policy's year.
  // Returns the row (null when the category has no table to check against or on error).
  const Datum* check_id(const Document& at, const std::string& path, const std::string& written,
                        const std::string& id, const SubmissionCategory& category, const std::string& category_name) {
    if (category.table.empty()) return nullptr;
    // The index (built once per policy) answers without looking the table up by name.
    bool indexed = index_ && index_->indexed(category.table);
    const Datum* table = indexed ? nullptr : find_table(policy_, category.table);
    if (!indexed && (!table || table->names.size() != 1)) return nullptr;  // nothing to check against
    const Datum* row = indexed ? index_->find(category.table, id) : find_row(*table, {id});
    if (!row) {
      if (!table) table = find_table(policy_, category.table);
      std::string year = year_ ? fmt::format("{} ", *year_) : std::string();
      std::string help;
      std::string id_lower = lower(id);
      bool has_letter = std::any_of(id.begin(), id.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
      std::vector<std::string> ids;
      for (const Datum& r : table->items) {
        std::string_view k = field_text(r, table->names[0]);
        if (help.empty() && lower(k) == id_lower) help = fmt::format("did you mean '{}'?", k);
        if (has_letter) ids.emplace_back(k);
      }
      if (help.empty() && has_letter)
        if (auto m = dsl::did_you_mean(id, ids); !m.empty()) help = fmt::format("did you mean '{}'?", m);
      if (help.empty())
        help = id == written ? fmt::format("the {}measures of '{}' are the rows of table '{}'", year, category_name,
                                           category.table)
                             : fmt::format("looked up as '{}' in table '{}'", id, category.table);
      error(Code::UnknownMeasure, at, fmt::format("{}: '{}' is not a {}{} measure", path, written, year, category_name),
            help);
      return nullptr;
    }
    if (year_) {
      MeasureYears years = measure_years(*row);
      if (!years.covers(*year_)) {
        int64_t from = years.from, to = years.to;
        std::string span = from == to       ? fmt::format("of {} only", from)
                           : to == 0        ? fmt::format("from {} on", from)
                           : from == 0      ? fmt::format("until {}", to)
                                            : fmt::format("of {} to {}", from, to);
        error(Code::UnknownMeasure, at, fmt::format("{}: '{}' is a {} measure {}", path, written, category_name, span),
              fmt::format("the policy is for {}", *year_));
        return nullptr;
      }
    }
    return row;
  }

  Document read_measure(const Document& d, const std::string& path, const SubmissionCategory* category,
                        const std::string& category_name, std::string& id_out) {
    Document measure = make(DK::Object, 8);
    if (d.kind != DK::Object) {
      type_error(d, path, "an object", "a measurement is {measureId, value}");
      return measure;
    }
    std::string id;
    std::string_view metric;
    if (const Document* m = require(d, "measureId", path)) {
      std::string ip = path + ".measureId";
      if (auto s = string_of(*m, ip)) {
        id = canonical_measure_id(policy_.submission, *s);
        id_out = id;
        if (category)
          if (const Datum* row = check_id(*m, ip, *s, id, *category, category_name))
            metric = field_text(*row, "metric_type");
      }
    }
    std::string kind;
    bool flag = false, end_to_end = false;
    std::string numerator = "0", denominator = "0", score = "0";
    Document strata = make(DK::Array);
    if (const Document* v = require(d, "value", path)) {
      std::string vp = path + ".value";
      if (v->kind == DK::Bool) {
        kind = "boolean";
        flag = v->flag;
      } else if (v->kind != DK::Object) {
        type_error(*v, vp, "bool or an object",
                   "a value is true/false, {numerator, denominator}, performance counts, {strata: [...]} or {score}");
      } else {
        Shape shape = Shape::Unknown;
        if (present(*v, "strata"))
          shape = Shape::Multi;
        else if (present(*v, kMet) || present(*v, kNotMet) || present(*v, kEligible) || present(*v, kExclusion) ||
                 present(*v, kException))
          shape = Shape::Single;
        else if (present(*v, "numerator") || present(*v, "denominator"))
          shape = Shape::Proportion;
        else if (present(*v, "score"))
          shape = Shape::Cahps;
        else
          shape = shape_of_metric(metric);  // no telling field: the measure's metric type decides
        if (shape == Shape::Proportion) {
          Shape m = shape_of_metric(metric);
          if (m == Shape::NonProportion) {
            shape = Shape::NonProportion;
          } else if (metric.empty()) {
            // No metric type to ask: QCDR non-proportion values carry fields a proportion never has.
            for (const char* k : {"isEndToEndReported", "numeratorExclusion", "denominatorException", "observationInstances"})
              if (present(*v, k)) shape = Shape::NonProportion;
          }
        }
        if (const Document* e = v->find("isEndToEndReported"); e && e->kind != DK::Null)
          if (auto b = bool_of(*e, vp + ".isEndToEndReported")) end_to_end = *b;
        switch (shape) {
          case Shape::Proportion:
          case Shape::NonProportion: {
            bool counts = shape == Shape::Proportion;
            kind = counts ? "proportion" : "non_proportion";
            std::optional<Num> num, den;
            if (const Document* n = require(*v, "numerator", vp)) {
              num = counts ? count(*v, "numerator", vp, true) : number_of(*n, vp + ".numerator", false);
              if (num) numerator = num->text;
            }
            if (const Document* n = require(*v, "denominator", vp)) {
              den = counts ? count(*v, "denominator", vp, true) : number_of(*n, vp + ".denominator", false);
              if (den) denominator = den->text;
            }
            if (counts && num && den && den->value < num->value)
              error(Code::BadCounts, *v,
                    fmt::format("{}: numerator ({}) exceeds denominator ({})", vp, num->text, den->text));
            break;
          }
          case Shape::Single: {
            kind = "performance";
            if (auto s = read_stratum(*v, vp, "")) strata.items.push_back(std::move(*s));
            break;
          }
          case Shape::Multi: {
            kind = "performance";
            const Document* list = v->find("strata");
            std::string sp = vp + ".strata";
            if (!list || list->kind != DK::Array) {
              type_error(list ? *list : *v, sp, "a list");
              break;
            }
            for (size_t k = 0; k < list->items.size(); ++k) {
              const Document& s = list->items[k];
              std::string kp = sp + '[' + std::to_string(k) + ']';
              if (s.kind != DK::Object) {
                type_error(s, kp, "an object", "a stratum is {stratum, performanceMet, eligiblePopulation, ...}");
                continue;
              }
              std::string name;
              if (const Document* n = s.find("stratum"); n && n->kind != DK::Null)
                if (auto t = string_of(*n, kp + ".stratum")) name = *t;
              if (auto r = read_stratum(s, kp, name)) strata.items.push_back(std::move(*r));
            }
            break;
          }
          case Shape::Cahps: {
            kind = "cahps";
            if (const Document* s = require(*v, "score", vp))
              if (auto n = number_of(*s, vp + ".score", false)) score = n->text;
            break;
          }
          case Shape::Boolean:
            type_error(*v, vp, "bool", fmt::format("'{}' is a yes/no measure: write true or false", id));
            break;
          case Shape::Unknown:
            type_error(*v, vp, "bool or a measure value",
                       "a value is true/false, {numerator, denominator}, performance counts "
                       "(performanceMet, eligiblePopulation, ...), {strata: [...]} or {score}");
            break;
        }
      }
    }
    put(measure, "id", str_doc(id));
    put(measure, "kind", str_doc(kind));
    put(measure, "flag", bool_doc(flag));
    put(measure, "numerator", num_doc(numerator));
    put(measure, "denominator", num_doc(denominator));
    put(measure, "end_to_end", bool_doc(end_to_end));
    put(measure, "score", num_doc(score));
    put(measure, "strata", std::move(strata));
    return measure;
  }

  // One performance rate: the counts of a single-rate value or of one stratum.
  std::optional<Document> read_stratum(const Document& v, const std::string& path, const std::string& name) {
    bool before = ok_;
    ok_ = true;
    auto met = count(v, kMet, path, true);
    auto not_met = count(v, kNotMet, path, false);
    auto eligible = count(v, kEligible, path, true);
    auto exclusions = count(v, kExclusion, path, false);
    auto exceptions = count(v, kException, path, false);
    if (met && not_met && eligible) {
      Decimal sum;
      bool fits = add(met->value, not_met->value, sum);
      if (!fits || eligible->value < sum)
        error(Code::BadCounts, v,
              fmt::format("{}: performanceMet + performanceNotMet ({}) exceeds eligiblePopulation ({})", path,
                          fits ? sum.to_string() : fmt::format("{} + {}", met->text, not_met->text), eligible->text));
    }
    bool good = ok_;
    ok_ = before && good;
    if (!good || !met || !not_met || !eligible || !exclusions || !exceptions) return std::nullopt;
    Document s = make(DK::Object, 6);
    put(s, "name", str_doc(name));
    put(s, "met", num_doc(met->text));
    put(s, "not_met", num_doc(not_met->text));
    put(s, "eligible", num_doc(eligible->text));
    put(s, "exclusions", num_doc(exclusions->text));
    put(s, "exceptions", num_doc(exceptions->text));
    return s;
  }
};

// Sets `key` of the object `out` (replacing a field of that name, else appending it).
void set_field(Document& out, const std::string& key, Document value) {
  for (size_t i = 0; i < out.keys.size(); ++i)
    if (out.keys[i] == key) {
      out.items[i] = std::move(value);
      return;
    }
  put(out, key, std::move(value));
}

}  // namespace

MeasureIndex::MeasureIndex(const Policy& policy) {
  for (const auto& category : policy.submission.categories) {
    if (category.table.empty() || tables_.count(category.table)) continue;
    const Datum* table = find_table(policy, category.table);
    if (!table || table->names.size() != 1) continue;
    Table& ids = tables_[category.table];
    for (const Datum& row : table->items)
      ids.add(std::string(field_text(row, table->names[0])), Entry{&row, measure_years(row), field_text(row, "metric_type"), {}});
  }
}

void MeasureIndex::Table::add(std::string id, const Entry& entry) {
  if (find(id)) return;  // the first row of an id answers
  ids_.push_back(std::move(id));
  entries_.push_back(entry);
  entries_.back().id = ids_.back();
  index_.add(ids_.back(), static_cast<uint32_t>(entries_.size() - 1));
}

bool read_submission(const Document& submission, const Policy& policy, const dsl::SourcePtr& source, Document& out,
                     dsl::Diagnostics& diags, std::string_view path_prefix, const MeasureIndex* index) {
  std::string path(path_prefix);
  const Document* root = &submission;
  // The API's response wrapper: {"data": {"submission": {...}}}.
  if (submission.kind == DK::Object && !submission.find("measurementSets") && !submission.find("entityType"))
    if (const Document* data = submission.find("data"); data && data->kind == DK::Object)
      if (const Document* s = data->find("submission"); s && s->kind == DK::Object) {
        root = s;
        path += ".data.submission";
      }
  Reader reader(policy, source, diags, index);
  Document entity = str_doc(""), year = num_doc("0"), sets = make(DK::Array);
  reader.read(*root, path, entity, year, sets);
  if (!reader.ok()) return false;
  if (out.kind == DK::Null) out.kind = DK::Object;
  set_field(out, "entity_type", std::move(entity));
  set_field(out, "performance_year", std::move(year));
  set_field(out, "measurement_sets", std::move(sets));
  return true;
}

}  // namespace merit::engine::cms
