#version 450
// quantize.comp: values in f32 or f16 (Q_F32 / Q_F16) stored into a buffer of any format
// of kv_formats.glsl, rounding exactly as vkrope::encode does on the host (and ggml's
// reference quantizers). Two users:
//  - KvCache::append into a cache with a bf16, q8_0 or q4_0 side, or with K and V in
//    different formats (PAIRED): new keys rotated with RoPE on the way (ROPE) and values,
//    both written in one dispatch;
//  - vkrope::quantize, one tensor (not PAIRED, no RoPE).
// Layout (as kv_append.comp): sources [B, T, Hkv, D] strided by the push constants;
// destinations [B, capacity, Hkv, D] contiguous from their offsets, tokens written at
// start..start+T-1.
// One invocation per unit of a head vector: a 32-value block of q8_0 / q4_0, 8 values of
// the element formats. A block is 34 or 18 bytes, so every block shares one 32-bit word
// with a neighbour; that word is written with atomicAnd / atomicOr on the block's own half,
// the others with plain stores.
#extension GL_GOOGLE_include_directive : require
#include "workgroup.glsl"
#define KV_FORMATS
#include "attention_types.glsl"
#include "quantize_math.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 64;  // a multiple of 8 (of 32 for block formats)
layout(constant_id = 8) const bool ROPE = false;
layout(constant_id = 9) const bool ROPE_INTERLEAVED = false;
layout(constant_id = 10) const uint ROPE_HALF = 1;
layout(constant_id = 22) const uint K_FORMAT = FORMAT_F32;  // the first destination's
layout(constant_id = 23) const uint V_FORMAT = FORMAT_F32;  // the second's (PAIRED)
layout(constant_id = 24) const bool PAIRED = true;

layout(push_constant) uniform StorePush {
  uint batch, tokens, kv_heads, start, capacity;
  uint k_offset, k_batch, k_seq, k_head;
  uint v_offset, v_batch, v_seq, v_head;
  uint k_out_offset, v_out_offset;  // elements: where each destination starts
  uint position;                    // of the first token (RoPE): start, except in a paged pool
} pc;

Q_BUFFER(0, KNew, k_new);
Q_BUFFER(1, VNew, v_new);
layout(std430, set = 0, binding = 2) buffer KOut { uint v[]; } k_out;
layout(std430, set = 0, binding = 3) buffer VOut { uint v[]; } v_out;
layout(std430, set = 0, binding = 4) readonly buffer Angles { vec2 angles[]; };

#include "rope_rotation.glsl"

bool is_block(uint format) { return format == FORMAT_Q8_0 || format == FORMAT_Q4_0; }
uint unit_size(uint format) { return is_block(format) ? 32u : 8u; }

float source_element(bool values, uint i) {  // any index (packed f16 reads whole words)
  const vec2 pair = values ? Q_LOAD2(v_new, i & ~1u) : Q_LOAD2(k_new, i & ~1u);
  return (i & 1u) == 0u ? pair.x : pair.y;
}

void put_word(bool values, uint w, uint x) {
  if (values) v_out.v[w] = x;
  else k_out.v[w] = x;
}
// The 16 bits at even byte address `at`: the whole word's other half may belong to a
// neighbouring block another invocation writes at the same time.
void put_u16(bool values, uint at, uint x) {
  const uint shift = (at & 2u) * 8u, w = at >> 2u;
  if (values) {
    atomicAnd(v_out.v[w], ~(0xffffu << shift));
    atomicOr(v_out.v[w], x << shift);
  } else {
    atomicAnd(k_out.v[w], ~(0xffffu << shift));
    atomicOr(k_out.v[w], x << shift);
  }
}
// Halves h[0..count) from even byte address `at`: whole words where both halves are ours.
void put_halves(bool values, uint at, uint h[17], uint count) {
  uint i = 0u;
  if ((at & 2u) != 0u) {
    put_u16(values, at, h[0]);
    i = 1u;
  }
  for (; i + 1u < count; i += 2u) put_word(values, (at + 2u * i) >> 2u, h[i] | (h[i + 1u] << 16u));
  if (i < count) put_u16(values, at + 2u * i, h[i]);
}

