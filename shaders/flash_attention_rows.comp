#version 450
// flash_attention_rows.comp: the flash kernel shaped for CPU drivers (lavapipe,
// SwiftShader), which run a workgroup's invocations as SIMD lanes. The same algorithm,
// bindings, push constants and specialization ids as flash_attention.comp (read its header
// first), with two differences:
//  - one invocation per row, holding all of q and the accumulator (in private arrays, which
//    are plain memory on a CPU), so every shared-memory read has the same address in all
//    lanes and becomes one load and a broadcast instead of a gather;
//  - loops over the head dim outside, keys of the tile unrolled inside (8 dims per
//    iteration), which keeps llvmpipe's 65,535-iteration loop guard at ~2 iterations per
//    key and the unrolled code small enough to compile quickly.
// A GPU would spill the dynamically indexed private arrays; it gets flash_attention.comp.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "workgroup.glsl"
#include "attention_types.glsl"
#include "attention_params.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 64;   // multiple of 8, <= 256
layout(constant_id = 2) const uint KEY_TILE = 16;   // keys per shared-memory tile
layout(constant_id = 3) const bool CAUSAL = false;
layout(constant_id = 4) const bool WINDOW = false;
layout(constant_id = 5) const bool ALIBI = false;
layout(constant_id = 6) const bool SOFTCAP = false;
layout(constant_id = 7) const bool SINKS = false;
layout(constant_id = 8) const bool ROPE_Q = false;
layout(constant_id = 9) const bool ROPE_INTERLEAVED = false;
layout(constant_id = 10) const uint ROPE_HALF = 1;
layout(constant_id = 11) const bool SPLIT = false;
layout(constant_id = 12) const bool EXPLICIT_POSITIONS = false;
layout(constant_id = 13) const bool ROPE_K = false;

const uint VEC = HEAD_DIM / 4u;  // vec4s per head vector

Q_BUFFER(0, QBuf, q_buf);
KV_BUFFER(1, KBuf, k_buf);
KV_BUFFER(2, VBuf, v_buf);
Q_BUFFER(3, OBuf, o_buf);
layout(std430, set = 0, binding = 4) readonly buffer Positions { int positions[]; };
layout(std430, set = 0, binding = 5) readonly buffer Angles { vec2 angles[]; };
layout(std430, set = 0, binding = 6) readonly buffer Sinks { float sinks[]; };
layout(std430, set = 0, binding = 7) readonly buffer Slopes { float slopes[]; };
layout(std430, set = 0, binding = 8) writeonly buffer Partials { float partials[]; };

#include "rope_rotation.glsl"

shared vec4 sk[KEY_TILE * VEC];  // [key][vec4 of the head dim]
shared vec4 sv[KEY_TILE * VEC];

int query_position(uint i) { return EXPLICIT_POSITIONS ? positions[i] : int(pc.skv) - int(pc.sq) + int(i); }
int key_position(uint j) { return EXPLICIT_POSITIONS ? positions[pc.sq + j] : int(j); }

uvec2 rope_pair(uint pair) { return ROPE_INTERLEAVED ? uvec2(2u * pair, 2u * pair + 1u) : uvec2(pair, pair + ROPE_HALF); }

