// Positions and q reads shared by the flash kernels. The including shader declares
// EXPLICIT_POSITIONS, `int positions[]` (queries then keys; RAGGED: see below) and the q
// buffer `q_buf` (attention_types.glsl), and includes attention_params.glsl.
#ifndef VKROPE_ATTENTION_POSITIONS_GLSL
#define VKROPE_ATTENTION_POSITIONS_GLSL

// RAGGED: a batch of sequences at different lengths (KvCache's ragged batches). Then
// positions[b] is the position of sequence b's first query (its length - Sq: bottom-right
// aligned per sequence) and positions[batch + b] its key count (its length); the keys past
// it hold nothing of b's and are never read.
layout(constant_id = 25) const bool RAGGED = false;

// Query i of sequence b at Skv - Sq + i and key j at j (bottom-right aligned), unless given
// explicitly or RAGGED.
int query_position(uint b, uint i) {
  if (RAGGED) return positions[b] + int(i);
  return EXPLICIT_POSITIONS ? positions[i] : int(pc.skv) - int(pc.sq) + int(i);
}
int key_position(uint j) { return EXPLICIT_POSITIONS ? positions[pc.sq + j] : int(j); }
// Keys of sequence b: all Skv unless RAGGED.
uint key_count(uint b) { return RAGGED ? uint(positions[pc.batch + b]) : pc.skv; }

// Element i of q, any index (packed f16 reads whole words).
float q_element(uint i) {
  const vec2 pair = Q_LOAD2(q_buf, i & ~1u);
  return (i & 1u) == 0u ? pair.x : pair.y;
}

#endif
