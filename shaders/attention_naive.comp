#version 450
// attention_naive.comp: the naive GPU path, which cross-checks the flash kernels on small
// sizes. It shares no code path with flash_attention.comp beyond the storage macros: the
// scores are materialized in a buffer, then each output element is a plain softmax-weighted
// sum. RoPE, when asked for, was applied by rope.comp beforehand.
//
// Pass SCORES (PASS == 0): one item per score, scores[b][h][i][j] = the logit of query i
// and key j (scale, softcap, ALiBi), or -inf where the key is invisible.
// Pass OUTPUT (PASS == 1): one item per output pair (b, i, h, d..d+1).
// Bindings: 0 q, 1 k, 2 v, 3 out; 4 int positions[Sq + Skv] (always); 5 float sinks[H];
// 6 float slopes[H]; 7 float scores[B][H][Sq][Skv].
// Push constants: AttentionPush (split fields unused).
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#include "attention_types.glsl"
#include "attention_params.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 64;
layout(constant_id = 3) const bool CAUSAL = false;
layout(constant_id = 4) const bool WINDOW = false;
layout(constant_id = 5) const bool ALIBI = false;
layout(constant_id = 6) const bool SOFTCAP = false;
layout(constant_id = 7) const bool SINKS = false;
layout(constant_id = 15) const uint PASS = 0;

Q_BUFFER(0, QBuf, q_buf);
KV_BUFFER(1, KBuf, k_buf);
KV_BUFFER(2, VBuf, v_buf);
#include "kv_loads.glsl"
Q_BUFFER(3, OBuf, o_buf);
layout(std430, set = 0, binding = 4) readonly buffer Positions { int positions[]; };
layout(std430, set = 0, binding = 5) readonly buffer Sinks { float sinks[]; };
layout(std430, set = 0, binding = 6) readonly buffer Slopes { float slopes[]; };
layout(std430, set = 0, binding = 7) buffer Scores { float scores[]; };

void score(uint item) {
  const uint j = item % pc.skv;
  const uint i = (item / pc.skv) % pc.sq;
  const uint h = (item / (pc.skv * pc.sq)) % pc.heads;
  const uint b = item / (pc.skv * pc.sq * pc.heads);
  const uint kvh = h / (pc.heads / pc.kv_heads);
  const int qp = positions[i], kp = positions[pc.sq + j];
  bool visible = !CAUSAL || kp <= qp;
  if (WINDOW) visible = visible && abs(qp - kp) < int(pc.window);
  if (!visible) {
    scores[item] = NEG_INF;
    return;
  }
  const uint q_base = pc.q_offset + b * pc.q_batch + i * pc.q_seq + h * pc.q_head;
  const uint k_base = pc.k_offset + b * pc.k_batch + j * pc.k_seq + kvh * pc.k_head;
  float s = 0.0;
  for (uint d = 0u; d < HEAD_DIM; d += 2u) s += dot(Q_LOAD2(q_buf, q_base + d), KV_LOAD2(k_buf, k_base + d));
  s *= pc.scale;
  if (SOFTCAP) s = pc.softcap * tanh(clamp(s / pc.softcap, -15.0, 15.0));
  if (ALIBI) s -= slopes[h] * float(abs(qp - kp));
  scores[item] = s;
}

void output_pair(uint item) {
  const uint pairs = HEAD_DIM / 2u;
  const uint d = 2u * (item % pairs);
  const uint h = (item / pairs) % pc.heads;
  const uint i = (item / (pairs * pc.heads)) % pc.sq;
  const uint b = item / (pairs * pc.heads * pc.sq);
  const uint kvh = h / (pc.heads / pc.kv_heads);
  const uint row = ((b * pc.heads + h) * pc.sq + i) * pc.skv;
  float m = SINKS ? sinks[h] : NEG_INF;
  for (uint j = 0u; j < pc.skv; ++j) m = max(m, scores[row + j]);
  vec2 o = vec2(0.0);
  float l = 0.0;
  if (m != NEG_INF) {
    l = SINKS ? exp(sinks[h] - m) : 0.0;
    for (uint j = 0u; j < pc.skv; ++j) {
      const float p = exp(scores[row + j] - m);  // 0 for an invisible key
      l += p;
      o += p * KV_LOAD2(v_buf, pc.v_offset + b * pc.v_batch + j * pc.v_seq + kvh * pc.v_head + d);
    }
  }
  Q_STORE2(o_buf, pc.o_offset + b * pc.o_batch + i * pc.o_seq + h * pc.o_head + d, l > 0.0 ? o / l : vec2(0.0));
}

void main() {
  const uint items = PASS == 0u ? pc.batch * pc.heads * pc.sq * pc.skv : pc.batch * pc.sq * pc.heads * (HEAD_DIM / 2u);
  for (uint item = gl_GlobalInvocationID.x; item < items; item += gl_NumWorkGroups.x * gl_WorkGroupSize.x) {
    if (PASS == 0u) score(item);
    else output_pair(item);
  }
}
