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
// Decode gives a workgroup fewer query rows than the 8 SIMD lanes a CPU driver runs at once
// (one row per kv head without GQA), and masked lanes cost as much as working ones. So the
// lanes split into PHASES groups that take turns through each tile's keys (lane phase f
// takes keys f, f + PHASES, ...); each keeps its own (m, l, acc) and writes it as a partial
// of its own for attention_combine.comp, as if the keys had been split PHASES more ways.
// A load costs a CPU driver the same whether lanes share its address or not, so each lane
// takes LANE_ROWS query rows (in prefill and in GQA decode alike) and every key vec4 it
// loads serves all of them.
// A GPU would spill the dynamically indexed private arrays; it gets flash_attention.comp.
// Built with KV_TEXEL (variant rows_texel), k and v are read through uniform texel buffers
// (RGBA32F for f32, R32G32_UINT for f16: one texel per 4 elements, so K/V offsets and
// strides are multiples of 4 and each view starts at its buffer range): lavapipe makes a
// texel fetch a vector gather where a storage load is a loop over its 8 lanes (README,
// Performance). f16 comes as two words of halves converted here (unpackHalf2x16), not as
// RGBA16F converted by the fetch: 1.2-1.4x on f16 prefill on lavapipe.
// With KV_FORMATS too, k and v are R32_UINT views, words decoded as kv_formats.glsl says.
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
layout(constant_id = 15) const uint PHASES = 1;  // lanes per row, dividing KEY_TILE (> 1: SPLIT)
layout(constant_id = 16) const uint LANE_ROWS = 1;  // query rows per lane
// Texel builds: the logit and P V loops over the head dim unrolled (see HEAD_DIM_LOOP).
layout(constant_id = 27) const bool UNROLL_LOGITS = false;
layout(constant_id = 28) const bool UNROLL_VALUES = false;

const uint VEC = HEAD_DIM / 4u;  // vec4s per head vector
const uint LANE_KEYS = KEY_TILE / PHASES;  // keys of a tile each lane takes
// Keys that need no rotation are read straight from k and v: on a CPU driver a load costs
// the same from shared memory as from a buffer, and the tile copy would only add loads,
// stores and barriers. Rotated keys go through shared memory, rotated once per tile.
const bool DIRECT_KV = !ROPE_K;

Q_BUFFER(0, QBuf, q_buf);
#if defined(KV_TEXEL) && defined(KV_FORMATS)
layout(set = 0, binding = 1) uniform usamplerBuffer k_buf;  // R32_UINT: words (kv_formats.glsl)
layout(set = 0, binding = 2) uniform usamplerBuffer v_buf;
#include "kv_loads.glsl"
#define KV_LOAD4(buf, o) KV_FORMATS_LOAD4(buf, o)
#elif defined(KV_TEXEL) && defined(KV_F16)
layout(set = 0, binding = 1) uniform usamplerBuffer k_buf;  // R32G32_UINT: 4 halves per texel
layout(set = 0, binding = 2) uniform usamplerBuffer v_buf;
vec4 kv_texel_f16(uvec2 w) { return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y)); }
#define KV_LOAD4(buf, o) kv_texel_f16(texelFetch(buf, int((o) >> 2u)).xy)
#elif defined(KV_TEXEL)
layout(set = 0, binding = 1) uniform samplerBuffer k_buf;
layout(set = 0, binding = 2) uniform samplerBuffer v_buf;
#define KV_LOAD4(buf, o) texelFetch(buf, int((o) >> 2u))
#else
KV_BUFFER(1, KBuf, k_buf);
KV_BUFFER(2, VBuf, v_buf);
#include "kv_loads.glsl"
#ifdef KV_FORMATS
#define KV_LOAD4(buf, o) KV_FORMATS_LOAD4(buf, o)
#else
#define KV_LOAD4(buf, o) vec4(KV_LOAD2(buf, o), KV_LOAD2(buf, (o) + 2u))
#endif
#endif
Q_BUFFER(3, OBuf, o_buf);
layout(std430, set = 0, binding = 4) readonly buffer Positions { int positions[]; };
layout(std430, set = 0, binding = 5) readonly buffer Angles { vec2 angles[]; };
layout(std430, set = 0, binding = 6) readonly buffer Sinks { float sinks[]; };
layout(std430, set = 0, binding = 7) readonly buffer Slopes { float slopes[]; };
layout(std430, set = 0, binding = 8) writeonly buffer Partials { float partials[]; };

#include "attention_partials.glsl"
#include "attention_positions.glsl"
#include "rope_rotation.glsl"

