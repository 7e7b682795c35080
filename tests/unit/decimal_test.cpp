// Exact decimal arithmetic: the expected values follow from the definitions of the modes and
// from school arithmetic, not from running the code.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>

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

// Randomized differential tests: the 64-bit fast paths (div, mul_general, round, zero
// stripping, to_int64) against plain 128-bit reference arithmetic and against the same values
// rescaled so that their coefficients exceed 2^64 and take the general (256-bit) paths.
namespace {
using u128 = unsigned __int128;
using i128 = __int128;

u128 pow10(int n) {
  u128 r = 1;
  while (n-- > 0) r *= 10;
  return r;
}
const u128 kMax = pow10(38) - 1;
u128 mag(i128 v) { return v < 0 ? static_cast<u128>(-(v + 1)) + 1 : static_cast<u128>(v); }

struct Gen {
  std::mt19937_64 rng{20240611};
  uint64_t bits() { return rng(); }
  int below(int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); }
  // A coefficient within int64 of varied size, sometimes with trailing zeros.
  i128 coef() {
    int64_t v = static_cast<int64_t>(bits() >> (1 + below(63)));
    if (below(3) == 0) {
      int z = below(8);
      while (z-- > 0 && v < INT64_MAX / 10) v *= 10;
    }
    return below(2) ? -static_cast<i128>(v) : static_cast<i128>(v);
  }
  Rounding mode() { return static_cast<Rounding>(below(7)); }
};

Decimal make_dec(i128 c, int s) {
  auto d = Decimal::from_parts(c, s);
  REQUIRE(d);
  return *d;
}
// The same value with the coefficient scaled past 2^64 where the scale allows; else unchanged.
Decimal widened(const Decimal& x) {
  if (mag(x.coefficient()) > UINT64_MAX) return x;
  for (int j = 1; x.scale() + j <= Decimal::kMaxScale; ++j) {
    if (mag(x.coefficient()) > kMax / pow10(j)) break;
    u128 m = mag(x.coefficient()) * pow10(j);
    if (m > UINT64_MAX) return make_dec(x.coefficient() * static_cast<i128>(pow10(j)), x.scale() + j);
  }
  return x;
}
void strip(u128& m, int& s) {
  while (s > 0 && m % 10 == 0 && m != 0) m /= 10, --s;
  if (m == 0) s = 0;
}
bool up_ref(u128 q, u128 r, u128 d, bool neg, Rounding mode) {
  if (r == 0) return false;
  u128 twice = 2 * r;  // r < d < 2^64: no overflow
  switch (mode) {
    case Rounding::HalfUp: return twice >= d;
    case Rounding::HalfEven: return twice > d || (twice == d && (q & 1));
    case Rounding::HalfDown: return twice > d;
    case Rounding::Down: return false;
    case Rounding::Up: return true;
    case Rounding::Floor: return neg;
    case Rounding::Ceiling: return !neg;
  }
  return false;
}
void same(const Decimal& x, const Decimal& y) {
  CHECK(x.coefficient() == y.coefficient());
  CHECK(x.scale() == y.scale());
}
}  // namespace

TEST_CASE("division fast path agrees with 128-bit reference and the wide path", "[decimal]") {
  Gen g;
  int checked = 0;
  auto one = [&](Decimal a, Decimal b, int scale, Rounding mode) {
    Decimal r;
    bool ok = merit::dsl::div(a, b, scale, mode, r);
    int k = scale - a.scale() + b.scale();
    if (!b.is_zero() && k >= 0 && k <= 19 && mag(a.coefficient()) <= UINT64_MAX &&
        mag(b.coefficient()) <= UINT64_MAX) {  // reference: exact in 128 bits
      u128 n = mag(a.coefficient()) * pow10(k), d = mag(b.coefficient());
      bool neg = (a.coefficient() < 0) != (b.coefficient() < 0);
      u128 q = n / d;
      q += up_ref(q, n % d, d, neg, mode);
      int s = scale;
      strip(q, s);
      REQUIRE(ok == (q <= kMax));
      if (ok) {
        CHECK(r.coefficient() == (neg ? -static_cast<i128>(q) : static_cast<i128>(q)));
        CHECK(r.scale() == s);
        ++checked;
      }
    }
    Decimal w;
    bool wok = merit::dsl::div(widened(a), widened(b), scale, mode, w);
    REQUIRE(ok == wok);
    if (ok) same(r, w);
  };
  for (int i = 0; i < 200000; ++i) {
    Decimal b = make_dec(g.coef(), g.below(19));
    if (b.is_zero()) continue;
    Decimal a = make_dec(g.coef(), g.below(19));
    if (g.below(4) == 0) {  // an exact quotient, so that zeros are left to strip
      Decimal p;
      if (!merit::dsl::mul(b, make_dec(g.coef() >> g.below(40), g.below(19)), p)) continue;
      a = p;
    }
    one(a, b, g.below(19), g.mode());
  }
  // Quotients of 2^64 - 1 with a remainder: rounding up leaves 64 bits.
  for (uint64_t d = 1; d < 2000; ++d)
    for (int k = 1; k <= 19; ++k) {
      u128 n0 = static_cast<u128>(UINT64_MAX) * d, p = pow10(k);
      u128 r = (p - n0 % p) % p;
      if (r == 0 || r >= d || (n0 + r) / p > INT64_MAX) continue;
      Decimal a = make_dec(static_cast<i128>((n0 + r) / p), 0), b = make_dec(static_cast<i128>(d), 0);
      for (int m = 0; m < 7; ++m) one(a, b, k, static_cast<Rounding>(m));
    }
  CHECK(checked > 100000);
}

