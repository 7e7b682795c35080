// The 2018 MIPS rules by hand (see sol_scorer.hpp). Each block below names the rule file and the
// definitions it ports; the arithmetic is the rules' own, operation by operation (a division is
// dsl::div at the policy's scale and rounding, `x * 100` is dsl::mul), so the results are the
// engine's to the last digit.
#include "sol_scorer.hpp"

#include <stdexcept>

#include "dsl/types.hpp"

namespace merit::bench::sol {

using engine::Program;
using engine::TableData;
using engine::ValueKind;

namespace {

// ---- Decimal shorthands (overflow cannot happen at these magnitudes; the benchmark's check
// would catch a wrong number) ----
inline Decimal add(const Decimal& a, const Decimal& b) {
  Decimal r;
  dsl::add(a, b, r);
  return r;
}
inline Decimal sub(const Decimal& a, const Decimal& b) {
  Decimal r;
  dsl::sub(a, b, r);
  return r;
}
inline Decimal mul(const Decimal& a, const Decimal& b) {
  Decimal r;
  dsl::mul(a, b, r);
  return r;
}
inline bool lt(const Decimal& a, const Decimal& b) { return dsl::compare(a, b) < 0; }
inline bool le(const Decimal& a, const Decimal& b) { return dsl::compare(a, b) <= 0; }
inline bool gt(const Decimal& a, const Decimal& b) { return dsl::compare(a, b) > 0; }
inline bool ge(const Decimal& a, const Decimal& b) { return dsl::compare(a, b) >= 0; }
inline bool eq(const Decimal& a, const Decimal& b) { return dsl::compare(a, b) == 0; }
// The rules' min/max/clamp: the first of equal values wins (as the interpreter's built-ins).
inline const Decimal& min2(const Decimal& a, const Decimal& b) { return lt(b, a) ? b : a; }
inline const Decimal& max2(const Decimal& a, const Decimal& b) { return gt(b, a) ? b : a; }
inline Decimal clamp3(const Decimal& x, const Decimal& lo, const Decimal& hi) {
  Decimal r = x;
  if (lt(r, lo)) r = lo;
  if (gt(r, hi)) r = hi;
  return r;
}

const Decimal kZero;
const Decimal kOne = Decimal::from_int(1);
const Decimal kHundred = Decimal::from_int(100);
const Decimal kThousand = Decimal::from_int(1000);

// ---- Reading the program's constants (setup only) ----
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("sol scorer setup: " + what); }

struct ParamReader {
  const Program& program;
  const engine::ProgramParameter& meta(std::string_view name) const {
    int i = program.find_parameter(name);
    if (i < 0) fail("no parameter " + std::string(name));
    return program.parameters()[static_cast<size_t>(i)];
  }
  const Value& value(std::string_view name) const { return program.constants()[meta(name).constant]; }
  Decimal num(std::string_view name) const {
    const Value& v = value(name);
    if (v.kind != ValueKind::Number && v.kind != ValueKind::Money) fail(std::string(name) + " is not a number");
    return v.number;
  }
  int integer(std::string_view name) const {
    auto i = num(name).to_int64();
    if (!i) fail(std::string(name) + " is not a whole number");
    return static_cast<int>(*i);
  }
  bool flag(std::string_view name) const {
    const Value& v = value(name);
    if (v.kind != ValueKind::Bool) fail(std::string(name) + " is not a bool");
    return v.flag;
  }
  std::string str(std::string_view name) const {
    const Value& v = value(name);
    if (v.kind != ValueKind::String && v.kind != ValueKind::Symbol) fail(std::string(name) + " is not a string");
    return std::string(v.text());
  }
  std::vector<std::string> strs(std::string_view name) const {
    const Value& v = value(name);
    if (v.kind != ValueKind::List) fail(std::string(name) + " is not a list");
    std::vector<std::string> out;
    for (uint32_t i = 0; i < v.size; ++i) out.emplace_back(v.items[i].text());
    return out;
  }
};

// A table parameter: its rows and the field index of each column by name.
struct TableReader {
  const TableData* data;
  dsl::Type row;
  TableReader(const ParamReader& r, std::string_view name) {
    const Value& v = r.value(name);
    if (v.kind != ValueKind::Table) fail(std::string(name) + " is not a table");
    data = v.table;
    row = r.meta(name).type->elem;
  }
  int col(std::string_view name) const {
    int i = dsl::field_index(row, name);
    if (i < 0) fail("table has no column " + std::string(name));
    return i;
  }
  size_t size() const { return data->rows.size(); }
  const Value& at(size_t r, int c) const { return data->rows[r].items[c]; }
};

bool contains(const std::vector<std::string>& list, std::string_view s) {
  for (const auto& x : list)
    if (x == s) return true;
  return false;
}

int field(const dsl::Type& record, std::string_view name) {
  int i = dsl::field_index(record, name);
  if (i < 0) fail("input has no field " + std::string(name));
  return i;
}
const dsl::Type& field_type(const dsl::Type& record, std::string_view name) {
  return record->fields[static_cast<size_t>(field(record, name))].type;
}
// The record type inside an optional/list field type.
dsl::Type record_of(const dsl::Type& t) {
  if (t->kind == dsl::Kind::List) return t->elem;
  return t;
}

// ---- Reading the input record (per case) ----
inline bool present(const Value& v) { return v.kind != ValueKind::Missing; }
inline bool flag_or(const Value& v, bool fallback) { return present(v) ? v.flag : fallback; }
inline bool text_is(const Value& v, std::string_view s) { return v.size == s.size() && v.text() == s; }

}  // namespace

// =====================================================================================
// Setup
// =====================================================================================

