#version 450
// flash_attention_coopmat.comp: flash attention on cooperative matrices (tensor cores,
// VK_KHR_cooperative_matrix) for f16 q, k and v. The same bindings, push constants and
// specialization ids as flash_attention.comp (read its header first); what differs is that
// both products, S = Q K^T and O += P V, are subgroup matrix multiplies of CM_M x CM_K by
// CM_K x CM_N f16 tiles into f32 accumulators, the shape the device reports
// (vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR; the host picks it).
//
// Work split (FlashAttention-2's): a workgroup takes TILE_ROWS = ROW_BLOCKS x CM_M query
// rows of one (batch, kv head, key range), a row being (query i, head g of the GQA group),
// so the G heads sharing a kv head share every K/V tile. Subgroup s owns row block s: CM_M
// rows, whose output O (CM_M x HEAD_DIM, f32) stays in HEAD_DIM / CM_N accumulator
// matrices for the whole pass. The workgroup has ROW_BLOCKS subgroups at the device's
// largest subgroup size; where the driver runs smaller subgroups, the extra ones only
// help load tiles.
//
// Per key tile of KEY_TILE keys (a multiple of CM_N and CM_K):
// 1. The workgroup copies K and V into shared memory as f16 (rows padded by 8 halves: 16-
//    byte aligned, and successive rows start on different banks).
// 2. Each subgroup multiplies its q block (staged once, rotated and scaled, as f16) by
//    K^T (K read column-major) into S, stored to shared memory as f32.
// 3. Its lanes take a row each: logits (softcap, ALiBi, masks), the tile's max, one running-
//    max update and rescale factor per row per tile, P = e^(s - m) rounded to f16 (and the
//    row sum l summed from the rounded values, so the weights P V uses sum to l exactly).
// 4. The accumulators pass through shared memory once to be scaled by their rows' factors
//    (a cooperative matrix has no per-row scale); then O += P V, V read row-major.
// The end: SPLIT writes (m, l, acc) for the combine pass; otherwise sinks join the
// denominator and out = O / l (0 for a fully masked row). Tiles no row can see are skipped
// as in flash_attention.comp.
//
// Precision: q x scale and P are rounded to f16 (11 significant bits), products and sums
// are f32; the host takes this kernel only for f16 q, k and v, whose f16 output carries
// that rounding already (attention_check.hpp's 2e-3).
// Needs VK_KHR_cooperative_matrix, shaderFloat16 and subgroup basic operations;
// compiled only by a glslang that knows GL_KHR_cooperative_matrix (glslang 15: Debian 13).
// Specialization: 0 = WG, 1 = HEAD_DIM, 2 = KEY_TILE, 3-12 as flash_attention.comp (13,
// ROPE_K, must be false: keys come rotated), 18-20 = CM_M, CM_N, CM_K, 21 = ROW_BLOCKS.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_shader_subgroup_basic : require
#include "workgroup.glsl"
#include "attention_types.glsl"
#include "attention_params.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 64;   // multiple of CM_N and CM_K
layout(constant_id = 2) const uint KEY_TILE = 32;   // multiple of CM_N and CM_K
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
layout(constant_id = 18) const uint CM_M = 16;
layout(constant_id = 19) const uint CM_N = 16;
layout(constant_id = 20) const uint CM_K = 16;
layout(constant_id = 21) const uint ROW_BLOCKS = 2;  // row blocks of CM_M rows: one per subgroup

const uint TILE_ROWS = ROW_BLOCKS * CM_M;
const uint HALF_STRIDE = HEAD_DIM + 8u;  // halves per row of the q, K and V tiles
const uint S_STRIDE = KEY_TILE + 4u;     // floats per row of S (and of the accumulator scratch)
const uint P_STRIDE = KEY_TILE + 8u;     // halves per row of P

Q_BUFFER(0, QBuf, q_buf);
KV_BUFFER(1, KBuf, k_buf);
KV_BUFFER(2, VBuf, v_buf);
Q_BUFFER(3, OBuf, o_buf);
layout(std430, set = 0, binding = 4) readonly buffer Positions { int positions[]; };
layout(std430, set = 0, binding = 5) readonly buffer Angles { vec2 angles[]; };
layout(std430, set = 0, binding = 6) readonly buffer Sinks { float sinks[]; };
layout(std430, set = 0, binding = 7) readonly buffer Slopes { float slopes[]; };
layout(std430, set = 0, binding = 8) writeonly buffer Partials { float partials[]; };

