// Exact decimal numbers: the only number type rules see. No binary floating point.
// A Decimal is a signed 128-bit coefficient and a scale (digits after the point, 0..18).
// Addition and comparison are exact; multiplication keeps at most 18 fractional digits
// (rounded half-even past that) and drops trailing zeros; division rounds to a requested scale with a requested mode.
// Every operation that can fail returns false instead of producing a wrong number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace merit::dsl {

enum class Rounding : uint8_t {
  HalfUp,    // 14.995 -> 15.00, -14.995 -> -15.00 (ties away from zero)
  HalfEven,  // 14.985 -> 14.98, 14.995 -> 15.00 (ties to the even digit)
  HalfDown,  // 14.995 -> 14.99 (ties toward zero)
  Down,      // toward zero (truncate)
  Up,        // away from zero
  Floor,     // toward negative infinity
  Ceiling,   // toward positive infinity
};

std::string_view rounding_name(Rounding r);  // "half_up", ...
std::optional<Rounding> rounding_from_name(std::string_view name);

// A 128-bit integer kept with 8-byte alignment, so that a Decimal takes 24 bytes instead of 32
// (and a runtime Value 32 instead of 48): arithmetic converts to __int128 in registers.
struct Int128 {
  uint64_t lo = 0;
  int64_t hi = 0;
  constexpr Int128() = default;
  constexpr Int128(__int128 v) : lo(static_cast<uint64_t>(v)), hi(static_cast<int64_t>(v >> 64)) {}
  constexpr operator __int128() const {
    return static_cast<__int128>((static_cast<unsigned __int128>(static_cast<uint64_t>(hi)) << 64) | lo);
  }
};

class Decimal;
namespace detail {
bool add_general(const Decimal& a, const Decimal& b, Decimal& out);
bool mul_general(const Decimal& a, const Decimal& b, Decimal& out);
}  // namespace detail

class Decimal {
 public:
  static constexpr int kMaxScale = 18;

  constexpr Decimal() = default;
  static Decimal from_int(int64_t v) { return Decimal(static_cast<__int128>(v), 0); }
  // Decimal text: optional sign, digits, optional fraction ("-12.50"). No exponent, no separators.
  static std::optional<Decimal> parse(std::string_view text);
  static std::optional<Decimal> from_parts(__int128 coefficient, int scale);

  __int128 coefficient() const { return coef_; }
  int scale() const { return scale_; }
  bool is_zero() const { return coef_ == 0; }
  bool is_negative() const { return coef_ < 0; }
  bool is_integer() const;
  // Integral value if it fits an int64 and has no fraction.
  std::optional<int64_t> to_int64() const;

  // Canonical text: keeps the scale ("15.00"), no exponent.
  std::string to_string() const;
  // The same text appended to `out` (no allocation beyond out's own growth).
  void append_to(std::string& out) const;
  // Trailing fractional zeros removed ("15").
  Decimal normalized() const;

  friend bool add(const Decimal& a, const Decimal& b, Decimal& out);
  friend bool mul(const Decimal& a, const Decimal& b, Decimal& out);
  friend int compare(const Decimal& a, const Decimal& b);
  // a / b rounded to `scale` digits with `mode`, trailing zeros removed. False on b == 0 or overflow.
  friend bool div(const Decimal& a, const Decimal& b, int scale, Rounding mode, Decimal& out);
  // x rounded (or padded) to exactly `digits` fractional digits.
  friend bool round(const Decimal& x, int digits, Rounding mode, Decimal& out);
  Decimal negated() const { return Decimal(-static_cast<__int128>(coef_), scale_); }
  Decimal abs() const { return coef_ < 0 ? negated() : *this; }

  friend bool operator==(const Decimal& a, const Decimal& b) { return compare(a, b) == 0; }
  friend bool operator<(const Decimal& a, const Decimal& b) { return compare(a, b) < 0; }

 private:
  friend bool detail::add_general(const Decimal&, const Decimal&, Decimal&);
  friend bool detail::mul_general(const Decimal&, const Decimal&, Decimal&);
  constexpr Decimal(__int128 c, int s) : coef_(c), scale_(static_cast<int8_t>(s)) {}
  Int128 coef_;
  int8_t scale_ = 0;
};