Scorer::Scorer(const Program& program) {
  ParamReader r{program};
  Params& p = p_;
  p.arith = program.arithmetic();

  // ---- eligibility (params/eligibility.yaml + 2018 changes) ----
  p.lv_charges = r.num("eligibility.low_volume.charges");
  p.lv_beneficiaries = r.num("eligibility.low_volume.beneficiaries");
  p.clinician_types = r.strs("eligibility.clinician_types");
  p.excluded_qp = r.strs("eligibility.excluded_qp_statuses");
  p.small_max = r.num("eligibility.small_practice.max_clinicians");
  p.npf_max_encounters = r.num("eligibility.npf.max_encounters");
  p.npf_group_share = r.num("eligibility.npf.group_share");
  p.rural_group_share = r.num("eligibility.rural_hpsa.group_share");
  p.hb_share = r.num("eligibility.hospital_based.share");
  p.hb_group_share = r.num("eligibility.hospital_based.group_share");
  p.asc_share = r.num("eligibility.asc_based.share");
  p.vg_max_tin = r.num("eligibility.virtual_group.max_tin_size");
  p.aci_auto_types = r.strs("eligibility.aci_auto_reweight_types");
  p.vg_available = r.flag("eligibility.virtual_group.available");

  // ---- weights ----
  p.min_scored = r.num("weights.min_scored_categories");
  auto causes = r.strs("weights.aci_reweight_causes");
  p.cause_hardship = contains(causes, "hardship");
  p.cause_sph = contains(causes, "small_practice_hardship");
  p.cause_decert = contains(causes, "decertified_ehr");
  p.cause_hb = contains(causes, "hospital_based");
  p.cause_asc = contains(causes, "asc_based");
  p.cause_npf = contains(causes, "non_patient_facing");
  p.cause_type = contains(causes, "clinician_type");
  p.cause_euc = contains(causes, "euc");
  p.euc_auto_groups = r.flag("weights.euc_automatic.groups");
  p.cost_counts = r.flag("weights.cost_counts");
  {
    TableReader t(r, "weights.redistribution");
    int standard = t.col("standard"), qr = t.col("quality_reweighted"), cr = t.col("cost_reweighted"),
        ir = t.col("ia_reweighted"), ar = t.col("aci_reweighted"), wq = t.col("quality"), wc = t.col("cost"),
        wi = t.col("ia"), wa = t.col("aci");
    for (size_t i = 0; i < t.size(); ++i) {
      std::string_view s = t.at(i, standard).text();
      if (s != "mips" && s != "apm") continue;  // a standard the rules never ask for
      int apm = s == "apm";
      int bits = (t.at(i, qr).flag ? 8 : 0) | (t.at(i, cr).flag ? 4 : 0) | (t.at(i, ir).flag ? 2 : 0) |
                 (t.at(i, ar).flag ? 1 : 0);
      p.redistribution[apm][bits][0] = t.at(i, wq).number;
      p.redistribution[apm][bits][1] = t.at(i, wc).number;
      p.redistribution[apm][bits][2] = t.at(i, wi).number;
      p.redistribution[apm][bits][3] = t.at(i, wa).number;
      p.redistribution_has[apm][bits] = true;
    }
  }

  // ---- quality ----
  p.measures_required = r.num("quality.measures_required");
  p.measures_required_n = r.integer("quality.measures_required");
  p.data_completeness = r.num("quality.data_completeness");
  p.dc_exempt = r.strs("quality.dc_exempt_methods");
  p.case_minimum = r.num("quality.case_minimum");
  p.floor = r.num("quality.points.floor");
  p.max_points = r.num("quality.points.max");
  p.below_dc = r.num("quality.points.below_completeness");
  p.below_dc_small = r.num("quality.points.below_completeness_small");
  p.non_proportion = r.num("quality.points.non_proportion");
  p.decile_offset = r.num("quality.decile_offset");
  p.topped_out_cap = r.num("quality.topped_out_cap");
  auto capped = r.strs("quality.capped_measures");
  p.cap_exempt = r.strs("quality.cap_exempt_methods");
  p.e2e_benchmark_method = r.str("quality.e2e_benchmark_method");
  auto outcome_types = r.strs("quality.outcome_types");
  p.bonus_outcome = r.num("quality.bonus.outcome");
  p.bonus_hp = r.num("quality.bonus.high_priority");
  p.bonus_e2e = r.num("quality.bonus.end_to_end");
  p.e2e_methods = r.strs("quality.bonus.end_to_end_methods");
  p.bonus_cap_share = r.num("quality.bonus.cap_share");
  p.bonus_requires_case_minimum = r.flag("quality.bonus.requires_case_minimum");
  p.missing_hp_zero = r.flag("quality.missing_high_priority_zero");
  p.denominator_per_measure = r.num("quality.denominator_per_measure");
  std::string readmission_measure = r.str("quality.readmission.measure");
  p.readm_min_group = r.num("quality.readmission.min_group_size");
  p.readm_case_minimum = r.num("quality.readmission.case_minimum");
  p.improvement_max = r.num("quality.improvement.max");
  p.improvement_prior_floor = r.num("quality.improvement.prior_floor");
  p.quality_cap = r.num("quality.cap");
  p.cahps_method = r.str("quality.cahps.method");
  p.cahps_measure_id = r.str("quality.cahps.measure_id");

  // ---- cost ----
  std::string cost_method = r.str("cost.benchmark_method");
  p.cost_decile_offset = r.num("cost.decile_offset");
  p.cost_min = r.num("cost.points.min");
  p.cost_max = r.num("cost.points.max");
  p.cost_improvement_max = r.num("cost.improvement.max");
  p.cost_cap = r.num("cost.cap");

  // ---- ia ----
  p.ia_medium = r.num("ia.points.medium");
  p.ia_high = r.num("ia.points.high");
  p.ia_max = r.num("ia.max_points");
  p.ia_multiplier = r.num("ia.special_multiplier");
  p.ia_pcmh_activity = r.str("ia.pcmh.activity");
  p.ia_pcmh_site_share = r.num("ia.pcmh.group_site_share");
  p.ia_apm_min_share = r.num("ia.apm_min_share");

  // ---- aci ----
  p.aci_base = r.num("aci.base");
  p.aci_decile_width = r.num("aci.decile_width");
  p.aci_max_decile = r.num("aci.max_decile");
  std::string attestation_category = r.str("aci.attestation_category");
  auto registry_objectives = r.strs("aci.registry_objectives");
  p.aci_bonus_ia_cehrt = r.num("aci.bonus.ia_cehrt");
  p.aci_bonus_2015 = r.num("aci.bonus.cehrt_2015_only");
  p.aci_cap = r.num("aci.cap");

  // ---- final and payment ----
  p.final_cap = r.num("final.cap");
  p.small_bonus = r.num("final.small_practice_bonus");
  p.complex_cap = r.num("final.complex_patient.cap");
  p.dual_multiplier = r.num("final.complex_patient.dual_multiplier");
  p.final_digits = r.integer("final.round_digits");
  p.threshold = r.num("payment.performance_threshold");
  p.exc_threshold = r.num("payment.exceptional_threshold");
  p.applicable = r.num("payment.applicable_percent");
  p.full_penalty_share = r.num("payment.full_penalty_share");
  p.sf_max = r.num("payment.scaling_factor.max");
  p.sf_default = r.num("payment.scaling_factor.default");
  p.ef_max = r.num("payment.exceptional_factor.max");
  p.ef_default = r.num("payment.exceptional_factor.default");
  p.exc_min = r.num("payment.exceptional_min");
  p.exc_max = r.num("payment.exceptional_max");
  p.payment_digits = r.integer("payment.round_digits");

  // ---- The measure index: one hash map over every table's ids ----
  auto entry = [&](const Value& id) -> Measure& {
    auto it = index_.find(id.text());
    if (it != index_.end()) return measures_[it->second];
    index_.emplace(id.text(), static_cast<uint32_t>(measures_.size()));
    measures_.emplace_back();
    for (auto& b : measures_.back().bench) b = -1;
    return measures_.back();
  };
  {
    TableReader t(r, "quality.measures");
    int id = t.col("id"), type = t.col("measure_type"), hp = t.col("high_priority"), inv = t.col("inverse"),
        alg = t.col("overall_algorithm");
    for (size_t i = 0; i < t.size(); ++i) {
      Measure& m = entry(t.at(i, id));
      m.quality = true;
      m.q_inverse = t.at(i, inv).flag;
      m.q_outcome = contains(outcome_types, t.at(i, type).text());
      m.q_high_priority = t.at(i, hp).flag || m.q_outcome;
      m.q_capped = contains(capped, t.at(i, id).text());
      std::string_view a = t.at(i, alg).text();
      m.algorithm = a == "overallStratumOnly"                        ? kOverallStratumOnly
                    : a == "simpleAverage"                           ? kSimpleAverage
                    : a == "weightedAverage" || a == "sumNumerators" ? kWeightedOrSum
                                                                     : kAlgDefault;
    }
  }
  {
    TableReader t(r, "quality.benchmarks");
    int id = t.col("id"), method = t.col("method"), deciles = t.col("deciles"), inv = t.col("inverse");
    for (size_t i = 0; i < t.size(); ++i) {
      std::string_view mt = t.at(i, method).text();
      int k = method_index(mt);
      if (k < 0) {
        if (methods_.size() >= static_cast<size_t>(kMaxMethods)) fail("too many benchmark methods");
        methods_.emplace_back(mt);
        k = static_cast<int>(methods_.size() - 1);
      }
      Benchmark b;
      const Value& d = t.at(i, deciles);
      for (uint32_t j = 0; j < d.size; ++j) b.deciles.push_back(d.items[j].number);
      b.inverse = t.at(i, inv).flag;
      entry(t.at(i, id)).bench[k] = static_cast<int16_t>(benchmarks_.size());
      benchmarks_.push_back(std::move(b));
    }
  }
  p.e2e_bench_method = method_index(p.e2e_benchmark_method);
  p.cost_bench_method = method_index(cost_method);
  {
    TableReader t(r, "cost.measures");
    int id = t.col("id"), inv = t.col("inverse");
    for (size_t i = 0; i < t.size(); ++i) {
      Measure& m = entry(t.at(i, id));
      m.cost = true;
      m.cost_inverse = t.at(i, inv).flag;
    }
  }
  {
    // param.cost.case_minimums: a list of {id, cases}; an id's minimum is the sum of its entries.
    const Value& list = r.value("cost.case_minimums");
    const dsl::Type& elem = r.meta("cost.case_minimums").type->elem;
    int id = dsl::field_index(elem, "id"), cases = dsl::field_index(elem, "cases");
    if (list.kind != ValueKind::List || id < 0 || cases < 0) fail("cost.case_minimums has an unexpected shape");
    for (uint32_t i = 0; i < list.size; ++i) {
      Measure& m = entry(list.items[i].items[id]);
      m.cost_case_minimum = add(m.cost_case_minimum, list.items[i].items[cases].number);
    }
  }
  {
    TableReader t(r, "ia.activities");
    int id = t.col("id"), weight = t.col("weight");
    for (size_t i = 0; i < t.size(); ++i) {
      Measure& m = entry(t.at(i, id));
      m.ia = true;
      std::string_view w = t.at(i, weight).text();
      m.ia_weight = w == "high" ? 2 : w == "medium" ? 1 : 0;
    }
  }
  {
    TableReader t(r, "aci.measures");
    if (t.size() > 128) fail("more than 128 ACI measures");
    int id = t.col("id"), weight = t.col("weight"), required = t.col("required"), bonus = t.col("bonus"),
        category = t.col("reporting_category"), transition = t.col("transition"), objective = t.col("objective"),
        substitutes = t.col("substitutes");
    for (size_t i = 0; i < t.size(); ++i) {
      Measure& m = entry(t.at(i, id));
      m.aci = static_cast<int>(i);
      m.aci_weight = t.at(i, weight).number;
      m.aci_weight_positive = gt(m.aci_weight, kZero);
      m.aci_bonus = t.at(i, bonus).flag;
      m.aci_transition = t.at(i, transition).flag;
      m.aci_registry = contains(registry_objectives, t.at(i, objective).text());
      m.aci_cehrt_bonus = t.at(i, category).text() == "cehrtBonus";
    }
    auto bit = [](uint64_t* mask, int b) { mask[b >> 6] |= uint64_t{1} << (b & 63); };
    for (size_t i = 0; i < t.size(); ++i) {
      if (!t.at(i, required).flag) continue;
      if (t.at(i, category).text() == attestation_category) {
        bit(p.aci_attest_mask, static_cast<int>(i));
        continue;
      }
      AciRequirement req{{0, 0}};
      bit(req.mask, static_cast<int>(i));
      const Value& subs = t.at(i, substitutes);
      for (uint32_t j = 0; j < subs.size; ++j)
        if (auto it = index_.find(subs.items[j].text()); it != index_.end() && measures_[it->second].aci >= 0)
          bit(req.mask, measures_[it->second].aci);
      p.aci_base_req[t.at(i, transition).flag ? 1 : 0].push_back(req);
    }
  }
  if (auto it = index_.find(readmission_measure); it != index_.end() && p.cost_bench_method >= 0)
    p.readmission_bench = measures_[it->second].bench[p.cost_bench_method];

  // ---- The input record's layout ----
  const dsl::Type& rec = program.input_type();
  Layout& L = in_;
  L.entity_type = field(rec, "entity_type");
  L.measurement_sets = field(rec, "measurement_sets");
  L.part_b_charges = field(rec, "part_b_charges");
  L.part_b_beneficiaries = field(rec, "part_b_beneficiaries");
  L.clinicians = field(rec, "clinicians");
  L.clinician_type = field(rec, "clinician_type");
  L.new_enrollee = field(rec, "new_enrollee");
  L.qp_status = field(rec, "qp_status");
  L.mips_apm = field(rec, "mips_apm");
  L.apm_ia_points = field(rec, "apm_ia_points");
  L.patient_facing_encounters = field(rec, "patient_facing_encounters");
  L.non_patient_facing_share = field(rec, "non_patient_facing_share");
  L.rural = field(rec, "rural");
  L.hpsa = field(rec, "hpsa");
  L.rural_share = field(rec, "rural_share");
  L.hpsa_share = field(rec, "hpsa_share");
  L.hospital_based_share = field(rec, "hospital_based_share");
  L.hospital_based_clinician_share = field(rec, "hospital_based_clinician_share");
  L.asc_based_share = field(rec, "asc_based_share");
  L.virtual_group_tin_sizes = field(rec, "virtual_group_tin_sizes");
  L.pcmh = field(rec, "pcmh");
  L.pcmh_site_share = field(rec, "pcmh_site_share");
  L.aci_hardship = field(rec, "aci_hardship");
  L.small_practice_hardship = field(rec, "small_practice_hardship");
  L.decertified_ehr = field(rec, "decertified_ehr");
  L.euc_categories = field(rec, "euc_categories");
  L.euc_automatic = field(rec, "euc_automatic");
  L.cehrt_edition = field(rec, "cehrt_edition");
  L.cost_measures = field(rec, "cost_measures");
  L.cost_improvement = field(rec, "cost_improvement");
  L.hcc_risk_score = field(rec, "hcc_risk_score");
  L.dual_eligible_ratio = field(rec, "dual_eligible_ratio");
  L.prior_quality_achievement = field(rec, "prior_quality_achievement");
  L.readmission = field(rec, "readmission");
  L.scaling_factor = field(rec, "scaling_factor");
  L.exceptional_factor = field(rec, "exceptional_factor");
  dsl::Type set = record_of(field_type(rec, "measurement_sets"));
  L.set_category = field(set, "category");
  L.set_method = field(set, "method");
  L.set_measures = field(set, "measures");
  dsl::Type m = record_of(field_type(set, "measures"));
  L.m_id = field(m, "id");
  L.m_kind = field(m, "kind");
  L.m_flag = field(m, "flag");
  L.m_numerator = field(m, "numerator");
  L.m_denominator = field(m, "denominator");
  L.m_end_to_end = field(m, "end_to_end");
  L.m_score = field(m, "score");
  L.m_strata = field(m, "strata");
  dsl::Type s = record_of(field_type(m, "strata"));
  L.s_name = field(s, "name");
  L.s_met = field(s, "met");
  L.s_not_met = field(s, "not_met");
  L.s_eligible = field(s, "eligible");
  L.s_exclusions = field(s, "exclusions");
  L.s_exceptions = field(s, "exceptions");
  dsl::Type c = record_of(field_type(rec, "cost_measures"));
  L.c_id = field(c, "id");
  L.c_value = field(c, "value");
  L.c_cases = field(c, "cases");
  dsl::Type ci = field_type(rec, "cost_improvement");
  L.ci_improved = field(ci, "improved");
  L.ci_declined = field(ci, "declined");
  L.ci_both_years = field(ci, "both_years");
  dsl::Type rd = field_type(rec, "readmission");
  L.r_value = field(rd, "value");
  L.r_cases = field(rd, "cases");

  scored_.resize(64);
  ranked_.resize(64);
}

