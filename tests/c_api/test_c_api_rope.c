/* The C API test: RoPE against the double reference (f32 and f16, layouts, partial rotary,
 * linear scaling, GQA, positions, in place and out of place, batched), and every RopeConfig
 * field through params and tables, config.json and GGUF. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vkrope/vkrope.h>

#include "check.h"
#include "helpers.h"
#include "reference.h"

/* ---- RoPE ---------------------------------------------------------------------------- */

/* One RoPE call against the reference: q [B, S, H, D] and k [B, S, Hkv, D] (GQA), explicit
 * positions or an offset, f32 or f16, in place or into outputs, with or without a batch. */
static void rope_case(vkrope_context* ctx, const char* name, const ref_rope* ref, vkrope_dtype dtype, int64_t B,
                      int64_t S, int64_t H, int64_t Hkv, const int64_t* positions, int64_t offset, int out_of_place,
                      vkrope_batch* batch) {
  const int64_t D = ref->head_dim;
  const size_t nq = (size_t)(B * S * H * D), nk = (size_t)(B * S * Hkv * D);
  const int64_t qshape[4] = {B, S, H, D}, kshape[4] = {B, S, Hkv, D};
  float* qv = malloc(nq * sizeof *qv);
  float* kv = malloc(nk * sizeof *kv);
  double *qr, *kr;
  vkrope_rope_params params;
  vkrope_rope_config* config = NULL;
  vkrope_rope_args args;
  vkrope_tensor *q, *k, *q_out = NULL, *k_out = NULL;
  char what[160];
  rng_fill(qv, nq, -1.f, 1.f);
  rng_fill(kv, nk, -1.f, 1.f);
  if (dtype == VKROPE_DTYPE_F16) { /* the reference starts from what the device holds */
    vkrope_tensor* tmp = make_tensor(ctx, dtype, qshape, 4, qv);
    CHECK_OK(vkrope_tensor_download(tmp, qv, nq));
    vkrope_tensor_destroy(tmp);
    tmp = make_tensor(ctx, dtype, kshape, 4, kv);
    CHECK_OK(vkrope_tensor_download(tmp, kv, nk));
    vkrope_tensor_destroy(tmp);
  }
  qr = to_double(qv, nq);
  kr = to_double(kv, nk);
  ref_rope_apply(ref, qr, B, S, H, positions, offset, 0);
  ref_rope_apply(ref, kr, B, S, Hkv, positions, offset, 0);

  vkrope_rope_params_init(&params);
  params.head_dim = D;
  params.rotary_dim = ref->rotary_dim;
  params.layout = ref->interleaved ? VKROPE_ROPE_INTERLEAVED : VKROPE_ROPE_NEOX;
  params.theta = ref->theta;
  if (ref->linear_factor != 1.0) {
    params.scaling_type = VKROPE_ROPE_SCALING_LINEAR;
    params.factor = ref->linear_factor;
  }
  CHECK_OK(vkrope_rope_config_create(&params, &config));
  CHECK_OK(vkrope_rope_config_validate(config));
  q = make_tensor(ctx, dtype, qshape, 4, qv);
  k = make_tensor(ctx, dtype, kshape, 4, kv);
  if (out_of_place) {
    q_out = make_tensor(ctx, dtype, qshape, 4, NULL);
    k_out = make_tensor(ctx, dtype, kshape, 4, NULL);
  }
  vkrope_rope_args_init(&args);
  args.q = q;
  args.k = k;
  args.q_out = q_out;
  args.k_out = k_out;
  args.positions = positions;
  args.position_count = positions ? (size_t)S : 0;
  args.position_offset = offset;
  CHECK_OK(vkrope_rope(batch, config, &args));
  if (batch) CHECK_OK(vkrope_batch_submit(batch));
  snprintf(what, sizeof what, "rope %s (q)", name);
  check_rope_result(what, out_of_place ? q_out : q, qr, nq,
                    dtype == VKROPE_DTYPE_F32 ? ROPE_F32_TOLERANCE : ROPE_F16_TOLERANCE);
  snprintf(what, sizeof what, "rope %s (k)", name);
  check_rope_result(what, out_of_place ? k_out : k, kr, nk,
                    dtype == VKROPE_DTYPE_F32 ? ROPE_F32_TOLERANCE : ROPE_F16_TOLERANCE);

  /* The inverse rotation undoes it: back to the inputs. */
  if (!out_of_place && dtype == VKROPE_DTYPE_F32) {
    double* q0 = to_double(qv, nq);
    args.k = NULL;
    args.inverse = 1;
    CHECK_OK(vkrope_rope(NULL, config, &args));
    snprintf(what, sizeof what, "rope %s inverse", name);
    check_rope_result(what, q, q0, nq, 2 * ROPE_F32_TOLERANCE); /* two rotations' rounding */
    free(q0);
  }
  vkrope_tensor_destroy(q);
  vkrope_tensor_destroy(k);
  vkrope_tensor_destroy(q_out);
  vkrope_tensor_destroy(k_out);
  vkrope_rope_config_destroy(config);
  free(qv);
  free(kv);
  free(qr);
  free(kr);
}

