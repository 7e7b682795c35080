#include "engine/cms/fast_case.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include <simdjson.h>

#include "engine/cms/tables.hpp"
#include "engine/input.hpp"
#include "engine/ondemand.hpp"

namespace merit::engine::cms {

namespace od = simdjson::ondemand;
using ondemand_util::is_null;
using ondemand_util::Keys;
using ondemand_util::valid_value;
using dsl::Decimal;
using dsl::Kind;

namespace {

constexpr int kMaxDepth = ondemand_util::kMaxDepth;

bool is_kind(const dsl::Type& t, Kind k) { return t && t->kind == k; }

// The measure kinds the reader writes (docs/inputs.md), made once: a string carries its text's
// hash, which these need not compute again for every measure of every line.
const Value kKindBoolean = Value::str("boolean");
const Value kKindPerformance = Value::str("performance");
const Value kKindProportion = Value::str("proportion");


// A record type with exactly these fields, each of the given kind; their indices in `at`.
bool record_shape(const dsl::Type& t, std::initializer_list<std::pair<const char*, Kind>> fields, std::vector<int>& at) {
  if (!is_kind(t, Kind::Record) || t->fields.size() != fields.size()) return false;
  at.clear();
  for (const auto& [name, kind] : fields) {
    int i = dsl::field_index(t, name);
    if (i < 0 || !is_kind(t->fields[static_cast<size_t>(i)].type, kind)) return false;
    at.push_back(i);
  }
  return true;
}



// A JSON number as merit reads it (json_number on the token's text), validated by simdjson.
std::optional<Decimal> number_of(od::value v, std::string_view* text = nullptr) {
  std::string_view raw = v.raw_json_token();
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r'))
    raw.remove_suffix(1);
  od::number n;
  if (v.get_number().get(n)) return std::nullopt;
  if (text) *text = raw == "-0" ? std::string_view("0") : raw;
  // An integer token (no point, no exponent: simdjson says int64) is its own decimal, exactly
  // what json_number would make of its text; the counts of a submission all are.
  if (n.is_int64()) return Decimal::from_int(n.get_int64());
  return json_number(raw);
}

// A whole, non-negative count (the reference path's Reader::count).
std::optional<Decimal> count_of(od::value v) {
  auto d = number_of(v);
  if (!d || !d->is_integer() || d->is_negative()) return std::nullopt;
  return d;
}


}  // namespace

struct FastCaseReader::Impl {
  const Policy& policy;
  const Program& program;
  const MeasureIndex& index;
  bool enabled = false;
  dsl::Type input;
  TextIndex input_fields;  // the input's field names -> field index (a hash, not a binary search)
  int f_entity = -1, f_year = -1, f_sets = -1;
  std::vector<int> set_at, measure_at, stratum_at;  // field indices, in the order of the shapes below
  std::optional<int64_t> year;
  od::parser parser;
  std::string buffer;
  std::vector<Value> sets, measures, strata, list_scratch;  // scratch, reused line to line
  std::vector<char> filled;
  std::vector<char> optional;  // per input field: declared optional (absent or null is then 'missing')
  std::vector<std::string_view> ids;  // the set's measure ids so far (stable: see check_measure)
  std::string canonical;              // a measure id with its prefix alias applied
  const SubmissionCategory* last_category = nullptr;  // and its table's ids, looked up once per run of it
  const MeasureIndex::Table* last_table = nullptr;

