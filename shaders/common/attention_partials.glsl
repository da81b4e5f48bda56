// The split-KV partials that flash kernels write (SPLIT) and attention_combine.comp merges:
// partials[p][B][Sq][H][HEAD_DIM + 4], one row per (partial p, b, query, head): the
// unnormalized accumulator acc[HEAD_DIM] first, then the running max m and sum l, then two
// words of padding, so every row (and its accumulator) starts on a 16-byte boundary and is
// read as vec4s (HEAD_DIM is a multiple of 8).
// The including shader declares HEAD_DIM and `float partials[]`, and includes
// attention_params.glsl.
#ifndef VKROPE_ATTENTION_PARTIALS_GLSL
#define VKROPE_ATTENTION_PARTIALS_GLSL

const uint PARTIAL_ROW = HEAD_DIM + 4u;  // floats per partial row

// Where the row of partial p for (b, query qi, head h) starts.
uint partial_row(uint p, uint b, uint qi, uint h) {
  return (((p * pc.batch + b) * pc.sq + qi) * pc.heads + h) * PARTIAL_ROW;
}

#endif
