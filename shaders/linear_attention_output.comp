#version 450
// linear_attention_output.comp: the query side of linear attention for one segment.
// Workgroup (c, b * heads + h) computes the outputs of the queries m of chunk c, head h:
//   num[e] = sum_d qr[m, d] * P[d][e]  +  (causal) sum_{n <= m in chunk c} (qr_m . kr_n) v[n, e]
//   den    = sum_d qf[m, d] * P[d][value_dim]  +  (causal) sum_{n <= m in chunk c} qf_m . kf_n
//   out[b, token0 + m, h, e] = den != 0 ? num[e] / den : 0
// P is the state the chunk's queries see: causal, the exclusive prefix of earlier tokens
// (chunk c of the sums, from linear_attention_scan.comp); non-causal, the keys' total (the
// state). The kv head is h / (heads / kv_heads). qr/qf: [batch, tokens, heads, dim]; kr/kf:
// [batch, tokens, kv_heads, dim]; v: [batch, tokens, kv_heads, value_dim]; float32,
// contiguous. P as linear_attention_chunk_sums.comp writes it: S [batch * kv_heads, dim,
// value_dim], then z [batch * kv_heads, dim].
//
// Bindings (set 0): 0 = qr, 1 = qf, 2 = kr, 3 = kf, 4 = v, 5 = P (sums or state), 6 = out.
// Push constants: see OutputPush (src/ops/linear_attention.cpp).
// Work split: the chunk's scores (qr_m . kr_n and qf_m . kf_n for n <= m) into shared
// memory, then each row's normalizer, then the outputs 4 columns at a time (with VEC4,
// 16-byte loads of P and v; packed f16 writes whole words, the host guaranteeing an even
// value_dim). Two barriers per workgroup.
// Specialization: 0 = workgroup size, 1 = chunk (<= 32: 8 KB of shared scores), 2 = VEC4
// (value_dim % 4 == 0).
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#include "storage.glsl"

layout(constant_id = 1) const uint CHUNK = 32u;
layout(constant_id = 2) const bool VEC4 = false;

layout(push_constant) uniform OutputPush {
  uint batch, tokens, heads, kv_heads, dim, value_dim;
  uint token0;        // the segment's first token in out
  uint causal;        // 1: P = sums[chunk], intra-chunk scores; 0: P = state
  uint chunk_stride;  // floats per chunk of the sums (a multiple of 4)
  uint out_offset, out_batch, out_seq, out_head;  // element strides of out
} pc;

layout(std430, set = 0, binding = 0) readonly buffer QRot { float qr[]; };
layout(std430, set = 0, binding = 1) readonly buffer QFeat { float qf[]; };
layout(std430, set = 0, binding = 2) readonly buffer KRot { float kr[]; };
layout(std430, set = 0, binding = 3) readonly buffer KFeat { float kf[]; };
layout(std430, set = 0, binding = 4) readonly buffer Values { float vf[]; };
layout(std430, set = 0, binding = 4) readonly buffer Values4 { vec4 vf4[]; };
layout(std430, set = 0, binding = 5) readonly buffer Prefix { float prefix[]; };
layout(std430, set = 0, binding = 5) readonly buffer Prefix4 { vec4 prefix4[]; };
TENSOR_BUFFER(6, Out, out_tensor);

shared float scores[CHUNK * CHUNK];  // qr_m . kr_n
shared float norms[CHUNK * CHUNK];   // qf_m . kf_n
shared float denominators[CHUNK];

// Four consecutive floats from i (16-byte aligned when VEC4); columns past value_dim read 0.
vec4 load4_values(uint i, uint e) {
  if (VEC4) return vf4[i / 4u];
  return vec4(vf[i], e + 1u < pc.value_dim ? vf[i + 1u] : 0.0, e + 2u < pc.value_dim ? vf[i + 2u] : 0.0,
              e + 3u < pc.value_dim ? vf[i + 3u] : 0.0);
}
vec4 load4_prefix(uint i, uint e) {
  if (VEC4) return prefix4[i / 4u];
  return vec4(prefix[i], e + 1u < pc.value_dim ? prefix[i + 1u] : 0.0, e + 2u < pc.value_dim ? prefix[i + 2u] : 0.0,
              e + 3u < pc.value_dim ? prefix[i + 3u] : 0.0);
}

