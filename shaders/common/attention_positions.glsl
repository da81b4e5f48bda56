// Positions and q reads shared by the flash kernels. The including shader declares
// EXPLICIT_POSITIONS, `int positions[]` (queries then keys; RAGGED: see below) and the q
// buffer `q_buf` (attention_types.glsl), and includes attention_params.glsl.
#ifndef VKROPE_ATTENTION_POSITIONS_GLSL
#define VKROPE_ATTENTION_POSITIONS_GLSL

// RAGGED: a batch of sequences at different lengths (KvCache's ragged batches). Then
// positions[b] is the position of sequence b's first query (its length - Sq: bottom-right
// aligned per sequence) and positions[batch + b] its key count (its length); the keys past
// it hold nothing of b's and are never read.
#ifdef NO_SEQUENCE_TABLES
// The rows kernel's plain builds (flash_rows_q*_kv{f32,f16,...}): no tables, as constants,
// since SwiftShader folds no specialization constant and would test both per key read;
// ragged and paged calls on CPU drivers take the *_kvany build.
const bool RAGGED = false;
#else
layout(constant_id = 25) const bool RAGGED = false;
#endif

// Query i of sequence b at Skv - Sq + i and key j at j (bottom-right aligned), unless given
// explicitly or RAGGED.
int query_position(uint b, uint i) {
  if (RAGGED) return positions[b] + int(i);
  return EXPLICIT_POSITIONS ? positions[i] : int(pc.skv) - int(pc.sq) + int(i);
}
int key_position(uint j) { return EXPLICIT_POSITIONS ? positions[pc.sq + j] : int(j); }
// Keys of sequence b: all Skv unless RAGGED.
uint key_count(uint b) { return RAGGED ? uint(positions[pc.batch + b]) : pc.skv; }

// KEY_ROWS (with RAGGED: a paged KV cache): key j of sequence b sits at row
// positions[2 * batch + b * Skv + j] of k and v (whose batch strides are then 0), not at
// row j. The sequence is the workgroup's: every flash kernel's grid z is splits x batch.
#ifdef NO_SEQUENCE_TABLES
const bool KEY_ROWS = false;
#else
layout(constant_id = 26) const bool KEY_ROWS = false;
#endif
uint key_row(uint j) {
  if (!KEY_ROWS) return j;
  const uint b = (pc.group_z + gl_WorkGroupID.z) % pc.batch;
  return uint(positions[2u * pc.batch + b * pc.skv + min(j, pc.skv - 1u)]);
}

// Element i of q, any index (packed f16 reads whole words).
float q_element(uint i) {
  const vec2 pair = Q_LOAD2(q_buf, i & ~1u);
  return (i & 1u) == 0u ? pair.x : pair.y;
}

#endif
