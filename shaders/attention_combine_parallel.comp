#version 450
// attention_combine_parallel.comp: the second pass of split-KV attention on GPUs, one
// workgroup per output row (b, query, head), where attention_combine.comp (CPU drivers)
// gives a row one invocation. The same inputs, outputs, merge and specialization ids:
//   M = max_s m_s (and the sink), w_s = e^(m_s - M), L = sum_s w_s l_s (+ e^(sink - M)),
//   out = sum_s w_s acc_s / L, or 0 when L == 0.
// The workgroup finds M and L with shared-memory reductions (the weights are computed once,
// into shared memory), then invocation c sums column vec4s c, c + WG, ... of the partials'
// accumulators: partial rows start on 16-byte boundaries (attention_partials.glsl), so the
// reads are whole, consecutive vec4s across the workgroup.
// Bindings: 0 partials; 1 out [B, Sq, H, D]; 2 sinks[H]. pc.splits = partials (<= 512).
// Grid: x = output rows (B * Sq * H). The workgroup size is a power of two.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#include "attention_types.glsl"
#include "attention_params.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 64;
layout(constant_id = 7) const bool SINKS = false;

const uint MAX_PARTIALS = 512;  // key ranges (<= 64) x lane phases (<= 8)

layout(std430, set = 0, binding = 0) readonly buffer Partials { float partials[]; };
layout(std430, set = 0, binding = 0) readonly buffer Partials4 { vec4 partials4[]; };
Q_BUFFER(1, OBuf, o_buf);
layout(std430, set = 0, binding = 2) readonly buffer Sinks { float sinks[]; };

#include "attention_partials.glsl"

shared float weight[MAX_PARTIALS];
shared float reduce_buf[gl_WorkGroupSize.x];

// The workgroup's max (is_max) or sum of every invocation's x.
float workgroup_reduce(float x, bool is_max) {
  const uint lid = gl_LocalInvocationID.x;
  reduce_buf[lid] = x;
  barrier();
  for (uint width = gl_WorkGroupSize.x / 2u; width > 0u; width /= 2u) {
    if (lid < width) {
      const float other = reduce_buf[lid + width];
      reduce_buf[lid] = is_max ? max(reduce_buf[lid], other) : reduce_buf[lid] + other;
    }
    barrier();
  }
  const float result = reduce_buf[0];
  barrier();  // reduce_buf is free again
  return result;
}

void main() {
  const uint lid = gl_LocalInvocationID.x;
  const uint rows = pc.batch * pc.sq * pc.heads;
  const uint row = pc.group_x + gl_WorkGroupID.x;
  if (row >= rows) return;  // the whole workgroup
  const uint h = row % pc.heads;
  const uint qi = (row / pc.heads) % pc.sq;
  const uint b = row / (pc.heads * pc.sq);
  const uint stride = rows * PARTIAL_ROW;  // between partials
  const uint first = partial_row(0u, b, qi, h);

  float m_local = NEG_INF;
  for (uint s = lid; s < pc.splits; s += gl_WorkGroupSize.x) m_local = max(m_local, partials[first + s * stride + HEAD_DIM]);
  const float sink = SINKS ? sinks[h] : NEG_INF;
  const float m_all = max(workgroup_reduce(m_local, true), sink);

  float l_local = 0.0;
  for (uint s = lid; s < pc.splits; s += gl_WorkGroupSize.x) {
    const float m_s = partials[first + s * stride + HEAD_DIM];
    const float w = m_all == NEG_INF || m_s == NEG_INF ? 0.0 : exp(m_s - m_all);
    weight[s] = w;
    l_local += w * partials[first + s * stride + HEAD_DIM + 1u];
  }
  float l_all = workgroup_reduce(l_local, false);  // its barriers also publish the weights
  if (SINKS && m_all != NEG_INF) l_all += exp(sink - m_all);
  const float inv_l = l_all > 0.0 ? 1.0 / l_all : 0.0;

  const uint o_base = pc.o_offset + b * pc.o_batch + qi * pc.o_seq + h * pc.o_head;
  for (uint c = lid; c < HEAD_DIM / 4u; c += gl_WorkGroupSize.x) {
    vec4 a = vec4(0.0);
    for (uint s = 0u; s < pc.splits; ++s) {
      const float w = weight[s];
      if (w != 0.0) a += w * partials4[(first + s * stride) / 4u + c];
    }
    Q_STORE2(o_buf, o_base + 4u * c, a.xy * inv_l);
    Q_STORE2(o_buf, o_base + 4u * c + 2u, a.zw * inv_l);
  }
}
