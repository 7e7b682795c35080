// CSV input of merit batch (engine/cms/batch_csv.cpp): the columns a policy allows, each row as
// the JSON line run_batch reads (typed cells, empty cells, quotes), one output line per CSV
// line, the rows the CSV reader rejects, and profile-only rescoring end to end.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "engine/cms/batch_csv.hpp"
#include "engine/compiler.hpp"
#include "support/test_files.hpp"

using namespace merit;
using engine::cms::CsvColumn;
using engine::cms::CsvJsonLines;
using engine::cms::CsvSchema;

namespace {

const engine::CompiledPolicy& compiled(const std::string& year) {
  static std::map<std::string, engine::CompiledPolicy> cache;
  auto it = cache.find(year);
  if (it == cache.end()) {
    dsl::Diagnostics diags;
    it = cache.emplace(year, engine::compile_policy(test::source_path("policies/" + year), diags)).first;
    REQUIRE(it->second.program);
  }
  return it->second;
}

CsvSchema schema_2018() {
  std::string error;
  auto s = CsvSchema::from_policy(compiled("2018"), error);
  REQUIRE(s);
  return *s;
}

// Every line the adaptor yields for `csv` (after its header), and the problems it reported.
struct Converted {
  std::vector<std::string> lines;  // lines[0] is line 1 (the header, empty)
  std::string problems;
  size_t rejected = 0;
  std::string header_error;
};

Converted convert(const std::string& csv) {
  Converted c;
  std::istringstream in(csv);
  CsvJsonLines reader(in, "p.csv", schema_2018());
  if (!reader.read_header(c.header_error)) return c;
  std::ostringstream problems;
  reader.report_to(problems);
  std::istream lines(&reader);
  for (std::string l; std::getline(lines, l);) c.lines.push_back(l);
  c.problems = problems.str();
  c.rejected = reader.rows_rejected();
  return c;
}

std::string submission(const std::string& entity = "individual") {
  return fmt::format(R"("submission":{{"entityType":"{}","performanceYear":2018,"measurementSets":[]}})", entity);
}

}  // namespace

TEST_CASE("csv: the columns come from the policy's profile inputs and their types", "[batch][csv]") {
  CsvSchema s = schema_2018();
  CHECK(s.year == "2018");
  auto find = [&](const std::string& n) -> const CsvColumn* {
    for (const auto& c : s.columns)
      if (c.name == n) return &c;
    return nullptr;
  };
  auto refused = [&](const std::string& n) {
    for (const auto& [name, why] : s.refused)
      if (name == n) return why;
    return std::string();
  };
  // policies/2017/policy.yaml `inputs:` (2018 inherits them): types and optional flags.
  REQUIRE(find("part_b_charges"));
  CHECK(find("part_b_charges")->kind == dsl::Kind::Money);
  CHECK(find("part_b_charges")->required);
  CHECK(find("part_b_beneficiaries")->kind == dsl::Kind::Number);
  CHECK(find("rural")->kind == dsl::Kind::Bool);
  CHECK_FALSE(find("rural")->required);
  CHECK(find("clinician_type")->kind == dsl::Kind::String);
  CHECK(find("case")->role == CsvColumn::Role::Case);
  CHECK(find("part_b_paid")->role == CsvColumn::Role::PartBPaid);
  CHECK(find("entity_type")->role == CsvColumn::Role::EntityType);
  // Lists and records cannot be cells; what the submission gives cannot be a column.
  CHECK(refused("virtual_group_tin_sizes").find("lists and records") != std::string::npos);
  CHECK(refused("readmission").find("lists and records") != std::string::npos);
  CHECK(refused("cost_measures").find("lists and records") != std::string::npos);
  CHECK(refused("measurement_sets").find("comes from the submission") != std::string::npos);
  CHECK(refused("performance_year").find("comes from the submission") != std::string::npos);
  CHECK_FALSE(find("measurement_sets"));
}