int Scorer::method_index(std::string_view method) const {
  for (size_t i = 0; i < methods_.size(); ++i)
    if (methods_[i] == method) return static_cast<int>(i);
  return -1;
}

const Scorer::Measure* Scorer::find(const Value& id) const {
  auto it = index_.find(id.text());
  return it == index_.end() ? nullptr : &measures_[it->second];
}

Decimal Scorer::div(const Decimal& a, const Decimal& b) const {
  Decimal r;
  dsl::div(a, b, p_.arith.division_scale, p_.arith.division_rounding, r);
  return r;
}

// The built-in interpolate(x, bounds, inverse): the index of the LAST bound x reaches (x >= b,
// or x <= b when inverse), plus the fraction of the way to the next bound; -1 below the first.
Decimal Scorer::interpolate(const Decimal& x, const std::vector<Decimal>& b, bool inverse) const {
  int k = -1;
  for (size_t i = 0; i < b.size(); ++i) {
    int c = dsl::compare(x, b[i]);
    if (inverse ? c <= 0 : c >= 0) k = static_cast<int>(i);
  }
  Decimal pos = Decimal::from_int(k);
  if (k >= 0 && static_cast<size_t>(k) + 1 < b.size()) {
    const Decimal& lo = b[static_cast<size_t>(k)];
    const Decimal& hi = b[static_cast<size_t>(k) + 1];
    Decimal num = inverse ? sub(lo, x) : sub(x, lo);
    Decimal den = inverse ? sub(lo, hi) : sub(hi, lo);
    if (!den.is_zero() && !num.is_zero()) pos = add(pos, div(num, den));
  }
  return pos;
}

