// The storage formats of K and V (and of the KV cache) as kernels built with KV_FORMATS see
// them: every buffer is an array of 32-bit words, and the format of k and of v are
// specialization constants, so one build serves every pair of formats and the driver folds
// the other formats' branches away at pipeline creation. The values match
// detail::format_code() on the host.
//   f32: one word per element; f16, bf16: two elements per word, element i in the low half
//   when i is even; q8_0: 34-byte blocks of 32 (f16 d, then int8 q[32]); q4_0: 18-byte
//   blocks of 32 (f16 d, then 16 bytes: q[j] + 8 in the low nibble of byte j, q[j + 16] + 8
//   in the high one). A value is q * d in float32, as ggml's dequantizers compute it.
// Blocks are 2-byte aligned, never 4: a block format's 16-bit fields are read from their
// word by byte address (always even).
#ifndef VKROPE_KV_FORMATS_GLSL
#define VKROPE_KV_FORMATS_GLSL

const uint FORMAT_F32 = 0u;
const uint FORMAT_F16 = 1u;
const uint FORMAT_BF16 = 2u;
const uint FORMAT_Q8_0 = 3u;
const uint FORMAT_Q4_0 = 4u;

// Word w of k or v: a storage buffer's uint v[], or (KV_TEXEL) a uniform texel buffer of
// R32_UINT, which lavapipe reads with vector gathers where a storage load is a loop over
// its lanes.
#ifdef KV_TEXEL
#define KV_WORD(buf, w) texelFetch(buf, int(w)).x
#else
#define KV_WORD(buf, w) buf.v[w]
#endif

// The 16 bits at an even byte address of k or v.
#define WORDS_U16(buf, byte) ((KV_WORD(buf, (byte) >> 2u) >> (((byte) & 2u) * 8u)) & 0xffffu)

#endif
