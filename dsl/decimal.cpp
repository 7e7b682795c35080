#include "dsl/decimal.hpp"

#include <algorithm>
#include <cstring>
#include <array>

namespace merit::dsl {

namespace {

using u128 = unsigned __int128;
using i128 = __int128;

// Largest coefficient magnitude we allow: 10^38 - 1 (fits in 127 bits).
constexpr u128 pow10_u128(int n) {
  u128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}
constexpr u128 kMaxCoef = pow10_u128(38) - 1;

constexpr std::array<u128, 39> make_pow10() {
  std::array<u128, 39> t{};
  for (int i = 0; i < 39; ++i) t[i] = pow10_u128(i);
  return t;
}
constexpr std::array<u128, 39> kPow10 = make_pow10();

// kScaleLimit[k]: the largest magnitude that can be multiplied by 10^k and stay <= kMaxCoef.
constexpr std::array<u128, 39> make_scale_limits() {
  std::array<u128, 39> t{};
  for (int i = 0; i < 39; ++i) t[i] = (pow10_u128(38) - 1) / pow10_u128(i);
  return t;
}
constexpr std::array<u128, 39> kScaleLimit = make_scale_limits();

u128 magnitude(i128 v) { return v < 0 ? static_cast<u128>(-(v + 1)) + 1 : static_cast<u128>(v); }

// n / d and n % d for a 64-bit divisor: two hardware divisions instead of libgcc's generic
// 128-bit routine (which the common cases -- a population, a power of ten -- never need).
u128 divmod64(u128 n, uint64_t d, uint64_t& rem) {
  auto hi = static_cast<uint64_t>(n >> 64);
  auto lo = static_cast<uint64_t>(n);
  if (hi == 0) {
    rem = lo % d;
    return lo / d;
  }
#if defined(__x86_64__)
  uint64_t qhi = 0, r = hi;
  if (hi >= d) {  // hardware divisions are slow: skip this one when the quotient fits 64 bits
    qhi = hi / d;
    r = hi % d;
  }
  uint64_t qlo;
  // (r:lo) / d with r < d: the quotient fits in 64 bits, as divq requires.
  __asm__("divq %[d]" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(r), [d] "rm"(d));
  return (static_cast<u128>(qhi) << 64) | qlo;
#else
  rem = static_cast<uint64_t>(n % d);
  return n / d;
#endif
}

// m / 10^k and m % 10^k for 1 <= k <= 18. Each case divides by a constant, which the compiler
// turns into a multiplication: no hardware division on the rounding path.
uint64_t div_pow10(uint64_t m, int k, uint64_t& rem) {
  uint64_t q = 0;
  switch (k) {
#define MERIT_POW10_CASE(n, p) \
  case n:                      \
    q = m / p##ull;            \
    rem = m - q * p##ull;      \
    return q;
    MERIT_POW10_CASE(1, 10) MERIT_POW10_CASE(2, 100) MERIT_POW10_CASE(3, 1000) MERIT_POW10_CASE(4, 10000)
    MERIT_POW10_CASE(5, 100000) MERIT_POW10_CASE(6, 1000000) MERIT_POW10_CASE(7, 10000000)
    MERIT_POW10_CASE(8, 100000000) MERIT_POW10_CASE(9, 1000000000) MERIT_POW10_CASE(10, 10000000000)
    MERIT_POW10_CASE(11, 100000000000) MERIT_POW10_CASE(12, 1000000000000) MERIT_POW10_CASE(13, 10000000000000)
    MERIT_POW10_CASE(14, 100000000000000) MERIT_POW10_CASE(15, 1000000000000000)
    MERIT_POW10_CASE(16, 10000000000000000) MERIT_POW10_CASE(17, 100000000000000000)
    MERIT_POW10_CASE(18, 1000000000000000000)
#undef MERIT_POW10_CASE
    default: rem = 0; return m;
  }
}

// Whether a magnitude above 2^64 is a multiple of 10, without dividing: even, and a multiple of
// 5 (2^64 = 1 mod 5, so n = hi + lo mod 5; hi < 2^63, so hi + lo + carry fits 64 bits).
bool multiple_of_10(u128 n) {
  auto lo = static_cast<uint64_t>(n);
  if (lo & 1) return false;
  auto hi = static_cast<uint64_t>(n >> 64);
  uint64_t sum;
  bool carry = __builtin_add_overflow(hi, lo, &sum);
  return (sum + carry) % 5 == 0;
}

// Exact division by 10^p as a multiplication (Granlund-Montgomery): with m' = m * 5^-p mod 2^N
// rotated right by p bits, 10^p divides m exactly when m' <= (2^N - 1) / 10^p, and then m' is
// the quotient. One multiplication decides and divides, instead of a division per digit.
template <class T>
constexpr T inverse_mod_2n(T d) {  // d odd; Newton's iteration doubles the correct bits
  T x = d;
  for (int i = 0; i < 7; ++i) x *= 2 - d * x;
  return x;
}
template <class T>
struct Pow10Divisibility {
  T inv5[19]{};    // 5^-p mod 2^N
  T limit[19]{};   // (2^N - 1) / 10^p
  constexpr Pow10Divisibility() {
    T five = 1, ten = 1;
    for (int p = 0; p < 19; ++p) {
      inv5[p] = inverse_mod_2n<T>(five);
      limit[p] = static_cast<T>(~T{0}) / ten;
      five *= 5;
      ten *= 10;
    }
  }
};
constexpr Pow10Divisibility<uint64_t> kDiv64{};
constexpr Pow10Divisibility<u128> kDiv128{};

// m / 10^p into m if 10^p divides it (1 <= p <= 18).
template <class T, int P>
bool take_pow10(T& m, const Pow10Divisibility<T>& t) {
  constexpr int kBits = sizeof(T) * 8;
  T x = static_cast<T>(m * t.inv5[P]);
  x = static_cast<T>((x >> P) | (x << (kBits - P)));
  if (x > t.limit[P]) return false;
  m = x;
  return true;
}

inline int trailing_binary_zeros(uint64_t m) { return __builtin_ctzll(m); }  // m != 0
inline int trailing_binary_zeros(u128 m) {
  auto lo = static_cast<uint64_t>(m);
  return lo ? __builtin_ctzll(lo) : 64;  // 64 exceeds any scale: enough as a bound
}

// Removes min(trailing zeros, scale) digits. 10^p divides m only if 2^p does, so the binary
// trailing zeros bound the count: an odd m costs a couple of instructions, one zero a
// multiplication more; longer runs take a binary descent (8, 4, 2, 1 after the first digit),
// at most four more tests for any count up to 18, out of line.
template <class T>
[[gnu::noinline]] void strip_more(T& m, int& scale, int limit, const Pow10Divisibility<T>& t) {
  if (limit >= 16 && take_pow10<T, 16>(m, t)) scale -= 16, limit -= 16;
  if (limit >= 8 && take_pow10<T, 8>(m, t)) scale -= 8, limit -= 8;
  if (limit >= 4 && take_pow10<T, 4>(m, t)) scale -= 4, limit -= 4;
  if (limit >= 2 && take_pow10<T, 2>(m, t)) scale -= 2, limit -= 2;
  if (limit >= 1 && take_pow10<T, 1>(m, t)) scale -= 1;
}
template <class T>
[[gnu::always_inline]] inline void strip_pow10(T& m, int& scale, const Pow10Divisibility<T>& t) {
  int limit = std::min(scale, trailing_binary_zeros(m));
  if (limit == 0 || !take_pow10<T, 1>(m, t)) return;
  --scale;
  if (limit > 1) strip_more<T>(m, scale, limit - 1, t);
}

// Trailing zeros of a 64-bit magnitude removed, lowering its scale; zero gets scale 0.
[[gnu::always_inline]] inline void strip_zeros64(uint64_t& m, int& scale) {
  if (m == 0) {
    scale = 0;
    return;
  }
  if (scale > 0) strip_pow10<uint64_t>(m, scale, kDiv64);
}

// Unsigned 256-bit integer as four 64-bit limbs, little-endian. Only what the decimal
// operations need: products of two 128-bit magnitudes, and division with remainder.
struct U256 {
  std::array<uint64_t, 4> w{};

