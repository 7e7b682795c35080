// Synthetic clinician populations (docs/population.md, "The synthetic population generator").
// In:  a loaded policy (its tables and thresholds), a seed and a count.
// Out: one JSON case per line: {"case", "part_b_paid", "profile", "submission"}, where the profile
//      and the QPP submission follow docs/inputs.md and use the year's category names and ids.
// Invariant: the output depends only on (catalog, seed, count): one std::mt19937_64 stream and
// integer-only distributions, decimals written from integers with fixed digits, so the same
// seed gives the same bytes on every machine. Streaming: memory does not grow with the count.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/policy.hpp"

namespace merit::engine::population {

// Fixed-point numbers: hundredths (rates in percent, dollars in cents) and basis points (shares).
struct QualityMeasure {
  struct Benchmark {
    std::string method;
    std::vector<int64_t> deciles;  // hundredths of a percent, the table's order (9 values)
  };
  std::string id;
  bool inverse = false;
  std::vector<std::string> strata;  // written as `strata` entries when more than one
  std::vector<Benchmark> benchmarks;
  const Benchmark* benchmark(const std::string& method) const;
};

struct PiMeasure {
  std::string id;
  bool boolean = false;  // metric_type boolean (else a proportion)
};

struct PiMeasureSet {
  std::vector<PiMeasure> base;      // required, not attestations
  std::vector<PiMeasure> optional;  // performance proportions (weight > 0, not required)
  std::vector<PiMeasure> bonus;     // yes/no bonus measures (registries, IA with CEHRT)
};

struct CostMeasure {
  std::string id;
  std::vector<int64_t> deciles;  // cents, 10 values, decreasing (inverse)
};

// What the generator draws from: one program year's tables and thresholds.
struct Catalog {
  int year = 0;
  std::string pi_category;  // the category name matching the year's PI/ACI ids ("pi" with PI_ ids, "aci" with ACI_)
  std::vector<QualityMeasure> quality;
  std::vector<std::pair<std::string, std::vector<size_t>>> methods;  // quality method -> measures with its benchmark
  std::vector<std::pair<std::string, int>> activities;                // IA id -> points (medium/high)
  std::vector<std::string> attestations;
  PiMeasureSet pi[2];  // [0] the year's measures, [1] the transition measures (2014 Edition CEHRT)
  std::vector<CostMeasure> cost;
  std::string readmission_id;             // the claims-based readmission measure, if benchmarked
  std::vector<int64_t> readmission_deciles;
  std::set<std::string> inputs;           // the policy's declared input fields

  // Thresholds (from the policy's parameters; defaults when a parameter is absent).
  int64_t low_volume_charges = 9000000;   // cents
  int64_t low_volume_beneficiaries = 200;
  int64_t small_practice = 15;            // clinicians
  int64_t npf_encounters = 100;
  int64_t data_completeness = 6000;       // basis points
  int64_t case_minimum = 20;
  int64_t group_share = 7500;             // rural/HPSA/NPF share of a group, basis points
  int64_t hospital_based = 7500;          // individual share, basis points
  int64_t hospital_based_group = 10000;   // group clinician share, basis points
  int64_t ia_max_points = 40;
  int64_t ia_multiplier = 2;
};

// Reads the catalog from a loaded policy; nullopt with `error` set when a table it needs is absent.
std::optional<Catalog> read_catalog(const Policy& policy, std::string& error);

// Counts of what was drawn (for tests and the command's summary).
struct Summary {
  uint64_t cases = 0, individuals = 0, groups = 0, small_practices = 0, low_volume = 0;
  uint64_t quality_reporters = 0, quality_measures = 0, below_completeness = 0, below_case_minimum = 0;
  uint64_t ia_full = 0, ia_none = 0, pi_reporters = 0, pi_base_failed = 0, with_cost = 0;
  uint64_t rural = 0, hpsa = 0, non_patient_facing = 0, hospital_based = 0;
  uint64_t bytes = 0;
};

// Writes `count` cases, one JSON object per line, to `out` (the first case is c000001).
// Returns false on a write error.
bool generate(const Catalog& catalog, uint64_t seed, uint64_t count, std::FILE* out, Summary* summary = nullptr);
// The same into a string (tests, small counts).
std::string generate_text(const Catalog& catalog, uint64_t seed, uint64_t count, Summary* summary = nullptr);

}  // namespace merit::engine::population
