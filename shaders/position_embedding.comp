#version 450
// position_embedding.comp: absolute position embeddings added to token vectors.
//
//   out[b, s, e] = x[b, s, e] * x_scale + PE(p, e),   p = the position of token (b, s)
//
// Builds: x and out in STORAGE_F32, STORAGE_F16 (native 16-bit storage) or
// STORAGE_F16_PACKED (two halves per 32-bit word); then either no table define (sinusoidal)
// or PE_TABLE_F32 / PE_TABLE_F16 / PE_TABLE_F16_PACKED (learned, the table's storage).
// Packed builds need d even and every offset and stride even (the host picks them only
// then); an f16 tensor on other views takes the native builds.
//
// Bindings (set 0):
//   0 x   [batch, seq, d]   1 out (may be the same buffer as x: in place)
//   2 int positions[seq] or [batch * seq] (POSITION_MODE); unused for PE_POS_OFFSET
//   3 sinusoidal: vec2 angles[1024 * d / 2], RoPE's exact-angle tables (rope_rotation.glsl)
//     for the frequencies w_i = base^(-2i/d) with attention factor 1;
//     learned: table [max_positions, d] (row stride table_row)
// Push constants: PePush below, mirrored by src/ops/position_embedding.cpp.
//
// Sinusoidal: PE(p, 2i) = sin(p w_i), PE(p, 2i + 1) = cos(p w_i). rope_rotation() gives
// (cos, sin)(p w_i) from three digit tables computed in double on the host, so the angle is
// exact at every position up to 2^24 (float32 p * w_i is not: ~4e-2 off at 2^20).
// Learned: PE(p, e) = table[min(p, last_row), e]; the host refuses p > last_row unless the
// call clamps, so the min only acts when it does.
//
// Work: invocation (token, j) writes elements 2j and 2j + 1 of its token (only 2j for the
// last pair of an odd d, learned native builds), reading each x element once before writing
// it, so in place is safe without `restrict`.
// Specialization: constant 0 = workgroup size; 1 = position mode (PE_POS_*); 2 = odd d.
#extension GL_GOOGLE_include_directive : require
#if defined(PE_TABLE_F16)
#define VKROPE_NATIVE_F16
#endif
#include "workgroup.glsl"
#include "storage.glsl"

#define PE_POS_OFFSET 0u     // position = pos_offset + s
#define PE_POS_SHARED 1u     // positions[s]
#define PE_POS_PER_BATCH 2u  // positions[b * seq + s]

layout(constant_id = 1) const uint POSITION_MODE = PE_POS_OFFSET;
layout(constant_id = 2) const bool ODD_DIM = false;

// Offsets and strides in elements.
layout(push_constant) uniform PePush {
  uint batch;
  uint seq;
  uint dim;        // d
  uint pairs;      // (d + 1) / 2: invocations per token
  uint pos_offset;
  uint last_row;   // learned: max_positions - 1
  float x_scale;
  uint x_offset, x_batch, x_seq;
  uint out_offset, out_batch, out_seq;
  uint table_offset, table_row;
} pc;

TENSOR_BUFFER(0, XIn, x_in);
TENSOR_BUFFER(1, XOut, x_out);
layout(std430, set = 0, binding = 2) readonly buffer Positions { int positions[]; };

#if defined(PE_TABLE_F32)
TENSOR_BUFFER_F32(3, Table, table);
#define LOAD2_TABLE LOAD2_F32
#define LOAD1_TABLE LOAD1_F32
#elif defined(PE_TABLE_F16)
TENSOR_BUFFER_F16(3, Table, table);
#define LOAD2_TABLE LOAD2_F16
#define LOAD1_TABLE LOAD1_F16
#elif defined(PE_TABLE_F16_PACKED)
TENSOR_BUFFER_F16P(3, Table, table);
#define LOAD2_TABLE LOAD2_F16P
#else
#define PE_SINUSOIDAL
layout(std430, set = 0, binding = 3) readonly buffer Angles { vec2 angles[]; };
#include "rope_rotation.glsl"
#endif

uint token_position(uint token, uint s) {
  uint position = pc.pos_offset + s;
  if (POSITION_MODE == PE_POS_SHARED) position = uint(positions[s]);
  if (POSITION_MODE == PE_POS_PER_BATCH) position = uint(positions[token]);
  return position;
}

void main() {
  const uint total = pc.batch * pc.seq * pc.pairs;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint g = gl_GlobalInvocationID.x; g < total; g += stride) {
    const uint token = g / pc.pairs;
    const uint j = g - token * pc.pairs;
    const uint b = token / pc.seq;
    const uint s = token - b * pc.seq;
    const uint position = token_position(token, s);
    const uint in_e = pc.x_offset + b * pc.x_batch + s * pc.x_seq + 2u * j;
    const uint out_e = pc.out_offset + b * pc.out_batch + s * pc.out_seq + 2u * j;
#ifdef PE_SINUSOIDAL
    // (cos, sin) of p * w_j; the pair is (sin, cos).
    const vec2 cs = rope_rotation(position, j, pc.pairs);
    STORE2(x_out, out_e, LOAD2(x_in, in_e) * pc.x_scale + cs.yx);
#else
    const uint t_e = pc.table_offset + min(position, pc.last_row) * pc.table_row + 2u * j;
#if !defined(STORAGE_F16_PACKED) && !defined(PE_TABLE_F16_PACKED)
    // An odd d leaves the last pair of each token with one element.
    if (ODD_DIM && 2u * j + 1u == pc.dim) {
      STORE1(x_out, out_e, LOAD1(x_in, in_e) * pc.x_scale + LOAD1_TABLE(table, t_e));
      continue;
    }
#endif
    STORE2(x_out, out_e, LOAD2(x_in, in_e) * pc.x_scale + LOAD2_TABLE(table, t_e));
#endif
  }
}
