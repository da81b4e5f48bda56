#version 450
// peak.comp: the arithmetic roofline. Each invocation runs CHAINS independent vec4 FMA
// chains for `iterations` steps (independent chains hide FMA latency), then writes one
// vec4 so the work cannot be optimized away.
//
// Binding 0: vec4 out[total invocations].
// Push constants: see PeakPush (mirrored in src/ops/roofline.cpp). a and b come from push
// constants so the compiler cannot fold the chains.
// FLOPs per invocation: iterations * CHAINS * 4 lanes * 2 (an FMA counts two).
// Specialization: constant 0 = workgroup size.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"

#define CHAINS 8

layout(push_constant) uniform PeakPush {
  float a;  // slightly below 1, so values stay finite
  float b;
  uint iterations;
} pc;

layout(std430, set = 0, binding = 0) writeonly buffer Out { vec4 result[]; };

void main() {
  const float seed = float(gl_GlobalInvocationID.x) * 1.0e-6;
  vec4 x[CHAINS];
  for (int c = 0; c < CHAINS; ++c) x[c] = vec4(seed + float(c), seed - float(c), seed * 0.5, seed + 0.25);
  for (uint i = 0u; i < pc.iterations; ++i) {
    for (int c = 0; c < CHAINS; ++c) x[c] = fma(x[c], vec4(pc.a), vec4(pc.b));
  }
  vec4 sum = vec4(0.0);
  for (int c = 0; c < CHAINS; ++c) sum += x[c];
  result[gl_GlobalInvocationID.x] = sum;
}
