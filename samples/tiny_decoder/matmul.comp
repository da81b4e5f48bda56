// tiny_decoder: y[t][n] = residual[t][n] * add + sum_k x[t][k] * w[k][n], one invocation per
// output element: simple and exact enough for a demo (engines tile this).
#version 450
layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) readonly buffer W { float w[]; };
layout(set = 0, binding = 2) readonly buffer R { float residual[]; };
layout(set = 0, binding = 3) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Push { uint rows, k, n, add; } push;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= push.rows * push.n) return;
  const uint t = i / push.n, col = i % push.n;
  float sum = push.add != 0u ? residual[i] : 0.0;
  for (uint j = 0; j < push.k; ++j) sum += x[t * push.k + j] * w[j * push.n + col];
  y[i] = sum;
}