void test_rope(vkrope_context* ctx) {
  const ref_rope neox = {64, 0, 0, 10000.0, 1.0};
  const ref_rope partial_interleaved = {32, 16, 1, 500000.0, 1.0};
  const ref_rope linear = {16, 0, 0, 10000.0, 4.0};
  const int64_t positions[5] = {7, 0, 100, 3, 4095};
  vkrope_batch_options options;
  vkrope_batch* batch = NULL;
  rope_case(ctx, "neox f32 gqa positions", &neox, VKROPE_DTYPE_F32, 2, 5, 4, 2, positions, 0, 0, NULL);
  rope_case(ctx, "interleaved partial f32 offset out-of-place", &partial_interleaved, VKROPE_DTYPE_F32, 1, 3, 2, 1,
            NULL, 17, 1, NULL);
  rope_case(ctx, "linear f32", &linear, VKROPE_DTYPE_F32, 1, 4, 3, 3, NULL, 0, 0, NULL);
  rope_case(ctx, "neox f16", &neox, VKROPE_DTYPE_F16, 1, 5, 2, 2, positions, 0, 0, NULL);
  vkrope_batch_options_init(&options);
  options.profile = 1;
  CHECK_OK_OR_RETURN(vkrope_batch_create(ctx, &options, &batch));
  rope_case(ctx, "neox f32 in a batch", &neox, VKROPE_DTYPE_F32, 1, 5, 4, 1, positions, 0, 1, batch);
  {
    /* One profiled dispatch, where the queue writes timestamps (none where it cannot). */
    vkrope_device_info info;
    size_t count = 99;
    const char* label = NULL;
    double ms = -1.0;
    vkrope_device_info_init(&info);
    CHECK_OK(vkrope_context_device_info(ctx, 0, &info));
    CHECK_OK(vkrope_batch_profile_count(batch, &count));
    CHECK(count == (info.timestamps ? 1u : 0u));
    if (count == 1) {
      CHECK_OK(vkrope_batch_profile_entry(batch, 0, &label, &ms));
      CHECK(label != NULL && label[0] != '\0' && ms >= 0.0);
    }
    CHECK_FAILS(vkrope_batch_profile_entry(batch, count, &label, &ms), VKROPE_ERROR_INVALID_ARGUMENT, "past the");
  }
  vkrope_batch_destroy(batch);
}

/* Every RopeConfig field through params and tables, from config.json and from GGUF. */
static void write_gguf_string(FILE* f, const char* s) {
  const uint64_t n = strlen(s);
  fwrite(&n, 8, 1, f);
  fwrite(s, 1, (size_t)n, f);
}

static void write_gguf_u32(FILE* f, const char* key, uint32_t value) {
  const uint32_t type = 4; /* GGUF_TYPE_UINT32 */
  write_gguf_string(f, key);
  fwrite(&type, 4, 1, f);
  fwrite(&value, 4, 1, f);
}

