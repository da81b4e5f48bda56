#version 450
// kv_append.comp: KvCache::append. Writes T new tokens' keys and values into the cache at
// positions start..start+T-1, rotating the keys with RoPE on the way (ROPE), in one
// dispatch.
//
// Types (attention_types.glsl): Q_* is the new keys' and values' storage, KV_* the cache's.
// Bindings: 0 k_new, 1 v_new [B, T, Hkv, D] (strided); 2 k_cache, 3 v_cache
// [B, capacity, Hkv, D] (contiguous); 4 vec2 angles (ROPE; see rope_rotation.glsl).
// One invocation per word (two adjacent elements) of a head vector, grid-stride. A
// rotated element needs its pair partner, which for neox sits half a rotation away, so
// each invocation reads the partners of its two elements and writes whole words.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#include "attention_types.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 64;
layout(constant_id = 8) const bool ROPE = false;
layout(constant_id = 9) const bool ROPE_INTERLEAVED = false;
layout(constant_id = 10) const uint ROPE_HALF = 1;  // rotary_dim / 2

layout(push_constant) uniform AppendPush {
  uint batch, tokens, kv_heads, start, capacity;
  uint k_offset, k_batch, k_seq, k_head;
  uint v_offset, v_batch, v_seq, v_head;
} pc;

Q_BUFFER(0, KNew, k_new);
Q_BUFFER(1, VNew, v_new);
KV_BUFFER(2, KCache, k_cache);
KV_BUFFER(3, VCache, v_cache);
layout(std430, set = 0, binding = 4) readonly buffer Angles { vec2 angles[]; };

#include "rope_rotation.glsl"

float key_element(uint i) {  // any index (packed f16 reads whole words)
  const vec2 pair = Q_LOAD2(k_new, i & ~1u);
  return (i & 1u) == 0u ? pair.x : pair.y;
}

// Element d of the key at `base`, rotated at `position` when d is in the rotary part.
float rotated_key(uint base, uint d, uint position, float x) {
  if (!ROPE || d >= 2u * ROPE_HALF) return x;
  const bool first = ROPE_INTERLEAVED ? (d & 1u) == 0u : d < ROPE_HALF;
  const uint pair = ROPE_INTERLEAVED ? d >> 1u : (first ? d : d - ROPE_HALF);
  const uint partner = ROPE_INTERLEAVED ? d ^ 1u : (first ? d + ROPE_HALF : d - ROPE_HALF);
  const vec2 cs = rope_rotation(position, pair, ROPE_HALF);
  const float other = key_element(base + partner);
  return first ? x * cs.x - other * cs.y : other * cs.y + x * cs.x;
}

void main() {
  const uint words = HEAD_DIM / 2u;
  const uint total = pc.batch * pc.tokens * pc.kv_heads * words;
  for (uint item = gl_GlobalInvocationID.x; item < total; item += gl_NumWorkGroups.x * gl_WorkGroupSize.x) {
    const uint w = item % words;
    const uint h = (item / words) % pc.kv_heads;
    const uint t = (item / (words * pc.kv_heads)) % pc.tokens;
    const uint b = item / (words * pc.kv_heads * pc.tokens);
    const uint d = 2u * w;
    const uint k_base = pc.k_offset + b * pc.k_batch + t * pc.k_seq + h * pc.k_head;
    const uint v_base = pc.v_offset + b * pc.v_batch + t * pc.v_seq + h * pc.v_head;
    const uint dst = ((b * pc.capacity + pc.start + t) * pc.kv_heads + h) * HEAD_DIM + d;
    const vec2 k = Q_LOAD2(k_new, k_base + d);
    const uint position = pc.start + t;
    KV_STORE2(k_cache, dst, vec2(rotated_key(k_base, d, position, k.x), rotated_key(k_base, d + 1u, position, k.y)));
    KV_STORE2(v_cache, dst, Q_LOAD2(v_new, v_base + d));
  }
}
