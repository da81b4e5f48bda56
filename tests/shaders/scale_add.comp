// Test kernel for vkrope::Kernel: out[i] = a[i] * scale + b[i] for i < count, and
// counter[0] counts the invocations that wrote (atomically), so a test sees every element
// written exactly once.
#version 450
layout(local_size_x_id = 0) in;
layout(set = 0, binding = 0) readonly buffer A { float a[]; };
layout(set = 0, binding = 1) readonly buffer B { float b[]; };
layout(set = 0, binding = 2) writeonly buffer Out { float out_values[]; };
layout(set = 0, binding = 3) buffer Counter { uint counter[]; };
layout(push_constant) uniform Push {
  float scale;
  uint count;
} push;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= push.count) return;
  precise float value = a[i] * push.scale + b[i];  // precise: no fused multiply-add, so the test compares exactly
  out_values[i] = value;
  atomicAdd(counter[0], 1u);
}