TEST_CASE("csv: cells are typed by their column; empty cells are absent; quotes follow RFC 4180", "[batch][csv]") {
  auto c = convert(
      "case,part_b_charges,part_b_beneficiaries,clinicians,rural,clinician_type,part_b_paid,entity_type\n"
      "c1,\"$90,000.50\",201,1,TRUE,nurse_practitioner,1000.10,group\n"  // line 2
      "c2,100000,300,1,,,,\n"                                             // line 3: empty cells
      "\"c \"\"3\"\"\",1e3,300.0,1,false,\"a, b\",\"$1,000\",\n"          // line 4: quotes
      "c4,abc,300,1,yes,,,\n"                                             // line 5: cells that do not fit
      "c5,0.10,300,1,1,,,\r\n"                                            // line 6: CR LF, 1 for true
      "c6,-5,300,1,0,,,\n");                                              // line 7: 0 for false
  REQUIRE(c.header_error.empty());
  REQUIRE(c.lines.size() == 7);
  CHECK(c.lines[0].empty());  // the header
  CHECK(c.lines[1] == R"({"case":"c1","part_b_paid":1000.10,"profile":{"part_b_charges":90000.50,"part_b_beneficiaries":201,)"
                      R"("clinicians":1,"rural":true,"clinician_type":"nurse_practitioner"},)" + submission("group") + "}");
  CHECK(c.lines[2] == R"({"case":"c2","profile":{"part_b_charges":100000,"part_b_beneficiaries":300,"clinicians":1},)" +
                          submission() + "}");
  CHECK(c.lines[3] == R"({"case":"c \"3\"","part_b_paid":1000,"profile":{"part_b_charges":1e3,"part_b_beneficiaries":300.0,)"
                      R"("clinicians":1,"rural":false,"clinician_type":"a, b"},)" + submission() + "}");
  // Text that is not of the column's type goes on as a string: the binder reports it.
  CHECK(c.lines[4] == R"({"case":"c4","profile":{"part_b_charges":"abc","part_b_beneficiaries":300,"clinicians":1,"rural":"yes"},)" +
                          submission() + "}");
  CHECK(c.lines[5] == R"({"case":"c5","profile":{"part_b_charges":0.10,"part_b_beneficiaries":300,"clinicians":1,"rural":true},)" +
                          submission() + "}");
  CHECK(c.lines[6].find(R"("part_b_charges":-5,)") != std::string::npos);
  CHECK(c.lines[6].find(R"("rural":false)") != std::string::npos);
  CHECK(c.problems.empty());
  CHECK(c.rejected == 0);
}

TEST_CASE("csv: numbers keep their text, and only JSON's number grammar (or dollars for money) is a number", "[batch][csv]") {
  auto c = convert(
      "part_b_charges,part_b_beneficiaries,clinicians\n"
      "123456789012345678901234.5678,007,+1\n"
      "\"90,000\",.5,1.\n"
      "\"$9,0000\",1E2,-0\n");
  REQUIRE(c.lines.size() == 4);
  CHECK(c.lines[1].find(R"({"profile":{"part_b_charges":123456789012345678901234.5678,"part_b_beneficiaries":"007","clinicians":"+1"})") == 0);
  CHECK(c.lines[2].find(R"({"profile":{"part_b_charges":90000,"part_b_beneficiaries":".5","clinicians":"1."})") == 0);
  CHECK(c.lines[3].find(R"({"profile":{"part_b_charges":"$9,0000","part_b_beneficiaries":1E2,"clinicians":-0})") == 0);
}

TEST_CASE("csv: a header with an unknown or impossible column is refused before any scoring", "[batch][csv]") {
  auto unknown = convert("case,part_b_charge,part_b_beneficiaries,clinicians\nc1,1,1,1\n");
  CHECK(unknown.header_error.find("unknown column 'part_b_charge'") != std::string::npos);
  CHECK(unknown.header_error.find("did you mean 'part_b_charges'?") != std::string::npos);
  // ... which also leaves the required part_b_charges without a column.
  CHECK(unknown.header_error.find("no column for 'part_b_charges'") != std::string::npos);

  auto list = convert("part_b_charges,part_b_beneficiaries,clinicians,virtual_group_tin_sizes\n1,1,1,1\n");
  CHECK(list.header_error.find("column 'virtual_group_tin_sizes' cannot be a CSV column") != std::string::npos);
  CHECK(list.header_error.find("list<number>") != std::string::npos);
  CHECK(list.header_error.find("lists and records cannot be CSV columns") != std::string::npos);

  auto sets = convert("part_b_charges,part_b_beneficiaries,clinicians,measurement_sets\n1,1,1,1\n");
  CHECK(sets.header_error.find("'measurement_sets' comes from the submission") != std::string::npos);

  auto twice = convert("part_b_charges,part_b_beneficiaries,clinicians,clinicians\n1,1,1,1\n");
  CHECK(twice.header_error.find("column 'clinicians' appears twice") != std::string::npos);

  auto empty = convert("");
  CHECK(empty.header_error.find("line 1 must be the header") != std::string::npos);
}

