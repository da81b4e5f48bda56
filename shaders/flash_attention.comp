#version 450
// flash_attention.comp: attention with an online softmax, K/V streamed through shared
// memory in tiles; no Sq x Skv buffer.
//
// Work split. A row is (query i, head g within its GQA group of G = H / Hkv heads), so the
// G query heads that share a kv head share every K/V tile. A team of TEAM = HEAD_DIM /
// SLICE invocations serves ROW_TILE consecutive rows, each invocation holding a SLICE-wide
// slice of q (rotated and scaled) and of the accumulator of every one of them: a register
// tile of ROW_TILE rows x 4 keys (the shuffle build) or x 1 key, so each K or V vec4 read
// from shared memory serves ROW_TILE rows. A workgroup has ROWS = WG / TEAM x ROW_TILE rows.
// Grid: x = row tiles of ROWS rows; y = kv head; z = batch * splits.
// Bindings: 0 q [B, Sq, H, D]; 1 k, 2 v [B, Skv, Hkv, D]; 3 out [B, Sq, H, D];
//   4 int positions[Sq + Skv] (EXPLICIT_POSITIONS: queries then keys);
//   5 vec2 angles[1024 * ROPE_HALF] (ROPE_Q, ROPE_K; see rope_rotation.glsl); 6 float sinks[H];
//   7 float slopes[H] (ALiBi); 8 float partials (SPLIT; layout in attention_partials.glsl).
// Push constants: AttentionPush (attention_params.glsl).
//
// Per key tile of KEY_TILE keys: the workgroup stores K and V into shared memory in their
// storage type (f16 stays f16; keys rotated in the tile, ROPE_K, are kept f32), from
// registers it loaded them into during the previous tile (fetch_tile, below); each
// invocation writes its slice's partial q . k for every key of the tile to shared memory;
// then each member of a team sums its row's partials into the logit s = (q . k) * scale ->
// softcap -> - slope * |p_q - p_k|, -inf where invisible (causal, window), takes the
// tile's max, updates the row's running max m, sum l and its slice of the accumulator once
// for the tile, and adds each key's e^(s - m) v (all float32). Tiles that no row of the workgroup can see (above the
// causal diagonal, outside the window) are skipped when positions are the default ones
// (query i at Skv - Sq + i, key j at j).
// The end: SPLIT writes (m, l, acc) for attention_combine.comp; otherwise sinks join the
// denominator and out = acc / l (0 when l == 0: a fully masked row gives zeros).
//
// llvmpipe (Mesa 22.3) stops any loop once the invocation has run 65,535 loop iterations
// in all, silently giving wrong output. So per key there are only three counted iterations
// (the partial dot, the tile max and the softmax update); the loops over a slice are
// unrolled, and the host caps the keys one workgroup pass covers (attention_plan.hpp).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#if defined(SUBGROUP_SUMS_BUILD)
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
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
layout(constant_id = 8) const bool ROPE_Q = false;  // rotate q (fused RoPE)
layout(constant_id = 9) const bool ROPE_INTERLEAVED = false;
layout(constant_id = 10) const uint ROPE_HALF = 1;  // rotary_dim / 2
layout(constant_id = 11) const bool SPLIT = false;
layout(constant_id = 12) const bool EXPLICIT_POSITIONS = false;
layout(constant_id = 13) const bool ROPE_K = false;  // rotate k (off when a KvCache holds rotated keys)
layout(constant_id = 14) const uint SLICE = 16;     // head dims per invocation: a multiple of 4 dividing HEAD_DIM
layout(constant_id = 16) const uint ROW_TILE = 1;   // rows per team
// Team sums through subgroup shuffles instead of shared memory: a separate build
// (SUBGROUP_SUMS_BUILD; the plain one declares no subgroup capability, so it stays valid on
// devices without shuffles). The host picks it only where the device has subgroup shuffles,
// TEAM is a power of two within the smallest subgroup, the workgroup a multiple of the
// largest and KEY_TILE a multiple of 4; teams then come from subgroup ids, so a team never
// straddles subgroups.
#if defined(SUBGROUP_SUMS_BUILD)
const bool SUBGROUP_SUMS = true;
#else
const bool SUBGROUP_SUMS = false;
#endif

const uint TEAM = HEAD_DIM / SLICE;
const uint VEC = SLICE / 4u;  // vec4s per slice
const uint R = ROW_TILE;