// The loops over the head dim, two vec4s a step. Unrolled, q and acc are indexed by
// constants and llvmpipe's accesses to them plain vector loads and stores; rolled, every
// access to them is a gather or scatter over the 8 lanes. Unrolling measured 1.2-1.6x on lavapipe's
// prefill and decode (README, Performance), but only texel loads may be unrolled: a storage
// or shared-memory load is a loop over the lanes in llvmpipe, and unrolled, those made a
// pipeline take minutes to compile. The host says when (FlashShape::unroll_*).
// SwiftShader folds no specialization constant and cannot unroll these loops anyway, so its
// storage builds keep the plain loop.
#ifdef KV_TEXEL
#define HEAD_DIM_LOOP(unrolled, STEP)                                  \
  if (unrolled) {                                                      \
    [[unroll]] for (uint c = 0u; c < VEC; c += 2u) STEP(c)             \
  } else {                                                             \
    for (uint c = 0u; c < VEC; c += 2u) STEP(c)                        \
  }
#else
#define HEAD_DIM_LOOP(unrolled, STEP) for (uint c = 0u; c < VEC; c += 2u) STEP(c)
#endif

// Only rotated keys use the tiles (a tile of unrotated keys may exceed shared memory).
const uint SHARED_KEYS = DIRECT_KV ? 1u : KEY_TILE;
shared vec4 sk[SHARED_KEYS * VEC];  // [key][vec4 of the head dim]
shared vec4 sv[SHARED_KEYS * VEC];

uvec2 rope_pair(uint pair) { return ROPE_INTERLEAVED ? uvec2(2u * pair, 2u * pair + 1u) : uvec2(pair, pair + ROPE_HALF); }

// Vec4 c of key j (j < KEY_TILE) of the tile, from the shared tile or, for direct keys,
// from k at the key's row offset `row` (row_offset below).
vec4 key4(uint j, uint row, uint c) { return DIRECT_KV ? KV_LOAD4(k_buf, row + 4u * c) : sk[j * VEC + c]; }
vec4 value4(uint j, uint row, uint c) { return DIRECT_KV ? KV_LOAD4(v_buf, row + 4u * c) : sv[j * VEC + c]; }

// Where key t + j of the tile starts in k (or v: base and seq stride given). A key past
// the range reads the range's last key; its logit is masked out.
uint row_offset(uint j, uint t, uint key_end, uint base, uint seq) {
  return base + key_row(min(t + j, key_end - 1u)) * seq;
}

