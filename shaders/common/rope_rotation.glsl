// Exact RoPE rotations from the angle tables (see rope.comp's header and
// src/rope/angle_table.hpp). The including shader declares `vec2 angles[]`: 1024 rows of
// half_rot (cos, sin) pairs, for the three digits of a position (8, 8 and 9 bits).
#ifndef VKROPE_ROPE_ROTATION_GLSL
#define VKROPE_ROPE_ROTATION_GLSL

vec2 complex_mul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

// (cos, sin) of position * inv_freq[pair], times the attention factor.
vec2 rope_rotation(uint position, uint pair, uint half_rot) {
  const vec2 r0 = angles[(position & 255u) * half_rot + pair];
  const vec2 r1 = angles[(256u + ((position >> 8u) & 255u)) * half_rot + pair];
  const vec2 r2 = angles[(512u + (position >> 16u)) * half_rot + pair];
  return complex_mul(complex_mul(r2, r1), r0);
}

// One element of a head vector rotated at `position` (elements past 2 * half_rot pass
// through): x is element d, other its pair partner, element rope_partner(d). A pair
// (first, second) rotates as (x, y) -> (x cos - y sin, x sin + y cos); neox pairs are
// (i, i + half_rot), interleaved ones (2i, 2i + 1).
uint rope_partner(uint d, uint half_rot, bool interleaved) {
  return interleaved ? d ^ 1u : (d < half_rot ? d + half_rot : d - half_rot);
}
float rope_rotate_element(float x, float other, uint d, uint position, uint half_rot, bool interleaved) {
  if (d >= 2u * half_rot) return x;
  const bool first = interleaved ? (d & 1u) == 0u : d < half_rot;
  const uint pair = interleaved ? d >> 1u : (first ? d : d - half_rot);
  const vec2 cs = rope_rotation(position, pair, half_rot);
  return first ? x * cs.x - other * cs.y : other * cs.y + x * cs.x;
}

// (x, y) rotated by the unit complex number cs.
vec2 rotate(vec2 xy, vec2 cs) { return vec2(xy.x * cs.x - xy.y * cs.y, xy.x * cs.y + xy.y * cs.x); }

#endif
