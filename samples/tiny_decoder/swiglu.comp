// tiny_decoder: h[t][i] = silu(u[t][i]) * u[t][F + i] for the MLP's gate and up halves.
#version 450
layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer U { float u[]; };
layout(set = 0, binding = 1) writeonly buffer H { float h[]; };
layout(push_constant) uniform Push { uint rows, f; } push;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= push.rows * push.f) return;
  const uint t = i / push.f, c = i % push.f;
  const float gate = u[t * 2u * push.f + c];
  h[i] = gate / (1.0 + exp(-gate)) * u[t * 2u * push.f + push.f + c];
}