  Impl(const Policy& p, const Program& prog, const MeasureIndex& i) : policy(p), program(prog), index(i) {
    input = program.input_type();
    if (!is_kind(input, Kind::Record)) return;
    for (size_t k = 0; k < input->fields.size(); ++k) input_fields.add(input->fields[k].name, static_cast<uint32_t>(k));
    f_entity = dsl::field_index(input, "entity_type");
    f_year = dsl::field_index(input, "performance_year");
    f_sets = dsl::field_index(input, "measurement_sets");
    if (f_entity < 0 || f_year < 0 || f_sets < 0) return;
    if (!is_kind(input->fields[f_entity].type, Kind::String) || !is_kind(input->fields[f_year].type, Kind::Number))
      return;
    const dsl::Type& sets_type = input->fields[f_sets].type;
    if (!is_kind(sets_type, Kind::List)) return;
    const dsl::Type& set = sets_type->elem;
    if (!record_shape(set, {{"category", Kind::String}, {"method", Kind::String}, {"measures", Kind::List}}, set_at))
      return;
    const dsl::Type& measure = set->fields[set_at[2]].type->elem;
    if (!record_shape(measure,
                      {{"id", Kind::String},
                       {"kind", Kind::String},
                       {"flag", Kind::Bool},
                       {"numerator", Kind::Number},
                       {"denominator", Kind::Number},
                       {"end_to_end", Kind::Bool},
                       {"score", Kind::Number},
                       {"strata", Kind::List}},
                      measure_at))
      return;
    const dsl::Type& stratum = measure->fields[measure_at[7]].type->elem;
    if (!record_shape(stratum,
                      {{"name", Kind::String},
                       {"met", Kind::Number},
                       {"not_met", Kind::Number},
                       {"eligible", Kind::Number},
                       {"exclusions", Kind::Number},
                       {"exceptions", Kind::Number}},
                      stratum_at))
      return;
    if (auto y = Decimal::parse(policy.year)) year = y->to_int64();
    // Every category must be checked through the index (or have no table at all).
    for (const auto& c : policy.submission.categories)
      if (!c.table.empty() && !index.indexed(c.table)) return;
    optional.assign(input->fields.size(), 0);
    for (const auto& d : program.inputs())
      if (int i = dsl::field_index(input, d.name); i >= 0) optional[i] = d.optional;
    enabled = true;
  }


  // A profile value by its declared type (bind_at's rules); false for anything it would refuse.
  bool bind(od::value v, const dsl::Type& t, Arena& arena, Value& out, int depth) {
    if (depth > kMaxDepth) return false;
    od::json_type type;
    if (v.type().get(type)) return false;
    switch (t->kind) {
      case Kind::Bool: {
        bool b;
        if (type != od::json_type::boolean || v.get_bool().get(b)) return false;
        out = Value::boolean(b);
        return true;
      }
      case Kind::Number:
      case Kind::Money: {
        if (type != od::json_type::number) return false;
        auto d = number_of(v);
        if (!d) return false;
        out = Value::num(*d, t->kind == Kind::Money);
        return true;
      }
      case Kind::String:
      case Kind::Symbol: {
        std::string_view s;
        if (type != od::json_type::string || v.get_string().get(s)) return false;
        if (t->kind == Kind::Symbol && !s.empty() && s[0] == ':') s.remove_prefix(1);
        out = Value::str(arena.copy(s), t->kind == Kind::Symbol);
        return true;
      }
      case Kind::List: {
        od::array a;
        if (type != od::json_type::array || v.get_array().get(a)) return false;
        // Elements go to the shared scratch (no allocation per list): a nested list pushes its own
        // after ours and takes them back off before returning.
        const size_t begin = list_scratch.size();
        for (auto element : a) {
          od::value child;
          Value item;
          if (element.get(child) || !bind(child, t->elem, arena, item, depth + 1)) {
            list_scratch.resize(begin);
            return false;
          }
          list_scratch.push_back(item);
        }
        const size_t n = list_scratch.size() - begin;
        Value* stored = arena.values(n);
        std::copy(list_scratch.begin() + static_cast<long>(begin), list_scratch.end(), stored);
        list_scratch.resize(begin);
        out = Value::list(stored, static_cast<uint32_t>(n));
        return true;
      }
      case Kind::Record: {
        od::object o;
        if (type != od::json_type::object || v.get_object().get(o)) return false;
        if (t->fields.size() > 64) return false;  // the reference path binds it
        Value* fields = arena.values(t->fields.size());
        uint64_t filled_fields = 0;  // bit i: field i seen
        for (auto field : o) {
          std::string_view key;
          od::value child;
          if (field.unescaped_key().get(key) || field.value().get(child)) return false;
          int i = dsl::field_index(t, key);
          if (i < 0 || (filled_fields >> i & 1)) return false;  // unknown (strict) or a duplicate key
          filled_fields |= uint64_t{1} << i;
          if (!bind(child, t->fields[i].type, arena, fields[i], depth + 1)) return false;
        }
        if (filled_fields != (t->fields.size() == 64 ? ~uint64_t{0} : (uint64_t{1} << t->fields.size()) - 1))
          return false;  // a required field is missing
        out = Value::record(fields, static_cast<uint32_t>(t->fields.size()));
        return true;
      }
      default: return false;
    }
  }

