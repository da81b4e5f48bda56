#version 450
// linear_attention_chunk_sums.comp: the key side of linear attention for one segment of
// tokens. For each chunk c of `chunk` tokens (the last may be shorter), batch row b and kv
// head g, the sums over the chunk's tokens n:
//   sums[c][b][g][d][e] = sum_n kr[b, n, g, d] * v[b, n, g, e]    (e < value_dim: S)
//   sums[c][b][g][d][value_dim] = sum_n kf[b, n, g, d]             (the normalizer z)
// kr = R_n phi(k_n) (rotated features), kf = phi(k_n); all float32, contiguous
// [batch, tokens, kv_heads, dim] (v: value_dim).
//
// Bindings (set 0): 0 = kr, 1 = kf, 2 = v, 3 = sums (written).
// Push constants: see ChunkSumsPush (src/ops/linear_attention.cpp).
// Work split: one output element per invocation, grid-stride (the host keeps a segment
// small enough for llvmpipe's loop guard).
// Specialization: 0 = workgroup size.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"

layout(push_constant) uniform ChunkSumsPush {
  uint batch, tokens, kv_heads, dim, value_dim, chunk, chunks;
} pc;

layout(std430, set = 0, binding = 0) readonly buffer KRot { float kr[]; };
layout(std430, set = 0, binding = 1) readonly buffer KFeat { float kf[]; };
layout(std430, set = 0, binding = 2) readonly buffer Values { float vf[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Sums { float sums[]; };

void main() {
  const uint width = pc.value_dim + 1u;
  const uint total = pc.chunks * pc.batch * pc.kv_heads * pc.dim * width;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    const uint e = i % width;
    const uint d = (i / width) % pc.dim;
    const uint g = (i / (width * pc.dim)) % pc.kv_heads;
    const uint cb = i / (width * pc.dim * pc.kv_heads);
    const uint b = cb % pc.batch, c = cb / pc.batch;
    const uint first = c * pc.chunk, last = min(first + pc.chunk, pc.tokens);
    float acc = 0.0;
    if (e < pc.value_dim) {
      for (uint n = first; n < last; ++n) {
        const uint row = (b * pc.tokens + n) * pc.kv_heads + g;
        acc += kr[row * pc.dim + d] * vf[row * pc.value_dim + e];
      }
    } else {
      for (uint n = first; n < last; ++n) acc += kf[((b * pc.tokens + n) * pc.kv_heads + g) * pc.dim + d];
    }
    sums[i] = acc;
  }
}
