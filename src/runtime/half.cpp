// IEEE binary16 <-> binary32 by bit manipulation. Exhaustively tested in
// tests/test_half.cpp (every one of the 65,536 halves, and rounding at every tie).
#include <bit>
#include <cstring>

#include "vkrope/dtype.hpp"

namespace vkrope {

std::uint16_t float_to_half(float value) noexcept {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (f >> 16) & 0x8000u;
  const std::uint32_t abs = f & 0x7fffffffu;

  if (abs >= 0x7f800000u) {  // inf or NaN
    const std::uint32_t mantissa = abs & 0x007fffffu;
    // Keep NaN a NaN: force the quiet bit so truncating the payload cannot make it inf.
    return static_cast<std::uint16_t>(sign | 0x7c00u | (mantissa ? 0x0200u | (mantissa >> 13) : 0u));
  }
  if (abs >= 0x477ff000u) {  // rounds to a value >= 65520: overflow to inf
    return static_cast<std::uint16_t>(sign | 0x7c00u);
  }
  if (abs < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);  // < 2^-25 rounds to 0
    // Value = m * 2^(e-150) with the implicit bit; a half subnormal unit is 2^-24.
    const std::uint32_t exponent = abs >> 23;
    const std::uint32_t mantissa = (abs & 0x007fffffu) | 0x00800000u;
    const std::uint32_t shift = 126u - exponent;  // 14..24 for exponents 102..112
    const std::uint32_t half = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1u);
    const std::uint32_t midpoint = 1u << (shift - 1u);
    const std::uint32_t round_up = rest > midpoint || (rest == midpoint && (half & 1u));
    return static_cast<std::uint16_t>(sign | (half + round_up));
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits.
  const std::uint32_t rebased = abs - 0x38000000u;  // (127 - 15) << 23
  const std::uint32_t half = rebased >> 13;
  const std::uint32_t rest = rebased & 0x1fffu;
  const std::uint32_t round_up = rest > 0x1000u || (rest == 0x1000u && (half & 1u));
  // A carry out of the mantissa correctly bumps the exponent.
  return static_cast<std::uint16_t>(sign | (half + round_up));
}

float half_to_float(std::uint16_t bits) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu;
  std::uint32_t mantissa = bits & 0x3ffu;
  std::uint32_t f;
  if (exponent == 0x1f) {
    f = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    f = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    f = sign;
  } else {  // subnormal: normalize
    std::uint32_t e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    f = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(f);
}

}  // namespace vkrope
