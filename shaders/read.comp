#version 450
// read.comp: the load floors of the benchmark. Each invocation sums vec4 g, g + stride, ...
// of [first, first + n_vec4) into two independent accumulators and writes their sum (one
// vec4 per invocation), so the loads cannot be optimized away and nearly all the traffic
// is reads: what a kernel reading K and V pays.
//
// Built twice: read_storage reads a storage buffer (binding 0: vec4[]); read_texel
// (-DTEXEL) reads a uniform texel buffer of RGBA32F (binding 0: samplerBuffer), the path
// lavapipe turns into vector gathers where it makes a storage load a loop over lanes.
// Binding 1: vec4 sums[total invocations].
// Push constants: see ReadPush (mirrored in src/ops/roofline.cpp).
// Specialization: constant 0 = workgroup size.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"

layout(push_constant) uniform ReadPush {
  uint first;   // in vec4s (texels)
  uint n_vec4;
} pc;

#ifdef TEXEL
layout(set = 0, binding = 0) uniform samplerBuffer src;
vec4 load(uint i) { return texelFetch(src, int(i)); }
#else
layout(std430, set = 0, binding = 0) readonly buffer Src { vec4 src[]; };
vec4 load(uint i) { return src[i]; }
#endif
layout(std430, set = 0, binding = 1) writeonly buffer Sums { vec4 sums[]; };

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint g = gl_GlobalInvocationID.x;
  vec4 a = vec4(0.0), b = vec4(0.0);
  uint v = g;
  for (; v + stride < pc.n_vec4; v += 2u * stride) {
    a += load(pc.first + v);
    b += load(pc.first + v + stride);
  }
  if (v < pc.n_vec4) a += load(pc.first + v);
  sums[g] = a + b;
}