  static U256 from(u128 v) {
    U256 r;
    r.w[0] = static_cast<uint64_t>(v);
    r.w[1] = static_cast<uint64_t>(v >> 64);
    return r;
  }
  static U256 mul(u128 a, u128 b) {
    uint64_t a0 = static_cast<uint64_t>(a), a1 = static_cast<uint64_t>(a >> 64);
    uint64_t b0 = static_cast<uint64_t>(b), b1 = static_cast<uint64_t>(b >> 64);
    U256 r;
    u128 p00 = static_cast<u128>(a0) * b0;
    u128 p01 = static_cast<u128>(a0) * b1;
    u128 p10 = static_cast<u128>(a1) * b0;
    u128 p11 = static_cast<u128>(a1) * b1;
    r.w[0] = static_cast<uint64_t>(p00);
    u128 mid = (p00 >> 64) + static_cast<uint64_t>(p01) + static_cast<uint64_t>(p10);
    r.w[1] = static_cast<uint64_t>(mid);
    u128 hi = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + static_cast<uint64_t>(p11);
    r.w[2] = static_cast<uint64_t>(hi);
    r.w[3] = static_cast<uint64_t>((hi >> 64) + (p11 >> 64));
    return r;
  }
  bool fits_u128() const { return w[2] == 0 && w[3] == 0; }
  u128 low() const { return (static_cast<u128>(w[1]) << 64) | w[0]; }
  bool is_zero() const { return (w[0] | w[1] | w[2] | w[3]) == 0; }
  int bits() const {
    for (int i = 3; i >= 0; --i)
      if (w[i]) return 64 * i + 64 - __builtin_clzll(w[i]);
    return 0;
  }
  bool bit(int i) const { return (w[i / 64] >> (i % 64)) & 1; }
  void shl1() {
    for (int i = 3; i > 0; --i) w[i] = (w[i] << 1) | (w[i - 1] >> 63);
    w[0] <<= 1;
  }
  friend int cmp(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i)
      if (a.w[i] != b.w[i]) return a.w[i] < b.w[i] ? -1 : 1;
    return 0;
  }
  void sub_assign(const U256& b) {
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
      u128 d = static_cast<u128>(w[i]) - b.w[i] - borrow;
      w[i] = static_cast<uint64_t>(d);
      borrow = (d >> 64) ? 1 : 0;
    }
  }
  // Quotient and remainder. Binary long division; only reached when operands exceed 128 bits.
  static void divmod(const U256& n, const U256& d, U256& q, U256& r) {
    q = U256{};
    r = U256{};
    for (int i = n.bits() - 1; i >= 0; --i) {
      r.shl1();
      r.w[0] |= n.bit(i) ? 1 : 0;
      if (cmp(r, d) >= 0) {
        r.sub_assign(d);
        q.w[i / 64] |= (uint64_t{1} << (i % 64));
      }
    }
  }
};