  // The profile: fields of the input record, not those the submission provides.
  bool read_profile(od::value v, Arena& arena, Value* fields, std::vector<char>& filled) {
    od::object o;
    if (v.get_object().get(o)) return false;
    for (auto field : o) {
      std::string_view key;
      od::value child;
      od::json_type type;
      if (field.unescaped_key().get(key) || field.value().get(child) || child.type().get(type)) return false;
      uint32_t found = input_fields.find(key);
      int i = found == TextIndex::kNone ? -1 : static_cast<int>(found);
      if (i < 0 || i == f_entity || i == f_year || i == f_sets || filled[i]) return false;
      filled[i] = 1;
      if (type == od::json_type::null) {  // missing: fine only for an optional input
        if (!optional[i] || !is_null(child)) return false;
        fields[i] = Value();
        continue;
      }
      if (!bind(child, input->fields[i].type, arena, fields[i], 1)) return false;
    }
    return true;
  }

  // One performance rate's counts (Reader::read_stratum); `name` already known.
  struct Counts {
    std::optional<Decimal> met, not_met, eligible, exclusions, exceptions;
    bool seen[5] = {false, false, false, false, false};  // present and not null
  };
  // Reads a counts key into `c`; false on a problem. Returns through `matched` whether it was one.
  static bool count_key(std::string_view key, od::value v, od::json_type type, Counts& c, bool& matched) {
    std::optional<Decimal>* slots[5] = {&c.met, &c.not_met, &c.eligible, &c.exclusions, &c.exceptions};
    // Which count the key names, by its length first: every key of a measurement comes here.
    int k = -1;
    switch (key.size()) {
      case 14: k = key == "performanceMet" ? 0 : -1; break;
      case 17: k = key == "performanceNotMet" ? 1 : -1; break;
      case 18: k = key == "eligiblePopulation" ? 2 : -1; break;
      case 27: k = key == "eligiblePopulationExclusion" ? 3 : key == "eligiblePopulationException" ? 4 : -1; break;
      default: break;
    }
    matched = false;
    if (k >= 0) {
      matched = true;
      if (type == od::json_type::null) {
        if (k == 0 || k == 2) return false;  // required: the reference path reports it
        *slots[k] = Decimal();
        return is_null(v);
      }
      if (type != od::json_type::number) return false;
      *slots[k] = count_of(v);
      c.seen[k] = true;
      return slots[k]->has_value();
    }
    return true;
  }
  bool stratum_value(const Counts& c, std::string_view name, Arena& arena, Value& out) {
    if (!c.met || !c.eligible) return false;  // required counts
    Decimal not_met = c.not_met.value_or(Decimal()), sum;
    if (!dsl::add(*c.met, not_met, sum) || *c.eligible < sum) return false;
    Value* f = arena.values(6);
    f[stratum_at[0]] = Value::str(arena.copy(name));
    f[stratum_at[1]] = Value::num(*c.met);
    f[stratum_at[2]] = Value::num(not_met);
    f[stratum_at[3]] = Value::num(*c.eligible);
    f[stratum_at[4]] = Value::num(c.exclusions.value_or(Decimal()));
    f[stratum_at[5]] = Value::num(c.exceptions.value_or(Decimal()));
    out = Value::record(f, 6);
    return true;
  }

