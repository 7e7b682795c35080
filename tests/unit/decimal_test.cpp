// Exact decimal arithmetic: the expected values follow from the definitions of the modes and
// from school arithmetic, not from running the code.
#include <catch2/catch.hpp>

#include "dsl/decimal.hpp"

using merit::dsl::Decimal;
using merit::dsl::Rounding;

namespace {
Decimal D(const char* s) {
  auto d = Decimal::parse(s);
  REQUIRE(d);
  return *d;
}
std::string rounded(const char* x, int digits, Rounding m) {
  Decimal r;
  REQUIRE(merit::dsl::round(D(x), digits, m, r));
  return r.to_string();
}
std::string quotient(const char* a, const char* b, int scale, Rounding m = Rounding::HalfEven) {
  Decimal r;
  REQUIRE(merit::dsl::div(D(a), D(b), scale, m, r));
  return r.to_string();
}
std::string product(const char* a, const char* b) {
  Decimal r;
  REQUIRE(merit::dsl::mul(D(a), D(b), r));
  return r.to_string();
}
}  // namespace

TEST_CASE("decimal text round-trips and keeps its scale", "[decimal]") {
  CHECK(D("0").to_string() == "0");
  CHECK(D("15.00").to_string() == "15.00");
  CHECK(D("-0.5").to_string() == "-0.5");
  CHECK(D("+7").to_string() == "7");
  CHECK(D("123456789012345678901234567890.12345678").to_string() == "123456789012345678901234567890.12345678");
  CHECK(D("1.500").normalized().to_string() == "1.5");
  CHECK_FALSE(Decimal::parse(""));
  CHECK_FALSE(Decimal::parse("-"));
  CHECK_FALSE(Decimal::parse("1.2.3"));
  CHECK_FALSE(Decimal::parse("1e5"));
  CHECK_FALSE(Decimal::parse("12a"));
  // More than 18 fractional digits would need rounding: refused rather than rounded silently.
  CHECK_FALSE(Decimal::parse("0.1234567890123456789"));
  CHECK(Decimal::parse("0.1234567890123456780"));  // a trailing zero loses nothing
  CHECK_FALSE(Decimal::parse("100000000000000000000000000000000000000"));  // 10^38: too many digits
}

TEST_CASE("comparison is exact across scales: 14.99 is below 15", "[decimal]") {
  CHECK(D("14.99") < D("15"));
  CHECK(D("15.00") == D("15"));
  CHECK(merit::dsl::compare(D("14.999999999999999999"), D("15")) < 0);
  CHECK(merit::dsl::compare(D("-1"), D("-0.5")) < 0);
  // A comparison whose scaling overflows 128 bits still answers correctly.
  CHECK(merit::dsl::compare(D("12345678901234567890123456789012345678"), D("0.000000000000000001")) > 0);
  CHECK(merit::dsl::compare(D("-12345678901234567890123456789012345678"), D("-0.000000000000000001")) < 0);
}

TEST_CASE("rounding 14.995 and its neighbours to two digits in every mode", "[decimal]") {
  // 14.995 is exactly halfway between 14.99 and 15.00.
  CHECK(rounded("14.995", 2, Rounding::HalfUp) == "15.00");
  CHECK(rounded("14.995", 2, Rounding::HalfEven) == "15.00");  // 9 is odd: to the even 15.00
  CHECK(rounded("14.995", 2, Rounding::HalfDown) == "14.99");
  CHECK(rounded("14.995", 2, Rounding::Down) == "14.99");
  CHECK(rounded("14.995", 2, Rounding::Up) == "15.00");
  CHECK(rounded("14.995", 2, Rounding::Floor) == "14.99");
  CHECK(rounded("14.995", 2, Rounding::Ceiling) == "15.00");
  // 14.985: halfway between 14.98 (even) and 14.99.
  CHECK(rounded("14.985", 2, Rounding::HalfUp) == "14.99");
  CHECK(rounded("14.985", 2, Rounding::HalfEven) == "14.98");
  CHECK(rounded("14.985", 2, Rounding::HalfDown) == "14.98");
  // Negative halves: half_up goes away from zero, floor toward minus infinity.
  CHECK(rounded("-14.995", 2, Rounding::HalfUp) == "-15.00");
  CHECK(rounded("-14.995", 2, Rounding::HalfEven) == "-15.00");
  CHECK(rounded("-14.995", 2, Rounding::HalfDown) == "-14.99");
  CHECK(rounded("-14.995", 2, Rounding::Down) == "-14.99");
  CHECK(rounded("-14.995", 2, Rounding::Up) == "-15.00");
  CHECK(rounded("-14.995", 2, Rounding::Floor) == "-15.00");
  CHECK(rounded("-14.995", 2, Rounding::Ceiling) == "-14.99");
  // Not a tie: every nearest mode agrees.
  CHECK(rounded("14.9951", 2, Rounding::HalfDown) == "15.00");
  CHECK(rounded("14.9949", 2, Rounding::HalfUp) == "14.99");
  // Padding to more digits is exact.
  CHECK(rounded("15", 2, Rounding::HalfUp) == "15.00");
  CHECK(rounded("0.004", 2, Rounding::HalfUp) == "0.00");
  CHECK(rounded("-0.004", 2, Rounding::HalfUp) == "0.00");
  Decimal r;
  CHECK_FALSE(merit::dsl::round(D("1"), 19, Rounding::HalfUp, r));
  CHECK_FALSE(merit::dsl::round(D("1"), -1, Rounding::HalfUp, r));
}

