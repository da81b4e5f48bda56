// vec2 KV_LOAD_NAME(uint i): elements i and i + 1 (i even, both in one block) of the word
// buffer KV_LOAD_BUF stored as KV_LOAD_FORMAT (kv_formats.glsl), and KV_LOAD_NAME4 (below).
// Included once per buffer by kv_loads.glsl, with those macros defined; no include guard
// on purpose.
vec2 KV_LOAD_NAME(uint i) {
  if (KV_LOAD_FORMAT == FORMAT_F32) return uintBitsToFloat(uvec2(KV_WORD(KV_LOAD_BUF, i), KV_WORD(KV_LOAD_BUF, i + 1u)));
  if (KV_LOAD_FORMAT == FORMAT_F16) return unpackHalf2x16(KV_WORD(KV_LOAD_BUF, i >> 1u));
  if (KV_LOAD_FORMAT == FORMAT_BF16) {
    const uint w = KV_WORD(KV_LOAD_BUF, i >> 1u);
    return uintBitsToFloat(uvec2(w << 16u, w & 0xffff0000u));
  }
  const uint block = i >> 5u, j = i & 31u;
  if (KV_LOAD_FORMAT == FORMAT_Q8_0) {
    const uint at = block * 34u;
    const float d = unpackHalf2x16(WORDS_U16(KV_LOAD_BUF, at)).x;
    const int q = int(WORDS_U16(KV_LOAD_BUF, at + 2u + j));  // q[j] low byte, q[j + 1] high
    return vec2(float(bitfieldExtract(q, 0, 8)), float(bitfieldExtract(q, 8, 8))) * d;
  }
  // q4_0: values j, j + 1 are nibbles of bytes j % 16 and j % 16 + 1, low for j < 16.
  const uint at = block * 18u;
  const float d = unpackHalf2x16(WORDS_U16(KV_LOAD_BUF, at)).x;
  const uint q = WORDS_U16(KV_LOAD_BUF, at + 2u + (j & 15u)) >> (j < 16u ? 0u : 4u);
  return vec2(float(int(q & 15u) - 8), float(int((q >> 8u) & 15u) - 8)) * d;
}

// vec4 KV_LOAD_NAME4(uint i): elements i .. i + 3 (i even; a multiple of 4 for the block
// formats, so all four sit in one block): a block's scale is read once for the four.
vec4 KV_LOAD_NAME4(uint i) {
  if (KV_LOAD_FORMAT == FORMAT_F32 || KV_LOAD_FORMAT == FORMAT_F16 || KV_LOAD_FORMAT == FORMAT_BF16)
    return vec4(KV_LOAD_NAME(i), KV_LOAD_NAME(i + 2u));
  const uint block = i >> 5u, j = i & 31u;
  const bool q8 = KV_LOAD_FORMAT == FORMAT_Q8_0;
  const uint at = block * (q8 ? 34u : 18u);
  const float d = unpackHalf2x16(WORDS_U16(KV_LOAD_BUF, at)).x;
  // The four bytes from byte address b (even): one word, or the halves of two.
  const uint b = at + 2u + (q8 ? j : (j & 15u));
  const uint w = b >> 2u;
  const uint bytes = (b & 2u) == 0u ? KV_WORD(KV_LOAD_BUF, w)
                                    : (KV_WORD(KV_LOAD_BUF, w) >> 16u) | (KV_WORD(KV_LOAD_BUF, w + 1u) << 16u);
  if (q8) {
    const int q = int(bytes);
    return vec4(float(bitfieldExtract(q, 0, 8)), float(bitfieldExtract(q, 8, 8)), float(bitfieldExtract(q, 16, 8)),
                float(bitfieldExtract(q, 24, 8))) * d;
  }
  const uint n = (bytes >> (j < 16u ? 0u : 4u)) & 0x0f0f0f0fu;  // the four nibbles, one per byte
  return (vec4(float(n & 15u), float((n >> 8u) & 15u), float((n >> 16u) & 15u), float(n >> 24u)) - 8.0) * d;
}