  // A measurement's value, by the reference reader's shape rules; only the common shapes.
  bool read_value(od::value v, std::string_view id, std::string_view metric, Arena& arena, Value* m) {
    od::json_type type;
    if (v.type().get(type)) return false;
    m[measure_at[2]] = Value::boolean(false);
    m[measure_at[3]] = Value::num(Decimal());
    m[measure_at[4]] = Value::num(Decimal());
    m[measure_at[5]] = Value::boolean(false);
    m[measure_at[6]] = Value::num(Decimal());
    m[measure_at[7]] = Value::list(nullptr, 0);
    if (type == od::json_type::boolean) {
      bool b;
      if (v.get_bool().get(b)) return false;
      m[measure_at[1]] = kKindBoolean;
      m[measure_at[2]] = Value::boolean(b);
      return true;
    }
    od::object o;
    if (type != od::json_type::object || v.get_object().get(o)) return false;
    (void)id;
    Counts single;
    bool has_strata = false, has_numerator = false, has_denominator = false, hint = false;
    std::optional<Decimal> numerator, denominator;
    size_t strata_begin = strata.size();
    Keys keys;
    for (auto field : o) {
      std::string_view key;
      od::value child;
      od::json_type ct;
      if (field.unescaped_key().get(key) || !keys.fresh(key) || field.value().get(child) || child.type().get(ct))
        return false;
      bool matched = false;
      if (!count_key(key, child, ct, single, matched)) return false;
      if (matched) continue;
      if (key == "strata") {
        if (ct == od::json_type::null) {
          if (!is_null(child)) return false;
          continue;
        }
        od::array a;
        if (ct != od::json_type::array || child.get_array().get(a)) return false;
        has_strata = true;
        for (auto element : a) {
          od::value s;
          od::object so;
          if (element.get(s) || s.get_object().get(so)) return false;
          Counts c;
          std::string_view name;
          Keys skeys;
          for (auto sf : so) {
            std::string_view sk;
            od::value sv;
            od::json_type st;
            if (sf.unescaped_key().get(sk) || !skeys.fresh(sk) || sf.value().get(sv) || sv.type().get(st)) return false;
            bool m2 = false;
            if (!count_key(sk, sv, st, c, m2)) return false;
            if (m2) continue;
            if (sk == "stratum") {
              if (st == od::json_type::null) {
                if (!is_null(sv)) return false;
              } else if (st != od::json_type::string || sv.get_string().get(name)) {
                return false;
              }
              continue;
            }
            if (!valid_value(sv, 4)) return false;
          }
          strata.emplace_back();
          if (!stratum_value(c, name, arena, strata.back())) return false;
        }
      } else if (key == "numerator" || key == "denominator") {
        if (ct == od::json_type::null) return false;  // present but null: the reference path decides
        if (ct != od::json_type::number) return false;
        (key == "numerator" ? numerator : denominator) = count_of(child);
        if (!(key == "numerator" ? numerator : denominator)) return false;
        (key == "numerator" ? has_numerator : has_denominator) = true;
      } else if (key == "isEndToEndReported") {
        bool b = false;
        if (ct == od::json_type::null) {
          if (!is_null(child)) return false;
        } else if (ct != od::json_type::boolean || child.get_bool().get(b)) {
          return false;
        }
        m[measure_at[5]] = Value::boolean(b);
      } else if (key == "score") {
        return false;  // a CAHPS score: the reference path
      } else {
        if (key == "numeratorExclusion" || key == "denominatorException" || key == "observationInstances") hint = true;
        if (!valid_value(child, 3)) return false;
      }
    }
    bool single_seen = std::any_of(std::begin(single.seen), std::end(single.seen), [](bool b) { return b; });
    if (has_strata) {  // Multi: every stratum as read
      Value* items = arena.values(strata.size() - strata_begin);
      std::copy(strata.begin() + static_cast<long>(strata_begin), strata.end(), items);
      m[measure_at[1]] = kKindPerformance;
      m[measure_at[7]] = Value::list(items, static_cast<uint32_t>(strata.size() - strata_begin));
      strata.resize(strata_begin);
      return true;
    }
    if (single_seen) {  // Single: the value's own counts
      Value* item = arena.values(1);
      if (!stratum_value(single, "", arena, *item)) return false;
      m[measure_at[1]] = kKindPerformance;
      m[measure_at[7]] = Value::list(item, 1);
      return true;
    }
    if (has_numerator || has_denominator) {  // a proportion (non-proportion measures: the reference path)
      if (metric == "nonProportion" || (metric.empty() && hint)) return false;
      if (!has_numerator || !has_denominator || *denominator < *numerator) return false;
      m[measure_at[1]] = kKindProportion;
      m[measure_at[3]] = Value::num(*numerator);
      m[measure_at[4]] = Value::num(*denominator);
      return true;
    }
    return false;  // no telling field: the reference path decides from the metric type
  }

