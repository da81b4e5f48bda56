#version 450
// rope.comp: rotary position embedding of q and k in one dispatch.
//
// Bindings (set 0):
//   0 q_in  [batch, seq, q_heads, head_dim]   1 q_out (may be the same buffer: in place)
//   2 k_in  [batch, seq, k_heads, head_dim]   3 k_out
//   4 int positions[seq] or [batch * seq] (pos_mode); unused for ROPE_POS_OFFSET; pair
//     streams and [streams][batch * seq] for ROPE_POS_STREAMS (rope_params.glsl)
//   5 vec2 angles[1024 * half_rot]: (cos, sin) tables for the three digits of a position
// Push constants: RopePush (rope_params.glsl).
//
// Exact angles: p < 2^25 is split into digits p = d0 + 256 d1 + 65536 d2 (8, 8 and 9 bits).
// The host fills angles[(level_base + d) * half_rot + i] = (cos, sin)(d * 256^level *
// inv_freq[i]) computed in double and rounded once (level bases 0, 256, 512); level 0 is
// also scaled by the attention factor. The shader multiplies the three unit complex
// numbers: error a few float32 ulps at every position, where cos(float(p) * f) loses
// ~2e-4 at p = 4096 and ~6e-2 at p = 2^20.
//
// Work: invocation (token, j) handles pairs 2j and 2j + 1 of that token, for every q head
// and every k head, so the rotation is computed once per token and pair and reused across
// heads. Pair i rotates (x, y) -> (x cos - y sin, x sin + y cos); neox pairs are elements
// (i, i + half_rot), interleaved ones (2i, 2i + 1). With ROPE_COPY_TAIL the invocation also
// copies tail elements 2*half_rot + 2j + 2m*stride_j of each head.
// Specialization: constant 0 = workgroup size; 1 = interleaved layout; 2 = position mode
// (ROPE_POS_*); 3 = copy the tail (out of place, partial rotary); 4 = odd number of pairs.
// They are specialization constants rather than push-constant flags so each pipeline
// holds only its own path: a driver that cannot prove a push-constant branch uniform
// (SwiftShader) otherwise runs every path under a mask.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#include "storage.glsl"
#include "rope_params.glsl"

layout(constant_id = 1) const bool INTERLEAVED = false;
layout(constant_id = 2) const uint POSITION_MODE = ROPE_POS_OFFSET;
layout(constant_id = 3) const bool COPY_TAIL = false;
layout(constant_id = 4) const bool ODD_PAIRS = false;

TENSOR_BUFFER(0, QIn, q_in);
TENSOR_BUFFER(1, QOut, q_out);
TENSOR_BUFFER(2, KIn, k_in);
TENSOR_BUFFER(3, KOut, k_out);
layout(std430, set = 0, binding = 4) readonly buffer Positions { int positions[]; };
layout(std430, set = 0, binding = 5) readonly buffer Angles { vec2 angles[]; };

#include "rope_positions.glsl"
#include "rope_rotation.glsl"

vec2 rotation(uint position, uint pair) { return rope_rotation(position, pair, pc.half_rot); }

// Rotates pairs 2j (by c0) and 2j + 1 (by c1, when `two`) of one head, and copies its tail.
#define ROTATE_HEAD(IN, OUT, in_base, out_base)                                               \
  {                                                                                           \
    if (INTERLEAVED) {                                                                        \
      const uint e = 4u * j;                                                                  \
      STORE2(OUT, out_base + e, rotate(LOAD2(IN, in_base + e), c0));                          \
      if (two) STORE2(OUT, out_base + e + 2u, rotate(LOAD2(IN, in_base + e + 2u), c1));       \
    } else if (two) {                                                                         \
      const uint e = 2u * j;                                                                  \
      const vec2 x = LOAD2(IN, in_base + e);                                                  \
      const vec2 y = LOAD2(IN, in_base + e + pc.half_rot);                                    \
      STORE2(OUT, out_base + e, vec2(x.x * c0.x - y.x * c0.y, x.y * c1.x - y.y * c1.y));     \
      STORE2(OUT, out_base + e + pc.half_rot, vec2(x.x * c0.y + y.x * c0.x, x.y * c1.y + y.y * c1.x)); \
    } else {                                                                                  \
      SINGLE_NEOX_PAIR(IN, OUT, in_base, out_base)                                            \
    }                                                                                         \
    if (COPY_TAIL) {                                                                          \
      for (uint t = 2u * pc.half_rot + 2u * j; t < pc.head_dim; t += 2u * pairs_per_token) {  \
        STORE2(OUT, out_base + t, LOAD2(IN, in_base + t));                                    \
      }                                                                                       \
    }                                                                                         \
  }

#if defined(STORAGE_F16_PACKED)
// The host refuses an odd half_rot with neox in packed storage: a lone pair would split words.
#define SINGLE_NEOX_PAIR(IN, OUT, in_base, out_base)
#else
#define SINGLE_NEOX_PAIR(IN, OUT, in_base, out_base)                                          \
  {                                                                                           \
    const uint e = 2u * j;                                                                    \
    const vec2 xy = rotate(vec2(LOAD1(IN, in_base + e), LOAD1(IN, in_base + e + pc.half_rot)), c0); \
    STORE1(OUT, out_base + e, xy.x);                                                          \
    STORE1(OUT, out_base + e + pc.half_rot, xy.y);                                            \
  }
#endif

void main() {
  const uint pairs_per_token = (pc.half_rot + 1u) / 2u;
  const uint total = pc.batch * pc.seq * pairs_per_token;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint g = gl_GlobalInvocationID.x; g < total; g += stride) {
    const uint token = g / pairs_per_token;
    const uint j = g - token * pairs_per_token;
    const uint b = token / pc.seq;
    const uint s = token - b * pc.seq;
    // Pairs 2j and 2j + 1 share the token's position unless they take different streams.
    const uint position = rope_position(token, s, 2u * j);
#ifdef ROPE_STREAMS
    const uint position1 = rope_position(token, s, 2u * j + 1u);
#else
    const uint position1 = position;
#endif

    // With an even number of pairs every invocation has two; only then is `two` constant.
    const bool two = !ODD_PAIRS || 2u * j + 1u < pc.half_rot;
    const float sin_sign = (pc.flags & ROPE_INVERSE) != 0u ? -1.0 : 1.0;
    vec2 c0 = rotation(position, 2u * j) * vec2(1.0, sin_sign);
    vec2 c1 = (two ? rotation(position1, 2u * j + 1u) : vec2(1.0, 0.0)) * vec2(1.0, sin_sign);

    for (uint h = 0u; h < pc.q_heads; ++h) {
      const uint in_base = pc.q_in_offset + b * pc.q_in_batch + s * pc.q_in_seq + h * pc.q_in_head;
      const uint out_base = pc.q_out_offset + b * pc.q_out_batch + s * pc.q_out_seq + h * pc.q_out_head;
      ROTATE_HEAD(q_in, q_out, in_base, out_base)
    }
    for (uint h = 0u; h < pc.k_heads; ++h) {
      const uint in_base = pc.k_in_offset + b * pc.k_in_batch + s * pc.k_in_seq + h * pc.k_in_head;
      const uint out_base = pc.k_out_offset + b * pc.k_out_batch + s * pc.k_out_seq + h * pc.k_out_head;
      ROTATE_HEAD(k_in, k_out, in_base, out_base)
    }
  }
}
