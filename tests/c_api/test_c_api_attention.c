/* The C API test: attention against the double reference with every AttentionConfig
 * option, and the KV cache (contiguous, paged, ring). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vkrope/vkrope.h>

#include "check.h"
#include "helpers.h"
#include "reference.h"

/* ---- Attention ------------------------------------------------------------------------- */

typedef struct attention_case {
  const char* name;
  int64_t batch, sq, skv, heads, kv_heads, head_dim;
  vkrope_attention_config config; /* positions, sinks and rope filled by the case */
  const ref_rope* rope;
  int naive; /* also through vkrope_attention_naive */
  int in_batch;
  const int64_t* mrope_section; /* with rope: M-RoPE's [t, h, w], or NULL */
} attention_case;

static void attention_run(vkrope_context* ctx, const attention_case* c, const double* slopes) {
  const int64_t qshape[4] = {c->batch, c->sq, c->heads, c->head_dim};
  const int64_t kshape[4] = {c->batch, c->skv, c->kv_heads, c->head_dim};
  const size_t nq = (size_t)(c->batch * c->sq * c->heads * c->head_dim);
  const size_t nk = (size_t)(c->batch * c->skv * c->kv_heads * c->head_dim);
  float* qv = malloc(nq * sizeof *qv);
  float* kv = malloc(nk * sizeof *kv);
  float* vv = malloc(nk * sizeof *vv);
  double* want = malloc(nq * sizeof *want);
  vkrope_tensor *q, *k, *v, *out;
  vkrope_rope_config* rope = NULL;
  ref_attention r;
  char what[160];
  rng_fill(qv, nq, -1.f, 1.f);
  rng_fill(kv, nk, -1.f, 1.f);
  rng_fill(vv, nk, -1.f, 1.f);
  r.batch = c->batch;
  r.sq = c->sq;
  r.skv = c->skv;
  r.heads = c->heads;
  r.kv_heads = c->kv_heads;
  r.head_dim = c->head_dim;
  r.scale = c->config.has_scale ? c->config.scale : 1.0 / sqrt((double)c->head_dim);
  r.causal = c->config.causal;
  r.window = c->config.window;
  r.softcap = c->config.softcap;
  r.alibi_slopes = c->config.alibi ? slopes : NULL;
  r.sinks = c->config.sinks;
  r.query_positions = c->config.query_positions;
  r.key_positions = c->config.key_positions;
  r.rope = c->rope;
  ref_attention_run(&r, qv, kv, vv, want);

  q = make_tensor(ctx, VKROPE_DTYPE_F32, qshape, 4, qv);
  k = make_tensor(ctx, VKROPE_DTYPE_F32, kshape, 4, kv);
  v = make_tensor(ctx, VKROPE_DTYPE_F32, kshape, 4, vv);
  out = make_tensor(ctx, VKROPE_DTYPE_F32, qshape, 4, NULL);
  {
    vkrope_attention_config config = c->config;
    if (c->rope) {
      vkrope_rope_params p;
      vkrope_rope_params_init(&p);
      p.head_dim = c->rope->head_dim;
      p.theta = c->rope->theta;
      CHECK_OK(vkrope_rope_config_create(&p, &rope));
      if (c->mrope_section) CHECK_OK(vkrope_rope_config_set_mrope_section(rope, c->mrope_section, 3));
      config.rope = rope;
    }
    if (c->in_batch) {
      vkrope_batch* batch = NULL;
      size_t dispatches = 0;
      int32_t ready = 0;
      uint64_t value = 0;
      CHECK_OK(vkrope_batch_create(ctx, NULL, &batch));
      CHECK_OK(vkrope_attention(batch, &config, q, k, v, out));
      CHECK_OK(vkrope_batch_counts(batch, &dispatches, NULL));
      CHECK(dispatches >= 1);
      CHECK_OK(vkrope_batch_submit_async(batch));
      CHECK_OK(vkrope_batch_timeline_value(batch, &value));
      CHECK_OK(vkrope_batch_wait(batch));
      CHECK_OK(vkrope_batch_ready(batch, &ready));
      CHECK(ready == 1);
      vkrope_batch_destroy(batch);
    } else {
      CHECK_OK(vkrope_attention(NULL, &config, q, k, v, out));
    }
    snprintf(what, sizeof what, "attention %s", c->name);
    check_attention_result(what, out, want, nq);
    if (c->naive) {
      CHECK_OK(vkrope_tensor_fill_bytes(out, 0xFF));
      CHECK_OK(vkrope_attention_naive(&config, q, k, v, out));
      snprintf(what, sizeof what, "attention_naive %s", c->name);
      check_attention_result(what, out, want, nq);
    }
  }
  vkrope_rope_config_destroy(rope);
  vkrope_tensor_destroy(q);
  vkrope_tensor_destroy(k);
  vkrope_tensor_destroy(v);
  vkrope_tensor_destroy(out);
  free(qv);
  free(kv);
  free(vv);
  free(want);
}

