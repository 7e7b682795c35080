// The "speed of light" scorer: the 2018 MIPS rules (policies/2017/rules/*.merit with the 2018
// parameters and tables) ported by hand to plain C++, for the benchmark only (tests/bench/README.md,
// "Speed of light"). It is never used by the product: it exists to measure how far the engine's
// evaluation is from a hand-written scorer of the same rules on the same inputs.
// In:  the compiled 2018 Program (parameter VALUES are read from its constant pool once, at setup)
//      and the engine's bound input record (engine::cms::bind_case), read by field index.
// Out: the category weights and percents, the final score and the payment adjustment, with the
//      same exact decimals (dsl::Decimal, the policy's division scale and rounding) as the engine.
// Invariant: the rule LOGIC is written here, not interpreted; scoring a case allocates nothing
// (fixed scratch buffers sized at setup, grown only by an unusually large case).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dsl/decimal.hpp"
#include "engine/program.hpp"
#include "engine/value.hpp"

namespace merit::bench::sol {

using dsl::Decimal;
using engine::Value;

// What the benchmark compares with the engine. A definition that the engine would fail at run
// time (a table miss, R703) is reported as not ok here; the others still carry their values.
struct Result {
  bool eligible = false;
  bool weights_ok = true, quality_ok = true, cost_ok = true, ia_ok = true, aci_ok = true;
  bool score_ok = true, adjustment_ok = true;
  Decimal w_quality, w_cost, w_ia, w_aci;
  Decimal quality_percent, cost_percent, ia_percent, aci_percent;
  Decimal final_score, adjustment;
};

class Scorer {
 public:
  // Reads every parameter and table the rules use from the program's constants; throws
  // std::runtime_error when one is missing or has an unexpected shape.
  explicit Scorer(const engine::Program& program);

  // Scores one bound input record (a Value of the program's input type).
  void score(const Value& input, Result& out);

 private:
  // ---- Setup: parameters, tables and the input layout ----
  enum Algorithm : uint8_t { kAlgDefault, kOverallStratumOnly, kSimpleAverage, kWeightedOrSum };
  static constexpr int kMaxMethods = 16;

  struct Benchmark {
    std::vector<Decimal> deciles;
    bool inverse = false;
  };
  // Everything keyed by a measure id, from every table: quality measures, benchmarks, cost,
  // IA activities and ACI/PI measures (ids are distinct across categories).
  struct Measure {
    // quality.measures
    bool quality = false, q_inverse = false, q_high_priority = false, q_outcome = false, q_capped = false;
    Algorithm algorithm = kAlgDefault;
    int16_t bench[kMaxMethods];  // quality.benchmarks row per interned method, or -1
    // cost.measures
    bool cost = false, cost_inverse = false;
    Decimal cost_case_minimum;   // sum of param.cost.case_minimums entries for the id
    // ia.activities
    bool ia = false;
    uint8_t ia_weight = 0;       // 0 none, 1 medium, 2 high
    // aci.measures
    int aci = -1;                // bit index in the ACI masks
    Decimal aci_weight;
    bool aci_bonus = false, aci_transition = false, aci_registry = false, aci_cehrt_bonus = false;
    bool aci_weight_positive = false;
  };
  struct AciRequirement {
    uint64_t mask[2];  // the measure and its substitutes
  };