TEST_CASE("multiplication fast path agrees with the wide path", "[decimal]") {
  Gen g;
  for (int i = 0; i < 200000; ++i) {
    Decimal a = make_dec(g.coef(), g.below(19)), b = make_dec(g.coef(), g.below(19));
    Decimal r, w;
    bool ok = merit::dsl::mul(a, b, r);
    // Reference: the exact 128-bit product, past 18 digits rounded half-even, zeros stripped.
    u128 p = mag(a.coefficient()) * mag(b.coefficient());
    bool neg = (a.coefficient() < 0) != (b.coefficient() < 0);
    int s = a.scale() + b.scale();
    if (s > Decimal::kMaxScale) {
      u128 d = pow10(s - Decimal::kMaxScale);
      u128 q = p / d;
      p = q + up_ref(q, p % d, d, neg, Rounding::HalfEven);
      s = Decimal::kMaxScale;
    }
    REQUIRE(ok == (p <= kMax));
    if (!ok) continue;
    strip(p, s);
    CHECK(r.coefficient() == (neg ? -static_cast<i128>(p) : static_cast<i128>(p)));
    CHECK(r.scale() == s);
    // The same value through the 256-bit path (which may report overflow for a wide
    // coefficient with trailing zeros, so only results are compared).
    if (merit::dsl::mul(widened(a), b, w)) same(r, w);
    if (merit::dsl::mul(widened(a), widened(b), w)) same(r, w);
  }
}

TEST_CASE("rounding and zero stripping agree with plain 128-bit arithmetic", "[decimal]") {
  Gen g;
  for (int i = 0; i < 200000; ++i) {
    // A coefficient of up to 38 digits, often with trailing zeros.
    u128 m = (static_cast<u128>(g.bits() >> g.below(64)) << 64 | g.bits()) >> g.below(128);
    m %= pow10(1 + g.below(38));
    if (g.below(2)) {
      int z = g.below(19);
      while (z-- > 0 && m * 10 <= kMax) m *= 10;
    }
    int s = g.below(19);
    i128 c = g.below(2) ? -static_cast<i128>(m) : static_cast<i128>(m);
    Decimal x = make_dec(c, s);
    u128 sm = m;
    int ss = s;
    strip(sm, ss);
    Decimal n = x.normalized();
    CHECK(mag(n.coefficient()) == sm);
    CHECK(n.scale() == ss);
    CHECK((n.coefficient() < 0) == (c < 0 && m != 0));

    int digits = g.below(19);
    Rounding mode = g.mode();
    Decimal r;
    bool ok = merit::dsl::round(x, digits, mode, r);
    u128 q;
    bool fits = true;
    if (digits >= s) {
      u128 f = pow10(digits - s);
      fits = m <= kMax / f;
      q = fits ? m * f : 0;
    } else {
      u128 d = pow10(s - digits);
      q = m / d;
      q += up_ref(q, m % d, d, c < 0, mode);
    }
    REQUIRE(ok == (fits && q <= kMax));
    if (ok) {
      CHECK(r.coefficient() == (c < 0 ? -static_cast<i128>(q) : static_cast<i128>(q)));
      CHECK(r.scale() == digits);
      Decimal w;
      REQUIRE(merit::dsl::round(widened(x), digits, mode, w));
      same(r, w);
    }

    i128 v = c / static_cast<i128>(pow10(s));
    bool integral = c % static_cast<i128>(pow10(s)) == 0 && v >= INT64_MIN && v <= INT64_MAX;
    auto t = x.to_int64();
    REQUIRE(t.has_value() == integral);
    if (t) CHECK(*t == static_cast<int64_t>(v));
  }
  for (i128 c : {i128{INT64_MAX}, i128{INT64_MAX} + 1, i128{INT64_MIN}, i128{INT64_MIN} - 1, -i128{1} << 64,
                 (i128{1} << 64) - 1, i128{1} << 64}) {
    auto t = make_dec(c, 0).to_int64();
    REQUIRE(t.has_value() == (c >= INT64_MIN && c <= INT64_MAX));
    if (t) CHECK(*t == static_cast<int64_t>(c));
  }
}