void test_attention(vkrope_context* ctx) {
  static const float sinks[4] = {0.5f, -1.f, 0.f, 2.f};
  static const int64_t qpos[3] = {10, 3, 7}, kpos[7] = {6, 0, 5, 1, 4, 2, 3};
  static const ref_rope rope = {32, 0, 0, 10000.0, 1.0};
  static const int64_t section[3] = {4, 6, 6}; /* sums to rotary_dim / 2 = 16 */
  static const int64_t mrope_q[6] = {3, 4, 3, 4, 3, 4}; /* [streams, Sq]: Skv - Sq + i */
  static const int64_t mrope_k[15] = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4};
  double slopes[4], want_slopes[4];
  int h;
  attention_case c;
  /* ALiBi slopes of 4 heads: 2^(-8 (h + 1) / 4). */
  CHECK_OK(vkrope_alibi_slopes(4, slopes, 4));
  for (h = 0; h < 4; ++h) {
    want_slopes[h] = pow(2.0, -2.0 * (h + 1));
    CHECK(fabs(slopes[h] - want_slopes[h]) < 1e-15);
  }

  memset(&c, 0, sizeof c);
  c.name = "causal gqa";
  c.batch = 1, c.sq = 5, c.skv = 7, c.heads = 4, c.kv_heads = 2, c.head_dim = 32;
  vkrope_attention_config_init(&c.config);
  c.config.causal = 1;
  c.naive = 1;
  attention_run(ctx, &c, want_slopes);

  c.name = "causal window softcap alibi sinks scale, in a batch";
  c.config.window = 3;
  c.config.softcap = 2.0;
  c.config.alibi = 1;
  c.config.sinks = sinks;
  c.config.sink_count = 4;
  c.config.has_scale = 1;
  c.config.scale = 0.3;
  c.naive = 0;
  c.in_batch = 1;
  attention_run(ctx, &c, want_slopes);

  c.name = "explicit positions, one pass";
  c.sq = 3;
  c.in_batch = 0;
  vkrope_attention_config_init(&c.config);
  c.config.causal = 1;
  c.config.query_positions = qpos;
  c.config.query_position_count = 3;
  c.config.key_positions = kpos;
  c.config.key_position_count = 7;
  c.config.key_splits = 1;
  c.naive = 1;
  attention_run(ctx, &c, want_slopes);

  c.name = "fused rope, batch 2, split keys";
  c.batch = 2, c.sq = 2, c.skv = 9, c.heads = 2, c.kv_heads = 1;
  vkrope_attention_config_init(&c.config);
  c.config.key_splits = 2;
  c.rope = &rope;
  c.naive = 0;
  attention_run(ctx, &c, want_slopes);

  /* M-RoPE with every stream at the token's own position rotates as text RoPE does, so the
   * text reference applies; the rope positions still go through their own path (rope()
   * into temporaries, then attention). */
  c.name = "fused M-RoPE, explicit rope positions";
  c.batch = 1, c.sq = 2, c.skv = 5;
  vkrope_attention_config_init(&c.config);
  c.config.query_rope_positions = mrope_q;
  c.config.query_rope_position_count = 6;
  c.config.key_rope_positions = mrope_k;
  c.config.key_rope_position_count = 15;
  c.mrope_section = section;
  attention_run(ctx, &c, want_slopes);
}

/* ---- KV cache ---------------------------------------------------------------------------- */