TEST_CASE("csv: one output line per CSV line; rows the reader rejects are reported with their line", "[batch][csv]") {
  auto c = convert(
      "case,part_b_charges,part_b_beneficiaries,clinicians,clinician_type\n"  // 1
      "a,100000,300,1,physician\n"                                          // 2
      "b,100000,300,1,\"physi\n"                                            // 3: a line break
      "cian\"\n"                                                            // 4   inside quotes
      "c,100000,300,1,physician\n"                                          // 5
      "\n"                                                                  // 6: blank
      "d,100000,300,1\n"                                                    // 7: a cell short
      "e,100000,300,1,\"crna\"x\n"                                          // 8: text after a closing quote
      ",,,,\n"                                                              // 9: every cell empty: blank
      "f,100000,300,1,crna\n");                                             // 10
  REQUIRE(c.header_error.empty());
  REQUIRE(c.lines.size() == 10);
  auto is_case = [&](size_t line, const std::string& id) {
    return c.lines[line - 1].rfind(fmt::format("{{\"case\":\"{}\",", id), 0) == 0;
  };
  CHECK(is_case(2, "a"));
  CHECK(c.lines[2].empty());
  CHECK(c.lines[3].empty());
  CHECK(is_case(5, "c"));
  CHECK(c.lines[5].empty());
  CHECK(c.lines[6].empty());
  CHECK(c.lines[7].empty());
  CHECK(c.lines[8].empty());
  CHECK(is_case(10, "f"));
  CHECK(c.rejected == 3);
  INFO(c.problems);
  CHECK(c.problems.find("error[I800]: a quoted cell (column clinician_type) holds a line break: the row runs over lines 3 to 4\n"
                        "   = note: in p.csv line 3") != std::string::npos);
  CHECK(c.problems.find("error[I800]: the row has 4 cells, the header 5\n   = note: in p.csv line 7") != std::string::npos);
  CHECK(c.problems.find("malformed CSV on line 8") != std::string::npos);
  CHECK(c.problems.find("in p.csv line 8") != std::string::npos);
}

TEST_CASE("csv: a quote that is never closed is reported, and a bad part_b_paid rejects its row", "[batch][csv]") {
  auto c = convert(
      "case,part_b_charges,part_b_beneficiaries,clinicians,part_b_paid\n"
      "a,100000,300,1,12.5x\n"
      "b,100000,300,1,1\n"
      "\"c,100000,300,1,1\n"
      "d,100000,300,1,1\n");
  REQUIRE(c.lines.size() == 5);
  CHECK(c.lines[1].empty());
  CHECK(c.lines[2].rfind(R"({"case":"b","part_b_paid":1,)", 0) == 0);
  CHECK(c.lines[3].empty());
  CHECK(c.lines[4].empty());
  CHECK(c.rejected == 2);
  CHECK(c.problems.find("column part_b_paid: '12.5x' is not an amount of dollars") != std::string::npos);
  CHECK(c.problems.find("a quoted cell opened on line 4 is not closed by the end of the input") != std::string::npos);
}

