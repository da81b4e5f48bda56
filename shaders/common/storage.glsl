// Storage types for tensor buffers. Exactly one of STORAGE_F32, STORAGE_F16 (native 16-bit
// storage, needs storageBuffer16BitAccess) or STORAGE_F16_PACKED (two halves per uint, works
// everywhere) is defined by the build. Arithmetic is always float32.
//
//   TENSOR_BUFFER(binding, Block, name)  declares `name` with an array member `v`
//   LOAD1(buf, i) / STORE1(buf, i, f)    one element (not for STORAGE_F16_PACKED)
//   LOAD2(buf, i) / STORE2(buf, i, v2)   elements i and i + 1; i must be even when packed
#ifndef VKROPE_STORAGE_GLSL
#define VKROPE_STORAGE_GLSL

#if defined(STORAGE_F32)
#define TENSOR_BUFFER(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { float v[]; } name
#define LOAD1(buf, i) buf.v[i]
#define STORE1(buf, i, f) buf.v[i] = (f)
#define LOAD2(buf, i) vec2(buf.v[i], buf.v[(i) + 1u])
#define STORE2(buf, i, value) { const vec2 s2_ = (value); buf.v[i] = s2_.x; buf.v[(i) + 1u] = s2_.y; }

#elif defined(STORAGE_F16)
#extension GL_EXT_shader_16bit_storage : require
#define TENSOR_BUFFER(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { float16_t v[]; } name
#define LOAD1(buf, i) float(buf.v[i])
#define STORE1(buf, i, f) buf.v[i] = float16_t(f)
#define LOAD2(buf, i) vec2(float(buf.v[i]), float(buf.v[(i) + 1u]))
#define STORE2(buf, i, value) { const vec2 s2_ = (value); buf.v[i] = float16_t(s2_.x); buf.v[(i) + 1u] = float16_t(s2_.y); }

#elif defined(STORAGE_F16_PACKED)
// Element i lives in word i / 2 (low half when i is even). Only whole words are written,
// so two invocations never share a word.
#define TENSOR_BUFFER(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { uint v[]; } name
#define LOAD2(buf, i) unpackHalf2x16(buf.v[(i) >> 1u])
#define STORE2(buf, i, value) buf.v[(i) >> 1u] = packHalf2x16(value)

#else
#error "define one of STORAGE_F32, STORAGE_F16, STORAGE_F16_PACKED"
#endif

#endif
