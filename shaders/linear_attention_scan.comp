#version 450
// linear_attention_scan.comp: carries linear attention's running sums across the chunks of
// one segment. For every element i of a state (S then z, `elements` floats):
//   running = ZERO_START ? 0 : state[i]
//   for each chunk c:  t = sums[c * chunk_stride + i];  if EXCLUSIVE: that = running;  running += t
//   state[i] = running
// Causal calls keep the exclusive prefixes (what each chunk's queries see of earlier
// tokens); non-causal ones only total the keys.
//
// Bindings (set 0): 0 = sums (read, and written when EXCLUSIVE), 1 = state (read and written).
// Push constants: see ScanPush (src/ops/linear_attention.cpp).
// Work split: one element per invocation, grid-stride.
// Specialization: 0 = workgroup size.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"

layout(push_constant) uniform ScanPush {
  uint elements, chunks, chunk_stride;
  uint flags;  // 1: ZERO_START, 2: EXCLUSIVE
} pc;

layout(std430, set = 0, binding = 0) buffer Sums { float sums[]; };
layout(std430, set = 0, binding = 1) buffer State { float state[]; };

void main() {
  const bool zero_start = (pc.flags & 1u) != 0u, exclusive = (pc.flags & 2u) != 0u;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < pc.elements; i += stride) {
    float running = zero_start ? 0.0 : state[i];
    for (uint c = 0u; c < pc.chunks; ++c) {
      const float t = sums[c * pc.chunk_stride + i];
      if (exclusive) sums[c * pc.chunk_stride + i] = running;
      running += t;
    }
    state[i] = running;
  }
}