// Whether the quotient magnitude q (with remainder r of divisor d) rounds away from zero under
// `mode`; `negative` is the sign of the exact result. Only q's parity matters.
template <class T>
bool rounds_up(uint64_t q, T r, T d, bool negative, Rounding mode) {
  if (r == 0) return false;
  T rest = d - r;  // compare r with d/2 without overflowing: r ? d - r
  switch (mode) {
    case Rounding::Down: return false;
    case Rounding::Up: return true;
    case Rounding::HalfUp: return r >= rest;
    case Rounding::HalfDown: return r > rest;
    case Rounding::HalfEven: return r > rest || (r == rest && (q & 1));
    case Rounding::Floor: return negative;
    case Rounding::Ceiling: return !negative;
  }
  return false;
}

u128 apply_rounding(u128 q, u128 r, u128 d, bool negative, Rounding mode) {
  return rounds_up<u128>(static_cast<uint64_t>(q), r, d, negative, mode) ? q + 1 : q;
}

bool make(u128 mag, bool negative, int scale, Decimal& out) {
  if (mag > kMaxCoef || scale < 0 || scale > Decimal::kMaxScale) return false;
  i128 c = static_cast<i128>(mag);
  out = *Decimal::from_parts(negative ? -c : c, scale);
  return true;
}

