// Where a token sits, in rope.comp and rope_heads.comp: include after declaring
// POSITION_MODE (ROPE_POS_*, rope_params.glsl), `int positions[]` and the push constants.
#ifndef VKROPE_ROPE_POSITIONS_GLSL
#define VKROPE_ROPE_POSITIONS_GLSL

// The position pair `pair` of token (b, s) rotates by; token = b * seq + s. Branches, not a
// select: modes that read no positions bind a one-element placeholder.
uint rope_position(uint token, uint s, uint pair) {
  if (POSITION_MODE == ROPE_POS_SHARED) return uint(positions[s]);
  if (POSITION_MODE == ROPE_POS_PER_BATCH) return uint(positions[token]);
  if (POSITION_MODE == ROPE_POS_STREAMS) {
    const uint stream = uint(positions[pair]);
    return uint(positions[pc.half_rot + stream * pc.stream_stride + token]);
  }
  return pc.pos_offset + s;
}

#endif
