// Include after declaring k_buf and v_buf. In a KV_FORMATS build (attention_types.glsl)
// it defines k_buf_load2 / v_buf_load2 and k_buf_load4 / v_buf_load4, which KV_LOAD2(k_buf,
// i) and KV_FORMATS_LOAD4(k_buf, i) (v_buf likewise) call, reading k and v in the formats K_FORMAT and V_FORMAT (kv_formats.glsl); in an
// f32 / f16 build it is empty.
#ifndef VKROPE_KV_LOADS_GLSL
#define VKROPE_KV_LOADS_GLSL
#ifdef KV_FORMATS

#ifdef KV_FIXED_FORMAT
// One format for k and v fixed at build time (flash_rows_*_kvq8_0 ...): SwiftShader keeps
// specialization constants as runtime values, so the other formats' branches would run too
// (a q8_0 decode step 408 ms with them, 146-178 ms fixed: README, Performance).
const uint K_FORMAT = KV_FIXED_FORMAT;
const uint V_FORMAT = KV_FIXED_FORMAT;
#else
layout(constant_id = 22) const uint K_FORMAT = FORMAT_F32;
layout(constant_id = 23) const uint V_FORMAT = FORMAT_F32;
#endif

#define KV_LOAD_BUF k_buf
#define KV_LOAD_FORMAT K_FORMAT
#define KV_LOAD_NAME k_buf_load2
#define KV_LOAD_NAME4 k_buf_load4
#include "kv_load2.glsl"
#undef KV_LOAD_BUF
#undef KV_LOAD_FORMAT
#undef KV_LOAD_NAME
#undef KV_LOAD_NAME4

#define KV_LOAD_BUF v_buf
#define KV_LOAD_FORMAT V_FORMAT
#define KV_LOAD_NAME v_buf_load2
#define KV_LOAD_NAME4 v_buf_load4
#include "kv_load2.glsl"
#undef KV_LOAD_BUF
#undef KV_LOAD_FORMAT
#undef KV_LOAD_NAME
#undef KV_LOAD_NAME4

#endif
#endif