/* A minimal GGUF v3 file (little-endian host): metadata only, no tensors. */
static int write_gguf(const char* path) {
  FILE* f = fopen(path, "wb");
  const uint32_t version = 3, string_type = 8, float_type = 6;
  const uint64_t tensors = 0, keys = 5;
  const float base = 500000.f;
  if (!f) return 0;
  fwrite("GGUF", 1, 4, f);
  fwrite(&version, 4, 1, f);
  fwrite(&tensors, 8, 1, f);
  fwrite(&keys, 8, 1, f);
  write_gguf_string(f, "general.architecture");
  fwrite(&string_type, 4, 1, f);
  write_gguf_string(f, "llama");
  write_gguf_u32(f, "llama.attention.head_count", 8);
  write_gguf_u32(f, "llama.attention.head_count_kv", 2);
  write_gguf_u32(f, "llama.embedding_length", 512);
  write_gguf_string(f, "llama.rope.freq_base");
  fwrite(&float_type, 4, 1, f);
  fwrite(&base, 4, 1, f);
  return fclose(f) == 0;
}

void test_rope_config(const char* configs_dir, const char* dir) {
  vkrope_rope_params p;
  vkrope_rope_config* config = NULL;
  char path[512];
  double table[8], got[8];
  int64_t section[3] = {2, 3, 3}, got_section[3], streams = 0;
  size_t count, i;
  vkrope_gguf_info info;

  /* Every scalar field round-trips. */
  vkrope_rope_params_init(&p);
  CHECK(p.theta == 10000.0 && p.factor == 1.0 && p.beta_fast == 32.0 && p.beta_slow == 1.0 && p.truncate == 1);
  CHECK(p.low_freq_factor == 1.0 && p.high_freq_factor == 4.0);
  p.head_dim = 32;
  p.rotary_dim = 16;
  p.layout = VKROPE_ROPE_INTERLEAVED;
  p.theta = 1e6;
  p.max_position_embeddings = 4096;
  p.scaling_type = VKROPE_ROPE_SCALING_YARN;
  p.factor = 4.0;
  p.has_original_max_position_embeddings = 1;
  p.original_max_position_embeddings = 1024;
  p.beta_fast = 16.0;
  p.beta_slow = 2.0;
  p.has_mscale = 1;
  p.mscale = 0.7;
  p.has_mscale_all_dim = 1;
  p.mscale_all_dim = 0.8;
  p.truncate = 0;
  p.has_attention_factor = 1;
  p.attention_factor = 1.25;
  CHECK_OK_OR_RETURN(vkrope_rope_config_create(&p, &config));
  CHECK_OK(vkrope_rope_config_validate(config));
  {
    vkrope_rope_params back;
    vkrope_rope_params_init(&back);
    CHECK_OK(vkrope_rope_config_get_params(config, &back));
    CHECK(memcmp(&back, &p, sizeof p) == 0);
  }
  /* Llama 3 and longrope fields, the tables and M-RoPE. */
  p.scaling_type = VKROPE_ROPE_SCALING_LLAMA3;
  p.low_freq_factor = 2.0;
  p.high_freq_factor = 8.0;
  CHECK_OK(vkrope_rope_config_set_params(config, &p));
  CHECK_OK(vkrope_rope_config_validate(config));
  p.scaling_type = VKROPE_ROPE_SCALING_LONGROPE;
  CHECK_OK(vkrope_rope_config_set_params(config, &p));
  for (i = 0; i < 8; ++i) table[i] = 1.0 + 0.5 * (double)i;
  CHECK_OK(vkrope_rope_config_set_table(config, VKROPE_ROPE_SHORT_FACTOR, table, 8));
  CHECK_OK(vkrope_rope_config_set_table(config, VKROPE_ROPE_LONG_FACTOR, table, 8));
  CHECK_OK(vkrope_rope_config_validate(config));
  CHECK_OK(vkrope_rope_config_get_table(config, VKROPE_ROPE_LONG_FACTOR, NULL, &count));
  CHECK(count == 8);
  CHECK_OK(vkrope_rope_config_get_table(config, VKROPE_ROPE_LONG_FACTOR, got, &count));
  CHECK(memcmp(got, table, sizeof table) == 0);
  CHECK_OK(vkrope_rope_config_set_table(config, VKROPE_ROPE_FREQ_FACTORS, table, 8));
  CHECK_OK(vkrope_rope_config_get_table(config, VKROPE_ROPE_FREQ_FACTORS, NULL, &count));
  CHECK(count == 8);
  CHECK_OK(vkrope_rope_config_set_table(config, VKROPE_ROPE_FREQ_FACTORS, NULL, 0));
  p.scaling_type = VKROPE_ROPE_SCALING_DYNAMIC;
  p.mrope_interleaved = 1;
  CHECK_OK(vkrope_rope_config_set_params(config, &p));
  CHECK_OK(vkrope_rope_config_set_mrope_section(config, section, 3));
  CHECK_OK(vkrope_rope_config_validate(config));
  CHECK_OK(vkrope_rope_config_position_streams(config, &streams));
  CHECK(streams == 3);
  count = 3;
  CHECK_OK(vkrope_rope_config_get_mrope_section(config, got_section, &count));
  CHECK(count == 3 && got_section[0] == 2 && got_section[2] == 3);
  CHECK_OK(vkrope_rope_config_set_mrope_section(config, NULL, 0));
  p.mrope_interleaved = 0;
  p.vision = VKROPE_ROPE_VISION_QWEN2VL;
  p.scaling_type = VKROPE_ROPE_SCALING_DEFAULT;
  CHECK_OK(vkrope_rope_config_set_params(config, &p));
  CHECK_OK(vkrope_rope_config_position_streams(config, &streams));
  CHECK(streams == 2);
  p.vision = VKROPE_ROPE_VISION_PIXTRAL;
  CHECK_OK(vkrope_rope_config_set_params(config, &p));
  CHECK_OK(vkrope_rope_config_validate(config));
  vkrope_rope_config_destroy(config);

  /* config.json: Llama 3.2 1B (llama3 scaling). */
  snprintf(path, sizeof path, "%s/llama-3.2-1b.json", configs_dir);
  CHECK_OK_OR_RETURN(vkrope_rope_config_from_hf_file(path, VKROPE_HF_TEXT, &config));
  vkrope_rope_params_init(&p);
  CHECK_OK(vkrope_rope_config_get_params(config, &p));
  CHECK(p.head_dim == 64 && p.theta == 500000.0 && p.scaling_type == VKROPE_ROPE_SCALING_LLAMA3 && p.factor == 32.0);
  CHECK(p.has_original_max_position_embeddings && p.original_max_position_embeddings == 8192);
  CHECK(p.max_position_embeddings == 131072 && p.layout == VKROPE_ROPE_NEOX);
  vkrope_rope_config_destroy(config);
  /* Qwen2.5-VL: the vision tower's 2D RoPE and the text model's M-RoPE. */
  snprintf(path, sizeof path, "%s/qwen2.5-vl-7b.json", configs_dir);
  CHECK_OK(vkrope_rope_config_from_hf_file(path, VKROPE_HF_VISION, &config));
  CHECK_OK(vkrope_rope_config_position_streams(config, &streams));
  CHECK(streams == 2);
  vkrope_rope_config_destroy(config);
  CHECK_OK(vkrope_rope_config_from_hf_file(path, VKROPE_HF_TEXT_LOCAL, &config));
  CHECK_OK(vkrope_rope_config_position_streams(config, &streams));
  CHECK(streams == 3);
  vkrope_rope_config_destroy(config);
  CHECK_OK(vkrope_rope_config_from_hf_json("{\"head_dim\": 32, \"rope_theta\": 1000.0}", VKROPE_HF_TEXT, &config));
  CHECK_OK(vkrope_rope_config_get_params(config, &p));
  CHECK(p.head_dim == 32 && p.theta == 1000.0);
  vkrope_rope_config_destroy(config);

  /* GGUF. */
  snprintf(path, sizeof path, "%s/c_api_model.gguf", dir);
  CHECK(write_gguf(path));
  vkrope_gguf_info_init(&info);
  CHECK_OK(vkrope_rope_config_from_gguf(path, &info, &config));
  CHECK(strcmp(info.architecture, "llama") == 0 && info.heads == 8 && info.kv_heads == 2 && info.head_dim == 64);
  CHECK(info.context_length == 0 && info.sliding_window == 0);
  CHECK_OK(vkrope_rope_config_get_params(config, &p));
  /* llama.cpp rotates llama's adjacent pairs (its converter permutes the Q/K weights). */
  CHECK(p.head_dim == 64 && p.theta == 500000.0 && p.layout == VKROPE_ROPE_INTERLEAVED);
  vkrope_rope_config_destroy(config);
  CHECK_OK(vkrope_rope_config_from_gguf(path, NULL, &config));
  vkrope_rope_config_destroy(config);
  remove(path);
}

