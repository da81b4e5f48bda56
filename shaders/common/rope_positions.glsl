// Where a token sits, in rope.comp and rope_heads.comp: include after declaring
// POSITION_MODE (ROPE_POS_*, rope_params.glsl), `int positions[]` and the push constants.
#ifndef VKROPE_ROPE_POSITIONS_GLSL
#define VKROPE_ROPE_POSITIONS_GLSL

#ifdef ROPE_STREAMS
// The *_streams builds (several positions per token: M-RoPE, 2D vision): positions[pair]
// is the pair's stream, positions[half_rot + stream * stream_stride + token] the token's
// position in it (token = b * seq + s). A build of their own, so that the plain builds
// keep their code as it was: SwiftShader folds no specialization constant, and a mode
// test per pair would cost every text RoPE call there.
uint rope_position(uint token, uint s, uint pair) {
  const uint stream = uint(positions[pair]);
  return uint(positions[pc.half_rot + stream * pc.stream_stride + token]);
}
#else
// One position per token: offset + s, or positions[s] / positions[token].
uint rope_position(uint token, uint s, uint pair) {
  uint position = pc.pos_offset + s;
  if (POSITION_MODE == ROPE_POS_SHARED) position = uint(positions[s]);
  if (POSITION_MODE == ROPE_POS_PER_BATCH) position = uint(positions[token]);
  return position;
}
#endif

#endif
