#include "engine/population/generator.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "engine/cms/tables.hpp"

namespace merit::engine::population {

using cms::field_text;
using cms::find_field;
using cms::find_table;

const QualityMeasure::Benchmark* QualityMeasure::benchmark(const std::string& method) const {
  for (const auto& b : benchmarks)
    if (b.method == method) return &b;
  return nullptr;
}

namespace {

// ---- Reading the catalog ----

// A decimal times 10^digits, rounded half up (0.6 with 4 digits is 6000).
int64_t scaled(const dsl::Decimal& d, int digits) {
  __int128 c = d.coefficient();
  int s = d.scale();
  while (s < digits) c *= 10, ++s;
  bool neg = c < 0;
  if (neg) c = -c;
  while (s > digits) {
    __int128 r = c % 10;
    c /= 10;
    --s;
    if (s == digits && r >= 5) ++c;
  }
  return static_cast<int64_t>(neg ? -c : c);
}

bool flag(const Datum& row, std::string_view name) {
  const Datum* f = find_field(row, name);
  return f && f->kind == Datum::Kind::Bool && f->flag;
}

int64_t number(const Datum& row, std::string_view name, int digits = 0) {
  const Datum* f = find_field(row, name);
  return f && (f->kind == Datum::Kind::Number || f->kind == Datum::Kind::Money) ? scaled(f->number, digits) : 0;
}

std::vector<std::string> strings(const Datum& row, std::string_view name) {
  std::vector<std::string> out;
  if (const Datum* f = find_field(row, name); f && f->kind == Datum::Kind::List)
    for (const auto& x : f->items) out.push_back(x.text);
  return out;
}

std::vector<int64_t> numbers(const Datum& row, std::string_view name, int digits) {
  std::vector<int64_t> out;
  if (const Datum* f = find_field(row, name); f && f->kind == Datum::Kind::List)
    for (const auto& x : f->items) out.push_back(scaled(x.number, digits));
  return out;
}

bool in_year(const Datum& row, int year) {
  int64_t first = number(row, "first_year"), last = number(row, "last_year");
  return (first == 0 || first <= year) && (last == 0 || last >= year);
}

void param(const Policy& p, std::string_view name, int digits, int64_t& out) {
  const Parameter* x = p.find_parameter(name);
  if (x && (x->value.kind == Datum::Kind::Number || x->value.kind == Datum::Kind::Money))
    out = scaled(x->value.number, digits);
}

bool is_performance_metric(std::string_view m) {
  return m == "singlePerformanceRate" || m == "multiPerformanceRate" || m == "registrySinglePerformanceRate" ||
         m == "registryMultiPerformanceRate";
}

// ---- Random numbers: std::mt19937_64 (its sequence is fixed by the standard) and integer draws ----

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  // Uniform in [0, n) without bias and without floating point.
  // Lemire's method: the high word of x * n, rejecting the few low words that would bias it.
  uint64_t below(uint64_t n) {
    if (n <= 1) return 0;
    unsigned __int128 m = static_cast<unsigned __int128>(g_()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      uint64_t threshold = (0 - n) % n;  // 2^64 mod n
      while (low < threshold) {
        m = static_cast<unsigned __int128>(g_()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }
  // Uniform in [lo, hi] (hi < lo gives lo).
  int64_t range(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // True with probability per_mille / 1000.
  bool chance(int per_mille) { return static_cast<int>(below(1000)) < per_mille; }
  // An index drawn with integer weights.
  template <size_t N>
  size_t pick(const int (&weights)[N]) {
    int total = 0;
    for (int w : weights) total += w;
    int x = static_cast<int>(below(static_cast<uint64_t>(total)));
    for (size_t i = 0; i < N; ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return N - 1;
  }

 private:
  std::mt19937_64 g_;
};

// ---- The documented parameters (docs/population.md) ----

// Practice size (clinicians in the TIN): buckets drawn by weight (per 1000), uniform inside.
struct SizeBucket {
  int lo, hi;
};
constexpr SizeBucket kSizes[] = {{1, 1}, {2, 4}, {5, 9}, {10, 15}, {16, 24}, {25, 49}, {50, 99}, {100, 499}, {500, 2000}};
constexpr int kSizeWeights[] = {300, 170, 130, 100, 80, 80, 60, 55, 25};
// Share of cases reporting as a group (per mille), by size: 2-15, 16-99, 100+ (solo: individual).
constexpr int kGroupSmall = 350, kGroupMid = 600, kGroupLarge = 750;

// Individual clinician types.
constexpr const char* kTypes[] = {"physician", "nurse_practitioner", "physician_assistant", "clinical_nurse_specialist",
                                  "crna", "physical_therapist"};
constexpr int kTypeWeights[] = {720, 120, 90, 10, 30, 30};
constexpr const char* kQpStatus[] = {"none", "qp", "partial_qp", "partial_qp_elects_mips"};
constexpr int kQpWeights[] = {930, 45, 10, 15};

// Part B volume: low-volume shares (per mille) and allowed charges per clinician above the threshold (dollars).
constexpr int kLowVolumeIndividual = 200, kLowVolumeGroup = 30;
constexpr int64_t kChargeBounds[] = {0, 200000, 500000, 1000000, 3000000};  // [threshold, 200k], ...
constexpr int kChargeWeights[] = {300, 400, 200, 100};
constexpr int64_t kPerBeneficiaryLo = 250, kPerBeneficiaryHi = 900;  // allowed dollars per beneficiary
constexpr int64_t kPaidLo = 7400, kPaidHi = 8100;                    // paid / allowed, basis points

// Special statuses (per mille).
constexpr int kRural = 120, kHpsa = 80, kNonPatientFacing = 60, kHospitalBased = 70, kAscBased = 10;
constexpr int kPcmh = 40, kNewEnrollee = 15, kEucAutomatic = 10, kAciHardship = 30, kSmallPracticeHardship = 250;

// Quality.
constexpr int kQualityReporters = 950;
constexpr int kMeasureCountWeights[] = {30, 30, 40, 40, 60, 700, 40, 30, 30};  // 1..9 measures
constexpr int kDecileWeights[] = {40, 70, 90, 100, 110, 120, 120, 120, 120, 110};  // deciles 1..10
constexpr int kBelowCompleteness = 120, kBelowCaseMinimum = 50, kEndToEndEhr = 700, kEndToEndRegistry = 150;

// Improvement activities: full credit, partial, none (per mille of cases).
constexpr int kIaWeights[] = {780, 120, 100};

// Promoting Interoperability: reporters (per mille) when not reweighted / when reweighted.
constexpr int kPiReporters = 820, kPiReportersReweighted = 150, kPiBaseMet = 880;
constexpr const char* kCehrt[] = {"2015", "2014", "mixed"};
constexpr int kCehrtWeights[] = {650, 200, 150};
constexpr int kTransitionWith2014 = 800, kOptionalPi = 550, kBonusPi = 300;

// Cost and claims measures computed by CMS (per mille).
constexpr int kCostFirst = 500, kCostOther = 350, kReadmission = 700, kPriorQuality = 600;

// The optional profile fields the generator writes, when the policy declares them.
enum class F { aci_hardship, asc_based_share, cehrt_edition, clinician_type, cost_measures, dual_eligible_ratio, euc_automatic, hcc_risk_score, hospital_based_clinician_share, hospital_based_share, hpsa, hpsa_share, new_enrollee, non_patient_facing_share, patient_facing_encounters, pcmh, pcmh_site_share, prior_quality_achievement, qp_status, readmission, rural, rural_share, small_practice_hardship, count };
constexpr const char* kFieldNames[] = {"aci_hardship", "asc_based_share", "cehrt_edition", "clinician_type", "cost_measures", "dual_eligible_ratio", "euc_automatic", "hcc_risk_score", "hospital_based_clinician_share", "hospital_based_share", "hpsa", "hpsa_share", "new_enrollee", "non_patient_facing_share", "patient_facing_encounters", "pcmh", "pcmh_site_share", "prior_quality_achievement", "qp_status", "readmission", "rural", "rural_share", "small_practice_hardship"};

// ---- Output: a growing buffer of JSON text ----

class Out {
 public:
  // Room for one more case (a case is a few kB; 64 kB is far more than the largest).
  void reserve_case() {
    size_t used = size();
    if (buf_.size() < used + 65536) {
      buf_.resize(std::max(buf_.size() * 2, used + 65536));
      cur_ = buf_.data() + used;
    }
  }
  size_t size() const { return cur_ ? static_cast<size_t>(cur_ - buf_.data()) : 0; }
  std::string_view text() const { return {buf_.data(), size()}; }
  void clear() { cur_ = buf_.data(); }

  void raw(std::string_view s) {
    std::memcpy(cur_, s.data(), s.size());
    cur_ += s.size();
  }
  void ch(char c) { *cur_++ = c; }
  void str(std::string_view s) {
    *cur_++ = '"';
    for (char c : s) {
      if (c == '"' || c == '\\') {
        *cur_++ = '\\';
        *cur_++ = c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        static const char* hex = "0123456789abcdef";
        raw("\\u00");
        *cur_++ = hex[(c >> 4) & 0xf];
        *cur_++ = hex[c & 0xf];
      } else {
        *cur_++ = c;
      }
    }
    *cur_++ = '"';
  }
  void integer(int64_t v) {
    char tmp[24];
    int n = 0;
    bool neg = v < 0;
    uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    do {
      tmp[n++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u);
    if (neg) *cur_++ = '-';
    while (n) *cur_++ = tmp[--n];
  }
  // v / 10^digits with exactly `digits` fractional digits.
  void fixed(int64_t v, int digits) {
    int64_t p = 1;
    for (int i = 0; i < digits; ++i) p *= 10;
    if (v < 0) {
      *cur_++ = '-';
      v = -v;
    }
    integer(v / p);
    *cur_++ = '.';
    int64_t f = v % p;
    for (int64_t q = p / 10; q > 0; q /= 10) *cur_++ = static_cast<char>('0' + (f / q) % 10);
  }
  // A key of an object that has at least one member before it, or none (after '{').
  void key(std::string_view k) {
    if (cur_[-1] != '{' && cur_[-1] != '[') *cur_++ = ',';
    str(k);
    *cur_++ = ':';
  }

 private:
  std::string buf_;
  char* cur_ = nullptr;
};

// One case's draws.
struct Clinician {
  bool group = false;
  int64_t size = 1;
  bool small = false, rural = false, hpsa = false, npf = false, hospital = false, asc = false;
  bool auto_reweight_type = false, hardship = false, low_volume = false;
};

class Writer {
 public:
  Writer(const Catalog& c, uint64_t seed, Summary* s) : cat_(c), rng_(seed), sum_(s ? s : &own_) {
    for (size_t i = 0; i < static_cast<size_t>(F::count); ++i) declared_[i] = c.inputs.count(kFieldNames[i]) > 0;
  }

  void write_case(uint64_t index, Out& o) {
    Clinician cl;
    draw_size(cl);
    o.raw("{\"case\":\"c");
    char id[24];  // the case number, at least 6 digits
    int n = 0;
    for (uint64_t v = index + 1; v || n < 6; v /= 10) id[n++] = static_cast<char>('0' + v % 10);
    while (n) o.ch(id[--n]);
    o.ch('"');
    // Part B volume first: the paid amount is a top-level field, the profile's are inputs.
    int64_t charges = 0, beneficiaries = 0;
    draw_volume(cl, charges, beneficiaries);
    o.key("part_b_paid");
    o.fixed(charges * rng_.range(kPaidLo, kPaidHi) / 10000, 2);
    o.key("profile");
    o.ch('{');
    o.key("part_b_charges");
    o.fixed(charges, 2);
    o.key("part_b_beneficiaries");
    o.integer(beneficiaries);
    o.key("clinicians");
    o.integer(cl.size);
    write_profile(cl, o);
    o.ch('}');
    o.key("submission");
    write_submission(cl, beneficiaries, o);
    o.raw("}\n");
    ++sum_->cases;
    (cl.group ? sum_->groups : sum_->individuals)++;
    if (cl.small) ++sum_->small_practices;
    if (cl.low_volume) ++sum_->low_volume;
    if (cl.rural) ++sum_->rural;
    if (cl.hpsa) ++sum_->hpsa;
    if (cl.npf) ++sum_->non_patient_facing;
    if (cl.hospital) ++sum_->hospital_based;
  }

 private:
  bool has(F field) const { return declared_[static_cast<size_t>(field)]; }

  void draw_size(Clinician& cl) {
    const SizeBucket& b = kSizes[rng_.pick(kSizeWeights)];
    cl.size = rng_.range(b.lo, b.hi);
    int group_share = cl.size == 1 ? 0 : cl.size <= 15 ? kGroupSmall : cl.size < 100 ? kGroupMid : kGroupLarge;
    cl.group = rng_.chance(group_share);
    cl.small = cl.size <= cat_.small_practice;
  }

  void draw_volume(Clinician& cl, int64_t& charges, int64_t& beneficiaries) {
    const int64_t lvc = cat_.low_volume_charges, lvb = cat_.low_volume_beneficiaries;
    cl.low_volume = rng_.chance(cl.group ? kLowVolumeGroup : kLowVolumeIndividual);
    if (cl.low_volume) {
      if (rng_.chance(600)) {  // low charges
        charges = rng_.range(lvc / 20, lvc);
        beneficiaries = rng_.range(std::max<int64_t>(lvb / 10, 1), lvb * 3);
      } else {                 // few beneficiaries
        charges = rng_.range(lvc + 100, lvc * 3);
        beneficiaries = rng_.range(std::max<int64_t>(lvb / 10, 1), lvb);
      }
      return;
    }
    size_t k = rng_.pick(kChargeWeights);
    int64_t lo = std::max(kChargeBounds[k] * 100, lvc + 100), hi = kChargeBounds[k + 1] * 100;
    int64_t per_clinician = rng_.range(lo, std::max(lo, hi));
    charges = cl.group ? per_clinician * cl.size * rng_.range(80, 120) / 100 : per_clinician;
    if (charges <= lvc) charges = lvc + rng_.range(100, 1000000);
    beneficiaries = charges / 100 / rng_.range(kPerBeneficiaryLo, kPerBeneficiaryHi);
    if (beneficiaries <= lvb) beneficiaries = lvb + rng_.range(1, 300);
  }

  // A share in basis points written with 2 decimals of a unit (0.00-1.00 as 4 digits: 0.7512).
  void share(Out& o, const char* name, int64_t bp) {
    o.key(name);
    o.fixed(bp, 4);
  }
  int64_t share_above(int64_t threshold) { return rng_.range(std::min<int64_t>(threshold + 1, 10000), 10000); }
  int64_t share_below(int64_t threshold, int64_t cap = 5000) { return rng_.range(0, std::min(threshold - 1, cap)); }

  void write_profile(Clinician& cl, Out& o) {
    if (!cl.group) {
      size_t t = rng_.pick(kTypeWeights);
      cl.auto_reweight_type = t >= 1 && t <= 4;
      if (has(F::clinician_type)) {
        o.key("clinician_type");
        o.str(kTypes[t]);
      }
    }
    if (has(F::new_enrollee) && rng_.chance(kNewEnrollee)) o.raw(",\"new_enrollee\":true");
    if (has(F::qp_status)) {
      size_t q = rng_.pick(kQpWeights);
      if (q != 0) {
        o.key("qp_status");
        o.str(kQpStatus[q]);
      }
    }
    cl.rural = rng_.chance(kRural);
    cl.hpsa = rng_.chance(kHpsa);
    cl.npf = rng_.chance(kNonPatientFacing);
    cl.hospital = rng_.chance(kHospitalBased);
    cl.asc = rng_.chance(kAscBased);
    if (!cl.group) {
      if (has(F::patient_facing_encounters)) {
        o.key("patient_facing_encounters");
        o.integer(cl.npf ? rng_.range(0, cat_.npf_encounters) : rng_.range(cat_.npf_encounters + 1, 6000));
      }
      if (cl.rural && has(F::rural)) o.raw(",\"rural\":true");
      if (cl.hpsa && has(F::hpsa)) o.raw(",\"hpsa\":true");
      if (has(F::hospital_based_share))
        share(o, "hospital_based_share", cl.hospital ? share_above(cat_.hospital_based - 1) : share_below(cat_.hospital_based));
    } else {
      if (has(F::non_patient_facing_share))
        share(o, "non_patient_facing_share", cl.npf ? share_above(cat_.group_share) : share_below(cat_.group_share, 3000));
      if (has(F::rural_share)) share(o, "rural_share", cl.rural ? share_above(cat_.group_share) : share_below(cat_.group_share));
      if (has(F::hpsa_share)) share(o, "hpsa_share", cl.hpsa ? share_above(cat_.group_share) : share_below(cat_.group_share, 3000));
      if (has(F::hospital_based_clinician_share))
        share(o, "hospital_based_clinician_share",
              cl.hospital ? share_above(cat_.hospital_based_group - 1) : share_below(cat_.hospital_based_group, 6000));
    }
    if (cl.asc && has(F::asc_based_share)) share(o, "asc_based_share", share_above(7499));
    if (rng_.chance(kPcmh) && has(F::pcmh)) {
      o.raw(",\"pcmh\":true");
      if (cl.group && has(F::pcmh_site_share)) share(o, "pcmh_site_share", rng_.range(5000, 10000));
    }
    if (has(F::aci_hardship) && rng_.chance(kAciHardship)) {
      o.raw(",\"aci_hardship\":true");
      cl.hardship = true;
    }
    if (cl.small && has(F::small_practice_hardship) && rng_.chance(kSmallPracticeHardship)) {
      o.raw(",\"small_practice_hardship\":true");
      cl.hardship = true;
    }
    if (has(F::euc_automatic) && rng_.chance(kEucAutomatic)) o.raw(",\"euc_automatic\":true");
    if (has(F::hcc_risk_score)) {
      o.key("hcc_risk_score");
      o.fixed(rng_.chance(800) ? rng_.range(60, 140) : rng_.range(140, 350), 2);
    }
    if (has(F::dual_eligible_ratio)) {
      o.key("dual_eligible_ratio");
      o.fixed(rng_.chance(800) ? rng_.range(0, 30) : rng_.range(30, 80), 2);
    }
    if (has(F::prior_quality_achievement) && rng_.chance(kPriorQuality)) {
      o.key("prior_quality_achievement");
      o.fixed(rng_.range(2000, 10000), 2);
    }
    // Cost measures CMS computed from claims (some below their case minimum).
    if (has(F::cost_measures) && !cat_.cost.empty()) {
      bool any = false;
      for (size_t i = 0; i < cat_.cost.size(); ++i) {
        if (!rng_.chance(i == 0 ? kCostFirst : kCostOther)) continue;
        const CostMeasure& m = cat_.cost[i];
        o.raw(any ? "," : ",\"cost_measures\":[");
        any = true;
        o.raw("{\"id\":");
        o.str(m.id);
        o.raw(",\"value\":");
        o.fixed(around_cost(m.deciles), 2);
        o.raw(",\"cases\":");
        o.integer(rng_.chance(150) ? rng_.range(1, 19) : rng_.range(20, 600));
        o.ch('}');
      }
      if (any) {
        o.ch(']');
        ++sum_->with_cost;
      }
    }
    if (cl.group && cl.size >= 16 && has(F::readmission) && !cat_.readmission_id.empty() && rng_.chance(kReadmission)) {
      o.raw(",\"readmission\":{\"value\":");
      o.fixed(around_rate(cat_.readmission_deciles, true), 2);
      o.raw(",\"cases\":");
      o.integer(rng_.range(50, 3000));
      o.ch('}');
    }
    cehrt_ = -1;
    bool reweighted = cl.hospital || cl.npf || cl.auto_reweight_type || cl.hardship || cl.asc;
    pi_ = rng_.chance(reweighted ? kPiReportersReweighted : kPiReporters);
    if (pi_ && has(F::cehrt_edition)) {
      cehrt_ = static_cast<int>(rng_.pick(kCehrtWeights));
      o.key("cehrt_edition");
      o.str(kCehrt[cehrt_]);
    }
  }

  // A cost value inside a decile drawn from the measure's 10 decreasing bounds (cents).
  int64_t around_cost(const std::vector<int64_t>& d) {
    if (d.empty()) return rng_.range(500000, 3000000);
    size_t k = rng_.below(d.size());
    int64_t hi = d[k], lo = k + 1 < d.size() ? d[k + 1] : d[k] * 8 / 10;
    return rng_.range(std::min(lo, hi) + 1, std::max(lo, hi));
  }

  // A rate (hundredths of a percent) inside a decile drawn with kDecileWeights. deciles[j] is
  // the bound of decile j + 2 (9 values) in the measure's better direction.
  int64_t around_rate(const std::vector<int64_t>& d, bool inverse) {
    size_t k = rng_.pick(kDecileWeights) + 1;  // 1..10
    const int64_t top = inverse ? 0 : 10000, bottom = inverse ? std::max<int64_t>(10000, d.empty() ? 0 : d[0]) : 0;
    auto bound = [&](size_t decile) -> int64_t {  // where `decile` starts (2..10); 1 starts at the bottom, 11 is the top
      if (decile <= 1) return bottom;
      if (decile - 2 >= d.size()) return top;
      return d[decile - 2];
    };
    int64_t start = bound(k), end = bound(k + 1);
    if (!inverse) {
      if (k == 10) return rng_.range(start, std::max(start, top));
      return end > start ? rng_.range(start, end - 1) : start;
    }
    if (k == 10) return rng_.range(std::min(start, top), start);
    return start > end ? rng_.range(end + 1, start) : start;
  }

  void write_submission(const Clinician& cl, int64_t beneficiaries, Out& o) {
    o.raw("{\"entityType\":");
    o.str(cl.group ? "group" : "individual");
    o.raw(",\"performanceYear\":");
    o.integer(cat_.year);
    o.raw(",\"measurementSets\":[");
    std::string method = quality_method(cl);
    bool sets = false;
    if (!method.empty() && rng_.chance(kQualityReporters)) {
      write_quality(method, beneficiaries, o);
      sets = true;
    }
    std::string other = method == "registry" || method == "electronicHealthRecord" ? method : "attestation";
    size_t ia = rng_.pick(kIaWeights);
    if (ia != 2 && !cat_.activities.empty()) {
      if (sets) o.ch(',');
      write_ia(cl, ia == 0, other, o);
      sets = true;
    } else {
      ++sum_->ia_none;
    }
    if (pi_ && !cat_.pi_category.empty()) {
      if (sets) o.ch(',');
      write_pi(other, o);
    }
    o.raw("]}");
  }

  std::string quality_method(const Clinician& cl) {
    // individual: claims 35 %, registry 40 %, EHR 25 %; group: registry 55 %, EHR 35 %, Web Interface 10 % (25+)
    static const char* kIndividual[] = {"claims", "registry", "electronicHealthRecord"};
    static const int kIndividualWeights[] = {350, 400, 250};
    static const char* kGroup[] = {"registry", "electronicHealthRecord", "cmsWebInterface"};
    static const int kGroupWeights[] = {550, 350, 100};
    std::string m = cl.group ? kGroup[rng_.pick(kGroupWeights)] : kIndividual[rng_.pick(kIndividualWeights)];
    if (m == "cmsWebInterface" && cl.size < 25) m = "registry";
    if (measures_for(m)) return m;
    for (const auto& [name, list] : cat_.methods)  // a year without that method's benchmarks
      if (name == "registry" && !list.empty()) return name;
    return cat_.methods.empty() ? "" : cat_.methods.front().first;
  }

  const std::vector<size_t>* measures_for(const std::string& method) const {
    for (const auto& [name, list] : cat_.methods)
      if (name == method && !list.empty()) return &list;
    return nullptr;
  }

  void counts(Out& o, int64_t met, int64_t not_met, int64_t eligible, int64_t excl, int64_t exc) {
    o.raw("\"performanceMet\":");
    o.integer(met);
    o.raw(",\"performanceNotMet\":");
    o.integer(not_met);
    o.raw(",\"eligiblePopulation\":");
    o.integer(eligible);
    if (excl) {
      o.raw(",\"eligiblePopulationExclusion\":");
      o.integer(excl);
    }
    if (exc) {
      o.raw(",\"eligiblePopulationException\":");
      o.integer(exc);
    }
  }

  void write_quality(const std::string& method, int64_t beneficiaries, Out& o) {
    const std::vector<size_t>& pool = *measures_for(method);
    size_t n = method == "cmsWebInterface" ? pool.size() : rng_.pick(kMeasureCountWeights) + 1;
    n = std::min(n, pool.size());
    pick_.assign(pool.begin(), pool.end());
    for (size_t i = 0; i < n; ++i) std::swap(pick_[i], pick_[i + rng_.below(pick_.size() - i)]);
    ++sum_->quality_reporters;
    o.raw("{\"category\":\"quality\",\"submissionMethod\":");
    o.str(method);
    o.raw(",\"measurements\":[");
    for (size_t i = 0; i < n; ++i) {
      const QualityMeasure& m = cat_.quality[pick_[i]];
      const QualityMeasure::Benchmark* b = m.benchmark(method);
      int64_t eligible = rng_.chance(kBelowCaseMinimum) ? rng_.range(3, cat_.case_minimum - 1)
                                                        : rng_.range(cat_.case_minimum, std::clamp<int64_t>(beneficiaries / 2, 40, 2000));
      bool below = rng_.chance(kBelowCompleteness);
      int64_t completeness = below ? rng_.range(2500, cat_.data_completeness - 1) : rng_.range(cat_.data_completeness, 10000);
      int64_t reported = std::max<int64_t>(1, eligible * completeness / 10000);
      int64_t excl = rng_.chance(300) ? rng_.range(0, reported / 20) : 0;
      int64_t exc = rng_.chance(200) ? rng_.range(0, reported / 30) : 0;
      int64_t denominator = reported - excl - exc;
      int64_t rate = around_rate(b->deciles, m.inverse);
      int64_t met = (denominator * rate + 5000) / 10000;
      bool e2e = (method == "electronicHealthRecord" && rng_.chance(kEndToEndEhr)) ||
                 (method == "registry" && rng_.chance(kEndToEndRegistry));
      ++sum_->quality_measures;
      if (below) ++sum_->below_completeness;
      if (eligible < cat_.case_minimum) ++sum_->below_case_minimum;
      if (i) o.ch(',');
      o.raw("{\"measureId\":");
      o.str(m.id);
      o.raw(",\"value\":{");
      if (e2e) o.raw("\"isEndToEndReported\":true,");
      if (m.strata.size() <= 1) {
        counts(o, met, denominator - met, eligible, excl, exc);
      } else {
        // Every stratum at the same rate: "overall" carries the totals, the others share them.
        size_t parts = 0;
        for (const auto& s : m.strata) parts += s != "overall";
        o.raw("\"strata\":[");
        size_t seen = 0;
        const int64_t all[5] = {met, denominator - met, excl, exc, eligible - reported};
        int64_t left[5] = {all[0], all[1], all[2], all[3], all[4]};
        for (size_t s = 0; s < m.strata.size(); ++s) {
          if (s) o.ch(',');
          o.raw("{\"stratum\":");
          o.str(m.strata[s]);
          o.ch(',');
          if (m.strata[s] == "overall") {
            counts(o, met, denominator - met, eligible, excl, exc);
          } else {
            ++seen;
            int64_t x[5];
            for (int j = 0; j < 5; ++j) {
              x[j] = seen == parts ? left[j] : all[j] / static_cast<int64_t>(parts);
              left[j] -= x[j];
            }
            counts(o, x[0], x[1], x[0] + x[1] + x[2] + x[3] + x[4], x[2], x[3]);
          }
          o.ch('}');
        }
        o.ch(']');
      }
      o.raw("}}");
    }
    o.raw("]}");
  }

  void write_ia(const Clinician& cl, bool full, const std::string& method, Out& o) {
    int64_t multiplier = cl.small || cl.rural || cl.hpsa || cl.npf ? cat_.ia_multiplier : 1;
    int64_t target = full ? cat_.ia_max_points : 10 * rng_.range(1, std::max<int64_t>(1, cat_.ia_max_points / 10 - 1));
    if (full) ++sum_->ia_full;
    o.raw("{\"category\":\"ia\",\"submissionMethod\":");
    o.str(method);
    o.raw(",\"measurements\":[");
    pick_.resize(cat_.activities.size());
    for (size_t i = 0; i < pick_.size(); ++i) pick_[i] = i;
    int64_t points = 0;
    for (size_t i = 0; i < pick_.size() && points < target; ++i) {
      std::swap(pick_[i], pick_[i + rng_.below(pick_.size() - i)]);
      const auto& [id, p] = cat_.activities[pick_[i]];
      if (!full && points + p * multiplier > target && points > 0) break;
      points += p * multiplier;
      if (i) o.ch(',');
      o.raw("{\"measureId\":");
      o.str(id);
      o.raw(",\"value\":true}");
    }
    o.raw("]}");
  }

  void proportion(Out& o, const std::string& id, bool zero) {
    int64_t denominator = rng_.range(20, 2000);
    int64_t rate = zero ? 0 : rng_.chance(700) ? rng_.range(50, 100) : rng_.range(1, 49);
    int64_t numerator = zero ? 0 : std::max<int64_t>(1, (denominator * rate + 50) / 100);
    o.raw("{\"measureId\":");
    o.str(id);
    o.raw(",\"value\":{\"numerator\":");
    o.integer(numerator);
    o.raw(",\"denominator\":");
    o.integer(denominator);
    o.raw("}}");
  }

  void write_pi(const std::string& method, Out& o) {
    bool transition = cehrt_ == 1 && !cat_.pi[1].base.empty() && rng_.chance(kTransitionWith2014);
    const PiMeasureSet& set = cat_.pi[transition ? 1 : 0];
    ++sum_->pi_reporters;
    bool met = rng_.chance(kPiBaseMet);
    // A failed base: one base measure not done (numerator 0, or answered no) (80 %), or an attestation missing.
    int fail_kind = met ? -1 : rng_.chance(800) || cat_.attestations.empty() ? 0 : 2;
    if (!met) ++sum_->pi_base_failed;
    size_t fail_at = rng_.below(std::max<size_t>(1, set.base.size()));
    o.raw("{\"category\":");
    o.str(cat_.pi_category);
    o.raw(",\"submissionMethod\":");
    o.str(method);
    o.raw(",\"measurements\":[");
    bool first = true;
    auto next = [&] {
      if (!first) o.ch(',');
      first = false;
    };
    size_t skip_attestation = fail_kind == 2 ? rng_.below(cat_.attestations.size()) : SIZE_MAX;
    for (size_t i = 0; i < cat_.attestations.size(); ++i) {
      if (i == skip_attestation) continue;
      next();
      o.raw("{\"measureId\":");
      o.str(cat_.attestations[i]);
      o.raw(",\"value\":true}");
    }
    for (size_t i = 0; i < set.base.size(); ++i) {
      const PiMeasure& m = set.base[i];
      bool fail = fail_kind == 0 && i == fail_at;
      next();
      if (m.boolean) {
        o.raw("{\"measureId\":");
        o.str(m.id);
        o.raw(fail ? ",\"value\":false}" : ",\"value\":true}");
      } else {
        proportion(o, m.id, fail);
      }
    }
    for (const PiMeasure& m : set.optional)
      if (rng_.chance(kOptionalPi)) {
        next();
        proportion(o, m.id, false);
      }
    for (const PiMeasure& m : set.bonus)
      if (rng_.chance(kBonusPi)) {
        next();
        o.raw("{\"measureId\":");
        o.str(m.id);
        o.raw(",\"value\":true}");
      }
    o.raw("]}");
  }

  const Catalog& cat_;
  Rng rng_;
  Summary own_;
  Summary* sum_;
  std::vector<size_t> pick_;
  bool pi_ = false;
  int cehrt_ = -1;
  bool declared_[static_cast<size_t>(F::count)] = {};
};

}  // namespace

std::optional<Catalog> read_catalog(const Policy& policy, std::string& error) {
  Catalog c;
  c.year = std::atoi(policy.year.c_str());
  if (c.year <= 0) {
    error = "the policy names no year";
    return std::nullopt;
  }
  for (const auto& in : policy.inputs) c.inputs.insert(in.name);
  for (const char* need : {"part_b_charges", "part_b_beneficiaries", "clinicians", "entity_type", "measurement_sets"})
    if (!c.inputs.count(need)) {
      error = std::string("the policy declares no input '") + need + "'";
      return std::nullopt;
    }
  const Datum* measures = find_table(policy, "quality.measures");
  const Datum* benchmarks = find_table(policy, "quality.benchmarks");
  const Datum* activities = find_table(policy, "ia.activities");
  const Datum* aci = find_table(policy, "aci.measures");
  const Datum* cost = find_table(policy, "cost.measures");
  if (!measures || !benchmarks) {
    error = "the policy has no quality.measures or quality.benchmarks table";
    return std::nullopt;
  }
  param(policy, "eligibility.low_volume.charges", 2, c.low_volume_charges);
  param(policy, "eligibility.low_volume.beneficiaries", 0, c.low_volume_beneficiaries);
  param(policy, "eligibility.small_practice.max_clinicians", 0, c.small_practice);
  param(policy, "eligibility.npf.max_encounters", 0, c.npf_encounters);
  param(policy, "eligibility.rural_hpsa.group_share", 4, c.group_share);
  param(policy, "eligibility.hospital_based.share", 4, c.hospital_based);
  param(policy, "eligibility.hospital_based.group_share", 4, c.hospital_based_group);
  param(policy, "quality.data_completeness", 4, c.data_completeness);
  param(policy, "quality.case_minimum", 0, c.case_minimum);
  param(policy, "ia.max_points", 0, c.ia_max_points);
  param(policy, "ia.special_multiplier", 0, c.ia_multiplier);
  c.data_completeness = std::clamp<int64_t>(c.data_completeness, 2600, 10000);
  c.case_minimum = std::max<int64_t>(c.case_minimum, 4);

  // Quality measures with a performance rate, and the methods that benchmark them.
  for (const Datum& row : measures->items) {
    if (!in_year(row, c.year) || !is_performance_metric(field_text(row, "metric_type"))) continue;
    QualityMeasure m;
    m.id = std::string(field_text(row, "id"));
    m.inverse = flag(row, "inverse");
    m.strata = strings(row, "strata");
    for (const Datum& b : benchmarks->items) {
      if (field_text(b, "id") != m.id) continue;
      auto deciles = numbers(b, "deciles", 2);
      if (deciles.size() != 9) continue;
      m.benchmarks.push_back({std::string(field_text(b, "method")), std::move(deciles)});
    }
    if (m.benchmarks.empty()) continue;
    for (const auto& b : m.benchmarks) {
      if (b.method == "administrativeClaims" || b.method == "certifiedSurveyVendor") continue;
      auto it = std::find_if(c.methods.begin(), c.methods.end(), [&](const auto& x) { return x.first == b.method; });
      if (it == c.methods.end()) it = c.methods.insert(c.methods.end(), {b.method, {}});
      it->second.push_back(c.quality.size());
    }
    c.quality.push_back(std::move(m));
  }
  std::sort(c.methods.begin(), c.methods.end());
  if (c.methods.empty()) {
    error = "no quality measure of the year has a benchmark";
    return std::nullopt;
  }
  // The claims-based readmission measure (metric type costScore, administrative claims benchmark).
  for (const Datum& row : measures->items) {
    if (!in_year(row, c.year) || field_text(row, "metric_type") != "costScore") continue;
    for (const Datum& b : benchmarks->items)
      if (field_text(b, "id") == field_text(row, "id") && field_text(b, "method") == "administrativeClaims") {
        c.readmission_id = std::string(field_text(row, "id"));
        c.readmission_deciles = numbers(b, "deciles", 2);
      }
    if (!c.readmission_id.empty()) break;
  }
  if (activities)
    for (const Datum& row : activities->items) {
      if (!in_year(row, c.year)) continue;
      auto w = field_text(row, "weight");
      int points = w == "high" ? 20 : w == "medium" ? 10 : 0;
      if (points) c.activities.emplace_back(std::string(field_text(row, "id")), points);
    }
  if (aci) {
    std::string attestation = "attestation";
    if (const Parameter* p = policy.find_parameter("aci.attestation_category"); p && p->value.kind == Datum::Kind::String)
      attestation = p->value.text;
    std::string prefix;
    for (const Datum& row : aci->items) {
      if (!in_year(row, c.year)) continue;
      std::string id(field_text(row, "id"));
      if (prefix.empty()) prefix = id.substr(0, id.find('_'));
      bool boolean = field_text(row, "metric_type") == "boolean";
      bool required = flag(row, "required"), bonus = flag(row, "bonus");
      int64_t weight = number(row, "weight");
      auto category = field_text(row, "reporting_category");
      PiMeasureSet& set = c.pi[flag(row, "transition") ? 1 : 0];
      if (required && category == attestation) c.attestations.push_back(id);
      else if (required) set.base.push_back({id, boolean});
      else if (!boolean && weight > 0 && !bonus) set.optional.push_back({id, false});
      else if (boolean && weight > 0 && category != attestation) set.bonus.push_back({id, true});
    }
    // The submission category whose name matches the ids' prefix (pi with PI_, aci with ACI_).
    for (char& ch : prefix) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (const auto& cat : policy.submission.categories)
      if (cat.table == "aci.measures" && (c.pi_category.empty() || cat.name == prefix)) c.pi_category = cat.name;
    if (c.pi[0].base.empty()) c.pi_category.clear();
  }
  if (cost)
    for (const Datum& row : cost->items) {
      if (!in_year(row, c.year)) continue;
      CostMeasure m{std::string(field_text(row, "id")), {}};
      for (const Datum& b : benchmarks->items)
        if (field_text(b, "id") == m.id) m.deciles = numbers(b, "deciles", 2);
      c.cost.push_back(std::move(m));
    }
  return c;
}

bool generate(const Catalog& catalog, uint64_t seed, uint64_t count, std::FILE* out, Summary* summary) {
  Writer w(catalog, seed, summary);
  Out o;
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < count; ++i) {
    o.reserve_case();
    w.write_case(i, o);
    if (o.size() >= (1 << 20)) {
      if (std::fwrite(o.text().data(), 1, o.size(), out) != o.size()) return false;
      bytes += o.size();
      o.clear();
    }
  }
  if (o.size() && std::fwrite(o.text().data(), 1, o.size(), out) != o.size()) return false;
  bytes += o.size();
  if (summary) summary->bytes = bytes;
  return std::fflush(out) == 0;
}

std::string generate_text(const Catalog& catalog, uint64_t seed, uint64_t count, Summary* summary) {
  Writer w(catalog, seed, summary);
  Out o;
  for (uint64_t i = 0; i < count; ++i) {
    o.reserve_case();
    w.write_case(i, o);
  }
  if (summary) summary->bytes = o.size();
  return std::string(o.text());
}

}  // namespace merit::engine::population
