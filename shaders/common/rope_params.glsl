// Push constants of rope.comp, mirrored by RopePush in src/ops/rope.cpp (static_asserts
// there check size and offsets). Offsets and strides are in elements.
#ifndef VKROPE_ROPE_PARAMS_GLSL
#define VKROPE_ROPE_PARAMS_GLSL

// flags (the layout and the tail copy are specialization constants of rope.comp)
#define ROPE_INVERSE 2u  // rotate by -angle

// position modes (specialization constant 2 of rope.comp)
#define ROPE_POS_OFFSET 0u     // position = pos_offset + s
#define ROPE_POS_SHARED 1u     // positions[s]
#define ROPE_POS_PER_BATCH 2u  // positions[b * seq + s]
// Several positions per token (M-RoPE, 2D vision): positions[pair] is the pair's stream
// and positions[half_rot + stream * stream_stride + b * seq + s] the token's position in it.
#define ROPE_POS_STREAMS 3u

layout(push_constant) uniform RopePush {
  uint batch;
  uint seq;
  uint q_heads;
  uint k_heads;      // 0: no k
  uint head_dim;
  uint half_rot;     // rotary_dim / 2: pairs per head
  uint flags;
  uint stream_stride;  // ROPE_POS_STREAMS: batch * seq
  uint pos_offset;
  uint q_in_offset, q_in_batch, q_in_seq, q_in_head;
  uint q_out_offset, q_out_batch, q_out_seq, q_out_head;
  uint k_in_offset, k_in_batch, k_in_seq, k_in_head;
  uint k_out_offset, k_out_batch, k_out_seq, k_out_head;
} pc;

#endif
