#version 450
// copy.comp: the memory-bandwidth roofline. dst[dst_offset + i] = src[src_offset + i] for
// i in [0, n_words), 32-bit words.
//
// Bindings (set 0): 0 = source words, 1 = destination words. Each is declared twice, as
// uint[] and uvec4[] (aliases of one binding), so the bulk moves 16 bytes per access.
// Push constants: see CopyPush (mirrored in src/ops/copy.cpp).
// Work split: a grid-stride loop. Invocation g copies vec4 g, g + stride, ... of the
// aligned bulk, then words of the tail the same way. The vec4 path is used only when both
// offsets are multiples of 4 words; otherwise every word goes through the uint path.
// Specialization: constant 0 = workgroup size (workgroup.glsl).
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"

layout(push_constant) uniform CopyPush {
  uint src_offset;  // in words
  uint dst_offset;  // in words
  uint n_words;
} pc;

layout(std430, set = 0, binding = 0) readonly buffer SrcWords { uint src_words[]; };
layout(std430, set = 0, binding = 0) readonly buffer SrcVec4 { uvec4 src_vec4[]; };
layout(std430, set = 0, binding = 1) writeonly buffer DstWords { uint dst_words[]; };
layout(std430, set = 0, binding = 1) writeonly buffer DstVec4 { uvec4 dst_vec4[]; };

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint g = gl_GlobalInvocationID.x;
  const bool aligned = (pc.src_offset % 4u) == 0u && (pc.dst_offset % 4u) == 0u;
  const uint n_vec4 = aligned ? pc.n_words / 4u : 0u;
  const uint src4 = pc.src_offset / 4u;
  const uint dst4 = pc.dst_offset / 4u;
  for (uint v = g; v < n_vec4; v += stride) {
    dst_vec4[dst4 + v] = src_vec4[src4 + v];
  }
  for (uint w = n_vec4 * 4u + g; w < pc.n_words; w += stride) {
    dst_words[pc.dst_offset + w] = src_words[pc.src_offset + w];
  }
}
