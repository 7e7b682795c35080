// merit batch (engine/cms/batch.cpp): results in input order whatever the threads and chunks,
// the same values as scoring each case alone, and bad lines reported with their line number.
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "engine/cms/batch.hpp"
#include "engine/compiler.hpp"
#include "support/test_files.hpp"

using namespace merit;

namespace {

// A 2018 individual with one IA activity; charges vary so that some lines are below the
// low-volume threshold ($90,000 or less: not eligible, final score 0).
std::string line(int i) {
  int charges = 60000 + 1000 * (i % 60);  // 60,000 .. 119,000
  return fmt::format(
      R"({{"case": "c{}", "part_b_paid": {}, "profile": {{"part_b_charges": {}, "part_b_beneficiaries": 500, "clinicians": 20}},)"
      R"( "submission": {{"entityType": "individual", "performanceYear": 2018, "measurementSets": [)"
      R"({{"category": "ia", "submissionMethod": "registry", "measurements": [{{"measureId": "IA_EPA_4", "value": true}}]}}]}}}})",
      i, 1000 + i, charges);
}

engine::CompiledPolicy compile_2018() {
  dsl::Diagnostics diags;
  auto cp = engine::compile_policy(test::source_path("policies/2018"), diags);
  REQUIRE(cp.program);
  return cp;
}

}  // namespace

TEST_CASE("batch keeps input order across threads and chunks, and reports bad lines", "[batch]") {
  auto cp = compile_2018();
  std::string input;
  for (int i = 0; i < 300; ++i) {
    input += line(i) + "\n";
    if (i == 100) input += "{\"case\": \"broken\", \n";  // line 102
    if (i == 200) input += "\n";                         // blank lines are skipped, not counted
  }
  for (unsigned threads : {1u, 2u, 4u}) {
    DYNAMIC_SECTION("threads " << threads) {
      std::istringstream in(input);
      std::ostringstream out, errors;
      engine::cms::BatchOptions o;
      o.threads = threads;
      o.chunk = 37;  // several chunks, not a multiple of anything
      auto s = engine::cms::run_batch(in, "pop.jsonl", cp, out, errors, o);
      CHECK(s.lines == 301);
      CHECK(s.scored == 300);
      CHECK(s.failed == 1);
      CHECK(errors.str().find("pop.jsonl line 102:") != std::string::npos);
      CHECK(errors.str().find("error[I800]") != std::string::npos);
      std::istringstream results(out.str());
      std::string r;
      int i = 0;
      while (std::getline(results, r)) {
        INFO(r);
        REQUIRE(r.find(fmt::format("\"case\":\"c{}\"", i)) == 0 + 1);  // after the opening brace
        int charges = 60000 + 1000 * (i % 60);
        bool eligible = charges > 90000;
        CHECK(r.find(fmt::format("\"eligibility.eligible\":{}", eligible ? "true" : "false")) != std::string::npos);
        // One medium activity (IA_EPA_4 is medium in 2018 measures-data) for a large practice: 10 of 40 points -> IA 25 % -> 15 % x 25 % = 3.75
        // (ACI not submitted scores 0, Quality 0, Cost not scored and reweighted to Quality).
        CHECK(r.find(fmt::format("\"final.score\":{}", eligible ? "3.75" : "0")) != std::string::npos);
        CHECK(r.find(fmt::format("\"part_b_paid\":{}", 1000 + i)) != std::string::npos);
        ++i;
      }
      CHECK(i == 300);
    }
  }
}

TEST_CASE("batch writes CSV with a header", "[batch]") {
  auto cp = compile_2018();
  std::istringstream in(line(59) + "\n" + line(0) + "\n");
  std::ostringstream out, errors;
  engine::cms::BatchOptions o;
  o.csv = true;
  auto s = engine::cms::run_batch(in, "pop.jsonl", cp, out, errors, o);
  CHECK(s.scored == 2);
  std::string text = out.str();
  CHECK(text.rfind("case,line,eligibility.eligible,", 0) == 0);
  CHECK(text.find("\nc59,1,true,") != std::string::npos);
  CHECK(text.find("\nc0,2,false,") != std::string::npos);
}

TEST_CASE("batch reads lines across its 1 MB read blocks, CRLF endings and a last line without a newline", "[batch]") {
  // About 5,000 lines of ~400 bytes (2 MB): lines straddle the reader's block boundaries. Each
  // result must be that of its own line, as getline would have split the input.
  auto cp = compile_2018();
  std::string input;
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    input += line(i);
    input += i % 3 == 0 ? "\r\n" : "\n";  // JSON allows the \r as trailing whitespace
    if (i == 2500) input += " \t\r\n";    // a blank line (spaces, tab, CR): counted, not scored
  }
  input.pop_back();  // the last line ends without a newline
  std::istringstream in(input);
  std::ostringstream out, errors;
  engine::cms::BatchOptions o;
  o.threads = 2;
  o.chunk = 1000;
  auto s = engine::cms::run_batch(in, "big.jsonl", cp, out, errors, o);
  INFO(errors.str());
  CHECK(s.lines == static_cast<size_t>(n));
  CHECK(s.scored == static_cast<size_t>(n));
  CHECK(errors.str().empty());
  std::istringstream results(out.str());
  std::string r;
  int i = 0;
  while (std::getline(results, r)) {
    size_t line_no = static_cast<size_t>(i) + 1 + (i > 2500 ? 1 : 0);
    INFO(r);
    REQUIRE(r.rfind(fmt::format("{{\"case\":\"c{}\",\"line\":{},", i, line_no), 0) == 0);
    CHECK(r.find(fmt::format("\"part_b_paid\":{}}}", 1000 + i)) != std::string::npos);
    ++i;
  }
  CHECK(i == n);
}

TEST_CASE("batch writes a case id as a JSON string, escaped only when it must be", "[batch]") {
  // The id is JSON text in, JSON text out: quote, backslash and tab escaped, é kept (UTF-8).
  auto cp = compile_2018();
  std::string escaped = line(0);
  escaped.replace(escaped.find("\"c0\""), 4, R"("a\"b\u00e9\\c\td")");
  std::istringstream in(line(1) + "\n" + escaped + "\n");
  std::ostringstream out, errors;
  engine::cms::BatchOptions o;
  o.threads = 1;
  auto s = engine::cms::run_batch(in, "ids.jsonl", cp, out, errors, o);
  INFO(errors.str());
  CHECK(s.scored == 2);
  CHECK(out.str().rfind("{\"case\":\"c1\",\"line\":1,", 0) == 0);
  CHECK(out.str().find("\n{\"case\":\"a\\\"b\xc3\xa9\\\\c\\td\",\"line\":2,") != std::string::npos);
}