// quality.merit decile_points: the 3-point floor below the first bound, else decile + fraction.
Decimal Scorer::quality_decile_points(const Decimal& rate, const Benchmark& b, bool inverse) const {
  Decimal position = interpolate(rate, b.deciles, inverse);
  if (position.is_negative()) return p_.floor;
  return clamp3(add(position, p_.decile_offset), p_.floor, p_.max_points);
}

namespace {
struct Counts {
  Decimal met, not_met, eligible, exclusions, exceptions;
  void add_stratum(const Value& s, int met_i, int not_met_i, int eligible_i, int excl_i, int exc_i) {
    met = add(met, s.items[met_i].number);
    not_met = add(not_met, s.items[not_met_i].number);
    eligible = add(eligible, s.items[eligible_i].number);
    exclusions = add(exclusions, s.items[excl_i].number);
    exceptions = add(exceptions, s.items[exc_i].number);
  }
};
}  // namespace

// quality.merit `cahps`: the survey's summary measures as one patient-experience measure.
bool Scorer::score_cahps(const Value& set, ScoredMeasure& out) const {
  const Layout& L = in_;
  const Value& ms = set.items[L.set_measures];
  int method = method_index(p_.cahps_method);
  Decimal sum_points, sum_scores;
  uint32_t benchmarked = 0;
  for (uint32_t i = 0; i < ms.size; ++i) {
    const Value& m = ms.items[i];
    const Decimal& score = m.items[L.m_score].number;
    sum_scores = add(sum_scores, score);
    const Measure* meta = find(m.items[L.m_id]);
    int b = meta && method >= 0 ? meta->bench[method] : -1;
    if (b < 0 || benchmarks_[static_cast<size_t>(b)].deciles.empty()) continue;
    const Benchmark& bench = benchmarks_[static_cast<size_t>(b)];
    sum_points = add(sum_points, quality_decile_points(score, bench, bench.inverse));
    ++benchmarked;
  }
  Decimal rate = ms.size == 0 ? kZero : div(sum_scores, Decimal::from_int(ms.size));
  out.class1 = benchmarked > 0;
  out.points = benchmarked == 0 ? p_.floor : div(sum_points, Decimal::from_int(benchmarked));
  out.outcome = out.high_priority = out.meets_completeness = true;
  out.hp_points = gt(rate, kZero) ? p_.bonus_outcome : kZero;
  out.e2e_points = kZero;
  return true;
}