// The low-volume threshold of 2018 (policies/2018/params/changes.yaml: eligibility.low_volume
// .charges $90,000 and .beneficiaries 200, "excluded when ... at or below"; the rule
// eligibility.low_volume in policies/2017/rules/eligibility.merit takes either one), and 2017's
// ($30,000 and 100, policies/2017/params/eligibility.yaml).
TEST_CASE("csv: profile-only rescoring of eligibility and payment, under 2018 and 2017", "[batch][csv]") {
  const std::string csv =
      "case,part_b_charges,part_b_beneficiaries,clinicians,qp_status,part_b_paid\n"  // 1
      "at_charges,90000,500,1,,70000\n"                                              // 2: at the charge threshold
      "above,90000.01,201,1,,70000.01\n"                                             // 3: above both
      "at_beneficiaries,150000,200,1,,\n"                                            // 4: at the beneficiary threshold
      "qp,150000,500,1,qp,\n"                                                        // 5: a Qualifying APM Participant
      "bad,\"ninety thousand\",500,1,,\n"                                            // 6: not money
      "small_2017,30000.01,101,1,,\n";                                               // 7: above 2017's, below 2018's
  auto run = [&](const std::string& year, std::string& results, std::string& errors) {
    std::istringstream in(csv);
    std::string usage;
    auto reader = engine::cms::open_batch_csv(in, "profiles.csv", compiled(year), usage);
    REQUIRE(reader);
    std::ostringstream out, err;
    engine::cms::BatchOptions o;
    o.threads = 2;
    auto r = engine::cms::run_batch_csv(*reader, "profiles.csv", compiled(year), out, err, o);
    results = out.str();
    errors = err.str();
    CHECK(r.stopped.empty());
    return r.summary;
  };
  auto result = [](const std::string& results, const std::string& id) {
    std::istringstream in(results);
    for (std::string l; std::getline(in, l);)
      if (l.rfind(fmt::format("{{\"case\":\"{}\",", id), 0) == 0) return l;
    return std::string();
  };
  auto has = [](const std::string& line, const std::string& field) {
    INFO(line);
    return line.find(field) != std::string::npos;
  };

  std::string results, errors;
  auto s = run("2018", results, errors);
  CHECK(s.lines == 6);
  CHECK(s.scored == 5);
  CHECK(s.failed == 1);
  // Results carry the CSV's line numbers and part_b_paid.
  CHECK(has(result(results, "at_charges"), R"("line":2,"eligibility.eligible":false,"eligibility.exclusion":"at or below the low-volume threshold")"));
  CHECK(has(result(results, "at_charges"), R"("part_b_paid":70000})"));
  CHECK(has(result(results, "above"), R"("line":3,"eligibility.eligible":true,)"));
  CHECK(has(result(results, "above"), R"("part_b_paid":70000.01})"));
  CHECK(has(result(results, "at_beneficiaries"), R"("line":4,"eligibility.eligible":false,"eligibility.exclusion":"at or below the low-volume threshold")"));
  // eligibility.exclusion: QPs are excluded (eligibility.excluded_qp_statuses: qp, partial_qp).
  CHECK(has(result(results, "qp"), R"x("eligibility.exclusion":"Qualifying APM Participant (or Partial QP not electing MIPS)")x"));
  CHECK(has(result(results, "small_2017"), R"("line":7,"eligibility.eligible":false,)"));
  // Not eligible: payment.adjustment is 0 (payment.merit). Eligible with nothing submitted: no
  // category scores, final score 0, at or below a quarter of the threshold: -X, X = 5
  // (payment.applicable_percent, policies/2018/params/changes.yaml).
  CHECK(has(result(results, "at_charges"), R"("payment.adjustment":0,)"));
  CHECK(has(result(results, "above"), R"("final.score":0,"payment.adjustment":-5,)"));
  // The bad cell: its CSV line, and the column (the profile field of the same name).
  CHECK(result(results, "bad").empty());
  CHECK(has(errors, "error[I801]: $.profile.part_b_charges: expected money, found \"ninety thousand\""));
  CHECK(has(errors, "in profiles.csv line 6"));

  // The same profiles under 2017's lower threshold: at_charges and small_2017 become eligible.
  s = run("2017", results, errors);
  CHECK(s.scored == 5);
  CHECK(has(result(results, "at_charges"), R"("line":2,"eligibility.eligible":true,)"));
  CHECK(has(result(results, "small_2017"), R"("line":7,"eligibility.eligible":true,)"));
  CHECK(has(result(results, "at_beneficiaries"), R"("eligibility.eligible":true,)"));
  CHECK(has(result(results, "qp"), R"("eligibility.eligible":false,)"));
}

TEST_CASE("csv: a byte order mark and spaces around unquoted cells are dropped; quoted spaces are kept", "[batch][csv]") {
  auto c = convert("\xEF\xBB\xBF" "case,part_b_charges,part_b_beneficiaries,clinicians,clinician_type\r\n"
                   "  a  ,100000 , 300,1,\"  crna \"\r\n");
  REQUIRE(c.header_error.empty());
  REQUIRE(c.lines.size() == 2);
  CHECK(c.lines[1] == R"({"case":"a","profile":{"part_b_charges":100000,"part_b_beneficiaries":300,"clinicians":1,)"
                      R"("clinician_type":"  crna "},)" + submission() + "}");
}

TEST_CASE("csv: a quoted cell open over more than kMaxRowLines lines stops the reading", "[batch][csv]") {
  std::string csv = "case,part_b_charges,part_b_beneficiaries,clinicians\na,100000,300,1\n\"b,100000,300,1\n";
  for (size_t i = 0; i < engine::cms::kMaxRowLines + 500; ++i) csv += "x\n";
  std::istringstream in(csv);
  CsvJsonLines reader(in, "p.csv", schema_2018());
  std::string error;
  REQUIRE(reader.read_header(error));
  std::ostringstream problems;
  reader.report_to(problems);
  std::istream lines(&reader);
  size_t n = 0;
  for (std::string l; std::getline(lines, l);) ++n;
  CHECK(n == 2 + engine::cms::kMaxRowLines);  // the header, row a, then the open row's lines until the stop
  CHECK(reader.rows_rejected() == 1);
  CHECK(reader.stopped().find("p.csv line 3: a quoted cell runs over 1000 lines") == 0);
  CHECK(problems.str().find("a quoted cell opened on line 3 runs over 1000 lines: stopped reading the input") != std::string::npos);
}
