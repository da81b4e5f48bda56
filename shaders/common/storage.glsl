// Storage types for tensor buffers. A kernel with one storage type defines one of
// STORAGE_F32, STORAGE_F16 (native 16-bit storage, needs storageBuffer16BitAccess) or
// STORAGE_F16_PACKED (two halves per uint, works everywhere) and uses the untyped macros;
// a kernel mixing types uses the typed ones. Arithmetic is always float32.
//
//   TENSOR_BUFFER(binding, Block, name)  declares `name` with an array member `v`
//   LOAD1(buf, i) / STORE1(buf, i, f)    one element (not for STORAGE_F16_PACKED)
//   LOAD2(buf, i) / STORE2(buf, i, v2)   elements i and i + 1; i must be even when packed
#ifndef VKROPE_STORAGE_GLSL
#define VKROPE_STORAGE_GLSL

// Typed forms, for kernels whose buffers differ in type (attention's f32 q over f16 k/v):
// TENSOR_BUFFER_F32 / _F16P (and _F16 with VKROPE_NATIVE_F16), LOAD2_F32 / _F16P, ...
#define TENSOR_BUFFER_F32(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { float v[]; } name
#define LOAD1_F32(buf, i) buf.v[i]
#define STORE1_F32(buf, i, f) buf.v[i] = (f)
#define LOAD2_F32(buf, i) vec2(buf.v[i], buf.v[(i) + 1u])
#define STORE2_F32(buf, i, value) { const vec2 s2_ = (value); buf.v[i] = s2_.x; buf.v[(i) + 1u] = s2_.y; }

// Element i lives in word i / 2 (low half when i is even). Only whole words are written,
// so two invocations never share a word.
#define TENSOR_BUFFER_F16P(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { uint v[]; } name
#define LOAD2_F16P(buf, i) unpackHalf2x16(buf.v[(i) >> 1u])
#define STORE2_F16P(buf, i, value) buf.v[(i) >> 1u] = packHalf2x16(value)

#if defined(STORAGE_F16) || defined(VKROPE_NATIVE_F16)
#extension GL_EXT_shader_16bit_storage : require
#define TENSOR_BUFFER_F16(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { float16_t v[]; } name
#define LOAD1_F16(buf, i) float(buf.v[i])
#define STORE1_F16(buf, i, f) buf.v[i] = float16_t(f)
#define LOAD2_F16(buf, i) vec2(float(buf.v[i]), float(buf.v[(i) + 1u]))
#define STORE2_F16(buf, i, value) { const vec2 s2_ = (value); buf.v[i] = float16_t(s2_.x); buf.v[(i) + 1u] = float16_t(s2_.y); }
#endif

// The untyped form: one storage type for the whole kernel.
#if defined(STORAGE_F32)
#define TENSOR_BUFFER TENSOR_BUFFER_F32
#define LOAD1 LOAD1_F32
#define STORE1 STORE1_F32
#define LOAD2 LOAD2_F32
#define STORE2 STORE2_F32

#elif defined(STORAGE_F16)
#define TENSOR_BUFFER TENSOR_BUFFER_F16
#define LOAD1 LOAD1_F16
#define STORE1 STORE1_F16
#define LOAD2 LOAD2_F16
#define STORE2 STORE2_F16

#elif defined(STORAGE_F16_PACKED)
#define TENSOR_BUFFER TENSOR_BUFFER_F16P
#define LOAD2 LOAD2_F16P
#define STORE2 STORE2_F16P

#endif

#endif