// quality.merit score_set (with score_measure for each measure): false on a table miss.
bool Scorer::score_quality_set(const Value& set, bool small_practice, bool readmission_applies,
                               const Decimal& readmission_points, bool have_cahps, const ScoredMeasure& cahps,
                               bool cahps_only, SetScore& out) {
  const Layout& L = in_;
  const Params& p = p_;
  std::string_view method = set.items[L.set_method].text();
  const Value& ms = cahps_only ? Value::list(nullptr, 0) : set.items[L.set_measures];
  const bool dc_exempt = contains(p.dc_exempt, method);
  const bool web_interface = contains(p.cap_exempt, method);
  const bool e2e_method = contains(p.e2e_methods, method);
  const int method_k = method_index(method);

  size_t n = ms.size + (have_cahps ? 1 : 0);
  if (scored_.size() < n) {
    scored_.resize(n);
    ranked_.resize(n);
  }
  for (uint32_t i = 0; i < ms.size; ++i) {
    const Value& m = ms.items[i];
    const Measure* meta = find(m.items[L.m_id]);
    if (!meta || !meta->quality) return false;  // param.quality.measures[m.id]: R703
    std::string_view kind = m.items[L.m_kind].text();
    const bool cahps_kind = kind == "cahps";
    const bool non_proportion = kind == "non_proportion";

    // counted(m), and the strata without "overall" summed (for the multi-rate algorithms).
    const Value& strata = m.items[L.m_strata];
    Counts all, parts, overall;
    bool has_overall = false;
    uint32_t nparts = 0;
    Decimal parts_rate_sum;
    for (uint32_t j = 0; j < strata.size; ++j) {
      const Value& s = strata.items[j];
      bool is_overall = text_is(s.items[L.s_name], "overall");
      all.add_stratum(s, L.s_met, L.s_not_met, L.s_eligible, L.s_exclusions, L.s_exceptions);
      if (is_overall) {
        if (!has_overall) {
          overall = {};
          overall.add_stratum(s, L.s_met, L.s_not_met, L.s_eligible, L.s_exclusions, L.s_exceptions);
          has_overall = true;
        }
      } else {
        parts.add_stratum(s, L.s_met, L.s_not_met, L.s_eligible, L.s_exclusions, L.s_exceptions);
        if (meta->algorithm == kSimpleAverage && !cahps_kind) {
          Decimal d = add(s.items[L.s_met].number, s.items[L.s_not_met].number);
          parts_rate_sum = add(parts_rate_sum, d.is_zero() ? kZero : mul(div(s.items[L.s_met].number, d), kHundred));
        }
        ++nparts;
      }
    }
    const Counts& counts = has_overall ? overall : all;
    auto rate_of = [&](const Counts& x) {
      Decimal d = add(x.met, x.not_met);
      return d.is_zero() ? kZero : mul(div(x.met, d), kHundred);
    };
    Decimal rate;
    if (cahps_kind) rate = m.items[L.m_score].number;
    else if (meta->algorithm == kOverallStratumOnly) rate = rate_of(counts);
    else if (meta->algorithm == kSimpleAverage && nparts > 0) rate = div(parts_rate_sum, Decimal::from_int(nparts));
    else if (meta->algorithm == kWeightedOrSum) rate = rate_of(parts);
    else rate = rate_of(counts);

    Decimal completeness =
        counts.eligible.is_zero()
            ? kZero
            : div(add(add(add(counts.met, counts.not_met), counts.exclusions), counts.exceptions), counts.eligible);
    const bool meets_completeness = dc_exempt || ge(completeness, p.data_completeness);
    const bool meets_cases = ge(counts.eligible, p.case_minimum);
    // benchmark_method: the EHR benchmark for an end-to-end measure when it has one.
    const bool e2e = m.items[L.m_end_to_end].flag;
    int bench = -1;
    if (e2e && p.e2e_bench_method >= 0) {
      int b = meta->bench[p.e2e_bench_method];
      if (b >= 0 && !benchmarks_[static_cast<size_t>(b)].deciles.empty()) bench = b;
    }
    if (bench < 0 && method_k >= 0) bench = meta->bench[method_k];
    const bool benchmarked = bench >= 0 && !benchmarks_[static_cast<size_t>(bench)].deciles.empty();
    const bool class3 = !non_proportion && !meets_completeness;
    const bool class2 = !non_proportion && !class3 && (!benchmarked || !meets_cases);
    const bool class1 = !non_proportion && !class3 && !class2;

    ScoredMeasure& sm = scored_[i];
    sm.class1 = class1;
    Decimal achievement = non_proportion ? p.non_proportion
                          : class3       ? (small_practice ? p.below_dc_small : p.below_dc)
                          : class2       ? p.floor
                                         : quality_decile_points(rate, benchmarks_[static_cast<size_t>(bench)], meta->q_inverse);
    const bool capped = meta->q_capped && !web_interface;
    sm.points = capped && class1 ? min2(achievement, p.topped_out_cap) : achievement;
    sm.outcome = meta->q_outcome;
    sm.high_priority = meta->q_high_priority;
    const bool performed = meta->q_inverse ? lt(rate, kHundred) : gt(rate, kZero);
    const bool bonus_ok = meets_completeness && !non_proportion && performed &&
                          (meets_cases || !p.bonus_requires_case_minimum);
    sm.hp_points = !bonus_ok ? kZero : sm.outcome ? p.bonus_outcome : sm.high_priority ? p.bonus_hp : kZero;
    sm.e2e_points = e2e && meets_completeness && e2e_method ? p.bonus_e2e : kZero;
    sm.meets_completeness = meets_completeness;
  }
  if (have_cahps) scored_[ms.size] = cahps;

  // ranked = sort_by(scored, points, :desc), stable: an insertion sort of indices.
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t j = i;
    while (j > 0 && gt(scored_[i].points, scored_[ranked_[j - 1]].points)) {
      ranked_[j] = ranked_[j - 1];
      --j;
    }
    ranked_[j] = i;
  }
  const size_t N = static_cast<size_t>(p.measures_required_n);
  const size_t ntop = std::min(N, n);
  bool any_hp = false, top_has_hp = false;
  for (size_t i = 0; i < n; ++i) any_hp |= scored_[i].high_priority;
  for (size_t i = 0; i < ntop; ++i) top_has_hp |= scored_[ranked_[i]].high_priority;
  // The required measure: the first high-priority one with the highest (outcome ? 1000 : 0) + points,
  // among the top six when they hold one, else among every measure (in submission order).
  int required = -1;
  Decimal required_key;
  for (size_t i = 0; i < (top_has_hp ? ntop : n); ++i) {
    uint32_t k = top_has_hp ? ranked_[i] : static_cast<uint32_t>(i);
    const ScoredMeasure& x = scored_[k];
    if (!x.high_priority) continue;
    Decimal key = add(x.outcome ? kThousand : kZero, x.points);
    if (required < 0 || gt(key, required_key)) {
      required = static_cast<int>(k);
      required_key = key;
    }
  }
  const size_t slots = !any_hp ? (p.missing_hp_zero ? N - 1 : N) : top_has_hp ? N : N - 1;

  // Picked measures (ranked order) and the sums; ids are unique in a set (the submission reader
  // refuses duplicates, I808), so "x.id == required_id" is "x is the required entry".
  Decimal achievement, outcome_bonus, other_bonus, e2e_sum;
  size_t picked = 0;
  bool all_complete = true;
  for (size_t i = 0; i < n; ++i) {
    uint32_t k = ranked_[i];
    const ScoredMeasure& x = scored_[k];
    bool is_picked = web_interface ? x.class1 : (i < slots || static_cast<int>(k) == required);
    if (is_picked) {
      ++picked;
      achievement = add(achievement, x.points);
      all_complete &= x.meets_completeness;
    }
    const Decimal& hp = static_cast<int>(k) == required ? kZero : x.hp_points;
    if (x.outcome) outcome_bonus = add(outcome_bonus, hp);
    else other_bonus = add(other_bonus, hp);
    e2e_sum = add(e2e_sum, x.e2e_points);
  }
  achievement = add(achievement, readmission_points);
  Decimal denominator = mul(web_interface ? Decimal::from_int(static_cast<int64_t>(picked)) : p.measures_required,
                            p.denominator_per_measure);
  denominator = add(denominator, readmission_applies ? p.denominator_per_measure : kZero);
  Decimal bonus_cap = mul(p.bonus_cap_share, denominator);
  Decimal hp_bonus = min2(add(outcome_bonus, other_bonus), bonus_cap);
  Decimal e2e_bonus = min2(e2e_sum, bonus_cap);
  out.denominator = denominator;
  out.achievement = achievement;
  out.full_participation = picked >= (web_interface ? 1 : N) && all_complete;
  out.percent = denominator.is_zero()
                    ? kZero
                    : min2(mul(div(add(add(achievement, hp_bonus), e2e_bonus), denominator), kHundred), p.quality_cap);
  return true;
}

