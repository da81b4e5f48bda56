// Positions and q reads shared by the flash kernels. The including shader declares
// EXPLICIT_POSITIONS, `int positions[]` (queries then keys) and the q buffer `q_buf`
// (attention_types.glsl), and includes attention_params.glsl.
#ifndef VKROPE_ATTENTION_POSITIONS_GLSL
#define VKROPE_ATTENTION_POSITIONS_GLSL

// Query i at Skv - Sq + i and key j at j (bottom-right aligned), unless given explicitly.
int query_position(uint i) { return EXPLICIT_POSITIONS ? positions[i] : int(pc.skv) - int(pc.sq) + int(i); }
int key_position(uint j) { return EXPLICIT_POSITIONS ? positions[pc.sq + j] : int(j); }

// Element i of q, any index (packed f16 reads whole words).
float q_element(uint i) {
  const vec2 pair = Q_LOAD2(q_buf, i & ~1u);
  return (i & 1u) == 0u ? pair.x : pair.y;
}

#endif