// Divide a 256-bit magnitude by a 256-bit divisor and round.
bool divide_round(const U256& n, const U256& d, bool negative, Rounding mode, int scale,
                  Decimal& out) {
  if (d.is_zero()) return false;
  if (n.fits_u128() && d.fits_u128()) {
    u128 nn = n.low(), dd = d.low();
    if (dd <= UINT64_MAX) {
      uint64_t r;
      u128 q = divmod64(nn, static_cast<uint64_t>(dd), r);
      return make(apply_rounding(q, r, dd, negative, mode), negative, scale, out);
    }
    u128 q = nn / dd;
    return make(apply_rounding(q, nn - q * dd, dd, negative, mode), negative, scale, out);
  }
  U256 q, r;
  U256::divmod(n, d, q, r);
  if (!q.fits_u128()) return false;
  // r < d; if d exceeds 128 bits compare r with d - r in 256 bits.
  if (d.fits_u128()) return make(apply_rounding(q.low(), r.low(), d.low(), negative, mode), negative, scale, out);
  U256 rest = d;
  rest.sub_assign(r);
  int c = r.is_zero() ? -2 : cmp(r, rest);
  u128 qq = q.low();
  bool up = false;
  if (c != -2) {
    switch (mode) {
      case Rounding::Down: break;
      case Rounding::Up: up = true; break;
      case Rounding::HalfUp: up = c >= 0; break;
      case Rounding::HalfDown: up = c > 0; break;
      case Rounding::HalfEven: up = c > 0 || (c == 0 && (qq & 1)); break;
      case Rounding::Floor: up = negative; break;
      case Rounding::Ceiling: up = !negative; break;
    }
  }
  return make(up ? qq + 1 : qq, negative, scale, out);
}

// c * 10^k, if that stays within 38 digits (a table look-up instead of an overflow check).
bool scale_up(i128 c, int k, i128& out) {
  if (k == 0) {
    out = c;
    return true;
  }
  if (magnitude(c) > kScaleLimit[k]) return false;
  out = c * static_cast<i128>(kPow10[k]);
  return true;
}

// Align a and b to the same scale; false if a coefficient would overflow.
bool align(const Decimal& a, const Decimal& b, i128& ca, i128& cb, int& scale) {
  scale = std::max(a.scale(), b.scale());
  return scale_up(a.coefficient(), scale - a.scale(), ca) && scale_up(b.coefficient(), scale - b.scale(), cb);
}

}  // namespace

std::string_view rounding_name(Rounding r) {
  switch (r) {
    case Rounding::HalfUp: return "half_up";
    case Rounding::HalfEven: return "half_even";
    case Rounding::HalfDown: return "half_down";
    case Rounding::Down: return "down";
    case Rounding::Up: return "up";
    case Rounding::Floor: return "floor";
    case Rounding::Ceiling: return "ceiling";
  }
  return "half_even";
}

std::optional<Rounding> rounding_from_name(std::string_view n) {
  for (Rounding r : {Rounding::HalfUp, Rounding::HalfEven, Rounding::HalfDown, Rounding::Down,
                     Rounding::Up, Rounding::Floor, Rounding::Ceiling})
    if (rounding_name(r) == n) return r;
  return std::nullopt;
}

std::optional<Decimal> Decimal::from_parts(__int128 coefficient, int scale) {
  if (scale < 0 || scale > kMaxScale) return std::nullopt;
  if (magnitude(coefficient) > kMaxCoef) return std::nullopt;
  return Decimal(coefficient, scale);
}