  // The measure's row in its category's table, in the policy's year; its metric type. `id` then
  // points at the index's copy of the id, which outlives the case (no arena copy needed).
  bool check_measure(const SubmissionCategory& category, std::string_view& id, std::string_view& metric, Arena& arena) {
    metric = {};
    if (category.table.empty()) {
      id = arena.copy(id);
      return true;
    }
    if (&category != last_category) {
      last_table = index.table(category.table);
      if (!last_table) return false;
      last_category = &category;
    }
    const MeasureIndex::Entry* e = last_table->find(id);
    if (!e || (year && !e->years.covers(*year))) return false;
    metric = e->metric;
    id = e->id;
    return true;
  }

  bool read_set(od::value v, Arena& arena, Value& out) {
    od::object o;
    if (v.get_object().get(o)) return false;
    const SubmissionCategory* category = nullptr;
    std::string_view method;
    bool has_method = false, has_category = false;
    size_t measures_begin = measures.size();
    ids.clear();
    Keys keys;
    for (auto field : o) {
      std::string_view key;
      od::value child;
      od::json_type ct;
      if (field.unescaped_key().get(key) || !keys.fresh(key) || field.value().get(child) || child.type().get(ct))
        return false;
      if (key == "category") {
        std::string_view name;
        if (ct != od::json_type::string || child.get_string().get(name)) return false;
        category = policy.submission.find(name);
        if (!category) return false;
        has_category = true;
      } else if (key == "submissionMethod") {
        if (ct != od::json_type::string || child.get_string().get(method)) return false;
        method = arena.copy(method);  // the parser's string buffer is reused by later strings
        has_method = true;
      } else if (key == "measurements") {
        if (ct == od::json_type::null) {
          if (!is_null(child)) return false;
          continue;
        }
        od::array a;
        if (!has_category || ct != od::json_type::array || child.get_array().get(a)) return false;
        for (auto element : a) {
          od::value mv;
          od::object mo;
          if (element.get(mv) || mv.get_object().get(mo)) return false;
          Value* m = arena.values(8);
          bool has_id = false, has_value = false;
          std::string_view id;
          std::string_view metric;
          Keys mkeys;
          for (auto mf : mo) {
            std::string_view mk;
            od::value x;
            od::json_type xt;
            if (mf.unescaped_key().get(mk) || !mkeys.fresh(mk) || mf.value().get(x) || x.type().get(xt)) return false;
            if (mk == "measureId") {
              std::string_view written;
              if (xt != od::json_type::string || x.get_string().get(written)) return false;
              id = canonical_measure_id(policy.submission, written, canonical);
              if (!check_measure(*category, id, metric, arena)) return false;
              if (std::find(ids.begin(), ids.end(), id) != ids.end()) return false;  // a duplicate (I808)
              has_id = true;
            } else if (mk == "value") {
              if (!has_id || !read_value(x, id, metric, arena, m)) return false;
              has_value = true;
            } else if (!valid_value(x, 4)) {
              return false;
            }
          }
          if (!has_id || !has_value) return false;
          ids.push_back(id);
          m[measure_at[0]] = Value::str(id);
          measures.push_back(Value::record(m, 8));
        }
      } else if (!valid_value(child, 3)) {
        return false;
      }
    }
    if (!has_category || !has_method) return false;
    Value* items = arena.values(measures.size() - measures_begin);
    std::copy(measures.begin() + static_cast<long>(measures_begin), measures.end(), items);
    Value* f = arena.values(3);
    f[set_at[0]] = Value::str(arena.copy(category->canonical));
    f[set_at[1]] = Value::str(method);
    f[set_at[2]] = Value::list(items, static_cast<uint32_t>(measures.size() - measures_begin));
    measures.resize(measures_begin);
    out = Value::record(f, 3);
    return true;
  }

  bool read_submission(od::value v, Arena& arena, Value* fields) {
    od::object o;
    if (v.get_object().get(o)) return false;
    bool has_entity = false, has_year = false, has_sets = false;
    Keys keys;
    for (auto field : o) {
      std::string_view key;
      od::value child;
      od::json_type ct;
      if (field.unescaped_key().get(key) || !keys.fresh(key) || field.value().get(child) || child.type().get(ct))
        return false;
      if (key == "entityType") {
        std::string_view s;
        if (ct != od::json_type::string || child.get_string().get(s)) return false;
        fields[f_entity] = Value::str(arena.copy(s));
        has_entity = true;
      } else if (key == "performanceYear") {
        if (ct != od::json_type::number) return false;
        auto y = number_of(child);
        if (!y || !y->is_integer() || (year && !(*y == Decimal::from_int(*year)))) return false;
        fields[f_year] = Value::num(*y);
        has_year = true;
      } else if (key == "measurementSets") {
        od::array a;
        if (ct != od::json_type::array || child.get_array().get(a)) return false;
        sets.clear();
        for (auto element : a) {
          od::value s;
          if (element.get(s)) return false;
          sets.emplace_back();
          if (!read_set(s, arena, sets.back())) return false;
        }
        Value* items = arena.values(sets.size());
        std::copy(sets.begin(), sets.end(), items);
        fields[f_sets] = Value::list(items, static_cast<uint32_t>(sets.size()));
        has_sets = true;
      } else if (!valid_value(child, 2)) {
        return false;
      }
    }
    return has_entity && has_year && has_sets;
  }

