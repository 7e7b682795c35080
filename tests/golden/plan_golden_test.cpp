// Golden test of the planner: the compiled program of the tutorial policy, as `merit dump
// --what plan` prints it. UPDATE_GOLDEN=1 rewrites tests/golden/plan/tutorial.expected.
#include <catch2/catch.hpp>

#include "engine/compiler.hpp"
#include "support/test_files.hpp"

using namespace merit;

TEST_CASE("planner golden: the tutorial policy's program", "[planner][golden]") {
  dsl::Diagnostics diags;
  auto cp = engine::compile_policy(test::source_path("policies/examples/tutorial"), diags);
  INFO(diags.render());
  REQUIRE(cp.program);
  test::check_golden(test::source_path("tests/golden/plan/tutorial.expected"), cp.program->disassemble());
}
