#include <catch2/catch.hpp>

#include "support/policy_fixture.hpp"

using namespace merit;

TEST_CASE("a minimal policy compiles and evaluates", "[smoke]") {
  auto c = test::compile_mini({"module m\ndef a = input.x * 2\n", "", "x: number\n", ""});
  INFO(c->rendered);
  REQUIRE(c->policy.program);
  auto r = test::eval_yaml(*c->policy.program, "x: 21\n");
  INFO(r.input_errors);
  REQUIRE(r.input_ok);
  CHECK(r.values["m.a"] == "42");
}