// =====================================================================================
// Scoring one case
// =====================================================================================

void Scorer::score(const Value& input, Result& out) {
  const Layout& L = in_;
  const Params& p = p_;
  const Value* f = input.items;
  out = Result{};

  // ---- eligibility.merit ----
  const bool individual = text_is(f[L.entity_type], "individual");
  const bool virtual_group = text_is(f[L.entity_type], "virtualGroup");
  std::string_view clinician_type = present(f[L.clinician_type]) ? f[L.clinician_type].text() : "physician";
  const bool eligible_type = contains(p.clinician_types, clinician_type);
  const bool low_volume =
      le(f[L.part_b_charges].number, p.lv_charges) || le(f[L.part_b_beneficiaries].number, p.lv_beneficiaries);
  const bool qp_excluded =
      contains(p.excluded_qp, present(f[L.qp_status]) ? f[L.qp_status].text() : std::string_view("none"));
  const bool new_enrollee = flag_or(f[L.new_enrollee], false);
  bool vg_valid = true;
  if (virtual_group && present(f[L.virtual_group_tin_sizes])) {
    const Value& sizes = f[L.virtual_group_tin_sizes];
    for (uint32_t i = 0; i < sizes.size && vg_valid; ++i) vg_valid = le(sizes.items[i].number, p.vg_max_tin);
  }
  const bool eligible = eligible_type && !new_enrollee && !qp_excluded && !low_volume &&
                        !(virtual_group && !p.vg_available) && vg_valid;
  const bool small_practice = le(f[L.clinicians].number, p.small_max);
  auto share_or_zero = [&](int field_i) { return present(f[field_i]) ? f[field_i].number : kZero; };
  const bool non_patient_facing =
      individual ? present(f[L.patient_facing_encounters]) && le(f[L.patient_facing_encounters].number, p.npf_max_encounters)
                 : gt(share_or_zero(L.non_patient_facing_share), p.npf_group_share);
  const bool rural = individual ? flag_or(f[L.rural], false) : gt(share_or_zero(L.rural_share), p.rural_group_share);
  const bool hpsa = individual ? flag_or(f[L.hpsa], false) : gt(share_or_zero(L.hpsa_share), p.rural_group_share);
  const bool special_status = small_practice || rural || hpsa || non_patient_facing;
  const bool hospital_based = individual ? ge(share_or_zero(L.hospital_based_share), p.hb_share)
                                         : ge(share_or_zero(L.hospital_based_clinician_share), p.hb_group_share);
  const bool asc_based = ge(share_or_zero(L.asc_based_share), p.asc_share);
  const bool aci_auto_type = contains(p.aci_auto_types, clinician_type);
  const bool apm_standard = flag_or(f[L.mips_apm], false);
  out.eligible = eligible;

  // ---- One pass over the measurement sets: which categories were submitted ----
  const Value& sets = f[L.measurement_sets];
  bool quality_submitted = false, ia_submitted = false, pi_submitted = false;
  bool have_cahps = false, have_other_quality = false;
  uint32_t cahps_set = 0;
  for (uint32_t i = 0; i < sets.size; ++i) {
    const Value& s = sets.items[i];
    std::string_view category = s.items[L.set_category].text();
    bool any = s.items[L.set_measures].size > 0;
    if (category == "quality") {
      quality_submitted |= any;
      if (s.items[L.set_method].text() == p.cahps_method) {
        if (any && !have_cahps) {
          have_cahps = true;
          cahps_set = i;
        }
      } else {
        have_other_quality = true;
      }
    } else if (category == "ia") {
      ia_submitted |= any;
    } else if (category == "pi") {
      pi_submitted |= any;
    }
  }

  // ---- quality.merit ----
  bool readmission_applies = false;
  Decimal readmission_points;
  if (!individual && ge(f[L.clinicians].number, p.readm_min_group) && present(f[L.readmission]) &&
      ge(f[L.readmission].items[L.r_cases].number, p.readm_case_minimum)) {
    readmission_applies = true;
    if (p.readmission_bench >= 0) {
      const Benchmark& b = benchmarks_[static_cast<size_t>(p.readmission_bench)];
      readmission_points = quality_decile_points(f[L.readmission].items[L.r_value].number, b, b.inverse);
    } else {
      readmission_points = p.floor;  // table miss, caught by ??
    }
  }
  ScoredMeasure cahps{};
  if (have_cahps) score_cahps(sets.items[cahps_set], cahps);
  SetScore best, s;
  bool have_best = false;
  for (uint32_t i = 0; i < sets.size && out.quality_ok; ++i) {
    const Value& set = sets.items[i];
    if (!text_is(set.items[L.set_category], "quality")) continue;
    bool cahps_only = false;
    if (have_other_quality) {
      if (set.items[L.set_method].text() == p.cahps_method) continue;
    } else {
      if (!have_cahps || i != cahps_set) continue;  // only the survey: it alone, as an empty set
      cahps_only = true;
    }
    if (!score_quality_set(set, small_practice, readmission_applies, readmission_points, have_cahps, cahps, cahps_only, s)) {
      out.quality_ok = false;
      break;
    }
    if (!have_best || gt(s.percent, best.percent)) {  // the first set with the highest percent
      best = s;
      have_best = true;
    }
  }
  if (out.quality_ok && quality_submitted) {
    Decimal improvement;
    if (best.full_participation && present(f[L.prior_quality_achievement])) {
      Decimal achievement_percent =
          best.denominator.is_zero() ? kZero : mul(div(best.achievement, best.denominator), kHundred);
      Decimal prior = max2(f[L.prior_quality_achievement].number, p.improvement_prior_floor);
      improvement = clamp3(mul(div(sub(achievement_percent, prior), prior), p.improvement_max), kZero, p.improvement_max);
    }
    out.quality_percent = min2(add(best.percent, improvement), p.quality_cap);
  }

  // ---- cost.merit ----
  bool cost_scored = false;
  {
    Decimal sum;
    uint32_t count = 0;
    if (present(f[L.cost_measures])) {
      const Value& results = f[L.cost_measures];
      for (uint32_t i = 0; i < results.size; ++i) {
        const Value& r = results.items[i];
        const Measure* meta = find(r.items[L.c_id]);
        if (!meta || !meta->cost) continue;  // not a cost measure of the year: left out
        const Decimal& minimum = meta->cost_case_minimum;
        if (!ge(r.items[L.c_cases].number, minimum)) continue;
        int b = meta && p.cost_bench_method >= 0 ? meta->bench[p.cost_bench_method] : -1;
        if (b < 0 || benchmarks_[static_cast<size_t>(b)].deciles.empty()) continue;
        Decimal position = interpolate(r.items[L.c_value].number, benchmarks_[static_cast<size_t>(b)].deciles, meta->cost_inverse);
        sum = add(sum, clamp3(add(position, p.cost_decile_offset), p.cost_min, p.cost_max));
        ++count;
      }
    }
    cost_scored = count > 0;
    if (out.cost_ok && cost_scored) {
      Decimal improvement;
      if (present(f[L.cost_improvement])) {
        const Value* c = f[L.cost_improvement].items;
        if (!c[L.ci_both_years].number.is_zero())
          improvement = clamp3(div(mul(p.cost_improvement_max, sub(c[L.ci_improved].number, c[L.ci_declined].number)),
                                   c[L.ci_both_years].number),
                               kZero, p.cost_improvement_max);
      }
      Decimal mean = div(sum, Decimal::from_int(count));
      out.cost_percent = min2(add(mul(div(mean, p.cost_max), kHundred), improvement), p.cost_cap);
    }
  }

  // ---- ia.merit ----
  {
    bool activities_ok = true, have = false, pcmh_attested = flag_or(f[L.pcmh], false);
    Decimal best_points;
    for (uint32_t i = 0; i < sets.size; ++i) {
      const Value& set = sets.items[i];
      if (!text_is(set.items[L.set_category], "ia")) continue;
      const Value& ms = set.items[L.set_measures];
      Decimal points;
      for (uint32_t j = 0; j < ms.size; ++j) {
        const Value& m = ms.items[j];
        if (!m.items[L.m_flag].flag) continue;
        if (text_is(m.items[L.m_id], p.ia_pcmh_activity)) pcmh_attested = true;
        const Measure* meta = find(m.items[L.m_id]);
        if (!meta || !meta->ia) {  // param.ia.activities[id]: R703
          activities_ok = false;
          continue;
        }
        const Decimal& base = meta->ia_weight == 2 ? p.ia_high : meta->ia_weight == 1 ? p.ia_medium : kZero;
        points = add(points, special_status ? mul(base, p.ia_multiplier) : base);
      }
      if (!have || gt(points, best_points)) {
        best_points = points;
        have = true;
      }
    }
    const bool pcmh = pcmh_attested &&
                      (individual || ge(present(f[L.pcmh_site_share]) ? f[L.pcmh_site_share].number : kOne,
                                        p.ia_pcmh_site_share));
    Decimal points;
    if (pcmh) {
      points = p.ia_max;
    } else if (!activities_ok) {
      out.ia_ok = false;
    } else {
      Decimal apm_points = apm_standard ? max2(present(f[L.apm_ia_points]) ? f[L.apm_ia_points].number : kZero,
                                               mul(p.ia_max, p.ia_apm_min_share))
                                        : kZero;
      points = min2(max2(best_points, apm_points), p.ia_max);
    }
    if (out.ia_ok) out.ia_percent = mul(div(points, p.ia_max), kHundred);
  }

  // ---- aci.merit ----
  {
    const bool cehrt_2015 = present(f[L.cehrt_edition]) && text_is(f[L.cehrt_edition], "2015");
    bool have = false;
    Decimal best_percent;
    for (uint32_t i = 0; i < sets.size && out.aci_ok; ++i) {
      const Value& set = sets.items[i];
      if (!text_is(set.items[L.set_category], "pi")) continue;
      const Value& ms = set.items[L.set_measures];
      uint64_t done[2] = {0, 0}, yes[2] = {0, 0};
      bool transition = false, ia_cehrt = false;
      Decimal performance, registry, registry_bonus;
      bool have_registry = false, have_registry_bonus = false;
      for (uint32_t j = 0; j < ms.size; ++j) {
        const Value& m = ms.items[j];
        const Measure* meta = find(m.items[L.m_id]);
        if (!meta || meta->aci < 0) {  // param.aci.measures[m.id]: R703 (the reader refuses such ids, I805)
          out.aci_ok = false;
          break;
        }
        const uint64_t bit = uint64_t{1} << (meta->aci & 63);
        const int word = meta->aci >> 6;
        transition |= meta->aci_transition;
        std::string_view kind = m.items[L.m_kind].text();
        if (kind == "boolean") {
          if (m.items[L.m_flag].flag) {
            done[word] |= bit;
            yes[word] |= bit;
            if (meta->aci_registry) {  // registry_yes: the highest weight answered yes, per bonus flag
              Decimal& best_w = meta->aci_bonus ? registry_bonus : registry;
              bool& seen = meta->aci_bonus ? have_registry_bonus : have_registry;
              if (!seen || gt(meta->aci_weight, best_w)) best_w = meta->aci_weight;
              seen = true;
            }
            ia_cehrt |= meta->aci_cehrt_bonus;
          }
        } else if (kind == "proportion") {
          const Decimal& num = m.items[L.m_numerator].number;
          if (ge(num, kOne)) done[word] |= bit;
          if (meta->aci_weight_positive && !meta->aci_bonus) {
            // decile_points(m, weight)
            const Decimal& den = m.items[L.m_denominator].number;
            Decimal rate = den.is_zero() ? kZero : mul(div(num, den), kHundred);
            Decimal percent;
            if (gt(rate, kZero) && lt(rate, kOne)) {
              percent = kOne;
            } else {
              dsl::round(rate, 0, dsl::Rounding::HalfUp, percent);
            }
            Decimal decile;
            dsl::round(div(percent, p.aci_decile_width), 0, dsl::Rounding::Ceiling, decile);
            decile = min2(decile, p.aci_max_decile);
            performance = add(performance, div(mul(decile, meta->aci_weight), p.aci_max_decile));
          }
        }
      }
      if (!out.aci_ok) break;
      bool base_met = (yes[0] & p.aci_attest_mask[0]) == p.aci_attest_mask[0] &&
                      (yes[1] & p.aci_attest_mask[1]) == p.aci_attest_mask[1];
      for (const AciRequirement& req : p.aci_base_req[transition ? 1 : 0]) {
        if (!base_met) break;
        base_met = (done[0] & req.mask[0]) || (done[1] & req.mask[1]);
      }
      Decimal percent;
      if (base_met) {
        performance = add(performance, registry);
        Decimal bonus = add(add(registry_bonus, ia_cehrt ? p.aci_bonus_ia_cehrt : kZero),
                            cehrt_2015 && !transition ? p.aci_bonus_2015 : kZero);
        percent = min2(add(add(p.aci_base, performance), bonus), p.aci_cap);
      }
      if (!have || gt(percent, best_percent)) {
        best_percent = percent;
        have = true;
      }
    }
    if (out.aci_ok) out.aci_percent = best_percent;
  }

  // ---- weights.merit ----
  bool fewer_than_two = false;
  {
    const Value& euc = f[L.euc_categories];
    bool euc_quality = false, euc_cost = false, euc_ia = false, euc_pi = false;
    if (present(euc))
      for (uint32_t i = 0; i < euc.size; ++i) {
        std::string_view c = euc.items[i].text();
        euc_quality |= c == "quality";
        euc_cost |= c == "cost";
        euc_ia |= c == "ia";
        euc_pi |= c == "pi" || c == "aci";
      }
    const bool euc_automatic = flag_or(f[L.euc_automatic], false) && (individual || p.euc_auto_groups);
    const bool quality_rw = !quality_submitted && (euc_quality || euc_automatic);
    bool cost_rw;
    if (!p.cost_counts) {
      cost_rw = true;
    } else if (!out.cost_ok) {  // cost.scored failed: so do the weights
      out.weights_ok = false;
      cost_rw = true;
    } else {
      cost_rw = !cost_scored || euc_cost || apm_standard;
    }
    const bool ia_rw = !ia_submitted && (euc_ia || euc_automatic);
    const bool cause = (flag_or(f[L.aci_hardship], false) && p.cause_hardship) ||
                       (flag_or(f[L.small_practice_hardship], false) && p.cause_sph) ||
                       (flag_or(f[L.decertified_ehr], false) && p.cause_decert) || (hospital_based && p.cause_hb) ||
                       (asc_based && p.cause_asc) || (non_patient_facing && p.cause_npf) ||
                       (aci_auto_type && p.cause_type) || (euc_pi && p.cause_euc) || euc_automatic;
    const bool aci_rw = cause && !pi_submitted;
    const int bits = (quality_rw ? 8 : 0) | (cost_rw ? 4 : 0) | (ia_rw ? 2 : 0) | (aci_rw ? 1 : 0);
    const int apm = apm_standard ? 1 : 0;
    if (!p.redistribution_has[apm][bits]) out.weights_ok = false;  // the table has no such row: R703
    if (out.weights_ok) {
      out.w_quality = p.redistribution[apm][bits][0];
      out.w_cost = p.redistribution[apm][bits][1];
      out.w_ia = p.redistribution[apm][bits][2];
      out.w_aci = p.redistribution[apm][bits][3];
      int scored = !quality_rw + !cost_rw + !ia_rw + !aci_rw;
      fewer_than_two = lt(Decimal::from_int(scored), p.min_scored);
    }
  }

  // ---- final.merit ----
  if (eligible) {
    Decimal unrounded;
    if (!out.weights_ok) {
      out.score_ok = false;
    } else if (fewer_than_two) {
      unrounded = p.threshold;
    } else if (!out.quality_ok || !out.cost_ok || !out.ia_ok || !out.aci_ok) {
      out.score_ok = false;
    } else {
      const bool submitted_any = quality_submitted || ia_submitted || pi_submitted;
      Decimal quality_points = div(mul(out.w_quality, out.quality_percent), kHundred);
      Decimal cost_points = div(mul(out.w_cost, out.cost_percent), kHundred);
      Decimal ia_points = div(mul(out.w_ia, out.ia_percent), kHundred);
      Decimal aci_points = div(mul(out.w_aci, out.aci_percent), kHundred);
      Decimal small_bonus = small_practice && submitted_any ? p.small_bonus : kZero;
      Decimal complex_bonus;
      if (submitted_any && present(f[L.hcc_risk_score]) && present(f[L.dual_eligible_ratio]))
        complex_bonus = min2(add(f[L.hcc_risk_score].number, mul(p.dual_multiplier, f[L.dual_eligible_ratio].number)),
                             p.complex_cap);
      unrounded = min2(add(add(add(add(add(quality_points, cost_points), ia_points), aci_points), small_bonus), complex_bonus),
                       p.final_cap);
    }
    if (out.score_ok) dsl::round(unrounded, p.final_digits, dsl::Rounding::HalfUp, out.final_score);
  }

  // ---- payment.merit ----
  if (eligible) {
    if (!out.score_ok) {
      out.adjustment_ok = false;
      return;
    }
    const Decimal& fs = out.final_score;
    const Decimal& pt = p.threshold;
    const Decimal& x = p.applicable;
    Decimal base;
    if (le(fs, mul(pt, p.full_penalty_share))) base = x.negated();
    else if (lt(fs, pt)) base = div(mul(x.negated(), sub(pt, fs)), pt);
    else if (eq(fs, pt)) base = kZero;
    else base = div(mul(x, sub(fs, pt)), sub(kHundred, pt));
    Decimal exceptional;
    if (!lt(fs, p.exc_threshold))
      exceptional = add(p.exc_min, mul(div(sub(fs, p.exc_threshold), sub(kHundred, p.exc_threshold)),
                                       sub(p.exc_max, p.exc_min)));
    Decimal sf = min2(present(f[L.scaling_factor]) ? f[L.scaling_factor].number : p.sf_default, p.sf_max);
    Decimal ef = min2(present(f[L.exceptional_factor]) ? f[L.exceptional_factor].number : p.ef_default, p.ef_max);
    Decimal total = add(gt(base, kZero) ? mul(base, sf) : base, mul(exceptional, ef));
    dsl::round(total, p.payment_digits, dsl::Rounding::HalfUp, out.adjustment);
  }
}

}  // namespace merit::bench::sol
