#version 450
// linear_attention_chunk_sums.comp: the key side of linear attention for one segment of
// tokens. For each chunk c of `chunk` tokens (the last may be shorter), batch row b and kv
// head g, the sums over the chunk's tokens n:
//   S: sums[c * chunk_stride + ((b * kv_heads + g) * dim + d) * value_dim + e] = sum_n kr[b, n, g, d] * v[b, n, g, e]
//   z: sums[c * chunk_stride + s_size + (b * kv_heads + g) * dim + d]         = sum_n kf[b, n, g, d]
// s_size = batch * kv_heads * dim * value_dim; chunk_stride >= s_size + batch * kv_heads *
// dim, a multiple of 4. kr = R_n phi(k_n) (rotated features), kf = phi(k_n); all float32,
// contiguous [batch, tokens, kv_heads, dim] (v: value_dim).
//
// Bindings (set 0): 0 = kr, 1 = kf, 2 = v, 3 = sums (written).
// Push constants: see ChunkSumsPush (src/ops/linear_attention.cpp).
// Work split: an invocation per 4 columns e of one row d of S (one load of kr per 4
// multiply-adds; with VEC4, 16-byte loads of v and stores: CPU drivers move each lane's
// access separately, so fewer, wider accesses are what counts), or per element of z;
// grid-stride (the host keeps a segment small enough for llvmpipe's loop guard).
// Specialization: 0 = workgroup size, 1 = VEC4 (value_dim % 4 == 0).
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"

layout(constant_id = 1) const bool VEC4 = false;

layout(push_constant) uniform ChunkSumsPush {
  uint batch, tokens, kv_heads, dim, value_dim, chunk, chunks, chunk_stride;
} pc;

layout(std430, set = 0, binding = 0) readonly buffer KRot { float kr[]; };
layout(std430, set = 0, binding = 1) readonly buffer KFeat { float kf[]; };
layout(std430, set = 0, binding = 2) readonly buffer Values { float vf[]; };
layout(std430, set = 0, binding = 2) readonly buffer Values4 { vec4 vf4[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Sums { float sums[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Sums4 { vec4 sums4[]; };

void main() {
  const uint groups = (pc.value_dim + 3u) / 4u;
  const uint width = groups + 1u;  // column groups of S, then z
  const uint heads = pc.batch * pc.kv_heads;
  const uint s_size = heads * pc.dim * pc.value_dim;
  const uint total = pc.chunks * heads * pc.dim * width;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    const uint group = i % width;
    const uint d = (i / width) % pc.dim;
    const uint head = (i / (width * pc.dim)) % heads;  // b * kv_heads + g
    const uint c = i / (width * pc.dim * heads);
    const uint b = head / pc.kv_heads, g = head % pc.kv_heads;
    const uint first = c * pc.chunk, last = min(first + pc.chunk, pc.tokens);
    const uint base = c * pc.chunk_stride;
    if (group == groups) {
      float z = 0.0;
      for (uint n = first; n < last; ++n) z += kf[((b * pc.tokens + n) * pc.kv_heads + g) * pc.dim + d];
      sums[base + s_size + head * pc.dim + d] = z;
      continue;
    }
    const uint e = 4u * group;
    vec4 acc = vec4(0.0);
    for (uint n = first; n < last; ++n) {
      const uint row = (b * pc.tokens + n) * pc.kv_heads + g;
      const uint vi = row * pc.value_dim + e;
      vec4 v;
      if (VEC4) {
        v = vf4[vi / 4u];
      } else {
        v = vec4(vf[vi], e + 1u < pc.value_dim ? vf[vi + 1u] : 0.0, e + 2u < pc.value_dim ? vf[vi + 2u] : 0.0,
                 e + 3u < pc.value_dim ? vf[vi + 3u] : 0.0);
      }
      acc += kr[row * pc.dim + d] * v;
    }
    const uint si = base + (head * pc.dim + d) * pc.value_dim + e;
    if (VEC4) {
      sums4[si / 4u] = acc;
    } else {
      sums[si] = acc.x;
      if (e + 1u < pc.value_dim) sums[si + 1u] = acc.y;
      if (e + 2u < pc.value_dim) sums[si + 2u] = acc.z;
      if (e + 3u < pc.value_dim) sums[si + 3u] = acc.w;
    }
  }
}