Q_BUFFER(0, QBuf, q_buf);
KV_BUFFER(1, KBuf, k_buf);
KV_BUFFER(2, VBuf, v_buf);
#include "kv_loads.glsl"
Q_BUFFER(3, OBuf, o_buf);
layout(std430, set = 0, binding = 4) readonly buffer Positions { int positions[]; };
layout(std430, set = 0, binding = 5) readonly buffer Angles { vec2 angles[]; };
layout(std430, set = 0, binding = 6) readonly buffer Sinks { float sinks[]; };
layout(std430, set = 0, binding = 7) readonly buffer Slopes { float slopes[]; };
layout(std430, set = 0, binding = 8) writeonly buffer Partials { float partials[]; };

#include "attention_partials.glsl"
#include "attention_positions.glsl"
#include "rope_rotation.glsl"

// K and V tiles in their storage type: f16 stays f16 in shared memory (4 halves per uvec2:
// half the bytes, so twice the keys per tile), except keys rotated in the tile (ROPE_K),
// which stay f32 so the rotation is not rounded to f16 a second time.
#if defined(KV_F16)
const bool PACKED_K = !ROPE_K;
#define PACKED_V true
shared uvec2 sv_packed[KEY_TILE * HEAD_DIM / 4u];
shared vec4 sv[1];
#else
const bool PACKED_K = false;
#define PACKED_V false
shared uvec2 sv_packed[1];
shared vec4 sv[KEY_TILE * HEAD_DIM / 4u];
#endif
shared uvec2 sk_packed[PACKED_K ? KEY_TILE * HEAD_DIM / 4u : 1u];
shared vec4 sk[PACKED_K ? 1u : KEY_TILE * HEAD_DIM / 4u];
// Partial dots [row][key][team member], each (row, key) padded to an odd number of words
// so the members summing different keys read different banks.
const uint DOT_STRIDE = TEAM + 1u;
shared float sdot[(gl_WorkGroupSize.x / TEAM) * ROW_TILE * KEY_TILE * DOT_STRIDE];

vec4 unpack_half4(uvec2 w) { return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y)); }
vec4 tile_k(uint i) { return PACKED_K ? unpack_half4(sk_packed[i]) : sk[i]; }
vec4 tile_v(uint i) { return PACKED_V ? unpack_half4(sv_packed[i]) : sv[i]; }

vec4 kv_load4(uint i, bool values) {
#ifdef KV_FORMATS
  return values ? KV_FORMATS_LOAD4(v_buf, i) : KV_FORMATS_LOAD4(k_buf, i);
#endif
  if (values) return vec4(KV_LOAD2(v_buf, i), KV_LOAD2(v_buf, i + 2u));
  return vec4(KV_LOAD2(k_buf, i), KV_LOAD2(k_buf, i + 2u));
}

#if defined(KV_F16)
// Four halves as stored (i a multiple of 4: two whole words).
uvec2 kv_words4(uint i, bool values) {
  if (values) return uvec2(v_buf.v[i >> 1u], v_buf.v[(i >> 1u) + 1u]);
  return uvec2(k_buf.v[i >> 1u], k_buf.v[(i >> 1u) + 1u]);
}
#else
uvec2 kv_words4(uint i, bool values) { return uvec2(0u); }  // never called
#endif

// Register double buffering: the next tile's K and V are loaded from global memory into
// registers (STAGED 16-byte vectors of each per invocation) before the current tile's math,
// and stored to shared memory after it, so the loads' latency hides behind the math (Vulkan
// has no asynchronous copy). The host keeps STAGED <= 8 (the tile within 8 vectors per
// invocation), so this costs at most 16 registers' worth of vec4s.
const uint TILE_VEC4 = KEY_TILE * HEAD_DIM / 4u;
const uint STAGED = (TILE_VEC4 + gl_WorkGroupSize.x - 1u) / gl_WorkGroupSize.x;

// K or V element i .. i + 3 as stored: f16 as two words (packed tiles), f32 as four.
uvec4 kv_raw4(uint i, bool values, bool packed) {
  return packed ? uvec4(kv_words4(i, values), 0u, 0u) : floatBitsToUint(kv_load4(i, values));
}