void main() {
  const uint WG = gl_WorkGroupSize.x;
  const uint lid = gl_LocalInvocationID.x;
  const uint SLOTS = WG / PHASES;  // lanes with rows of their own
  const uint phase = lid / SLOTS;
  const uint group = pc.heads / pc.kv_heads;
  const uint rows = pc.sq * group;
  const uint first_row = (pc.group_x + gl_WorkGroupID.x) * SLOTS * LANE_ROWS;
  const uint kvh = pc.group_y + gl_WorkGroupID.y;
  const uint b = (pc.group_z + gl_WorkGroupID.z) % pc.batch;
  const uint split = (pc.group_z + gl_WorkGroupID.z) / pc.batch;

  // The lane's rows: first_row + (lid % SLOTS) * LANE_ROWS + r. Rows past the end compute
  // the last row again and write nothing.
  uint qi[LANE_ROWS], h[LANE_ROWS];
  int qp[LANE_ROWS];
  bool row_active[LANE_ROWS];
  bool any_active = false;
  vec4 q[LANE_ROWS * VEC];
  vec4 acc[LANE_ROWS * VEC];
  float m[LANE_ROWS], l[LANE_ROWS], slope[LANE_ROWS];
  [[unroll]] for (uint r = 0u; r < LANE_ROWS; ++r) {
    const uint row = first_row + (lid % SLOTS) * LANE_ROWS + r;
    row_active[r] = row < rows;
    any_active = any_active || row_active[r];
    const uint safe_row = min(row, rows - 1u);
    qi[r] = safe_row / group;
    h[r] = kvh * group + safe_row % group;
    qp[r] = query_position(b, qi[r]);
    slope[r] = ALIBI ? slopes[h[r]] : 0.0;
    m[r] = NEG_INF;
    l[r] = 0.0;
    const uint q_base = pc.q_offset + b * pc.q_batch + qi[r] * pc.q_seq + h[r] * pc.q_head;
    for (uint c = 0u; c < VEC; ++c) {
      q[r * VEC + c] = vec4(Q_LOAD2(q_buf, q_base + 4u * c), Q_LOAD2(q_buf, q_base + 4u * c + 2u));
      acc[r * VEC + c] = vec4(0.0);
    }
    if (ROPE_Q) {
      for (uint i = 0u; i < ROPE_HALF; ++i) {
        const uvec2 e = rope_pair(i) + r * HEAD_DIM;
        const vec2 x = vec2(q[e.x >> 2u][e.x & 3u], q[e.y >> 2u][e.y & 3u]);
        const vec2 y = rotate(x, rope_rotation(uint(qp[r]), i, ROPE_HALF));
        q[e.x >> 2u][e.x & 3u] = y.x;
        q[e.y >> 2u][e.y & 3u] = y.y;
      }
    }
    for (uint c = 0u; c < VEC; ++c) q[r * VEC + c] *= pc.scale;
  }

  uint key_begin = split * pc.split_keys;
  uint key_end = min(key_count(b), key_begin + pc.split_keys);
  if (!EXPLICIT_POSITIONS) {
    const int q_lo = query_position(b, first_row / group);
    const int q_hi = query_position(b, (min(first_row + SLOTS * LANE_ROWS, rows) - 1u) / group);
    if (CAUSAL) key_end = min(key_end, uint(max(q_hi + 1, 0)));
    if (WINDOW) {
      key_begin = max(key_begin, uint(max(q_lo - int(pc.window) + 1, 0)));
      if (!CAUSAL) key_end = min(key_end, uint(max(q_hi + int(pc.window), 0)));
    }
  }

  const uint k_base = pc.k_offset + b * pc.k_batch + kvh * pc.k_head;
  const uint v_base = pc.v_offset + b * pc.v_batch + kvh * pc.v_head;

  for (uint t = key_begin; t < key_end; t += KEY_TILE) {
    if (!DIRECT_KV) {
      barrier();
      for (uint e = lid; e < KEY_TILE * VEC; e += WG) {
        const uint j = e / VEC;
        const uint d = 4u * (e - j * VEC);
        const bool in_range = t + j < key_end;
        const uint ko = row_offset(j, t, key_end, k_base, pc.k_seq) + d;
        const uint vo = row_offset(j, t, key_end, v_base, pc.v_seq) + d;
        sk[e] = in_range ? KV_LOAD4(k_buf, ko) : vec4(0.0);
        sv[e] = in_range ? KV_LOAD4(v_buf, vo) : vec4(0.0);
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
    }
    if (!any_active) continue;
    // Logits of the lane's keys of the tile for each of its rows: head dim outside (8 per
    // iteration), keys and rows inside, unrolled. Key i of the lane is key
    // PHASES * i + phase of the tile.
    // The lane's key rows in k and v, worked out once per tile rather than per vec4:
    // SwiftShader folds no specialization constant, so key_row's KEY_ROWS test (and
    // the clamp) would otherwise run for every load of the loops below.
    uint k_row[LANE_KEYS], v_row[LANE_KEYS];
    [[unroll]] for (uint i = 0u; i < LANE_KEYS; ++i) {
      const uint j = PHASES * i + phase;
      k_row[i] = DIRECT_KV ? row_offset(j, t, key_end, k_base, pc.k_seq) : 0u;
      v_row[i] = DIRECT_KV ? row_offset(j, t, key_end, v_base, pc.v_seq) : 0u;
    }
    float s[LANE_ROWS * LANE_KEYS];
    [[unroll]] for (uint x = 0u; x < LANE_ROWS * LANE_KEYS; ++x) s[x] = 0.0;
#define ADD_LOGITS(c)                                                            \
  {                                                                              \
    [[unroll]] for (uint i = 0u; i < LANE_KEYS; ++i) {                           \
      const uint j = PHASES * i + phase;                                         \
      const vec4 k0 = key4(j, k_row[i], c), k1 = key4(j, k_row[i], c + 1u);     \
      [[unroll]] for (uint r = 0u; r < LANE_ROWS; ++r)                           \
        s[r * LANE_KEYS + i] += dot(q[r * VEC + c], k0) + dot(q[r * VEC + c + 1u], k1); \
    }                                                                            \
  }
    HEAD_DIM_LOOP(UNROLL_LOGITS, ADD_LOGITS)
    float correction[LANE_ROWS];
    bool any_visible = false;
    [[unroll]] for (uint r = 0u; r < LANE_ROWS; ++r) {
      float m_tile = NEG_INF;
      [[unroll]] for (uint i = 0u; i < LANE_KEYS; ++i) {
        const uint j = PHASES * i + phase;
        const int kp = key_position(min(t + j, pc.skv - 1u));
        bool visible = t + j < key_end;
        if (CAUSAL) visible = visible && kp <= qp[r];
        if (WINDOW) visible = visible && qp[r] - kp < int(pc.window) && (CAUSAL || kp - qp[r] < int(pc.window));
        float logit = s[r * LANE_KEYS + i];
        if (SOFTCAP) logit = pc.softcap * tanh(clamp(logit / pc.softcap, -15.0, 15.0));
        if (ALIBI) logit -= slope[r] * float(abs(qp[r] - kp));
        s[r * LANE_KEYS + i] = visible ? logit : NEG_INF;
        m_tile = max(m_tile, s[r * LANE_KEYS + i]);
      }
      // A row that sees none of these keys keeps its state: m_new = m, correction 1,
      // and its weights below are all e^-inf = 0.
      const float m_new = max(m[r], m_tile);
      any_visible = any_visible || m_tile != NEG_INF;
      correction[r] = m_new == NEG_INF ? 1.0 : exp(m[r] - m_new);  // 0 while m is -inf
      float l_tile = 0.0;
      [[unroll]] for (uint i = 0u; i < LANE_KEYS; ++i) {
        s[r * LANE_KEYS + i] = m_new == NEG_INF ? 0.0 : exp(s[r * LANE_KEYS + i] - m_new);  // the weights
        l_tile += s[r * LANE_KEYS + i];
      }
      l[r] = l[r] * correction[r] + l_tile;
      m[r] = m_new;
    }
    if (!any_visible) continue;
    // acc = acc * correction + weights * V, two vec4s of the head dim per step.
#define ACCUMULATE_VALUES(c)                                                 \
  {                                                                          \
    vec4 a[2 * LANE_ROWS];                                                   \
    [[unroll]] for (uint r = 0u; r < LANE_ROWS; ++r) {                       \
      a[2u * r] = acc[r * VEC + c] * correction[r];                          \
      a[2u * r + 1u] = acc[r * VEC + c + 1u] * correction[r];                \
    }                                                                        \
    [[unroll]] for (uint i = 0u; i < LANE_KEYS; ++i) {                       \
      const uint j = PHASES * i + phase;                                     \
      const vec4 v0 = value4(j, v_row[i], c), v1 = value4(j, v_row[i], c + 1u); \
      [[unroll]] for (uint r = 0u; r < LANE_ROWS; ++r) {                     \
        a[2u * r] += s[r * LANE_KEYS + i] * v0;                              \
        a[2u * r + 1u] += s[r * LANE_KEYS + i] * v1;                         \
      }                                                                      \
    }                                                                        \
    [[unroll]] for (uint r = 0u; r < LANE_ROWS; ++r) {                       \
      acc[r * VEC + c] = a[2u * r];                                          \
      acc[r * VEC + c + 1u] = a[2u * r + 1u];                                \
    }                                                                        \
  }
    HEAD_DIM_LOOP(UNROLL_VALUES, ACCUMULATE_VALUES)
  }

  [[unroll]] for (uint r = 0u; r < LANE_ROWS; ++r) {
    if (!row_active[r]) continue;
    if (SPLIT) {
      const uint partial = split * PHASES + phase;
      const uint base = partial_row(partial, b, qi[r], h[r]);
      partials[base + HEAD_DIM] = m[r];
      partials[base + HEAD_DIM + 1u] = l[r];
      for (uint c = 0u; c < VEC; ++c) {
        [[unroll]] for (uint e = 0u; e < 4u; ++e) partials[base + 4u * c + e] = acc[r * VEC + c][e];
      }
      continue;
    }
    float scale_out = 1.0, l_out = l[r];
    if (SINKS) {
      const float sink = sinks[h[r]];
      const float m_final = max(m[r], sink);
      scale_out = exp(m[r] - m_final);
      l_out = l[r] * scale_out + exp(sink - m_final);
    }
    const float inv_l = l_out > 0.0 ? scale_out / l_out : 0.0;
    const uint o_base = pc.o_offset + b * pc.o_batch + qi[r] * pc.o_seq + h[r] * pc.o_head;
    for (uint c = 0u; c < VEC; ++c) {
      Q_STORE2(o_buf, o_base + 4u * c, acc[r * VEC + c].xy * inv_l);
      Q_STORE2(o_buf, o_base + 4u * c + 2u, acc[r * VEC + c].zw * inv_l);
    }
  }
}
