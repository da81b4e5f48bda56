// Storage types of the attention kernels: Q_F32 or Q_F16 (q and the output), and KV_F32 or
// KV_F16 (k and v), or KV_FORMATS (k and v each in any format of kv_formats.glsl, chosen by
// specialization constants; the kernel includes kv_loads.glsl after declaring k_buf and
// v_buf). f16 is always two halves per 32-bit word: the host requires even offsets and
// strides for f16 views (head_dim is a multiple of 8).
#ifndef VKROPE_ATTENTION_TYPES_GLSL
#define VKROPE_ATTENTION_TYPES_GLSL

#include "storage.glsl"

#if defined(Q_F32)
#define Q_BUFFER TENSOR_BUFFER_F32
#define Q_LOAD2 LOAD2_F32
#define Q_STORE2 STORE2_F32
#elif defined(Q_F16)
#define Q_BUFFER TENSOR_BUFFER_F16P
#define Q_LOAD2 LOAD2_F16P
#define Q_STORE2 STORE2_F16P
#else
#error "define Q_F32 or Q_F16"
#endif

#if defined(KV_F32)
#define KV_BUFFER TENSOR_BUFFER_F32
#define KV_LOAD2 LOAD2_F32
#define KV_STORE2 STORE2_F32
#elif defined(KV_F16)
#define KV_BUFFER TENSOR_BUFFER_F16P
#define KV_LOAD2 LOAD2_F16P
#define KV_STORE2 STORE2_F16P
#elif defined(KV_FORMATS)
#include "kv_formats.glsl"
#define KV_BUFFER(b, Block, name) layout(std430, set = 0, binding = b) buffer Block { uint v[]; } name
#define KV_LOAD2(buf, i) buf##_load2(i)
#define KV_FORMATS_LOAD4(buf, i) buf##_load4(i)
#else
#error "define KV_F32, KV_F16 or KV_FORMATS"
#endif

#define NEG_INF uintBitsToFloat(0xff800000u)

#endif