// Tile t's K and V (zeros past key_end) into registers: vector e = lid + i * WG of the tile.
void fetch_tile(uint t, uint key_end, uint k_base, uint v_base, out uvec4 ks[STAGED], out uvec4 vs[STAGED]) {
  [[unroll]] for (uint i = 0u; i < STAGED; ++i) {
    const uint e = gl_LocalInvocationID.x + i * gl_WorkGroupSize.x;
    const uint j = (4u * e) / HEAD_DIM;
    const uint d = 4u * e - j * HEAD_DIM;
    const bool in_range = e < TILE_VEC4 && t + j < key_end;
    ks[i] = in_range ? kv_raw4(k_base + key_row(t + j) * pc.k_seq + d, false, PACKED_K) : uvec4(0u);
    vs[i] = in_range ? kv_raw4(v_base + key_row(t + j) * pc.v_seq + d, true, PACKED_V) : uvec4(0u);
  }
}

// The team's sums of 4 keys' partial dots (every member gets them).
vec4 team_sum4(vec4 x) {
#if defined(SUBGROUP_SUMS_BUILD)
  [[unroll]] for (uint mask = 1u; mask < TEAM; mask *= 2u) x += subgroupShuffleXor(x, mask);
#endif
  return x;
}

// Logit of key t + j for the row at dot_base: its members' partial dots summed (already
// summed in slot 0 with SUBGROUP_SUMS), softcap, ALiBi; -inf where the row cannot see the key.
float logit(uint j, uint t, int qp, float slope, uint dot_base) {
  const int kp = key_position(t + j);
  bool visible = true;
  if (CAUSAL) visible = kp <= qp;
  if (WINDOW) visible = visible && qp - kp < int(pc.window) && (CAUSAL || kp - qp < int(pc.window));
  if (!visible) return NEG_INF;
  float s = 0.0;
  if (SUBGROUP_SUMS) s = sdot[dot_base + j * DOT_STRIDE];
  else {
    [[unroll]] for (uint u = 0u; u < TEAM; ++u) s += sdot[dot_base + j * DOT_STRIDE + u];
  }
  if (SOFTCAP) s = pc.softcap * tanh(clamp(s / pc.softcap, -15.0, 15.0));
  if (ALIBI) s -= slope * float(abs(qp - kp));
  return s;
}