void test_kv_cache(vkrope_context* ctx) {
  enum { D = 32, HKV = 2, H = 4, T = 5 };
  const ref_rope ref = {D, 0, 0, 10000.0, 1.0};
  vkrope_rope_params p;
  vkrope_rope_config* rope = NULL;
  vkrope_kv_cache_shape shape;
  vkrope_kv_cache* cache = NULL;
  vkrope_batch* batch = NULL;
  float kv[(T + 1) * HKV * D], vv[(T + 1) * HKV * D], qv[H * D], stored[(T + 1) * HKV * D];
  double keys[(T + 1) * HKV * D], want[H * D];
  const int64_t prefill_shape[4] = {1, T, HKV, D}, step_shape[4] = {1, 1, HKV, D}, qshape[4] = {1, 1, H, D};
  vkrope_tensor *k0, *v0, *k1, *v1, *q, *out, *stored_keys = NULL, *stored_values = NULL;
  int64_t length = -1, bytes_per_token = 0, slots = 0, bytes_per_layer = 0;
  ref_attention r;
  size_t i;

  vkrope_rope_params_init(&p);
  p.head_dim = D;
  CHECK_OK_OR_RETURN(vkrope_rope_config_create(&p, &rope));
  vkrope_kv_cache_shape_init(&shape);
  CHECK(shape.layers == 1 && shape.batch == 1 && shape.dtype == VKROPE_DTYPE_F16 && shape.evict == 1);
  shape.layers = 2;
  shape.capacity = 16;
  shape.kv_heads = HKV;
  shape.head_dim = D;
  shape.dtype = VKROPE_DTYPE_F32;
  CHECK_OK_OR_RETURN(vkrope_kv_cache_create(ctx, &shape, rope, &cache));
  CHECK_OK(vkrope_kv_cache_sizes(cache, &bytes_per_token, &slots, &bytes_per_layer));
  CHECK(bytes_per_token == 2 * HKV * D * 4 && slots == 16 && bytes_per_layer == 16 * bytes_per_token);

  rng_fill(kv, sizeof kv / sizeof kv[0], -1.f, 1.f);
  rng_fill(vv, sizeof vv / sizeof vv[0], -1.f, 1.f);
  rng_fill(qv, sizeof qv / sizeof qv[0], -1.f, 1.f);
  k0 = make_tensor(ctx, VKROPE_DTYPE_F32, prefill_shape, 4, kv);
  v0 = make_tensor(ctx, VKROPE_DTYPE_F32, prefill_shape, 4, vv);
  k1 = make_tensor(ctx, VKROPE_DTYPE_F32, step_shape, 4, kv + T * HKV * D);
  v1 = make_tensor(ctx, VKROPE_DTYPE_F32, step_shape, 4, vv + T * HKV * D);
  q = make_tensor(ctx, VKROPE_DTYPE_F32, qshape, 4, qv);
  out = make_tensor(ctx, VKROPE_DTYPE_F32, qshape, 4, NULL);

  /* Prefill by itself, then a decode step recorded into one batch: append, attend. */
  CHECK_OK(vkrope_kv_cache_append(NULL, cache, 1, k0, v0));
  CHECK_OK(vkrope_batch_create(ctx, NULL, &batch));
  CHECK_OK(vkrope_kv_cache_append(batch, cache, 1, k1, v1));
  CHECK_OK(vkrope_kv_cache_attend(batch, cache, 1, NULL, q, out));
  CHECK_OK(vkrope_batch_submit(batch));
  CHECK_OK(vkrope_kv_cache_length(cache, 1, -1, &length));
  CHECK(length == T + 1);
  CHECK_OK(vkrope_kv_cache_length(cache, 0, 0, &length));
  CHECK(length == 0);

  /* Stored keys are rotated at positions 0..T; the query sits at T. */
  for (i = 0; i < sizeof keys / sizeof keys[0]; ++i) keys[i] = kv[i];
  ref_rope_apply(&ref, keys, 1, T + 1, HKV, NULL, 0, 0);
  CHECK_OK(vkrope_kv_cache_keys(cache, 1, &stored_keys));
  CHECK_OK(vkrope_kv_cache_values(cache, 1, &stored_values));
  check_rope_result("kv cache stored keys", stored_keys, keys, sizeof keys / sizeof keys[0], ROPE_F32_TOLERANCE);
  CHECK_OK(vkrope_tensor_download(stored_values, stored, sizeof stored / sizeof stored[0]));
  CHECK(memcmp(stored, vv, sizeof vv) == 0);
  memset(&r, 0, sizeof r);
  r.batch = 1, r.sq = 1, r.skv = T + 1, r.heads = H, r.kv_heads = HKV, r.head_dim = D;
  r.scale = 1.0 / sqrt((double)D);
  r.rope = &ref;
  ref_attention_run(&r, qv, kv, vv, want);
  check_attention_result("kv cache decode step", out, want, H * D);

  /* The same query at an explicit position (attend_at) gives the same output. */
  {
    const int64_t position = T;
    float a[H * D], b[H * D];
    CHECK_OK(vkrope_tensor_download(out, a, H * D));
    CHECK_OK(vkrope_kv_cache_attend_at(NULL, cache, 1, NULL, q, out, &position, 1, 0));
    CHECK_OK(vkrope_tensor_download(out, b, H * D));
    for (i = 0; i < H * D; ++i) CHECK(fabsf(a[i] - b[i]) <= 1e-5f); /* rope() then attend vs fused: f32 rounding */
  }
  CHECK_OK(vkrope_kv_cache_reset(cache));
  CHECK_OK(vkrope_kv_cache_length(cache, 1, -1, &length));
  CHECK(length == 0);
  CHECK_OK(vkrope_kv_cache_append_at(NULL, cache, 0, k0, v0, NULL, 0, 0));
  CHECK_OK(vkrope_kv_cache_length(cache, 0, -1, &length));
  CHECK(length == T);

  vkrope_tensor_destroy(stored_keys);
  vkrope_tensor_destroy(stored_values);
  vkrope_kv_cache_destroy(cache);

  /* A paged cache of two sequences: append_sequence, fork, release, free_pages. */
  vkrope_kv_cache_shape_init(&shape);
  shape.batch = 2;
  shape.capacity = 16;
  shape.kv_heads = HKV;
  shape.head_dim = D;
  shape.page_size = 4;
  shape.pages = 8;
  shape.has_value_dtype = 1;
  shape.value_dtype = VKROPE_DTYPE_F32;
  cache = NULL;
  CHECK_OK(vkrope_kv_cache_create(ctx, &shape, NULL, &cache));
  if (cache) {
    int64_t free_pages = -1;
    CHECK_OK(vkrope_kv_cache_append_sequence(NULL, cache, 0, 0, k0, v0));
    CHECK_OK(vkrope_kv_cache_free_pages(cache, 0, &free_pages));
    CHECK(free_pages == 6); /* 5 tokens in pages of 4 */
    CHECK_OK(vkrope_kv_cache_fork(cache, 0, 1));
    CHECK_OK(vkrope_kv_cache_length(cache, 0, 1, &length));
    CHECK(length == T);
    CHECK_OK(vkrope_kv_cache_append_sequence(batch, cache, 0, 1, k1, v1));
    CHECK_OK(vkrope_batch_submit(batch));
    CHECK_OK(vkrope_kv_cache_length(cache, 0, 1, &length));
    CHECK(length == T + 1);
    CHECK_OK(vkrope_kv_cache_release(cache, 1));
    CHECK_OK(vkrope_kv_cache_free_pages(cache, 0, &free_pages));
    CHECK(free_pages == 6); /* the copied page went back */
    vkrope_kv_cache_destroy(cache);
  }

  /* A ring of 4 slots (+1 sink) that evicts. */
  vkrope_kv_cache_shape_init(&shape);
  shape.capacity = 64;
  shape.kv_heads = HKV;
  shape.head_dim = D;
  shape.window = 4;
  shape.sink_tokens = 1;
  shape.cache_positions = 1;
  cache = NULL;
  CHECK_OK(vkrope_kv_cache_create(ctx, &shape, rope, &cache));
  if (cache) {
    CHECK_OK(vkrope_kv_cache_sizes(cache, NULL, &slots, NULL));
    CHECK(slots == 5);
    CHECK_OK(vkrope_kv_cache_append(NULL, cache, 0, k0, v0));
    CHECK_OK(vkrope_kv_cache_append(NULL, cache, 0, k1, v1));
    CHECK_OK(vkrope_kv_cache_attend(NULL, cache, 0, NULL, q, out));
    vkrope_kv_cache_destroy(cache);
  }
  vkrope_batch_destroy(batch);
  vkrope_tensor_destroy(k0);
  vkrope_tensor_destroy(v0);
  vkrope_tensor_destroy(k1);
  vkrope_tensor_destroy(v1);
  vkrope_tensor_destroy(q);
  vkrope_tensor_destroy(out);
  vkrope_rope_config_destroy(rope);
}

