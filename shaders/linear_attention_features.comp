#version 450
// linear_attention_features.comp: linear attention's first pass. Gathers one segment of
// tokens of a q, k or v tensor (any strides, f32 or f16 storage) into a contiguous float32
// array, applying the feature map:
//   dst[((b * tokens + t) * heads + h) * dim + d] = phi(src[b, token0 + t, h, d])
// phi (specialization constant 1): 0 identity (v), 1 elu(x) + 1, 2 relu(x).
//
// Bindings (set 0): 0 = source tensor, 1 = destination (float32).
// Push constants: see FeaturePush (src/ops/linear_attention.cpp).
// Work split: grid-stride over element pairs (2i, 2i + 1) of each row, so packed f16
// (STORAGE_F16_PACKED: the host guarantees an even dim and even offset and strides) reads
// whole words; an odd dim's last pair has one element.
// Specialization: 0 = workgroup size, 1 = phi.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#include "storage.glsl"

layout(constant_id = 1) const uint PHI = 0u;

layout(push_constant) uniform FeaturePush {
  uint batch, tokens, heads, dim;
  uint token0;                                         // first token of the segment
  uint src_offset, src_batch, src_seq, src_head;       // element strides
} pc;

TENSOR_BUFFER(0, Src, src);
layout(std430, set = 0, binding = 1) writeonly buffer Dst { float dst[]; };

float phi(float x) {
  if (PHI == 1u) return x > 0.0 ? x + 1.0 : exp(x);
  if (PHI == 2u) return max(x, 0.0);
  return x;
}

void main() {
  const uint pairs = (pc.dim + 1u) / 2u;
  const uint rows = pc.batch * pc.tokens * pc.heads;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < rows * pairs; i += stride) {
    const uint row = i / pairs, d = 2u * (i % pairs);
    const uint h = row % pc.heads, bt = row / pc.heads;
    const uint t = bt % pc.tokens, b = bt / pc.tokens;
    const uint s = pc.src_offset + b * pc.src_batch + (pc.token0 + t) * pc.src_seq + h * pc.src_head + d;
    const uint o = row * pc.dim + d;
#if defined(STORAGE_F16_PACKED)
    const vec2 x = LOAD2(src, s);
    dst[o] = phi(x.x);
    dst[o + 1u] = phi(x.y);
#else
    dst[o] = phi(LOAD1(src, s));
    if (d + 1u < pc.dim) dst[o + 1u] = phi(LOAD1(src, s + 1u));
#endif
  }
}
