/* Double-precision references of RoPE and attention for the C test, written from the
 * equations in vkrope/rope.hpp and vkrope/attention.hpp (not from vkrope's own reference,
 * so a shared misreading cannot hide), plus the seeded generator of the test's inputs. */
#ifndef VKROPE_TEST_C_API_REFERENCE_H
#define VKROPE_TEST_C_API_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64: tiny, seedable, and the same sequence on every platform. */
void rng_seed(uint64_t seed);
/* Uniform in [lo, hi). */
float rng_uniform(float lo, float hi);
void rng_fill(float* values, size_t count, float lo, float hi);

/* RoPE of x [batch, seq, heads, head_dim] (contiguous) in place. Pair i of rotary_dim / 2
 * has inv_freq theta^(-2i / rotary_dim) / linear_factor; neox pairs (i, i + rotary_dim / 2),
 * interleaved (2i, 2i + 1). positions: [seq] shared by the batch, or NULL for offset + s. */
typedef struct ref_rope {
  int64_t head_dim, rotary_dim;
  int interleaved;
  double theta;
  double linear_factor; /* 1: default RoPE */
} ref_rope;

void ref_rope_apply(const ref_rope* r, double* x, int64_t batch, int64_t seq, int64_t heads, const int64_t* positions,
                    int64_t offset, int inverse);

/* Attention as attention.hpp defines it. q [B, Sq, H, D], k and v [B, Skv, Hkv, D], out like q.
 * query_positions / key_positions NULL: bottom-right aligned. window 0: none; softcap 0:
 * none; sinks NULL: none; alibi_slopes NULL: none. rope non-NULL: q and k rotated at their
 * positions first (fused RoPE). */
typedef struct ref_attention {
  int64_t batch, sq, skv, heads, kv_heads, head_dim;
  double scale;
  int causal;
  int64_t window;
  double softcap;
  const double* alibi_slopes;
  const float* sinks;
  const int64_t* query_positions;
  const int64_t* key_positions;
  const ref_rope* rope;
} ref_attention;

void ref_attention_run(const ref_attention* a, const float* q, const float* k, const float* v, double* out);

/* Largest |got - want| and the relative L2 error ||got - want|| / ||want||. */
typedef struct ref_error {
  double max_abs, rel_l2;
} ref_error;

ref_error ref_compare(const float* got, const double* want, size_t count);
double ref_max_abs(const double* values, size_t count);

#endif