#include "attention_partials.glsl"
#include "attention_positions.glsl"
#include "rope_rotation.glsl"

shared float16_t sq[TILE_ROWS * HALF_STRIDE];
shared float16_t sk[KEY_TILE * HALF_STRIDE];
shared float16_t sv[KEY_TILE * HALF_STRIDE];
shared float ss[TILE_ROWS * S_STRIDE];
shared float16_t sp[TILE_ROWS * P_STRIDE];
shared float row_max[TILE_ROWS];
shared float row_sum[TILE_ROWS];
shared float row_scale[TILE_ROWS];  // this tile's rescale factor e^(m_old - m_new)

#define MatA coopmat<float16_t, gl_ScopeSubgroup, CM_M, CM_K, gl_MatrixUseA>
#define MatB coopmat<float16_t, gl_ScopeSubgroup, CM_K, CM_N, gl_MatrixUseB>
#define MatAcc coopmat<float, gl_ScopeSubgroup, CM_M, CM_N, gl_MatrixUseAccumulator>

// Four halves of k or v as stored (i a multiple of 4), into a shared tile.
void copy_kv4(uint i, bool values, uint to, bool in_range) {
  uvec2 w = uvec2(0u);
  if (in_range) w = values ? uvec2(v_buf.v[i >> 1u], v_buf.v[(i >> 1u) + 1u])
                           : uvec2(k_buf.v[i >> 1u], k_buf.v[(i >> 1u) + 1u]);
  const f16vec2 lo = unpackFloat2x16(w.x), hi = unpackFloat2x16(w.y);
  if (values) {
    sv[to] = lo.x; sv[to + 1u] = lo.y; sv[to + 2u] = hi.x; sv[to + 3u] = hi.y;
  } else {
    sk[to] = lo.x; sk[to + 1u] = lo.y; sk[to + 2u] = hi.x; sk[to + 3u] = hi.y;
  }
}

// The logit of key `key` for a row at query position qp from its scaled dot s: softcap,
// ALiBi; -inf where the row cannot see the key or the key is past the range.
float logit(float s, uint key, uint key_end, int qp, float slope) {
  if (key >= key_end) return NEG_INF;
  const int kp = key_position(key);
  bool visible = true;
  if (CAUSAL) visible = kp <= qp;
  if (WINDOW) visible = visible && qp - kp < int(pc.window) && (CAUSAL || kp - qp < int(pc.window));
  if (!visible) return NEG_INF;
  if (SOFTCAP) s = pc.softcap * tanh(clamp(s / pc.softcap, -15.0, 15.0));
  if (ALIBI) s -= slope * float(abs(qp - kp));
  return s;
}

// Stores accumulator `acc` into the block's rows of ss (the scratch after a tile's softmax).
void to_scratch(MatAcc acc, uint block) {
  coopMatStore(acc, ss, block * CM_M * S_STRIDE, S_STRIDE, gl_CooperativeMatrixLayoutRowMajor);
  subgroupMemoryBarrierShared();
  subgroupBarrier();
}