std::optional<Decimal> Decimal::parse(std::string_view t) {
  if (t.empty()) return std::nullopt;
  bool neg = false;
  size_t i = 0;
  if (t[0] == '-' || t[0] == '+') {
    neg = t[0] == '-';
    i = 1;
  }
  u128 mag = 0;
  int scale = 0;
  bool any = false, point = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.') {
      if (point) return std::nullopt;
      point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    any = true;
    if (point) {
      if (scale == kMaxScale) {
        if (c != '0') return std::nullopt;  // more precision than we keep: refuse, never round silently
        continue;
      }
      ++scale;
    }
    mag = mag * 10 + static_cast<unsigned>(c - '0');
    if (mag > kMaxCoef) return std::nullopt;
  }
  if (!any) return std::nullopt;
  i128 c = static_cast<i128>(mag);
  return Decimal(neg ? -c : c, scale);
}

bool Decimal::is_integer() const {
  if (scale_ == 0) return true;
  return magnitude(coef_) % kPow10[scale_] == 0;
}

std::optional<int64_t> Decimal::to_int64() const {
  if (scale_ == 0) {
    // Fits int64 when the high word is the sign extension of the low one.
    auto lo = static_cast<int64_t>(coef_.lo);
    if (coef_.hi != (lo >> 63)) return std::nullopt;
    return lo;
  }
  if (!is_integer()) return std::nullopt;
  i128 v = coef_ / static_cast<i128>(kPow10[scale_]);
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(v);
}

void Decimal::append_to(std::string& out) const {
  // Digits from the right into a stack buffer: 39 digits, a point, a sign and leading zeros fit.
  char buf[64];
  char* end = buf + sizeof buf;
  char* p = end;
  u128 m = magnitude(coef_);
  int written = 0;
  while (m > UINT64_MAX) {  // 128-bit division only while the value needs it
    uint64_t r;
    m = divmod64(m, 10u, r);
    *--p = static_cast<char>('0' + r);
    ++written;
  }
  auto m64 = static_cast<uint64_t>(m);
  do {
    *--p = static_cast<char>('0' + m64 % 10);
    m64 /= 10;
    ++written;
  } while (m64);
  while (written <= scale_) {
    *--p = '0';
    ++written;
  }
  if (scale_ > 0) {  // the point goes scale_ digits from the right
    char* point = end - scale_;
    std::memmove(p - 1, p, static_cast<size_t>(point - p));
    --p;
    point[-1] = '.';
  }
  if (coef_ < 0) *--p = '-';
  out.append(p, static_cast<size_t>(end - p));
}

std::string Decimal::to_string() const {
  std::string s;
  append_to(s);
  return s;
}

namespace {
// Removes trailing zeros from a magnitude, lowering its scale; zero gets scale 0.
void strip_zeros(u128& mag, int& scale) {
  if (mag <= UINT64_MAX) {
    auto m = static_cast<uint64_t>(mag);
    strip_zeros64(m, scale);
    mag = m;
    return;
  }
  // Above 2^64: two cheap tests reject the usual no-zero case before any 128-bit product.
  if (scale > 0 && multiple_of_10(mag)) strip_pow10<u128>(mag, scale, kDiv128);
}
}  // namespace

Decimal Decimal::normalized() const {
  if (scale_ == 0) return *this;  // nothing to strip (and a zero already has scale 0)
  u128 m = magnitude(coef_);
  int s = scale_;
  strip_zeros(m, s);
  i128 c = static_cast<i128>(m);
  return Decimal(coef_ < 0 ? -c : c, s);
}

bool detail::add_general(const Decimal& a, const Decimal& b, Decimal& out) {
  i128 ca, cb;
  int s;
  if (!align(a, b, ca, cb, s)) return false;
  i128 r = ca + cb;  // both <= 10^38 - 1 in magnitude: the sum fits in 128 bits
  return make(magnitude(r), r < 0, s, out);
}