bool div(const Decimal& a, const Decimal& b, int scale, Rounding mode, Decimal& out);
bool round(const Decimal& x, int digits, Rounding mode, Decimal& out);

namespace detail {
// The general cases, out of line; the inline functions below take the common ones (equal
// scales, coefficients of at most 18 digits) in a few instructions for the interpreter.
bool add_general(const Decimal& a, const Decimal& b, Decimal& out);
bool mul_general(const Decimal& a, const Decimal& b, Decimal& out);
int compare_general(const Decimal& a, const Decimal& b);
constexpr __int128 kSmall = __int128{1000000000000000000};  // 10^18
constexpr __int128 kMaxCoefficient = kSmall * kSmall * 100 - 1;  // 10^38 - 1
constexpr __int128 kLarge = kSmall * kSmall * 10;  // 10^37
inline bool small(__int128 c) { return c < kSmall && c > -kSmall; }
inline constexpr int64_t kPow10[19] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                                       1000000000, 10000000000, 100000000000, 1000000000000,
                                       10000000000000, 100000000000000, 1000000000000000,
                                       10000000000000000, 100000000000000000, 1000000000000000000};
// Brings the operand with fewer fractional digits to the other's scale when that is exact and
// cheap: its coefficient below 10^18 (so the product stays below 10^36) and the other's below
// 10^37 (so their sum stays below 10^38). False: take the general path.
inline bool align_small(__int128 fewer, int fewer_scale, __int128 more, int more_scale, __int128& scaled) {
  if (!small(fewer) || more >= kLarge || more <= -kLarge) return false;
  scaled = fewer * kPow10[more_scale - fewer_scale];
  return true;
}
}  // namespace detail

inline bool add(const Decimal& a, const Decimal& b, Decimal& out) {
  // Equal scales: one 128-bit addition and a range check.
  if (a.scale_ == b.scale_) {
    __int128 r;
    if (__builtin_add_overflow(static_cast<__int128>(a.coef_), static_cast<__int128>(b.coef_), &r) ||
        r > detail::kMaxCoefficient || r < -detail::kMaxCoefficient)
      return false;
    out = Decimal(r, a.scale_);
    return true;
  }
  const Decimal& fewer = a.scale_ < b.scale_ ? a : b;
  const Decimal& more = a.scale_ < b.scale_ ? b : a;
  __int128 scaled;
  if (detail::align_small(fewer.coef_, fewer.scale_, more.coef_, more.scale_, scaled)) {
    out = Decimal(scaled + static_cast<__int128>(more.coef_), more.scale_);
    return true;
  }
  return detail::add_general(a, b, out);
}
inline bool sub(const Decimal& a, const Decimal& b, Decimal& out) { return add(a, b.negated(), out); }
inline bool mul(const Decimal& a, const Decimal& b, Decimal& out) {
  // |coefficients| < 10^18 and at most 18 digits after the point: the product is exact in
  // 128 bits. Trailing zeros go, in 64-bit arithmetic while the product fits there.
  if (detail::small(a.coef_) && detail::small(b.coef_) && a.scale_ + b.scale_ <= Decimal::kMaxScale) {
    __int128 p = static_cast<__int128>(a.coef_) * static_cast<__int128>(b.coef_);
    int s = a.scale_ + b.scale_;
    if (p < detail::kSmall && p > -detail::kSmall) {
      int64_t q = static_cast<int64_t>(p);
      while (s > 0 && q % 10 == 0 && q != 0) {
        q /= 10;
        --s;
      }
      out = Decimal(q, q == 0 ? 0 : s);
      return true;
    }
  }
  return detail::mul_general(a, b, out);
}
inline int compare(const Decimal& a, const Decimal& b) {
  __int128 x = a.coef_, y = b.coef_;
  if (a.scale_ != b.scale_) {
    bool ok = a.scale_ < b.scale_ ? detail::align_small(x, a.scale_, y, b.scale_, x)
                                  : detail::align_small(y, b.scale_, x, a.scale_, y);
    if (!ok) return detail::compare_general(a, b);
  }
  return x < y ? -1 : (x > y ? 1 : 0);
}

}  // namespace merit::dsl