void main() {
  const uint WG = gl_WorkGroupSize.x;
  const uint lid = gl_LocalInvocationID.x;
  const uint group = pc.heads / pc.kv_heads;
  const uint rows = pc.sq * group;
  const uint first_row = (pc.group_x + gl_WorkGroupID.x) * TILE_ROWS;
  const uint kvh = pc.group_y + gl_WorkGroupID.y;
  const uint b = (pc.group_z + gl_WorkGroupID.z) % pc.batch;
  const uint split = (pc.group_z + gl_WorkGroupID.z) / pc.batch;

  // The workgroup's q rows, rotated at their positions and scaled, as f16 (rows past the
  // last are zeros).
  for (uint e = lid; e < TILE_ROWS * HEAD_DIM / 2u; e += WG) {
    const uint r = (2u * e) / HEAD_DIM;
    const uint d = 2u * e - r * HEAD_DIM;
    const uint row = first_row + r;
    vec2 x = vec2(0.0);
    if (row < rows) {
      const uint qi = row / group, h = kvh * group + row % group;
      const uint q_base = pc.q_offset + b * pc.q_batch + qi * pc.q_seq + h * pc.q_head;
      x = Q_LOAD2(q_buf, q_base + d);
      if (ROPE_Q) {
        const uint qp = uint(query_position(b, qi));
        [[unroll]] for (uint i = 0u; i < 2u; ++i) {
          const float other = q_element(q_base + rope_partner(d + i, ROPE_HALF, ROPE_INTERLEAVED));
          x[i] = rope_rotate_element(x[i], other, d + i, qp, ROPE_HALF, ROPE_INTERLEAVED);
        }
      }
      x *= pc.scale;
    }
    sq[r * HALF_STRIDE + d] = float16_t(x.x);
    sq[r * HALF_STRIDE + d + 1u] = float16_t(x.y);
  }
  for (uint r = lid; r < TILE_ROWS; r += WG) {
    row_max[r] = NEG_INF;
    row_sum[r] = 0.0;
  }

  // Keys this workgroup looks at: its split's range, narrowed to what its rows can see.
  uint key_begin = split * pc.split_keys;
  uint key_end = min(key_count(b), key_begin + pc.split_keys);
  if (!EXPLICIT_POSITIONS) {
    const int q_lo = query_position(b, first_row / group);
    const int q_hi = query_position(b, (min(first_row + TILE_ROWS, rows) - 1u) / group);
    if (CAUSAL) key_end = min(key_end, uint(max(q_hi + 1, 0)));
    if (WINDOW) {
      key_begin = max(key_begin, uint(max(q_lo - int(pc.window) + 1, 0)));
      if (!CAUSAL) key_end = min(key_end, uint(max(q_hi + int(pc.window), 0)));
    }
  }

  // This subgroup's row block (uniform across the subgroup, as the matrix operations need).
  // Blocks past the last row still run (on zero rows, their output dropped): every subgroup
  // then executes the same sequence of subgroup barriers, which Mesa 26.1 lavapipe needs
  // (there a subgroupBarrier() waits for the other subgroups too, so subgroups that skip
  // some let the tiles be overwritten under the others).
  const uint block = gl_SubgroupID;
  const bool block_active = block < ROW_BLOCKS;
  const uint lane = gl_SubgroupInvocationID;
  const uint k_base = pc.k_offset + b * pc.k_batch + kvh * pc.k_head;
  const uint v_base = pc.v_offset + b * pc.v_batch + kvh * pc.v_head;

  MatAcc o[HEAD_DIM / CM_N];
  [[unroll]] for (uint n = 0u; n < HEAD_DIM / CM_N; ++n) o[n] = MatAcc(0.0);

  for (uint t = key_begin; t < key_end; t += KEY_TILE) {
    barrier();  // the previous tile is no longer read (and, first time, q and the row state are in)
    for (uint e = lid; e < KEY_TILE * HEAD_DIM / 4u; e += WG) {
      const uint j = (4u * e) / HEAD_DIM;
      const uint d = 4u * e - j * HEAD_DIM;
      const bool in_range = t + j < key_end;
      copy_kv4(k_base + key_row(t + j) * pc.k_seq + d, false, j * HALF_STRIDE + d, in_range);
      copy_kv4(v_base + key_row(t + j) * pc.v_seq + d, true, j * HALF_STRIDE + d, in_range);
    }
    barrier();
    if (!block_active) continue;

    // S = Q K^T for the block's rows and the tile's keys.
    for (uint n = 0u; n < KEY_TILE / CM_N; ++n) {
      MatAcc s = MatAcc(0.0);
      [[unroll]] for (uint kk = 0u; kk < HEAD_DIM / CM_K; ++kk) {
        MatA a;
        MatB k;
        coopMatLoad(a, sq, block * CM_M * HALF_STRIDE + kk * CM_K, HALF_STRIDE, gl_CooperativeMatrixLayoutRowMajor);
        coopMatLoad(k, sk, n * CM_N * HALF_STRIDE + kk * CM_K, HALF_STRIDE, gl_CooperativeMatrixLayoutColumnMajor);
        s = coopMatMulAdd(a, k, s);
      }
      coopMatStore(s, ss, block * CM_M * S_STRIDE + n * CM_N, S_STRIDE, gl_CooperativeMatrixLayoutRowMajor);
    }
    subgroupMemoryBarrierShared();
    subgroupBarrier();

    // Online softmax, a lane per row: P in f16, the row's max, sum and rescale factor.
    for (uint i = lane; i < CM_M; i += gl_SubgroupSize) {
      const uint r = block * CM_M + i;
      const uint row = min(first_row + r, rows - 1u);
      const int qp = query_position(b, row / group);
      const float slope = ALIBI ? slopes[kvh * group + row % group] : 0.0;
      float m_tile = NEG_INF;
      for (uint j = 0u; j < KEY_TILE; ++j) {
        const float s = logit(ss[r * S_STRIDE + j], t + j, key_end, qp, slope);
        ss[r * S_STRIDE + j] = s;
        m_tile = max(m_tile, s);
      }
      const float m_old = row_max[r];
      const float m_new = max(m_old, m_tile);
      const bool none = m_new == NEG_INF;  // nothing visible yet: no e^(-inf - -inf)
      float sum = 0.0;
      for (uint j = 0u; j < KEY_TILE; ++j) {
        const float16_t p = float16_t(none ? 0.0 : exp(ss[r * S_STRIDE + j] - m_new));
        sp[r * P_STRIDE + j] = p;
        sum += float(p);
      }
      const float scale = none ? 1.0 : exp(m_old - m_new);
      row_scale[r] = scale;
      row_sum[r] = row_sum[r] * scale + sum;
      row_max[r] = m_new;
    }
    subgroupMemoryBarrierShared();
    subgroupBarrier();

    // Rescale the accumulators by their rows' factors (through the scratch: ss is free now),
    // on every tile but the first (the accumulators are zero then). Not only where a max
    // moved: that test differs between subgroups, and so would their barriers (see above).
    if (t != key_begin) {
      [[unroll]] for (uint n = 0u; n < HEAD_DIM / CM_N; ++n) {
        to_scratch(o[n], block);
        for (uint e = lane; e < CM_M * CM_N; e += gl_SubgroupSize) {
          const uint r = block * CM_M + e / CM_N;
          ss[r * S_STRIDE + e % CM_N] *= row_scale[r];
        }
        subgroupMemoryBarrierShared();
        subgroupBarrier();
        coopMatLoad(o[n], ss, block * CM_M * S_STRIDE, S_STRIDE, gl_CooperativeMatrixLayoutRowMajor);
        subgroupBarrier();  // loaded before the next block overwrites the scratch
      }
    }

    // O += P V.
    [[unroll]] for (uint n = 0u; n < HEAD_DIM / CM_N; ++n) {
      for (uint kk = 0u; kk < KEY_TILE / CM_K; ++kk) {
        MatA p;
        MatB v;
        coopMatLoad(p, sp, block * CM_M * P_STRIDE + kk * CM_K, P_STRIDE, gl_CooperativeMatrixLayoutRowMajor);
        coopMatLoad(v, sv, kk * CM_K * HALF_STRIDE + n * CM_N, HALF_STRIDE, gl_CooperativeMatrixLayoutRowMajor);
        o[n] = coopMatMulAdd(p, v, o[n]);
      }
    }
  }

  if (!block_active) return;
  subgroupMemoryBarrierShared();  // (row state written by other lanes of this subgroup)
  subgroupBarrier();
  // The block's rows out, a column block at a time through the scratch; a lane writes pairs
  // of elements (f16 output is whole words).
  [[unroll]] for (uint n = 0u; n < HEAD_DIM / CM_N; ++n) {
    to_scratch(o[n], block);
    for (uint e = lane; e < CM_M * CM_N / 2u; e += gl_SubgroupSize) {
      const uint i = (2u * e) / CM_N, c = 2u * e - i * CM_N;
      const uint r = block * CM_M + i, row = first_row + r;
      if (row >= rows) continue;
      const uint qi = row / group, h = kvh * group + row % group, d = n * CM_N + c;
      const vec2 acc = vec2(ss[r * S_STRIDE + c], ss[r * S_STRIDE + c + 1u]);
      float m = row_max[r], l = row_sum[r];
      if (SPLIT) {
        const uint base = partial_row(split, b, qi, h);
        partials[base + d] = acc.x;
        partials[base + d + 1u] = acc.y;
        if (d == 0u) {
          partials[base + HEAD_DIM] = m;
          partials[base + HEAD_DIM + 1u] = l;
        }
        continue;
      }
      float correction = 1.0;
      if (SINKS) {
        const float sink = sinks[h];
        const float m_final = max(m, sink);
        correction = exp(m - m_final);
        l = l * correction + exp(sink - m_final);
      }
      const float inv_l = l > 0.0 ? correction / l : 0.0;
      Q_STORE2(o_buf, pc.o_offset + b * pc.o_batch + qi * pc.o_seq + h * pc.o_head + d, acc * inv_l);
    }
    subgroupBarrier();  // read before the next block overwrites the scratch
  }
}
