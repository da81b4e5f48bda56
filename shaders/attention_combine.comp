#version 450
// attention_combine.comp: the second pass of split-KV attention, one invocation per output
// row (the variant for CPU drivers, which pay per workgroup; GPUs get
// attention_combine_parallel.comp). Merges the partials (m, l, acc) of every key range and lane
// phase written by the flash kernels (layout in attention_partials.glsl):
//   M = max_s m_s (and the sink), L = sum_s l_s e^(m_s - M) (+ e^(sink - M)),
//   out = sum_s acc_s e^(m_s - M) / L, or 0 when L == 0.
// Bindings: 0 float partials; 1 out [B, Sq, H, D]; 2 sinks[H]. pc.splits = partials.
// Specialization: 0 = workgroup size, 1 = HEAD_DIM, 7 = SINKS (the flash kernels' ids).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "workgroup.glsl"
#include "attention_types.glsl"
#include "attention_params.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 64;
layout(constant_id = 7) const bool SINKS = false;

layout(std430, set = 0, binding = 0) readonly buffer Partials { float partials[]; };
Q_BUFFER(1, OBuf, o_buf);
layout(std430, set = 0, binding = 2) readonly buffer Sinks { float sinks[]; };

#include "attention_partials.glsl"

void main() {
  const uint rows = pc.batch * pc.sq * pc.heads;
  const uint row = pc.group_x * gl_WorkGroupSize.x + gl_GlobalInvocationID.x;
  if (row >= rows) return;
  const uint h = row % pc.heads;
  const uint qi = (row / pc.heads) % pc.sq;
  const uint b = row / (pc.heads * pc.sq);
  const uint stride = rows * PARTIAL_ROW;  // between partials
  const uint first = partial_row(0u, b, qi, h);

  float m_all = SINKS ? sinks[h] : NEG_INF;
  for (uint s = 0u; s < pc.splits; ++s) m_all = max(m_all, partials[first + s * stride + HEAD_DIM]);
  float l_all = SINKS ? exp(sinks[h] - m_all) : 0.0;
  const uint o_base = pc.o_offset + b * pc.o_batch + qi * pc.o_seq + h * pc.o_head;
  if (m_all == NEG_INF) {  // nothing visible and no sink
    for (uint d = 0u; d < HEAD_DIM; d += 2u) Q_STORE2(o_buf, o_base + d, vec2(0.0));
    return;
  }
  for (uint s = 0u; s < pc.splits; ++s) {
    const float m_s = partials[first + s * stride + HEAD_DIM];
    if (m_s != NEG_INF) l_all += partials[first + s * stride + HEAD_DIM + 1u] * exp(m_s - m_all);
  }
  const float inv_l = l_all > 0.0 ? 1.0 / l_all : 0.0;
  for (uint d = 0u; d < HEAD_DIM; d += 2u) {
    vec2 o = vec2(0.0);
    for (uint s = 0u; s < pc.splits; ++s) {
      const uint base = first + s * stride;
      const float m_s = partials[base + HEAD_DIM];
      if (m_s == NEG_INF) continue;
      o += vec2(partials[base + d], partials[base + d + 1u]) * exp(m_s - m_all);
    }
    Q_STORE2(o_buf, o_base + d, o * inv_l);
  }
}
