// tiny_decoder: y[t] = x[t] / sqrt(mean(x[t]^2) + eps) * gain, one invocation per row (rows
// are short: d_model values).
#version 450
layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) readonly buffer Gain { float gain[]; };
layout(set = 0, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Push { uint rows, dim; } push;

void main() {
  const uint row = gl_GlobalInvocationID.x;
  if (row >= push.rows) return;
  float sum = 0.0;
  for (uint i = 0; i < push.dim; ++i) sum += x[row * push.dim + i] * x[row * push.dim + i];
  const float scale = inversesqrt(sum / float(push.dim) + 1e-6);
  for (uint i = 0; i < push.dim; ++i) y[row * push.dim + i] = x[row * push.dim + i] * scale * gain[i];
}
