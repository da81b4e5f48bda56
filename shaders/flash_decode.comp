#version 450
// flash_decode.comp: attention for a few queries (decode, Sq <= 8) on GPUs. The same
// bindings, push constants and specialization ids as flash_attention.comp (read its header
// first); what differs is the work split, shaped for a pass that reads every key once and
// is bound by memory:
//
// - A workgroup serves every query row of one (batch, kv head, key range): ROWS = Sq * G
//   rows, the G = H / Hkv query heads of a GQA group included, so each K and V vector it
//   reads serves all of them.
// - A team of TEAM lanes of one subgroup covers one key's head dim: lane t holds SLICE =
//   HEAD_DIM / TEAM dims of every row's q and accumulator in registers and reads its SLICE
//   of the key and value rows straight from global memory, with no shared tile: the
//   TEAM lanes' 16-byte loads fall on consecutive addresses (K and V are bound as vec4
//   arrays, f16 as uvec2: the host requires their offsets and strides in multiples of 4
//   elements). A dot product q . k is the lanes' partial sums added across the team with
//   subgroupShuffleXor (log2 TEAM steps).
// - The workgroup's TEAMS = WG / TEAM teams take KEY_TILE keys at a time, team i the keys
//   of step i, i + TEAMS, ... of its range; each step is one running-max update and one
//   rescale of the accumulators for KEY_TILE keys (not one per key).
// - The rows' q (rotated at their positions where fused RoPE asks, and scaled) is staged in
//   shared memory first by a plain loop over elements, then each lane takes its slices
//   into registers. (Rotating in registers would unroll a rotation per element: no faster
//   on a GPU, where it runs once, and minutes of LLVM time per pipeline on llvmpipe.)
//   Keys come already rotated (a KvCache, or RoPE applied before the call): fused RoPE of
//   keys is the team kernel's.
// - At the end the teams' (m, l, acc) meet in shared memory and the workgroup merges them:
//   into the output, or (SPLIT) into a partial for the combine pass.
// Grid: x = 1; y = kv head; z = batch * splits.
//
// Teams come from subgroup ids (gl_SubgroupID, gl_SubgroupInvocationID), never from the
// invocation index: the host makes TEAM divide the smallest subgroup size the device may
// run and WG a multiple of the largest, so teams never straddle subgroups. Needs subgroup
// basic and shuffle operations in compute shaders; the host picks another kernel without.
// Specialization: 0 = WG, 1 = HEAD_DIM, 3-13 as
// flash_attention.comp (13, ROPE_K, must be false), 14 = SLICE, 17 = ROWS.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#include "workgroup.glsl"
#include "attention_types.glsl"
#include "attention_params.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 64;   // multiple of 8, <= 256
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
layout(constant_id = 14) const uint SLICE = 4;      // head dims per lane: a multiple of 4 dividing HEAD_DIM
layout(constant_id = 17) const uint ROWS = 1;       // Sq * H / Hkv: query rows per workgroup

const uint KEY_TILE = 4;  // keys a team takes per step: one vec4 of scores
const uint TEAM = HEAD_DIM / SLICE;
const uint VEC = SLICE / 4u;
const uint TEAMS = gl_WorkGroupSize.x / TEAM;

Q_BUFFER(0, QBuf, q_buf);
#if defined(KV_F32)
layout(std430, set = 0, binding = 1) readonly buffer KBuf { vec4 v[]; } k_buf;
layout(std430, set = 0, binding = 2) readonly buffer VBuf { vec4 v[]; } v_buf;
#define KV_LOAD4(buf, i) buf.v[(i) >> 2u]
#elif defined(KV_FORMATS)
KV_BUFFER(1, KBuf, k_buf);
KV_BUFFER(2, VBuf, v_buf);
#include "kv_loads.glsl"
#define KV_LOAD4(buf, i) KV_FORMATS_LOAD4(buf, i)
#else
layout(std430, set = 0, binding = 1) readonly buffer KBuf { uvec2 v[]; } k_buf;
layout(std430, set = 0, binding = 2) readonly buffer VBuf { uvec2 v[]; } v_buf;
vec4 unpack_half4(uvec2 w) { return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y)); }
#define KV_LOAD4(buf, i) unpack_half4(buf.v[(i) >> 2u])
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

// The rows' scaled (and rotated) q; then each team's final (m, l, acc) for the merge.
shared vec4 q_tile[ROWS * (HEAD_DIM / 4u)];
shared float team_m[TEAMS * ROWS];
shared float team_l[TEAMS * ROWS];
shared vec4 team_acc[TEAMS * ROWS * (HEAD_DIM / 4u)];

