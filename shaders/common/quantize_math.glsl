// Float32 arithmetic that must round exactly as the host (and ggml's reference quantizers)
// do, on drivers whose division is only within 2.5 ulp and whose f16 packing rounds as they
// please: correctly rounded division, round half away from zero, and f32 -> f16 / bf16
// conversion with ties to even, all from operations Vulkan defines exactly (+, -, *, and
// integer bit work). `precise` keeps the driver from fusing a multiply and an add.
#ifndef VKROPE_QUANTIZE_MATH_GLSL
#define VKROPE_QUANTIZE_MATH_GLSL

// The high half of x's significand (Veltkamp's split): x = hi + (x - hi) exactly.
float split_high(float x) {
  precise float t = 4097.0 * x;
  precise float hi = t - (t - x);
  return hi;
}

// a - b * c without rounding the product (Dekker's two-product, no FMA needed), for c
// within a few ulp of a / b; |b * c| < 2^100.
float division_residual(float a, float b, float c) {
  precise float p = b * c;
  precise float bh = split_high(b), bl = b - bh, ch = split_high(c), cl = c - ch;
  precise float e = ((bh * ch - p) + bh * cl + bl * ch) + bl * cl;
  precise float r = (a - p) - e;
  return r;
}

// a / b rounded to nearest: the driver's quotient, then the neighbour within 3 ulp with the
// smallest exact residual (the true quotient is never halfway between two floats).
// Finite a and b != 0, normal results.
float div_rn(float a, float b) {
  if (a == 0.0) return a / b;
  const float sign = (a < 0.0) != (b < 0.0) ? -1.0 : 1.0;
  const float x = abs(a), y = abs(b);
  precise float q = x / y;
  float best = q, best_residual = abs(division_residual(x, y, q));
  const uint bits = floatBitsToUint(q);
  for (int k = -3; k <= 3; ++k) {
    const float c = uintBitsToFloat(uint(int(bits) + k));
    const float r = abs(division_residual(x, y, c));
    if (r < best_residual) {
      best = c;
      best_residual = r;
    }
  }
  return sign * best;
}

// C's roundf: halfway cases away from zero (GLSL's round() may pick either).
float round_half_away(float v) {
  const float t = trunc(v);
  precise float rest = v - t;  // exact
  return abs(rest) >= 0.5 ? t + sign(v) : t;
}

// IEEE binary16 bits of v, rounded to nearest even (vkrope::float_to_half).
uint f32_to_f16(float v) {
  const uint f = floatBitsToUint(v);
  const uint sign = (f >> 16u) & 0x8000u;
  const uint a = f & 0x7fffffffu;
  if (a >= 0x7f800000u) return sign | 0x7c00u | (a > 0x7f800000u ? 0x0200u | ((a & 0x007fffffu) >> 13u) : 0u);
  if (a >= 0x477ff000u) return sign | 0x7c00u;  // rounds past 65504: inf
  if (a < 0x38800000u) {                         // subnormal half or zero
    if (a < 0x33000000u) return sign;
    const uint shift = 126u - (a >> 23u);
    const uint m = (a & 0x007fffffu) | 0x00800000u;
    const uint h = m >> shift, rest = m & ((1u << shift) - 1u), mid = 1u << (shift - 1u);
    return sign | (h + uint(rest > mid || (rest == mid && (h & 1u) != 0u)));
  }
  const uint r = a - 0x38000000u;
  const uint h = r >> 13u, rest = r & 0x1fffu;
  return sign | (h + uint(rest > 0x1000u || (rest == 0x1000u && (h & 1u) != 0u)));
}

// bfloat16 bits of v as ggml rounds them (vkrope::float_to_bf16).
uint f32_to_bf16(float v) {
  const uint f = floatBitsToUint(v);
  if ((f & 0x7fffffffu) > 0x7f800000u) return (f >> 16u) | 0x40u;
  return (f + 0x7fffu + ((f >> 16u) & 1u)) >> 16u;
}

#endif