namespace {
// 10^k for k <= 19 (10^19 < 2^64): the numerator scale factor of div's fast path.
constexpr std::array<uint64_t, 20> kPow10u64 = [] {
  std::array<uint64_t, 20> t{};
  for (int i = 0; i < 20; ++i) t[i] = static_cast<uint64_t>(pow10_u128(i));
  return t;
}();

// div's cases beyond a 64-bit quotient, out of line so that the fast path has few registers
// to save.
[[gnu::noinline]] bool div_wide(const Decimal& a, const Decimal& b, int scale, Rounding mode, Decimal& out) {
  if (b.is_zero() || scale < 0 || scale > Decimal::kMaxScale) return false;
  bool neg = (a.coefficient() < 0) != (b.coefficient() < 0);
  int k = scale - a.scale() + b.scale();
  u128 ma = magnitude(a.coefficient()), mb = magnitude(b.coefficient());
  if (k >= 0 && k <= 19 && ma <= UINT64_MAX && mb <= UINT64_MAX) {
    uint64_t r;
    u128 q = divmod64(ma * kPow10[k], static_cast<uint64_t>(mb), r);
    q = apply_rounding(q, r, mb, neg, mode);
    if (q > kMaxCoef) return false;
    int s = scale;
    strip_zeros(q, s);
    i128 c = static_cast<i128>(q);
    out = *Decimal::from_parts(neg ? -c : c, s);
    return true;
  }
  // q = a.coef * 10^(scale - a.scale + b.scale) / b.coef
  U256 n = U256::from(ma);
  U256 d = U256::from(mb);
  if (k > 0)
    n = U256::mul(ma, kPow10[k]);  // k <= 36, 10^36 < 2^120
  else if (k < 0)
    d = U256::mul(mb, kPow10[-k]);
  Decimal r;
  if (!divide_round(n, d, neg, mode, scale, r)) return false;
  out = r.is_zero() ? Decimal() : r.normalized();
  return true;
}

// mul_general's coefficients above 2^64: a 256-bit product.
[[gnu::noinline]] bool mul_wide(u128 ma, u128 mb, int s, bool neg, Decimal& out) {
  U256 p = U256::mul(ma, mb);
  Decimal r;
  if (s <= Decimal::kMaxScale) {
    if (!p.fits_u128() || !make(p.low(), neg && !p.is_zero(), s, r)) return false;
  } else if (!divide_round(p, U256::from(kPow10[s - Decimal::kMaxScale]), neg, Rounding::HalfEven,
                           Decimal::kMaxScale, r)) {
    // Too many fractional digits: keep 18, rounding half-even (documented in docs/dsl.md).
    return false;
  }
  // A product carries no meaningful trailing zeros (0.8 * 100 is 80, not 80.0).
  out = r.normalized();
  return true;
}
}  // namespace

bool detail::mul_general(const Decimal& a, const Decimal& b, Decimal& out) {
  bool neg = (a.coefficient() < 0) != (b.coefficient() < 0);
  u128 ma = magnitude(a.coefficient()), mb = magnitude(b.coefficient());
  int s = a.scale() + b.scale();
  if (ma <= UINT64_MAX && mb <= UINT64_MAX) {
    // Both coefficients fit 64 bits: one 64x64 product, and (past 18 digits) one division by a
    // 64-bit power of ten; the same result as the 256-bit path below, without it.
    u128 m = static_cast<u128>(static_cast<uint64_t>(ma)) * static_cast<uint64_t>(mb);
    if (s > Decimal::kMaxScale) {
      auto d = static_cast<uint64_t>(kPow10[s - Decimal::kMaxScale]);  // s <= 36: d <= 10^18
      uint64_t r;
      u128 q = divmod64(m, d, r);
      m = apply_rounding(q, r, d, neg, Rounding::HalfEven);
      s = Decimal::kMaxScale;
    }
    if (m > kMaxCoef) return false;
    strip_zeros(m, s);
    i128 c = static_cast<i128>(m);
    out = Decimal(neg ? -c : c, s);
    return true;
  }
  return mul_wide(ma, mb, s, neg, out);
}