// Element d of the q row at row_base, rotated at `position`.
float rotated_q(uint d, uint position, uint row_base) {
  const float x = q_element(row_base + d);
  if (d >= 2u * ROPE_HALF) return x;
  const float other = q_element(row_base + rope_partner(d, ROPE_HALF, ROPE_INTERLEAVED));
  return rope_rotate_element(x, other, d, position, ROPE_HALF, ROPE_INTERLEAVED);
}

// The team's sums of partial dot products (every lane of the team gets them).
vec4 team_sum(vec4 x) {
  [[unroll]] for (uint mask = 1u; mask < TEAM; mask *= 2u) x += subgroupShuffleXor(x, mask);
  return x;
}

void main() {
  const uint lid = gl_LocalInvocationID.x;
  const uint team = gl_SubgroupID * (gl_SubgroupSize / TEAM) + gl_SubgroupInvocationID / TEAM;
  const uint lane = gl_SubgroupInvocationID % TEAM;
  const uint dim0 = lane * SLICE;
  const uint group = pc.heads / pc.kv_heads;
  const uint kvh = pc.group_y + gl_WorkGroupID.y;
  const uint b = (pc.group_z + gl_WorkGroupID.z) % pc.batch;
  const uint split = (pc.group_z + gl_WorkGroupID.z) / pc.batch;

  // Stage every row's q, rotated and scaled, then take this lane's slices.
  for (uint e = lid; e < ROWS * HEAD_DIM; e += gl_WorkGroupSize.x) {
    const uint r = e / HEAD_DIM, d = e - r * HEAD_DIM;
    const uint qi = r / group;
    const uint h = kvh * group + r % group;
    const uint q_base = pc.q_offset + b * pc.q_batch + qi * pc.q_seq + h * pc.q_head;
    const float x = ROPE_Q ? rotated_q(d, uint(query_position(b, qi)), q_base) : q_element(q_base + d);
    q_tile[e / 4u][e % 4u] = x * pc.scale;
  }
  barrier();
  vec4 q[ROWS * VEC];
  vec4 acc[ROWS * VEC];
  float m[ROWS], l[ROWS];
  int qp[ROWS];
  [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
    qp[r] = query_position(b, r / group);
    m[r] = NEG_INF;
    l[r] = 0.0;
    [[unroll]] for (uint c = 0u; c < VEC; ++c) {
      q[r * VEC + c] = q_tile[r * (HEAD_DIM / 4u) + dim0 / 4u + c];
      acc[r * VEC + c] = vec4(0.0);
    }
  }

  // Keys this workgroup looks at: its split's range, narrowed to what its rows can see.
  uint key_begin = split * pc.split_keys;
  uint key_end = min(key_count(b), key_begin + pc.split_keys);
  if (!EXPLICIT_POSITIONS) {
    const int q_lo = query_position(b, 0u), q_hi = query_position(b, pc.sq - 1u);
    if (CAUSAL) key_end = min(key_end, uint(max(q_hi + 1, 0)));
    if (WINDOW) {
      key_begin = max(key_begin, uint(max(q_lo - int(pc.window) + 1, 0)));
      if (!CAUSAL) key_end = min(key_end, uint(max(q_hi + int(pc.window), 0)));
    }
  }

  const bool KEY_POSITIONS = CAUSAL || WINDOW || ALIBI;  // whether a key's position is needed
  const uint k_base = pc.k_offset + b * pc.k_batch + kvh * pc.k_head + dim0;
  const uint v_base = pc.v_offset + b * pc.v_batch + kvh * pc.v_head + dim0;
  for (uint t = key_begin + team * KEY_TILE; t < key_end; t += TEAMS * KEY_TILE) {
    // This lane's slices of the step's keys and values (a key past the range reads the
    // range's last one; its logits are masked out).
    vec4 kk[KEY_TILE * VEC], vv[KEY_TILE * VEC];
    int kp[KEY_TILE];
    [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j) {
      const uint key = min(t + j, key_end - 1u);
      kp[j] = KEY_POSITIONS ? key_position(key) : 0;
      const uint row = key_row(key);
      [[unroll]] for (uint c = 0u; c < VEC; ++c) {
        kk[j * VEC + c] = KV_LOAD4(k_buf, k_base + row * pc.k_seq + 4u * c);
        vv[j * VEC + c] = KV_LOAD4(v_buf, v_base + row * pc.v_seq + 4u * c);
      }
    }
    [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
      const uint h = kvh * group + r % group;
      // The step's four dot products: partial sums of this lane's dims, added across the team.
      vec4 s = vec4(0.0);
      [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j) {
        [[unroll]] for (uint c = 0u; c < VEC; ++c) s[j] += dot(q[r * VEC + c], kk[j * VEC + c]);
      }
      s = team_sum(s);
      float m_step = NEG_INF;
      [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j) {
        bool visible = t + j < key_end;
        if (CAUSAL) visible = visible && kp[j] <= qp[r];
        if (WINDOW) visible = visible && qp[r] - kp[j] < int(pc.window) && (CAUSAL || kp[j] - qp[r] < int(pc.window));
        // tanh saturates to +-1 in float32 beyond |x| = 9 (clamped as in flash_attention.comp).
        if (SOFTCAP) s[j] = pc.softcap * tanh(clamp(s[j] / pc.softcap, -15.0, 15.0));
        if (ALIBI) s[j] -= slopes[h] * float(abs(qp[r] - kp[j]));
        s[j] = visible ? s[j] : NEG_INF;
        m_step = max(m_step, s[j]);
      }
      if (m_step == NEG_INF) continue;  // nothing visible in this step
      // One max update and one rescale for the step's keys.
      const float m_new = max(m[r], m_step);
      const float correction = exp(m[r] - m_new);  // 0 while m is -inf
      float l_new = l[r] * correction;
      [[unroll]] for (uint c = 0u; c < VEC; ++c) acc[r * VEC + c] *= correction;
      [[unroll]] for (uint j = 0u; j < KEY_TILE; ++j) {
        const float p = exp(s[j] - m_new);  // 0 for masked keys
        l_new += p;
        [[unroll]] for (uint c = 0u; c < VEC; ++c) acc[r * VEC + c] += p * vv[j * VEC + c];
      }
      m[r] = m_new;
      l[r] = l_new;
    }
  }

  // The teams' states meet in shared memory; each invocation then merges some (row, vec4).
  [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
    if (lane == 0u) {
      team_m[team * ROWS + r] = m[r];
      team_l[team * ROWS + r] = l[r];
    }
    [[unroll]] for (uint c = 0u; c < VEC; ++c) team_acc[(team * ROWS + r) * (HEAD_DIM / 4u) + dim0 / 4u + c] = acc[r * VEC + c];
  }
  barrier();
  for (uint e = lid; e < ROWS * (HEAD_DIM / 4u); e += gl_WorkGroupSize.x) {
    const uint r = e / (HEAD_DIM / 4u);
    const uint c = e - r * (HEAD_DIM / 4u);
    const uint qi = r / group;
    const uint h = kvh * group + r % group;
    float m_all = NEG_INF;
    for (uint i = 0u; i < TEAMS; ++i) m_all = max(m_all, team_m[i * ROWS + r]);
    float l_all = 0.0;
    vec4 a = vec4(0.0);
    if (m_all != NEG_INF) {
      for (uint i = 0u; i < TEAMS; ++i) {
        const float w = exp(team_m[i * ROWS + r] - m_all);  // 0 for a team that saw nothing
        l_all += team_l[i * ROWS + r] * w;
        a += team_acc[(i * ROWS + r) * (HEAD_DIM / 4u) + c] * w;
      }
    }
    if (SPLIT) {
      const uint base = partial_row(split, b, qi, h);
      partials[base + 4u * c] = a.x;
      partials[base + 4u * c + 1u] = a.y;
      partials[base + 4u * c + 2u] = a.z;
      partials[base + 4u * c + 3u] = a.w;
      if (c == 0u) {
        partials[base + HEAD_DIM] = m_all;
        partials[base + HEAD_DIM + 1u] = l_all;
      }
      continue;
    }
    if (SINKS) {
      const float sink = sinks[h];
      const float m_final = max(m_all, sink);
      const float w = exp(m_all - m_final);
      l_all = l_all * w + exp(sink - m_final);
      a *= w;
    }
    const float inv_l = l_all > 0.0 ? 1.0 / l_all : 0.0;
    const uint o_base = pc.o_offset + b * pc.o_batch + qi * pc.o_seq + h * pc.o_head + 4u * c;
    Q_STORE2(o_buf, o_base, a.xy * inv_l);
    Q_STORE2(o_buf, o_base + 2u, a.zw * inv_l);
  }
}