void store_unit(bool values, uint format, uint first, float x[32]) {
  if (format == FORMAT_F32) {
    for (uint e = 0u; e < 8u; ++e) put_word(values, first + e, floatBitsToUint(x[e]));
    return;
  }
  if (format == FORMAT_F16 || format == FORMAT_BF16) {
    for (uint e = 0u; e < 8u; e += 2u) {
      const uint lo = format == FORMAT_F16 ? f32_to_f16(x[e]) : f32_to_bf16(x[e]);
      const uint hi = format == FORMAT_F16 ? f32_to_f16(x[e + 1u]) : f32_to_bf16(x[e + 1u]);
      put_word(values, (first + e) >> 1u, lo | (hi << 16u));
    }
    return;
  }
  uint h[17];
  if (format == FORMAT_Q8_0) {
    float amax = 0.0;
    for (uint e = 0u; e < 32u; ++e) amax = max(amax, abs(x[e]));
    const float d = div_rn(amax, 127.0);
    const float id = d != 0.0 ? div_rn(1.0, d) : 0.0;
    h[0] = f32_to_f16(d);
    for (uint e = 0u; e < 32u; e += 2u) {
      precise float a = x[e] * id, b = x[e + 1u] * id;
      const uint qa = uint(int(round_half_away(a))) & 0xffu, qb = uint(int(round_half_away(b))) & 0xffu;
      h[1u + e / 2u] = qa | (qb << 8u);
    }
    put_halves(values, (first / 32u) * 34u, h, 17u);
    return;
  }
  // q4_0: the signed value of largest magnitude (the first on ties) maps to -8.
  float amax = 0.0, m = 0.0;
  for (uint e = 0u; e < 32u; ++e)
    if (amax < abs(x[e])) {
      amax = abs(x[e]);
      m = x[e];
    }
  const float d = m * -0.125;  // m / -8, exact
  const float id = d != 0.0 ? div_rn(1.0, d) : 0.0;
  h[0] = f32_to_f16(d);
  for (uint j = 0u; j < 16u; j += 2u) {
    uint nib[4];
    const uint at[4] = uint[4](j, j + 1u, j + 16u, j + 17u);
    for (uint n = 0u; n < 4u; ++n) {
      precise float s = x[at[n]] * id + 8.5;
      nib[n] = uint(min(15, int(s)));
    }
    // bytes j and j + 1: low nibbles values j, j + 1; high nibbles values j + 16, j + 17
    h[1u + j / 2u] = (nib[0] | (nib[2] << 4u)) | ((nib[1] | (nib[3] << 4u)) << 8u);
  }
  put_halves(values, (first / 32u) * 18u, h, 9u);
}

void main() {
  const uint rows = pc.batch * pc.tokens * pc.kv_heads;
  const uint k_units = HEAD_DIM / unit_size(K_FORMAT), v_units = HEAD_DIM / unit_size(V_FORMAT);
  const uint total = rows * k_units + (PAIRED ? rows * v_units : 0u);
  for (uint item = gl_GlobalInvocationID.x; item < total; item += gl_NumWorkGroups.x * gl_WorkGroupSize.x) {
    const bool values = item >= rows * k_units;
    const uint format = values ? V_FORMAT : K_FORMAT;
    const uint units = values ? v_units : k_units, size = unit_size(format);
    const uint local = values ? item - rows * k_units : item;
    const uint u = local % units, row = local / units;
    const uint h = row % pc.kv_heads;
    const uint t = (row / pc.kv_heads) % pc.tokens;
    const uint b = row / (pc.kv_heads * pc.tokens);
    const uint base = values ? pc.v_offset + b * pc.v_batch + t * pc.v_seq + h * pc.v_head
                             : pc.k_offset + b * pc.k_batch + t * pc.k_seq + h * pc.k_head;
    const uint position = pc.position + t;
    float x[32];
    for (uint e = 0u; e < size; ++e) {
      const uint d = u * size + e;
      const float value = source_element(values, base + d);
      x[e] = (!values && ROPE) ? rope_rotate_element(value, source_element(false, base + rope_partner(d, ROPE_HALF, ROPE_INTERLEAVED)),
                                                      d, position, ROPE_HALF, ROPE_INTERLEAVED)
                               : value;
    }
    const uint first = (values ? pc.v_out_offset : pc.k_out_offset) +
                       ((b * pc.capacity + pc.start + t) * pc.kv_heads + h) * HEAD_DIM + u * size;
    store_unit(values, format, first, x);
  }
}