void main() {
  const uint lane = gl_LocalInvocationID.x, lanes = gl_WorkGroupSize.x;
  const uint c = gl_WorkGroupID.x;
  const uint b = gl_WorkGroupID.y / pc.heads, h = gl_WorkGroupID.y % pc.heads;
  const uint g = h / (pc.heads / pc.kv_heads);
  const uint first = c * CHUNK;
  const uint rows = min(CHUNK, pc.tokens - first);
  const bool causal = pc.causal != 0u;
  const uint head = b * pc.kv_heads + g;
  const uint base = causal ? c * pc.chunk_stride : 0u;
  const uint s_row = base + head * pc.dim * pc.value_dim;  // + d * value_dim + e
  const uint z_row = base + pc.batch * pc.kv_heads * pc.dim * pc.value_dim + head * pc.dim;  // + d

  // Scores inside the chunk (causal only).
  if (causal) {
    for (uint i = lane; i < rows * rows; i += lanes) {
      const uint m = i / rows, n = i % rows;
      if (n > m) continue;
      const uint qrow = ((b * pc.tokens + first + m) * pc.heads + h) * pc.dim;
      const uint krow = ((b * pc.tokens + first + n) * pc.kv_heads + g) * pc.dim;
      float s = 0.0, z = 0.0;
      for (uint d = 0u; d < pc.dim; ++d) {
        s += qr[qrow + d] * kr[krow + d];
        z += qf[qrow + d] * kf[krow + d];
      }
      scores[m * CHUNK + n] = s;
      norms[m * CHUNK + n] = z;
    }
    barrier();
  }

  // Normalizers.
  for (uint m = lane; m < rows; m += lanes) {
    const uint qrow = ((b * pc.tokens + first + m) * pc.heads + h) * pc.dim;
    float z = 0.0;
    for (uint d = 0u; d < pc.dim; ++d) z += qf[qrow + d] * prefix[z_row + d];
    if (causal)
      for (uint n = 0u; n <= m; ++n) z += norms[m * CHUNK + n];
    denominators[m] = z;
  }
  barrier();

  // Outputs, four columns at a time.
  const uint groups = (pc.value_dim + 3u) / 4u;
  for (uint i = lane; i < rows * groups; i += lanes) {
    const uint m = i / groups, e = 4u * (i % groups);
    const uint qrow = ((b * pc.tokens + first + m) * pc.heads + h) * pc.dim;
    vec4 num = vec4(0.0);
    for (uint d = 0u; d < pc.dim; ++d) num += qr[qrow + d] * load4_prefix(s_row + d * pc.value_dim + e, e);
    if (causal) {
      for (uint n = 0u; n <= m; ++n) {
        const uint vrow = ((b * pc.tokens + first + n) * pc.kv_heads + g) * pc.value_dim;
        num += scores[m * CHUNK + n] * load4_values(vrow + e, e);
      }
    }
    const float den = denominators[m];
    const vec4 o = den != 0.0 ? num / den : vec4(0.0);
    const uint dst = pc.out_offset + b * pc.out_batch + (pc.token0 + first + m) * pc.out_seq + h * pc.out_head + e;
#if defined(STORAGE_F16_PACKED)
    STORE2(out_tensor, dst, o.xy);
    if (e + 2u < pc.value_dim) STORE2(out_tensor, dst + 2u, o.zw);
#else
    STORE1(out_tensor, dst, o.x);
    if (e + 1u < pc.value_dim) STORE1(out_tensor, dst + 1u, o.y);
    if (e + 2u < pc.value_dim) STORE1(out_tensor, dst + 2u, o.z);
    if (e + 3u < pc.value_dim) STORE1(out_tensor, dst + 3u, o.w);
#endif
  }
}