bool div(const Decimal& a, const Decimal& b, int scale, Rounding mode, Decimal& out) {
  // The common case: both coefficients fit int64, the numerator needs at most 10^19 and the
  // quotient fits 64 bits -- one 64x64 multiplication, one hardware division, then rounding and
  // zero stripping in 64-bit arithmetic. Everything else (and b == 0) goes to div_wide.
  i128 ca = a.coefficient(), cb = b.coefficient();
  auto la = static_cast<int64_t>(ca), lb = static_cast<int64_t>(cb);
  int k = scale - a.scale() + b.scale();
  if (ca == la && cb == lb && lb != 0 && static_cast<unsigned>(scale) <= Decimal::kMaxScale &&
      static_cast<unsigned>(k) <= 19) {
    bool neg = (la ^ lb) < 0;
    uint64_t ma = la < 0 ? 0 - static_cast<uint64_t>(la) : static_cast<uint64_t>(la);
    uint64_t d = lb < 0 ? 0 - static_cast<uint64_t>(lb) : static_cast<uint64_t>(lb);
    u128 n = static_cast<u128>(ma) * kPow10u64[k];
    auto hi = static_cast<uint64_t>(n >> 64), lo = static_cast<uint64_t>(n);
    if (hi < d) {
      uint64_t q, r;
      if (hi == 0) {
        q = lo / d;
        r = lo % d;
      } else {
#if defined(__x86_64__)
        __asm__("divq %[d]" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), [d] "rm"(d));
#else
        q = static_cast<uint64_t>(n / d);
        r = static_cast<uint64_t>(n % d);
#endif
      }
      bool up = rounds_up<uint64_t>(q, r, d, neg, mode);
      if (!up || q != UINT64_MAX) {  // q + 1 = 2^64 goes the 128-bit way
        q += up;
        int s = scale;
        strip_zeros64(q, s);
        i128 c = static_cast<i128>(q);
        out = Decimal(neg ? -c : c, s);
        return true;
      }
    }
  }
  return div_wide(a, b, scale, mode, out);
}

bool round(const Decimal& x, int digits, Rounding mode, Decimal& out) {
  if (digits < 0 || digits > Decimal::kMaxScale) return false;
  u128 m = magnitude(x.coefficient());
  bool neg = x.is_negative();
  if (digits >= x.scale() && m <= UINT64_MAX) {  // m * 10^18 < 2^124: no overflow check needed
    u128 p = m * kPow10[digits - x.scale()];
    if (p > kMaxCoef) return false;
    i128 c = static_cast<i128>(p);
    out = Decimal(neg ? -c : c, digits);
    return true;
  }
  if (digits >= x.scale()) {
    i128 c;
    if (__builtin_mul_overflow(x.coefficient(), static_cast<i128>(kPow10[digits - x.scale()]), &c)) return false;
    return make(magnitude(c), c < 0, digits, out);
  }
  auto d = static_cast<uint64_t>(kPow10[x.scale() - digits]);  // scale <= 18: fits in 64 bits
  uint64_t r;
  u128 q;
  if (m <= UINT64_MAX) {  // the usual case: a 64-bit division by a constant (a multiplication)
    uint64_t q64 = div_pow10(static_cast<uint64_t>(m), x.scale() - digits, r);
    // q64 < 2^64 / 10: adding one neither wraps nor exceeds 10^38 - 1
    q64 += rounds_up<uint64_t>(q64, r, d, neg, mode);
    i128 c = static_cast<i128>(q64);
    out = Decimal(neg ? -c : c, digits);
    return true;
  } else {
    q = divmod64(m, d, r);
  }
  return make(apply_rounding(q, r, d, x.is_negative(), mode), x.is_negative(), digits, out) &&
         (out.is_zero() ? (out = *Decimal::from_parts(0, digits), true) : true);
}

int detail::compare_general(const Decimal& a, const Decimal& b) {
  i128 ca, cb;
  int s;
  if (align(a, b, ca, cb, s)) return ca < cb ? -1 : (ca > cb ? 1 : 0);
  // One side overflowed when scaled up: compare in 256 bits, signs first.
  bool na = a.is_negative(), nb = b.is_negative();
  if (na != nb) return na ? -1 : 1;
  int sc = std::max(a.scale(), b.scale());
  U256 wa = U256::mul(magnitude(a.coefficient()), kPow10[sc - a.scale()]);
  U256 wb = U256::mul(magnitude(b.coefficient()), kPow10[sc - b.scale()]);
  int c = cmp(wa, wb);
  return na ? -c : c;
}

}  // namespace merit::dsl