void main() {
  const uint WG = gl_WorkGroupSize.x;
  const uint TEAMS = WG / TEAM;
  const uint ROWS = TEAMS * R;
  const uint lid = gl_LocalInvocationID.x;
  // (With subgroup sums a team is TEAM consecutive lanes of one subgroup.)
#if defined(SUBGROUP_SUMS_BUILD)
  const uint team_lane = gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID;
#else
  const uint team_lane = lid;
#endif
  const uint member = team_lane % TEAM;
  const uint team = team_lane / TEAM;  // >= TEAMS for the few invocations past the last team
  const bool team_valid = team < TEAMS;
  const uint group = pc.heads / pc.kv_heads;
  const uint rows = pc.sq * group;
  const uint first_row = (pc.group_x + gl_WorkGroupID.x) * ROWS;
  const uint kvh = pc.group_y + gl_WorkGroupID.y;
  const uint b = (pc.group_z + gl_WorkGroupID.z) % pc.batch;
  const uint split = (pc.group_z + gl_WorkGroupID.z) / pc.batch;
  const uint dim0 = member * SLICE;  // this invocation's first head dim

  // The team's rows (rows past the last compute on a copy of it; nothing is written).
  bool row_active[R];
  uint qi[R], h[R], dot_base[R];
  int qp[R];
  float slope[R];
  vec4 q[R * VEC];
  vec4 acc[R * VEC];
  float m[R], l[R];
  [[unroll]] for (uint r = 0u; r < R; ++r) {
    const uint row = first_row + team * R + r;
    row_active[r] = team_valid && row < rows;
    const uint safe_row = min(row, rows - 1u);
    qi[r] = safe_row / group;
    h[r] = kvh * group + safe_row % group;
    qp[r] = query_position(b, qi[r]);
    slope[r] = ALIBI ? slopes[h[r]] : 0.0;
    dot_base[r] = ((team * R + r) * KEY_TILE) * DOT_STRIDE;
    m[r] = NEG_INF;
    l[r] = 0.0;
    // This row's slice of q, rotated at its position and scaled.
    const uint q_base = pc.q_offset + b * pc.q_batch + qi[r] * pc.q_seq + h[r] * pc.q_head;
    [[unroll]] for (uint c = 0u; c < VEC; ++c) {
      acc[r * VEC + c] = vec4(0.0);
      vec4 x = vec4(Q_LOAD2(q_buf, q_base + dim0 + 4u * c), Q_LOAD2(q_buf, q_base + dim0 + 4u * c + 2u));
      if (ROPE_Q) {
        [[unroll]] for (uint e = 0u; e < 4u; ++e) {
          const uint d = dim0 + 4u * c + e;
          if (d < 2u * ROPE_HALF) {
            const float other = q_element(q_base + rope_partner(d, ROPE_HALF, ROPE_INTERLEAVED));
            x[e] = rope_rotate_element(x[e], other, d, uint(qp[r]), ROPE_HALF, ROPE_INTERLEAVED);
          }
        }
      }
      q[r * VEC + c] = x * pc.scale;
    }
  }

  // Keys this workgroup looks at: its split's range, narrowed to what its rows can see.
  uint key_begin = split * pc.split_keys;
  uint key_end = min(key_count(b), key_begin + pc.split_keys);
  if (!EXPLICIT_POSITIONS) {
    const int q_lo = query_position(b, first_row / group);
    const int q_hi = query_position(b, (min(first_row + ROWS, rows) - 1u) / group);
    if (CAUSAL) key_end = min(key_end, uint(max(q_hi + 1, 0)));
    if (WINDOW) {
      key_begin = max(key_begin, uint(max(q_lo - int(pc.window) + 1, 0)));
      if (!CAUSAL) key_end = min(key_end, uint(max(q_hi + int(pc.window), 0)));
    }
  }

  const uint k_base = pc.k_offset + b * pc.k_batch + kvh * pc.k_head;
  const uint v_base = pc.v_offset + b * pc.v_batch + kvh * pc.v_head;

  uvec4 staged_k[STAGED], staged_v[STAGED];
  if (key_begin < key_end) fetch_tile(key_begin, key_end, k_base, v_base, staged_k, staged_v);
  for (uint t = key_begin; t < key_end; t += KEY_TILE) {
    barrier();  // the previous tile is no longer read
    [[unroll]] for (uint i = 0u; i < STAGED; ++i) {
      const uint e = lid + i * WG;
      if (e < TILE_VEC4) {
        if (PACKED_K) sk_packed[e] = staged_k[i].xy;
        else sk[e] = uintBitsToFloat(staged_k[i]);
        if (PACKED_V) sv_packed[e] = staged_v[i].xy;
        else sv[e] = uintBitsToFloat(staged_v[i]);
      }
    }
    // The next tile's loads, in flight during this tile's math.
    if (t + KEY_TILE < key_end) fetch_tile(t + KEY_TILE, key_end, k_base, v_base, staged_k, staged_v);
    barrier();
    if (ROPE_K) {
      for (uint p = lid; p < KEY_TILE * ROPE_HALF; p += WG) {
        const uint j = p / ROPE_HALF;
        const uint i = p - j * ROPE_HALF;
        if (t + j < key_end) {
          const uvec2 e = (ROPE_INTERLEAVED ? uvec2(2u * i, 2u * i + 1u) : uvec2(i, i + ROPE_HALF)) + j * HEAD_DIM;
          const vec2 rot = rotate(vec2(sk[e.x >> 2u][e.x & 3u], sk[e.y >> 2u][e.y & 3u]),
                                  rope_rotation(uint(key_position(t + j)), i, ROPE_HALF));
          sk[e.x >> 2u][e.x & 3u] = rot.x;
          sk[e.y >> 2u][e.y & 3u] = rot.y;
        }
      }
      barrier();
    }
    // This slice's share of q . k for every row of the team and key of the tile: each K vec4
    // read serves the R rows.
    if (SUBGROUP_SUMS) {  // 4 keys at a time, summed across the team; member 0 stores them
      for (uint j = 0u; j < KEY_TILE; j += 4u) {
        vec4 partial[R];
        [[unroll]] for (uint r = 0u; r < R; ++r) partial[r] = vec4(0.0);
        [[unroll]] for (uint k = 0u; k < 4u; ++k) {
          [[unroll]] for (uint c = 0u; c < VEC; ++c) {
            const vec4 key = tile_k(((j + k) * HEAD_DIM + dim0) / 4u + c);
            [[unroll]] for (uint r = 0u; r < R; ++r) partial[r][k] += dot(q[r * VEC + c], key);
          }
        }
        [[unroll]] for (uint r = 0u; r < R; ++r) {
          partial[r] = team_sum4(partial[r]);
          if (member == 0u) {
            [[unroll]] for (uint k = 0u; k < 4u; ++k) sdot[dot_base[r] + (j + k) * DOT_STRIDE] = partial[r][k];
          }
        }
      }
    } else if (team_valid) {
      for (uint j = 0u; j < KEY_TILE; ++j) {
        float partial[R];
        [[unroll]] for (uint r = 0u; r < R; ++r) partial[r] = 0.0;
        [[unroll]] for (uint c = 0u; c < VEC; ++c) {
          const vec4 key = tile_k((j * HEAD_DIM + dim0) / 4u + c);
          [[unroll]] for (uint r = 0u; r < R; ++r) partial[r] += dot(q[r * VEC + c], key);
        }
        [[unroll]] for (uint r = 0u; r < R; ++r) sdot[dot_base[r] + j * DOT_STRIDE + member] = partial[r];
      }
    }
    barrier();
    if (team_valid) {
      // The tile's logits twice (their sums are cheap shared reads): first for each row's
      // tile max, so the running maxima and accumulators are updated once per tile, not per key.
      float m_tile[R];
      [[unroll]] for (uint r = 0u; r < R; ++r) m_tile[r] = NEG_INF;
      for (uint j = 0u; j < KEY_TILE && t + j < key_end; ++j) {
        [[unroll]] for (uint r = 0u; r < R; ++r) m_tile[r] = max(m_tile[r], logit(j, t, qp[r], slope[r], dot_base[r]));
      }
      bool seen = false;  // something visible to some row in this tile
      float m_new[R];
      [[unroll]] for (uint r = 0u; r < R; ++r) {
        m_new[r] = max(m[r], m_tile[r]);
        if (m_tile[r] != NEG_INF) {
          const float correction = exp(m[r] - m_new[r]);  // 0 while m is -inf
          l[r] *= correction;
          [[unroll]] for (uint c = 0u; c < VEC; ++c) acc[r * VEC + c] *= correction;
          seen = true;
        }
      }
      if (seen) {
        for (uint j = 0u; j < KEY_TILE && t + j < key_end; ++j) {
          float p[R];
          [[unroll]] for (uint r = 0u; r < R; ++r) {
            // 0 for masked keys, and for rows that see nothing in the tile
            p[r] = m_tile[r] != NEG_INF ? exp(logit(j, t, qp[r], slope[r], dot_base[r]) - m_new[r]) : 0.0;
            l[r] += p[r];
          }
          [[unroll]] for (uint c = 0u; c < VEC; ++c) {
            const vec4 value = tile_v((j * HEAD_DIM + dim0) / 4u + c);
            [[unroll]] for (uint r = 0u; r < R; ++r) acc[r * VEC + c] += p[r] * value;
          }
        }
        [[unroll]] for (uint r = 0u; r < R; ++r) m[r] = m_new[r];
      }
    }
  }

  [[unroll]] for (uint r = 0u; r < R; ++r) {
    if (!row_active[r]) continue;
    if (SPLIT) {
      const uint base = partial_row(split, b, qi[r], h[r]);
      if (member == 0u) {
        partials[base + HEAD_DIM] = m[r];
        partials[base + HEAD_DIM + 1u] = l[r];
      }
      [[unroll]] for (uint c = 0u; c < VEC; ++c) {
        [[unroll]] for (uint e = 0u; e < 4u; ++e) partials[base + dim0 + 4u * c + e] = acc[r * VEC + c][e];
      }
      continue;
    }
    float sum = l[r], correction = 1.0;
    if (SINKS) {
      const float sink = sinks[h[r]];
      const float m_final = max(m[r], sink);
      correction = exp(m[r] - m_final);
      sum = sum * correction + exp(sink - m_final);
    }
    const float inv_l = sum > 0.0 ? correction / sum : 0.0;
    const uint o_base = pc.o_offset + b * pc.o_batch + qi[r] * pc.o_seq + h[r] * pc.o_head + dim0;
    [[unroll]] for (uint c = 0u; c < VEC; ++c) {
      Q_STORE2(o_buf, o_base + 4u * c, acc[r * VEC + c].xy * inv_l);
      Q_STORE2(o_buf, o_base + 4u * c + 2u, acc[r * VEC + c].zw * inv_l);
    }
  }
}