void main() {
  const uint WG = gl_WorkGroupSize.x;
  const uint lid = gl_LocalInvocationID.x;
  const uint group = pc.heads / pc.kv_heads;
  const uint rows = pc.sq * group;
  const uint first_row = gl_WorkGroupID.x * WG;
  const uint row = first_row + lid;
  const bool row_active = row < rows;
  const uint safe_row = min(row, rows - 1u);
  const uint qi = safe_row / group;
  const uint kvh = gl_WorkGroupID.y;
  const uint h = kvh * group + safe_row % group;
  const uint b = gl_WorkGroupID.z % pc.batch;
  const uint split = gl_WorkGroupID.z / pc.batch;

  vec4 q[VEC];
  vec4 acc[VEC];
  const uint q_base = pc.q_offset + b * pc.q_batch + qi * pc.q_seq + h * pc.q_head;
  for (uint c = 0u; c < VEC; ++c) {
    q[c] = vec4(Q_LOAD2(q_buf, q_base + 4u * c), Q_LOAD2(q_buf, q_base + 4u * c + 2u));
    acc[c] = vec4(0.0);
  }
  const int qp = query_position(qi);
  if (ROPE_Q) {
    for (uint i = 0u; i < ROPE_HALF; ++i) {
      const uvec2 e = rope_pair(i);
      const vec2 r = rotate(vec2(q[e.x >> 2u][e.x & 3u], q[e.y >> 2u][e.y & 3u]), rope_rotation(uint(qp), i, ROPE_HALF));
      q[e.x >> 2u][e.x & 3u] = r.x;
      q[e.y >> 2u][e.y & 3u] = r.y;
    }
  }
  for (uint c = 0u; c < VEC; ++c) q[c] *= pc.scale;

  uint key_begin = split * pc.split_keys;
  uint key_end = min(pc.skv, key_begin + pc.split_keys);
  if (!EXPLICIT_POSITIONS) {
    const int q_lo = query_position(first_row / group);
    const int q_hi = query_position((min(first_row + WG, rows) - 1u) / group);
    if (CAUSAL) key_end = min(key_end, uint(max(q_hi + 1, 0)));
    if (WINDOW) {
      key_begin = max(key_begin, uint(max(q_lo - int(pc.window) + 1, 0)));
      if (!CAUSAL) key_end = min(key_end, uint(max(q_hi + int(pc.window), 0)));
    }
  }

  const float slope = ALIBI ? slopes[h] : 0.0;
  const uint k_base = pc.k_offset + b * pc.k_batch + kvh * pc.k_head;
  const uint v_base = pc.v_offset + b * pc.v_batch + kvh * pc.v_head;
  float m = NEG_INF;
  float l = 0.0;

  for (uint t = key_begin; t < key_end; t += KEY_TILE) {
    barrier();
    for (uint e = lid; e < KEY_TILE * VEC; e += WG) {
      const uint j = e / VEC;
      const uint d = 4u * (e - j * VEC);
      const bool in_range = t + j < key_end;
      const uint ko = k_base + (t + j) * pc.k_seq + d, vo = v_base + (t + j) * pc.v_seq + d;
      sk[e] = in_range ? vec4(KV_LOAD2(k_buf, ko), KV_LOAD2(k_buf, ko + 2u)) : vec4(0.0);
      sv[e] = in_range ? vec4(KV_LOAD2(v_buf, vo), KV_LOAD2(v_buf, vo + 2u)) : vec4(0.0);
    }
    barrier();
    if (ROPE_K) {
      for (uint p = lid; p < KEY_TILE * ROPE_HALF; p += WG) {
        const uint j = p / ROPE_HALF;
        const uint i = p - j * ROPE_HALF;
        if (t + j < key_end) {
          const uvec2 e = rope_pair(i) + j * HEAD_DIM;
          const vec2 r = rotate(vec2(sk[e.x >> 2u][e.x & 3u], sk[e.y >> 2u][e.y & 3u]),
                                rope_rotation(uint(key_position(t + j)), i, ROPE_HALF));
          sk[e.x >> 2u][e.x & 3u] = r.x;
          sk[e.y >> 2u][e.y & 3u] = r.y;
        }
      }
      barrier();
    }
    if (!row_active) continue;
    // Logits of the tile: head dim outside (8 per iteration), keys inside, unrolled.
    float s[KEY_TILE];
    [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j) s[j] = 0.0;
    for (uint c = 0u; c < VEC; c += 2u) {
      [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j)
        s[j] += dot(q[c], sk[j * VEC + c]) + dot(q[c + 1u], sk[j * VEC + c + 1u]);
    }
    float m_tile = NEG_INF;
    [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j) {
      const int kp = key_position(min(t + j, pc.skv - 1u));
      bool visible = t + j < key_end;
      if (CAUSAL) visible = visible && kp <= qp;
      if (WINDOW) visible = visible && qp - kp < int(pc.window) && (CAUSAL || kp - qp < int(pc.window));
      float logit = s[j];
      if (SOFTCAP) logit = pc.softcap * tanh(clamp(logit / pc.softcap, -15.0, 15.0));
      if (ALIBI) logit -= slope * float(abs(qp - kp));
      s[j] = visible ? logit : NEG_INF;
      m_tile = max(m_tile, s[j]);
    }
    if (m_tile == NEG_INF) continue;
    const float m_new = max(m, m_tile);
    const float correction = exp(m - m_new);  // 0 while m is -inf
    float p[KEY_TILE];
    [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j) {
      p[j] = exp(s[j] - m_new);  // 0 for an invisible key
      l = l * (j == 0u ? correction : 1.0) + p[j];
    }
    for (uint c = 0u; c < VEC; c += 2u) {
      vec4 a0 = acc[c] * correction, a1 = acc[c + 1u] * correction;
      [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j) {
        a0 += p[j] * sv[j * VEC + c];
        a1 += p[j] * sv[j * VEC + c + 1u];
      }
      acc[c] = a0;
      acc[c + 1u] = a1;
    }
    m = m_new;
  }

  if (!row_active) return;
  if (SPLIT) {
    const uint base = (((split * pc.batch + b) * pc.sq + qi) * pc.heads + h) * (HEAD_DIM + 2u);
    partials[base] = m;
    partials[base + 1u] = l;
    for (uint c = 0u; c < VEC; ++c) {
      [[unroll]] for (uint e = 0u; e < 4u; ++e) partials[base + 2u + 4u * c + e] = acc[c][e];
    }
    return;
  }
  if (SINKS) {
    const float sink = sinks[h];
    const float m_final = max(m, sink);
    const float c = exp(m - m_final);
    l = l * c + exp(sink - m_final);
    for (uint i = 0u; i < VEC; ++i) acc[i] *= c;
  }
  const float inv_l = l > 0.0 ? 1.0 / l : 0.0;
  const uint o_base = pc.o_offset + b * pc.o_batch + qi * pc.o_seq + h * pc.o_head;
  for (uint c = 0u; c < VEC; ++c) {
    Q_STORE2(o_buf, o_base + 4u * c, acc[c].xy * inv_l);
    Q_STORE2(o_buf, o_base + 4u * c + 2u, acc[c].zw * inv_l);
  }
}