TEST_CASE("division rounds at the requested scale and mode", "[decimal]") {
  CHECK(quotient("1", "3", 18) == "0.333333333333333333");
  CHECK(quotient("2", "3", 18) == "0.666666666666666667");
  CHECK(quotient("2", "3", 18, Rounding::Down) == "0.666666666666666666");
  CHECK(quotient("1", "8", 18) == "0.125");  // exact: trailing zeros dropped
  CHECK(quotient("1", "8", 2, Rounding::HalfEven) == "0.12");
  CHECK(quotient("1", "8", 2, Rounding::HalfUp) == "0.13");
  CHECK(quotient("-1", "8", 2, Rounding::HalfUp) == "-0.13");
  CHECK(quotient("-1", "8", 2, Rounding::Floor) == "-0.13");
  CHECK(quotient("-1", "8", 2, Rounding::Ceiling) == "-0.12");
  CHECK(quotient("61", "112", 18) == "0.544642857142857143");
  CHECK(quotient("90000", "0.6", 18) == "150000");
  CHECK(quotient("0.000000000000000001", "3", 18) == "0");
  // Large numerator: 10^37 / 7 needs the 256-bit path.
  CHECK(quotient("10000000000000000000000000000000000000", "7", 0) == "1428571428571428571428571428571428571");
  Decimal r;
  CHECK_FALSE(merit::dsl::div(D("1"), D("0"), 18, Rounding::HalfEven, r));
  CHECK_FALSE(merit::dsl::div(D("1"), D("0.00"), 2, Rounding::HalfEven, r));
}

TEST_CASE("percent and money arithmetic is exact", "[decimal]") {
  // 60% is 0.60: 60% of $90,000 is $54,000, and 0.1 + 0.2 is exactly 0.3.
  CHECK(product("0.60", "90000") == "54000");
  Decimal s;
  REQUIRE(merit::dsl::add(D("0.1"), D("0.2"), s));
  CHECK(s == D("0.3"));
  CHECK(s.to_string() == "0.3");
  CHECK(product("1.1", "1.1") == "1.21");
  CHECK(product("-2.5", "4") == "-10");
  // 18 + 18 fractional digits: the product keeps 18, rounded half-even.
  CHECK(product("0.333333333333333333", "0.333333333333333333") == "0.111111111111111111");
  // A product of two coefficients above 2^64 each (256-bit intermediate).
  CHECK(product("83.333333333333333333", "83.333333333333333333") == "6944.444444444444444389");
}

TEST_CASE("overflow is reported, never wrapped", "[decimal]") {
  Decimal r;
  Decimal big = D("99999999999999999999999999999999999999");
  CHECK_FALSE(merit::dsl::add(big, D("1"), r));
  CHECK_FALSE(merit::dsl::mul(big, D("10"), r));
  CHECK(merit::dsl::mul(big, D("0.1"), r));
  CHECK(r.to_string() == "9999999999999999999999999999999999999.9");
  CHECK_FALSE(merit::dsl::round(big, 1, Rounding::HalfUp, r));
  CHECK(merit::dsl::sub(big.negated(), D("0"), r));
}
