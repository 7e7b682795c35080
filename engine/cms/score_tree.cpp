#include "engine/cms/score_tree.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/report.hpp"

// The tree reads the MIPS policies' output rules by name (final.score, weights.quality,
// quality.best, ...; listed in docs/inputs.md). A policy without one of them simply gets no
// such node, so the renderer never guesses a number.
namespace merit::engine::cms {

using json = nlohmann::ordered_json;  // keys in the order CMS writes them (name, title, detail, value, ...)

namespace {

struct Values {
  const Program& program;
  const Outcome& outcome;
  json get(std::string_view name) const {
    int i = program.find_definition(name);
    if (i < 0 || outcome.state[static_cast<size_t>(i)] != Outcome::State::Ok) return nullptr;
    const auto& def = program.definitions()[static_cast<size_t>(i)];
    return json::parse(render_value_json(outcome.values[static_cast<size_t>(i)], def.type));
  }
  // A parameter's value (the policy's data, e.g. ia.max_points), or null.
  json param(std::string_view name) const {
    int i = program.find_parameter(name);
    if (i < 0) return nullptr;
    const auto& p = program.parameters()[static_cast<size_t>(i)];
    return json::parse(render_value_json(program.constants()[p.constant], p.type));
  }
  std::string exact(std::string_view name) const {
    int i = program.find_definition(name);
    if (i < 0 || outcome.state[static_cast<size_t>(i)] != Outcome::State::Ok) return "";
    const auto& def = program.definitions()[static_cast<size_t>(i)];
    return to_string(outcome.values[static_cast<size_t>(i)], def.type);
  }
};

// A rule value shown in the tree: numbers to 4 decimals, half up (the exact value is kept in
// metadata.unroundedScoreValue where CMS shows one).
json shown(const json& v, int digits = 4) {
  if (!v.is_number() && !v.is_string()) return v;
  std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  auto d = dsl::Decimal::parse(text);
  if (!d) return v;
  dsl::Decimal r;
  if (!round(*d, digits, dsl::Rounding::HalfUp, r)) return v;
  std::string s = r.normalized().to_string();
  return json::parse(s);
}

double number(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return std::strtod(v.get<std::string>().c_str(), nullptr);
  return 0;
}

json measure_node(const json& m) {
  json hp = shown(m.value("hp_points", json(0)));
  json e2e = shown(m.value("e2e_points", json(0)));
  json points = shown(m.value("points", json(0)));
  bool picked = m.value("picked", false);
  double total = number(points) + number(hp) + number(e2e);
  bool outcome = m.value("outcome", false);
  json meta = {
      {"performanceRate", shown(m.value("rate", json(0)), 2)},
      {"reportingRate", shown(json(number(m.value("completeness", json(0))) * 100), 2)},
      {"measureClass", m.value("class", "")},
      {"eligiblePopulation", m.value("cases", json(0))},
      {"decile", m.value("decile", json(-1))},
      {"deciles", m.value("benchmark_method", "").empty() ? json(nullptr) : m.value("deciles", json::array())},
      {"benchmarkType", m.value("benchmark_method", "").empty() ? json(nullptr) : json(m.value("benchmark_method", ""))},
      {"noBenchmarks", m.value("benchmark_method", "").empty()},
      {"decileScore", shown(m.value("uncapped_points", json(0)))},
      {"toppedOutCapApplied", m.value("capped", false)},
      {"endToEndBonus", e2e},
      {"outcomeOrPatientExperienceBonus", outcome ? hp : json(0)},
      {"highPriorityBonus", outcome ? json(0) : hp},
      {"requiredMeasure", m.value("required", false)},
      {"processingStatus", picked ? "PICKED" : "SKIPPED"},
      {"totalBonusPoints", shown(json(number(hp) + number(e2e)))},
      {"totalMeasurementPoints", shown(json(picked ? total : number(hp) + number(e2e)))},
      {"unroundedScoreValue", m.value("points", json(0))}};
  return {{"name", m.value("id", "")},
          {"value", points},
          {"detail", picked ? fmt::format("Contributing {}", shown(json(total), 2).dump())
                            : fmt::format("Skipped; bonus points {}", shown(json(number(hp) + number(e2e)), 2).dump())},
          {"metadata", meta}};
}

json category(const Values& v, std::string_view name, std::string_view title, std::string_view weight_rule,
              std::string_view points_rule, json original) {
  json weight = v.get(weight_rule);
  return {{"name", name},
          {"title", fmt::format("{} component of final score", title)},
          {"detail", fmt::format("Scoring based on weight of {}%.", shown(weight, 2).dump())},
          {"value", shown(v.get(points_rule))},
          {"metadata", {{"maxContribution", weight}, {"unroundedScoreValue", v.exact(points_rule)}}},
          {"original", std::move(original)}};
}

}  // namespace

std::string render_score_json(const Program& program, const Outcome& outcome, const ScoreView& view) {
  Values v{program, outcome};
  json quality_sets = json::array();
  json sets = v.get("quality.set_scores");
  std::string picked_method = v.get("quality.picked_method").is_string() ? v.get("quality.picked_method").get<std::string>() : "";
  if (sets.is_array())
    for (const auto& s : sets) {
      json measures = json::array();
      for (const auto& m : s.value("measures", json::array())) measures.push_back(measure_node(m));
      quality_sets.push_back(
          {{"name", "quality"},
           {"detail", s.value("method", "")},
           {"value", shown(s.value("percent", json(0)))},
           {"metadata",
            {{"measurementSetPicked", s.value("method", "") == picked_method},
             {"denominator", s.value("denominator", json(0))},
             {"totalDecileScore", shown(s.value("achievement", json(0)))},
             {"highPriorityBonus", shown(s.value("hp_bonus", json(0)))},
             {"e2eBonusScore", shown(s.value("e2e_bonus", json(0)))},
             {"fullParticipation", s.value("full_participation", false)}}},
           {"parts", measures}});
    }
  json quality = {{"name", "quality"},
                  {"value", shown(v.get("quality.percent"))},
                  {"detail", picked_method.empty() ? "No quality data submitted"
                                                   : fmt::format("Picked the highest scoring measurement set {}", picked_method)},
                  {"metadata",
                   {{"denominator", v.get("quality.denominator")},
                    {"achievementPoints", shown(v.get("quality.achievement_points"))},
                    {"achievementPercent", shown(v.get("quality.achievement_percent"))},
                    {"outcomeBonusBeforeCap", v.get("quality.outcome_bonus")},
                    {"otherHighPriorityBonusBeforeCap", v.get("quality.other_high_priority_bonus")},
                    {"highPriorityBonus", v.get("quality.high_priority_bonus")},
                    {"e2eBonus", v.get("quality.e2e_bonus")},
                    {"improvementPercentagePoints", shown(v.get("quality.improvement"))},
                    {"unroundedScoreValue", v.exact("quality.percent")}}},
                  {"parts", quality_sets}};

  json cost_parts = json::array();
  json cost_measures = v.get("cost.scored_measures");
  if (cost_measures.is_array())
    for (const auto& m : cost_measures)
      cost_parts.push_back({{"name", m.value("id", "")},
                            {"value", shown(m.value("points", json(0)))},
                            {"metadata", {{"cost", m.value("value", json(0))}, {"cases", m.value("cases", json(0))}}}});
  json cost = {{"name", "cost"},
               {"value", shown(v.get("cost.percent"))},
               {"detail", v.get("cost.scored") == json(true) ? "Average of the scored cost measures"
                                                              : "No cost measure can be scored"},
               {"parts", cost_parts}};

  json ia_parts = json::array();
  json activities = v.get("ia.activities");
  if (activities.is_array())
    for (const auto& a : activities)
      ia_parts.push_back({{"name", a.value("id", "")},
                          {"value", a.value("points", json(0))},
                          {"metadata", {{"weight", a.value("weight", "")}, {"complete", a.value("done", false)}}}});
  json ia = {{"name", "ia"},
             {"value", shown(v.get("ia.percent"))},
             {"detail", fmt::format("{} of {} activity points", shown(v.get("ia.points"), 2).dump(), v.param("ia.max_points").dump())},
             {"metadata", {{"points", v.get("ia.points")}, {"maxContribution", v.param("ia.max_points")}}},
             {"parts", ia_parts}};

  json aci_sets = json::array();
  json aci_best = v.get("aci.best");
  if (aci_best.is_array())
    for (const auto& s : aci_best)
      aci_sets.push_back({{"name", "pi"},
                          {"detail", s.value("method", "")},
                          {"value", shown(s.value("percent", json(0)))},
                          {"parts",
                           {{{"name", "PI_base"}, {"value", s.value("base_met", false) ? 50 : 0}},
                            {{"name", "PI_performance"}, {"value", shown(s.value("performance", json(0)))}},
                            {{"name", "PI_bonus"}, {"value", shown(s.value("bonus", json(0)))}}}},
                          {"metadata",
                           {{"attestationStatementCheck", s.value("attested", false) ? "Attestation Statements are complete"
                                                                                     : "Attestation Statements are incomplete"},
                            {"baseMeasureCheck", s.value("base_met", false) ? "Base measures are complete"
                                                                            : "Base measures are incomplete"},
                            {"transitionMeasureSet", s.value("transition", false)}}}});
  json aci = {{"name", "pi"}, {"value", shown(v.get("aci.percent"))}, {"parts", aci_sets}};

  json total = {
      {"name", "total"},
      {"title", "Total Score"},
      {"detail", fmt::format("merit {}, policy {}", view.engine_version, program.policy_name())},
      {"value", shown(v.get("final.score"), 2)},
      {"parts",
       {category(v, "quality", "QUALITY", "weights.quality", "final.quality_points", quality),
        category(v, "cost", "COST", "weights.cost", "final.cost_points", cost),
        category(v, "ia", "IA", "weights.ia", "final.ia_points", ia),
        category(v, "pi", "PI (ACI)", "weights.aci", "final.aci_points", aci),
        {{"name", "bonuses"},
         {"value", shown(json(number(v.get("final.small_practice_bonus")) + number(v.get("final.complex_patient_bonus"))))},
         {"parts",
          {{{"name", "smallPracticeBonus"}, {"value", v.get("final.small_practice_bonus")}},
           {{"name", "complexPatientBonus"}, {"value", shown(v.get("final.complex_patient_bonus"))}}}}}}},
      {"metadata",
       {{"case", view.case_id},
        {"maxTotalScore", v.param("final.cap")},
        {"unroundedScoreValue", v.exact("final.unrounded")},
        {"scoredCategories", v.get("weights.scored_categories")},
        {"aciReweightCause", v.get("weights.aci_reweight_cause")}}},
      {"eligibility",
       {{"eligible", v.get("eligibility.eligible")},
        {"exclusion", v.get("eligibility.exclusion")},
        {"lowVolume", v.get("eligibility.low_volume")},
        {"smallPractice", v.get("eligibility.small_practice")},
        {"specialStatus", v.get("eligibility.special_status")},
        {"nonPatientFacing", v.get("eligibility.non_patient_facing")},
        {"hospitalBased", v.get("eligibility.hospital_based")}}},
      {"paymentAdjustment",
       {{"performanceYear", program.year()},
        {"percent", v.get("payment.adjustment")},
        {"basePercent", shown(v.get("payment.base_adjustment"))},
        {"exceptionalPercent", shown(v.get("payment.exceptional_adjustment"))},
        {"scalingFactor", v.get("payment.scaling_factor")},
        {"exceptionalFactor", v.get("payment.exceptional_factor")},
        {"factorsSource", v.get("payment.factors_source")}}},
      {"warnings", json::array()},
      {"errors", json::array()}};
  for (const auto& e : outcome.errors)
    total["errors"].push_back({{"code", std::string(dsl::code_info(e.code).id)},
                               {"rule", program.definitions()[static_cast<size_t>(e.definition)].name},
                               {"message", e.message}});
  return total.dump(2) + "\n";
}

std::string render_score_text(const Program& program, const Outcome& outcome, const ScoreView& view, bool color) {
  Values v{program, outcome};
  auto bold = [&](const std::string& s) { return color ? "\x1b[1m" + s + "\x1b[0m" : s; };
  auto num = [&](std::string_view rule, int digits = 2) {
    json x = v.get(rule);
    return x.is_null() ? std::string("-") : shown(x, digits).dump();
  };
  std::string out;
  out += bold(fmt::format("MIPS score: {} (policy {})", view.case_id, program.policy_name())) + "\n";
  if (v.get("eligibility.eligible") == json(false)) {
    std::string why = v.get("eligibility.exclusion").is_string() ? v.get("eligibility.exclusion").get<std::string>() : "";
    out += fmt::format("Not eligible for MIPS: {}. No score and no payment adjustment.\n", why);
    return out;
  }
  std::vector<std::string> statuses;
  for (auto [rule, label] : {std::pair{"eligibility.small_practice", "small practice"},
                             std::pair{"eligibility.non_patient_facing", "non-patient-facing"},
                             std::pair{"eligibility.hospital_based", "hospital-based"},
                             std::pair{"eligibility.special_status", "IA double weight"}})
    if (v.get(rule) == json(true)) statuses.push_back(label);
  out += fmt::format("Eligible{}\n\n", statuses.empty() ? "" : fmt::format(" ({})", fmt::join(statuses, ", ")));
  out += fmt::format("{:<28}{:>8}{:>10}{:>10}\n", "Category", "Weight", "Score", "Points");
  for (auto [label, w, s, p] : {std::tuple{"Quality", "weights.quality", "quality.percent", "final.quality_points"},
                                std::tuple{"Cost", "weights.cost", "cost.percent", "final.cost_points"},
                                std::tuple{"Improvement Activities", "weights.ia", "ia.percent", "final.ia_points"},
                                std::tuple{"ACI (Promoting Interop.)", "weights.aci", "aci.percent", "final.aci_points"}})
    out += fmt::format("{:<28}{:>7}%{:>10}{:>10}\n", label, num(w, 0), num(s), num(p));
  out += fmt::format("{:<28}{:>8}{:>10}{:>10}\n", "Small practice bonus", "", "", num("final.small_practice_bonus"));
  out += fmt::format("{:<28}{:>8}{:>10}{:>10}\n", "Complex patient bonus", "", "", num("final.complex_patient_bonus"));
  out += bold(fmt::format("{:<28}{:>8}{:>10}{:>10}", "Final score", "", "", num("final.score"))) + "\n";
  if (v.get("weights.fewer_than_two") == json(true) || number(v.get("weights.scored_categories")) < 2)
    out += "  (fewer than two scored categories: the final score is the performance threshold)\n";
  // MIPS pays two years after the performance year (42 CFR 414.1405: PY2017 -> payment year 2019).
  std::string payment_year = program.year();
  if (auto y = dsl::Decimal::parse(payment_year); y && y->to_int64()) payment_year = std::to_string(*y->to_int64() + 2);
  out += fmt::format("\nPayment adjustment (payment year {}): {}%  (base {}% x scaling factor {}, exceptional {}% x {})\n",
                     payment_year, num("payment.adjustment", 4), num("payment.base_adjustment", 4), num("payment.scaling_factor"),
                     num("payment.exceptional_adjustment", 4), num("payment.exceptional_factor"));
  if (json src = v.get("payment.factors_source"); src.is_string() && src.get<std::string>() != "profile")
    out += fmt::format("  scaling factors: {}\n", src.get<std::string>());
  if (json pace = v.get("payment.pick_your_pace"); pace.is_string())
    out += fmt::format("  pick your pace: {}\n", pace.get<std::string>());

  json best = v.get("quality.best");
  if (best.is_array() && !best.empty()) {
    const json& s = best[0];
    out += fmt::format("\nQuality measures (set {}, denominator {}):\n", s.value("method", ""), s.value("denominator", json(0)).dump());
    out += fmt::format("  {:<9}{:<16}{:>8}{:>8}{:>8}{:>7}{:>6}  {}\n", "Measure", "Class", "Rate", "Decile", "Points", "HP", "E2E",
                       "Status");
    for (const auto& m : s.value("measures", json::array()))
      out += fmt::format("  {:<9}{:<16}{:>8}{:>8}{:>8}{:>7}{:>6}  {}{}{}\n", m.value("id", ""), m.value("class", ""),
                         shown(m.value("rate", json(0)), 2).dump(), m.value("decile", json(-1)).dump(),
                         shown(m.value("points", json(0)), 2).dump(), shown(m.value("hp_points", json(0)), 2).dump(),
                         shown(m.value("e2e_points", json(0)), 2).dump(), m.value("picked", false) ? "PICKED" : "SKIPPED",
                         m.value("required", false) ? ", required" : "", m.value("capped", false) ? ", capped at 7" : "");
    out += fmt::format("  achievement {} + high-priority bonus {} + end-to-end bonus {}; improvement {} points\n",
                       num("quality.achievement_points"), num("quality.high_priority_bonus"), num("quality.e2e_bonus"),
                       num("quality.improvement"));
  }
  if (!outcome.errors.empty()) out += fmt::format("\n{} rule(s) failed; see the errors on stderr.\n", outcome.errors.size());
  return out;
}

}  // namespace merit::engine::cms