  bool read(std::string_view line, size_t readable, Arena& arena, Value& out, std::string& id, std::string& paid) {
    if (!enabled) return false;
    const char* text = line.data();
    if (readable < line.size() + simdjson::SIMDJSON_PADDING) {  // no room to read past the end: copy
      buffer.assign(line);
      buffer.append(simdjson::SIMDJSON_PADDING, '\0');
      text = buffer.data();
      readable = buffer.size();
    }
    od::document doc;
    od::object top;
    if (parser.iterate(text, line.size(), readable).get(doc) || doc.get_object().get(top)) return false;
    Arena::Mark mark = arena.mark();
    sets.clear();  // a declined line may have left entries behind
    measures.clear();
    strata.clear();
    size_t n = input->fields.size();
    Value* fields = arena.values(n);
    filled.assign(n, 0);
    bool has_profile = false, has_submission = false;
    std::string case_id, paid_text;
    bool has_case = false;
    Keys keys;
    auto fail = [&] {
      arena.release(mark);
      return false;
    };
    for (auto field : top) {
      std::string_view key;
      od::value child;
      od::json_type ct;
      if (field.unescaped_key().get(key) || !keys.fresh(key) || field.value().get(child) || child.type().get(ct))
        return fail();
      if (key == "profile") {
        if (ct != od::json_type::object || !read_profile(child, arena, fields, filled)) return fail();
        has_profile = true;
      } else if (key == "submission") {
        if (ct != od::json_type::object || !read_submission(child, arena, fields)) return fail();
        has_submission = true;
      } else if (key == "case" && ct == od::json_type::string) {
        std::string_view s;
        if (child.get_string().get(s)) return fail();
        case_id.assign(s);
        has_case = true;
      } else if (key == "part_b_paid" && ct == od::json_type::number) {
        std::string_view text;
        if (!number_of(child, &text)) return fail();
        paid_text.assign(text);
      } else if (!valid_value(child, 1)) {
        return fail();
      }
    }
    // Nothing but white space after the object (checked once it is read: asking for the object's
    // extent first would walk the whole line twice).
    const char* after = nullptr;
    if (!has_profile || !has_submission || doc.current_location().get(after) != simdjson::OUT_OF_BOUNDS) return fail();
    for (size_t i = 0; i < n; ++i) {
      if (filled[i] || static_cast<int>(i) == f_entity || static_cast<int>(i) == f_year || static_cast<int>(i) == f_sets)
        continue;
      if (!optional[i]) return fail();  // a required input is missing
      fields[i] = Value();
    }
    out = Value::record(fields, static_cast<uint32_t>(n));
    if (has_case) id = std::move(case_id);
    paid = std::move(paid_text);
    return true;
  }
};

FastCaseReader::FastCaseReader(const Policy& policy, const Program& program, const MeasureIndex& index)
    : impl_(std::make_unique<Impl>(policy, program, index)) {}
FastCaseReader::~FastCaseReader() = default;
FastCaseReader::FastCaseReader(FastCaseReader&&) noexcept = default;

bool FastCaseReader::enabled() const { return impl_->enabled; }

bool FastCaseReader::read(const std::string& line, Arena& arena, Value& input, std::string& id, std::string& paid) {
  return impl_->read(line, line.size(), arena, input, id, paid);
}

bool FastCaseReader::read(std::string_view line, size_t readable, Arena& arena, Value& input, std::string& id,
                          std::string& paid) {
  return impl_->read(line, readable, arena, input, id, paid);
}

}  // namespace merit::engine::cms