  struct Params {
    engine::Arithmetic arith;
    // eligibility
    Decimal lv_charges, lv_beneficiaries, small_max, npf_max_encounters, npf_group_share, rural_group_share;
    Decimal hb_share, hb_group_share, asc_share, vg_max_tin;
    bool vg_available = false;
    std::vector<std::string> clinician_types, excluded_qp, aci_auto_types;
    // weights
    Decimal min_scored;
    bool euc_auto_groups = false, cost_counts = false;
    bool cause_hardship = false, cause_sph = false, cause_decert = false, cause_hb = false, cause_asc = false,
         cause_npf = false, cause_type = false, cause_euc = false;
    Decimal redistribution[2][16][4];  // [apm][q c i a bits][quality cost ia aci]
    bool redistribution_has[2][16] = {};
    // quality
    Decimal measures_required, data_completeness, case_minimum, floor, max_points, below_dc, below_dc_small,
        non_proportion, decile_offset, topped_out_cap, bonus_outcome, bonus_hp, bonus_e2e, bonus_cap_share,
        denominator_per_measure, readm_min_group, readm_case_minimum, improvement_max, improvement_prior_floor,
        quality_cap;
    int measures_required_n = 6;
    bool bonus_requires_case_minimum = true, missing_hp_zero = true;
    std::string cahps_method, cahps_measure_id, e2e_benchmark_method;
    std::vector<std::string> dc_exempt, cap_exempt, e2e_methods;
    int e2e_bench_method = -1, cost_bench_method = -1;
    int readmission_bench = -1;  // benchmark row of the readmission measure (cost's method), or -1
    // cost
    Decimal cost_decile_offset, cost_min, cost_max, cost_improvement_max, cost_cap;
    // ia
    Decimal ia_medium, ia_high, ia_max, ia_multiplier, ia_pcmh_site_share, ia_apm_min_share;
    std::string ia_pcmh_activity;
    // aci
    Decimal aci_base, aci_decile_width, aci_max_decile, aci_bonus_ia_cehrt, aci_bonus_2015, aci_cap;
    std::vector<AciRequirement> aci_base_req[2];  // [transition]
    uint64_t aci_attest_mask[2] = {0, 0};
    // final and payment
    Decimal final_cap, small_bonus, complex_cap, dual_multiplier;
    int final_digits = 2;
    Decimal threshold, exc_threshold, applicable, full_penalty_share, sf_max, sf_default, ef_max, ef_default, exc_min,
        exc_max;
    int payment_digits = 4;
  };

  struct Layout {  // field indices of the input record and its nested records
    int entity_type, measurement_sets, part_b_charges, part_b_beneficiaries, clinicians, clinician_type,
        new_enrollee, qp_status, mips_apm, apm_ia_points, patient_facing_encounters, non_patient_facing_share, rural,
        hpsa, rural_share, hpsa_share, hospital_based_share, hospital_based_clinician_share, asc_based_share,
        virtual_group_tin_sizes, pcmh, pcmh_site_share, aci_hardship, small_practice_hardship, decertified_ehr,
        euc_categories, euc_automatic, cehrt_edition, cost_measures, cost_improvement, hcc_risk_score,
        dual_eligible_ratio, prior_quality_achievement, readmission, scaling_factor, exceptional_factor;
    int set_category, set_method, set_measures;
    int m_id, m_kind, m_flag, m_numerator, m_denominator, m_end_to_end, m_score, m_strata;
    int s_name, s_met, s_not_met, s_eligible, s_exclusions, s_exceptions;
    int c_id, c_value, c_cases;
    int ci_improved, ci_declined, ci_both_years;
    int r_value, r_cases;
  };

  // ---- Per-case scratch (reused: no allocation once warm) ----
  struct ScoredMeasure {
    bool class1, outcome, high_priority, meets_completeness;
    Decimal points, hp_points, e2e_points;
  };
  struct SetScore {
    Decimal denominator, achievement, percent;
    bool full_participation = false;
  };

  const Measure* find(const Value& id) const;
  int method_index(std::string_view method) const;
  Decimal interpolate(const Decimal& x, const std::vector<Decimal>& bounds, bool inverse) const;
  Decimal quality_decile_points(const Decimal& rate, const Benchmark& b, bool inverse) const;
  Decimal div(const Decimal& a, const Decimal& b) const;

  bool score_quality_set(const Value& set, bool small_practice, bool readmission_applies,
                         const Decimal& readmission_points, bool have_cahps, const ScoredMeasure& cahps,
                         bool cahps_only, SetScore& out);
  bool score_cahps(const Value& set, ScoredMeasure& out) const;

  Params p_;
  Layout in_;
  std::vector<std::string> methods_;  // interned benchmark methods
  std::vector<Benchmark> benchmarks_;
  std::vector<Measure> measures_;
  std::unordered_map<std::string_view, uint32_t> index_;  // id -> measures_ (keys point into the Program)
  std::vector<ScoredMeasure> scored_;
  std::vector<uint32_t> ranked_;
};

}  // namespace merit::bench::sol
