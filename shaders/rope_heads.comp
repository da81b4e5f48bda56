#version 450
// rope_heads.comp: RoPE of q and k in one dispatch, shaped for GPUs. The same bindings,
// push constants and exact angle tables as rope.comp (read its header first); what differs
// is the work split:
//
// - Grid: x = (token, unit) over batch * seq tokens (a grid-stride loop past the device's
//   workgroup count), y = head, q heads first, then k heads. rope.comp gives an invocation
//   a token and two pairs and loops over every head, so a 2k-token prefill is ~65k
//   invocations each walking 40 heads one after another: too few to fill a large GPU, and a
//   long serial chain per invocation. Here every (token, unit, head) is its own invocation.
// - A unit is 4 pairs: interleaved, elements 8u .. 8u + 7 of the head (two 16-byte
//   vectors); neox, elements 4u .. 4u + 3 and their partners half_rot further (two 16-byte
//   vectors). f32 is bound as vec4 arrays, packed f16 as uvec2 (8 bytes, 4 halves). With
//   COPY_TAIL (out of place, partial rotary) the units past the rotated ones each copy one
//   vector of the tail.
// - The host requires offsets and strides in multiples of 4 elements, half_rot % 4 == 0
//   and head_dim % 4 == 0 (rope.comp takes every other layout), and heads within the
//   device's y workgroup count.
// The rotation of a (token, pair) is recomputed for each head (3 angle-table reads, cached),
// which costs arithmetic GPUs have to spare, not memory traffic.
// Specialization: 0 = workgroup size; 1 = interleaved; 2 = position mode; 3 = copy the tail.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#include "rope_params.glsl"

layout(constant_id = 1) const bool INTERLEAVED = false;
layout(constant_id = 2) const uint POSITION_MODE = ROPE_POS_OFFSET;
layout(constant_id = 3) const bool COPY_TAIL = false;

#if defined(STORAGE_F32)
#define VEC4_BUFFER(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { vec4 v[]; } name
#define LOAD4(buf, i) buf.v[(i) >> 2u]
#define STORE4(buf, i, x) buf.v[(i) >> 2u] = (x)
#elif defined(STORAGE_F16_PACKED)
#define VEC4_BUFFER(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { uvec2 v[]; } name
#define LOAD4(buf, i) unpack4(buf.v[(i) >> 2u])
#define STORE4(buf, i, x) buf.v[(i) >> 2u] = pack4(x)
vec4 unpack4(uvec2 w) { return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y)); }
uvec2 pack4(vec4 x) { return uvec2(packHalf2x16(x.xy), packHalf2x16(x.zw)); }
#else
#error "define STORAGE_F32 or STORAGE_F16_PACKED"
#endif

VEC4_BUFFER(0, QIn, q_in);
VEC4_BUFFER(1, QOut, q_out);
VEC4_BUFFER(2, KIn, k_in);
VEC4_BUFFER(3, KOut, k_out);
layout(std430, set = 0, binding = 4) readonly buffer Positions { int positions[]; };
layout(std430, set = 0, binding = 5) readonly buffer Angles { vec2 angles[]; };

#include "rope_positions.glsl"
#include "rope_rotation.glsl"

// One unit of one head: rotate 4 pairs (cosines c, sines s), or copy one tail vector.
#define ROTATE_UNIT(IN, OUT, in_base, out_base)                                     \
  {                                                                                 \
    if (tail) {                                                                     \
      STORE4(OUT, out_base + tail_e, LOAD4(IN, in_base + tail_e));                  \
    } else if (INTERLEAVED) {                                                       \
      const uint e = 8u * unit;                                                     \
      const vec4 a = LOAD4(IN, in_base + e), b = LOAD4(IN, in_base + e + 4u);       \
      STORE4(OUT, out_base + e, vec4(a.x * c.x - a.y * s.x, a.x * s.x + a.y * c.x,  \
                                     a.z * c.y - a.w * s.y, a.z * s.y + a.w * c.y)); \
      STORE4(OUT, out_base + e + 4u, vec4(b.x * c.z - b.y * s.z, b.x * s.z + b.y * c.z, \
                                          b.z * c.w - b.w * s.w, b.z * s.w + b.w * c.w)); \
    } else {                                                                        \
      const uint e = 4u * unit;                                                     \
      const vec4 x = LOAD4(IN, in_base + e), y = LOAD4(IN, in_base + e + pc.half_rot); \
      STORE4(OUT, out_base + e, x * c - y * s);                                     \
      STORE4(OUT, out_base + e + pc.half_rot, x * s + y * c);                       \
    }                                                                               \
  }

void main() {
  const uint rotated_units = pc.half_rot / 4u;
  const uint units = rotated_units + (COPY_TAIL ? (pc.head_dim - 2u * pc.half_rot) / 4u : 0u);
  const uint total = pc.batch * pc.seq * units;
  const uint head = gl_WorkGroupID.y;  // uniform in the workgroup: q or k for all of it
  const bool is_q = head < pc.q_heads;
  const uint h = is_q ? head : head - pc.q_heads;
  const float sin_sign = (pc.flags & ROPE_INVERSE) != 0u ? -1.0 : 1.0;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint g = gl_GlobalInvocationID.x; g < total; g += stride) {
    const uint token = g / units;
    const uint unit = g - token * units;
    const uint b = token / pc.seq;
    const uint s_idx = token - b * pc.seq;
    const bool tail = unit >= rotated_units;
    const uint tail_e = 2u * pc.half_rot + 4u * (unit - rotated_units);

    vec4 c = vec4(1.0), s = vec4(0.0);
    if (!tail) {
#ifndef ROPE_STREAMS
      const uint position = rope_position(token, s_idx, 0u);  // one per token
#endif
      for (uint k = 0u; k < 4u; ++k) {
#ifdef ROPE_STREAMS
        const uint position = rope_position(token, s_idx, 4u * unit + k);  // each pair's stream
#endif
        const vec2 r = rope_rotation(position, 4u * unit + k, pc.half_rot);
        c[k] = r.x;
        s[k] = r.y * sin_sign;
      }
    }
    if (is_q) {
      const uint in_base = pc.q_in_offset + b * pc.q_in_batch + s_idx * pc.q_in_seq + h * pc.q_in_head;
      const uint out_base = pc.q_out_offset + b * pc.q_out_batch + s_idx * pc.q_out_seq + h * pc.q_out_head;
      ROTATE_UNIT(q_in, q_out, in_base, out_base)
    } else {
      const uint in_base = pc.k_in_offset + b * pc.k_in_batch + s_idx * pc.k_in_seq + h * pc.k_in_head;
      const uint out_base = pc.k_out_offset + b * pc.k_out_batch + s_idx * pc.k_out_seq + h * pc.k_out_head;
      ROTATE_UNIT(k_in, k_out, in_base, out_base)
    }
  }
}
