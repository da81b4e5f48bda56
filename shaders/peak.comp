#version 450
// peak.comp: the arithmetic roofline. Each invocation runs 8 independent vec4 FMA
// chains for `iterations` steps (independent chains hide FMA latency), then writes one
// vec4 so the work cannot be optimized away.
//
// Binding 0: vec4 out[total invocations].
// Push constants: see PeakPush (mirrored in src/ops/roofline.cpp). a and b come from push
// constants so the compiler cannot fold the chains.
// FLOPs per invocation: iterations * 8 chains * 4 lanes * 2 (an FMA counts two).
// Specialization: constant 0 = workgroup size.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"

layout(push_constant) uniform PeakPush {
  float a;  // slightly below 1, so values stay finite
  float b;
  uint iterations;
} pc;

layout(std430, set = 0, binding = 0) writeonly buffer Out { vec4 result[]; };

// Eight named chains rather than an array: an array indexed in a loop may be kept in
// memory by a driver's compiler (SwiftShader's did: 0.7 GFLOP/s), which measures loads and
// stores instead of FMAs.
#define STEP(x) x = fma(x, a, b)

void main() {
  const float seed = float(gl_GlobalInvocationID.x) * 1.0e-6;
  const vec4 a = vec4(pc.a);
  const vec4 b = vec4(pc.b);
  vec4 x0 = vec4(seed, seed + 1.0, seed + 2.0, seed + 3.0);
  vec4 x1 = x0 + 0.125, x2 = x0 + 0.25, x3 = x0 + 0.375;
  vec4 x4 = x0 - 0.125, x5 = x0 - 0.25, x6 = x0 - 0.375, x7 = x0 * 0.5;
  for (uint i = 0u; i < pc.iterations; ++i) {
    STEP(x0); STEP(x1); STEP(x2); STEP(x3); STEP(x4); STEP(x5); STEP(x6); STEP(x7);
  }
  result[gl_GlobalInvocationID.x] = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
}
