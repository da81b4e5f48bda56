/* The bad-input rows through the C API: each call must return its status with a message
 * naming the problem (never crash, never let a C++ exception out), and the context must run
 * a correct call afterwards. The C++ API's own matrix is tests/test_bad_input.cpp. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vkrope/vkrope.h>

#include "check.h"
#include "helpers.h"

/* A struct_size one byte short of the real one; and a "newer header's" struct: ours plus
 * eight bytes, zero or not. */
typedef struct newer_batch_options {
  vkrope_batch_options known;
  uint64_t unknown_field;
} newer_batch_options;

static void bad_handles_and_pointers(vkrope_context* ctx) {
  const int64_t shape[3] = {2, 4, 8};
  vkrope_tensor* t = (vkrope_tensor*)&shape; /* must be reset to NULL on failure */
  int64_t numel;
  CHECK_FAILS(vkrope_tensor_create(NULL, VKROPE_DTYPE_F32, shape, 3, &t), VKROPE_ERROR_INVALID_ARGUMENT, "context is NULL");
  CHECK(t == NULL);
  CHECK_FAILS(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, shape, 3, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "out is NULL");
  CHECK_FAILS(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, NULL, 3, &t), VKROPE_ERROR_INVALID_ARGUMENT, "shape is NULL");
  CHECK_FAILS(vkrope_tensor_numel(NULL, &numel), VKROPE_ERROR_INVALID_ARGUMENT, "tensor is NULL");
  CHECK_FAILS(vkrope_context_create(NULL, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "out is NULL");
  CHECK_FAILS(vkrope_context_device_info(ctx, 0, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "info is NULL");
  CHECK_FAILS(vkrope_context_wait_idle(NULL), VKROPE_ERROR_INVALID_ARGUMENT, "context is NULL");
  CHECK_FAILS(vkrope_batch_submit(NULL), VKROPE_ERROR_INVALID_ARGUMENT, "batch is NULL");
  CHECK_FAILS(vkrope_batch_record_into(ctx, VK_NULL_HANDLE, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "out is NULL");
  {
    vkrope_batch* b = NULL;
    CHECK_FAILS(vkrope_batch_record_into(ctx, VK_NULL_HANDLE, &b), VKROPE_ERROR_INVALID_ARGUMENT, "command_buffer");
  }
  CHECK_FAILS(vkrope_rope(NULL, NULL, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "config is NULL");
  CHECK_FAILS(vkrope_attention(NULL, NULL, NULL, NULL, NULL, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "q is NULL");
  CHECK_FAILS(vkrope_kv_cache_append(NULL, NULL, 0, NULL, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "cache is NULL");
  CHECK_FAILS(vkrope_kv_cache_create(ctx, NULL, NULL, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "out is NULL");
  CHECK_FAILS(vkrope_rope_config_from_hf_file(NULL, VKROPE_HF_TEXT, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "out is NULL");
  CHECK_FAILS(vkrope_enumerate_devices(0, NULL, NULL), VKROPE_ERROR_INVALID_ARGUMENT, "count is NULL");
  CHECK_FAILS(vkrope_alibi_slopes(4, NULL, 4), VKROPE_ERROR_INVALID_ARGUMENT, "slopes is NULL");
  CHECK_FAILS(vkrope_alibi_slopes(4, (double[3]){0}, 3), VKROPE_ERROR_INVALID_ARGUMENT, "expected heads = 4");
  {
    const char* text = NULL;
    CHECK_FAILS(vkrope_context_validation_message(ctx, 1000000, &text), VKROPE_ERROR_INVALID_ARGUMENT, "past the");
  }
}

static void bad_struct_sizes(vkrope_context* ctx) {
  vkrope_batch_options options;
  newer_batch_options newer;
  vkrope_batch* batch = NULL;
  vkrope_device_info info;
  vkrope_context_options context_options;
  vkrope_context* other = NULL;
  vkrope_batch_options_init(&options);
  options.struct_size = 0;
  CHECK_FAILS(vkrope_batch_create(ctx, &options, &batch), VKROPE_ERROR_INVALID_ARGUMENT, "struct_size is 0");
  options.struct_size = sizeof options - 1;
  CHECK_FAILS(vkrope_batch_create(ctx, &options, &batch), VKROPE_ERROR_INVALID_ARGUMENT, "struct_size");
  /* A newer header's struct: accepted while its unknown fields are zero (their defaults). */
  memset(&newer, 0, sizeof newer);
  vkrope_batch_options_init(&newer.known);
  newer.known.struct_size = sizeof newer;
  CHECK_OK(vkrope_batch_create(ctx, &newer.known, &batch));
  vkrope_batch_destroy(batch);
  newer.unknown_field = 1;
  CHECK_FAILS(vkrope_batch_create(ctx, &newer.known, &batch), VKROPE_ERROR_UNSUPPORTED, "does not know");
  vkrope_device_info_init(&info);
  info.struct_size = 8;
  CHECK_FAILS(vkrope_context_device_info(ctx, 0, &info), VKROPE_ERROR_INVALID_ARGUMENT, "info->struct_size is 8");
  vkrope_context_options_init(&context_options);
  context_options.struct_size = 4;
  CHECK_FAILS(vkrope_context_create(&context_options, &other), VKROPE_ERROR_INVALID_ARGUMENT, "options->struct_size");
  vkrope_context_options_init(&context_options);
  context_options.emulation = 8;
  CHECK_FAILS(vkrope_context_create(&context_options, &other), VKROPE_ERROR_INVALID_ARGUMENT, "emulation");
  vkrope_context_options_init(&context_options);
  context_options.device = "no-such-gpu";
  CHECK_FAILS(vkrope_context_create(&context_options, &other), VKROPE_ERROR_INVALID_ARGUMENT, "no device matches");
  CHECK(other == NULL);
  {
    vkrope_adopted_device adopted;
    vkrope_adopted_device_init(&adopted);
    CHECK_FAILS(vkrope_context_adopt(&adopted, NULL, &other), VKROPE_ERROR_INVALID_ARGUMENT, "needs an instance");
  }
}

static void bad_tensors(vkrope_context* ctx) {
  const int64_t shape[3] = {2, 4, 8}, zero[3] = {2, 0, 8};
  vkrope_tensor *t = NULL, *view = NULL;
  float values[64] = {0};
  int64_t five[5] = {1, 1, 1, 1, 1};
  CHECK_FAILS(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, five, 5, &t), VKROPE_ERROR_INVALID_ARGUMENT, "rank 5");
  CHECK_FAILS(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, five, 0, &t), VKROPE_ERROR_INVALID_ARGUMENT, "rank 0");
  CHECK_FAILS(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, zero, 3, &t), VKROPE_ERROR_INVALID_ARGUMENT, "<= 0");
  CHECK_FAILS(vkrope_tensor_create(ctx, (vkrope_dtype)9, shape, 3, &t), VKROPE_ERROR_INVALID_ARGUMENT, "dtype is 9");
  CHECK_FAILS(vkrope_tensor_from_floats(ctx, VKROPE_DTYPE_F32, shape, 3, values, 63, &t), VKROPE_ERROR_INVALID_ARGUMENT,
              "63");
  CHECK_FAILS(vkrope_tensor_from_floats(ctx, VKROPE_DTYPE_F32, shape, 3, NULL, 64, &t), VKROPE_ERROR_INVALID_ARGUMENT,
              "values is NULL");
  CHECK_OK_OR_RETURN(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, shape, 3, &t));
  CHECK_FAILS(vkrope_tensor_upload(t, values, 3), VKROPE_ERROR_INVALID_ARGUMENT, "upload of 3");
  CHECK_FAILS(vkrope_tensor_download(t, values, 3), VKROPE_ERROR_INVALID_ARGUMENT, "download of 3");
  CHECK_FAILS(vkrope_tensor_download_raw(t, values, 3), VKROPE_ERROR_INVALID_ARGUMENT, "raw download");
  CHECK_FAILS(vkrope_tensor_upload_raw(t, NULL, 3), VKROPE_ERROR_INVALID_ARGUMENT, "data is NULL");
  {
    const int64_t vshape[3] = {2, 4, 9}, vstrides[3] = {32, 8, 1};
    CHECK_FAILS(vkrope_tensor_view(t, vshape, vstrides, 3, 0, &view), VKROPE_ERROR_INVALID_ARGUMENT, "past the");
    CHECK_FAILS(vkrope_tensor_view(t, vshape, NULL, 3, 0, &view), VKROPE_ERROR_INVALID_ARGUMENT, "strides is NULL");
  }
  CHECK_FAILS(vkrope_tensor_wrap_buffer(ctx, VK_NULL_HANDLE, 0, 256, VKROPE_DTYPE_F32, shape, 3, &view),
              VKROPE_ERROR_INVALID_ARGUMENT, "null VkBuffer");
  CHECK(view == NULL);
  vkrope_tensor_destroy(t);
}

/* RoPE, attention and KV cache rows over q [1, 4, 4, 32], k and v [1, 4, 2, 32]: the shapes
 * test_attention ran, so no pipeline is built for these rows. */
static void bad_ops(vkrope_context* ctx, const char* dir) {
  const int64_t qshape[4] = {1, 4, 4, 32}, kshape[4] = {1, 4, 2, 32}, k3shape[4] = {1, 4, 3, 32};
  const int64_t bigq[4] = {1, 5, 4, 32};
  vkrope_tensor *q = NULL, *k = NULL, *v = NULL, *out = NULL, *k3 = NULL, *q5 = NULL, *out5 = NULL;
  vkrope_rope_params p;
  vkrope_rope_config *config = NULL, *loaded = NULL;
  vkrope_rope_args args;
  vkrope_attention_config attention;
  const int64_t four[4] = {0, 1, 2, 3}, negative[4] = {0, 1, -1, 3}, huge[4] = {0, 1, 2, ((int64_t)1 << 24) + 1};
  char path[512];
  CHECK_OK_OR_RETURN(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, qshape, 4, &q));
  CHECK_OK(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, kshape, 4, &k));
  CHECK_OK(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, kshape, 4, &v));
  CHECK_OK(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, qshape, 4, &out));
  CHECK_OK(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, k3shape, 4, &k3));
  CHECK_OK(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, bigq, 4, &q5));
  CHECK_OK(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, bigq, 4, &out5));
  vkrope_rope_params_init(&p);
  p.head_dim = 31;
  CHECK_OK(vkrope_rope_config_create(&p, &config)); /* not validated until used */
  vkrope_rope_args_init(&args);
  args.q = q;
  args.k = k;
  args.positions = four;
  args.position_count = 4;
  CHECK_FAILS(vkrope_rope(NULL, config, &args), VKROPE_ERROR_INVALID_ARGUMENT, "head_dim");
  CHECK_FAILS(vkrope_rope_config_validate(config), VKROPE_ERROR_INVALID_ARGUMENT, "head_dim");
  p.head_dim = 32;
  p.rotary_dim = 34;
  CHECK_OK(vkrope_rope_config_set_params(config, &p));
  CHECK_FAILS(vkrope_rope(NULL, config, &args), VKROPE_ERROR_INVALID_ARGUMENT, "rotary");
  p.rotary_dim = 0;
  p.layout = (vkrope_rope_layout)7;
  CHECK_FAILS(vkrope_rope_config_set_params(config, &p), VKROPE_ERROR_INVALID_ARGUMENT, "params->layout is 7");
  p.layout = VKROPE_ROPE_NEOX;
  CHECK_OK(vkrope_rope_config_set_params(config, &p));
  args.positions = negative;
  CHECK_FAILS(vkrope_rope(NULL, config, &args), VKROPE_ERROR_INVALID_ARGUMENT, "position[2] = -1");
  args.positions = huge;
  CHECK_FAILS(vkrope_rope(NULL, config, &args), VKROPE_ERROR_INVALID_ARGUMENT, "position");
  args.positions = four;
  args.position_count = 3;
  CHECK_FAILS(vkrope_rope(NULL, config, &args), VKROPE_ERROR_INVALID_ARGUMENT, "position");
  args.positions = NULL;
  CHECK_FAILS(vkrope_rope(NULL, config, &args), VKROPE_ERROR_INVALID_ARGUMENT, "positions is NULL");
  args.position_count = 0;
  args.q = NULL;
  CHECK_FAILS(vkrope_rope(NULL, config, &args), VKROPE_ERROR_INVALID_ARGUMENT, "args->q is NULL");
  args.q = q;
  args.struct_size = 3;
  CHECK_FAILS(vkrope_rope(NULL, config, &args), VKROPE_ERROR_INVALID_ARGUMENT, "args->struct_size is 3");
  CHECK_FAILS(vkrope_rope_config_set_table(config, (vkrope_rope_table)5, NULL, 0), VKROPE_ERROR_INVALID_ARGUMENT,
              "table is 5");
  CHECK_FAILS(vkrope_rope_config_set_mrope_section(config, four, 2), VKROPE_ERROR_INVALID_ARGUMENT, "expected 3");

  /* Config files. */
  snprintf(path, sizeof path, "%s/no-such-config.json", dir);
  CHECK_FAILS(vkrope_rope_config_from_hf_file(path, VKROPE_HF_TEXT, &loaded), VKROPE_ERROR_IO, "no-such-config.json");
  CHECK(loaded == NULL);
  CHECK_FAILS(vkrope_rope_config_from_hf_json("{\"head_dim\": ", VKROPE_HF_TEXT, &loaded),
              VKROPE_ERROR_INVALID_ARGUMENT, "not valid JSON");
  CHECK_FAILS(vkrope_rope_config_from_hf_json("{\"head_dim\": 64, \"rope_scaling\": {\"rope_type\": \"warp\"}}",
                                              VKROPE_HF_TEXT, &loaded),
              VKROPE_ERROR_INVALID_ARGUMENT, "warp");
  CHECK_FAILS(vkrope_rope_config_from_hf_json("{}", (vkrope_hf_part)3, &loaded), VKROPE_ERROR_INVALID_ARGUMENT,
              "part is 3");
  snprintf(path, sizeof path, "%s/no-such-model.gguf", dir);
  CHECK_FAILS(vkrope_rope_config_from_gguf(path, NULL, &loaded), VKROPE_ERROR_IO, "no-such-model.gguf");
  snprintf(path, sizeof path, "%s/c_api_not_gguf.gguf", dir);
  {
    FILE* f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
      fputs("this is not a GGUF file, only text", f);
      fclose(f);
    }
    CHECK_FAILS(vkrope_rope_config_from_gguf(path, NULL, &loaded), VKROPE_ERROR_INVALID_ARGUMENT, "GGUF");
    remove(path);
  }

  /* Attention. */
  vkrope_attention_config_init(&attention);
  CHECK_FAILS(vkrope_attention(NULL, &attention, q, k3, k3, out), VKROPE_ERROR_INVALID_ARGUMENT, "multiple");
  CHECK_FAILS(vkrope_attention(NULL, &attention, q, k, v, q5), VKROPE_ERROR_INVALID_ARGUMENT, "out");
  attention.causal = 1;
  CHECK_FAILS(vkrope_attention(NULL, &attention, q5, k, v, out5), VKROPE_ERROR_INVALID_ARGUMENT, "causal");
  attention.causal = 0;
  attention.window = -2;
  CHECK_FAILS(vkrope_attention(NULL, &attention, q, k, v, out), VKROPE_ERROR_INVALID_ARGUMENT, "window");
  attention.window = 0;
  {
    const float sinks[3] = {0, 0, 0};
    attention.sinks = sinks;
    attention.sink_count = 3;
    CHECK_FAILS(vkrope_attention(NULL, &attention, q, k, v, out), VKROPE_ERROR_INVALID_ARGUMENT, "sinks");
    attention.sinks = NULL;
    CHECK_FAILS(vkrope_attention(NULL, &attention, q, k, v, out), VKROPE_ERROR_INVALID_ARGUMENT, "config->sinks is NULL");
    attention.sink_count = 0;
  }
  attention.query_positions = four;
  attention.query_position_count = 4;
  attention.key_positions = four;
  attention.key_position_count = 3;
  CHECK_FAILS(vkrope_attention(NULL, &attention, q, k, v, out), VKROPE_ERROR_INVALID_ARGUMENT, "position");
  vkrope_attention_config_init(&attention);
  attention.struct_size = 1;
  CHECK_FAILS(vkrope_attention(NULL, &attention, q, k, v, out), VKROPE_ERROR_INVALID_ARGUMENT, "config->struct_size");

  /* KV cache. */
  {
    vkrope_kv_cache_shape shape;
    vkrope_kv_cache* cache = NULL;
    int64_t length;
    vkrope_kv_cache_shape_init(&shape);
    shape.capacity = 6;
    shape.kv_heads = 2;
    shape.head_dim = 64; /* the rope config's is 32 */
    CHECK_FAILS(vkrope_kv_cache_create(ctx, &shape, config, &cache), VKROPE_ERROR_INVALID_ARGUMENT, "head_dim");
    shape.head_dim = 12;
    CHECK_FAILS(vkrope_kv_cache_create(ctx, &shape, NULL, &cache), VKROPE_ERROR_INVALID_ARGUMENT, "head_dim");
    shape.head_dim = 32;
    shape.capacity = 0;
    CHECK_FAILS(vkrope_kv_cache_create(ctx, &shape, NULL, &cache), VKROPE_ERROR_INVALID_ARGUMENT, "capacity");
    shape.capacity = 6;
    shape.dtype = (vkrope_dtype)1000;
    CHECK_FAILS(vkrope_kv_cache_create(ctx, &shape, NULL, &cache), VKROPE_ERROR_INVALID_ARGUMENT, "shape->dtype");
    shape.dtype = VKROPE_DTYPE_F32;
    CHECK_OK(vkrope_kv_cache_create(ctx, &shape, NULL, &cache));
    if (cache) {
      CHECK_OK(vkrope_kv_cache_append(NULL, cache, 0, k, v));
      CHECK_FAILS(vkrope_kv_cache_append(NULL, cache, 0, k, v), VKROPE_ERROR_INVALID_ARGUMENT, "capacity");
      CHECK_OK(vkrope_kv_cache_length(cache, 0, -1, &length));
      CHECK(length == 4); /* the failed append wrote nothing */
      CHECK_FAILS(vkrope_kv_cache_append(NULL, cache, 3, k, v), VKROPE_ERROR_INVALID_ARGUMENT, "layer");
      CHECK_FAILS(vkrope_kv_cache_append(NULL, cache, 0, q, v), VKROPE_ERROR_INVALID_ARGUMENT, "");
      vkrope_attention_config_init(&attention);
      attention.query_positions = four;
      attention.query_position_count = 4;
      attention.key_positions = four;
      attention.key_position_count = 4;
      CHECK_FAILS(vkrope_kv_cache_attend(NULL, cache, 0, &attention, q, out), VKROPE_ERROR_INVALID_ARGUMENT,
                  "position");
      CHECK_FAILS(vkrope_kv_cache_append_at(NULL, cache, 0, k, v, four, 4, 0), VKROPE_ERROR_INVALID_ARGUMENT, "rope");
      CHECK_FAILS(vkrope_kv_cache_fork(cache, 0, 0), VKROPE_ERROR_INVALID_ARGUMENT, "");
      vkrope_kv_cache_destroy(cache);
    }
  }

  /* After all of it, a correct call still runs. */
  args.struct_size = sizeof args;
  args.positions = four;
  args.position_count = 4;
  CHECK_OK(vkrope_rope(NULL, config, &args));
  vkrope_attention_config_init(&attention);
  CHECK_OK(vkrope_attention(NULL, &attention, q, k, v, out));
  vkrope_rope_config_destroy(config);
  vkrope_tensor_destroy(q);
  vkrope_tensor_destroy(k);
  vkrope_tensor_destroy(v);
  vkrope_tensor_destroy(out);
  vkrope_tensor_destroy(k3);
  vkrope_tensor_destroy(q5);
  vkrope_tensor_destroy(out5);
}

void test_bad_input(vkrope_context* ctx, const char* dir) {
  bad_handles_and_pointers(ctx);
  bad_struct_sizes(ctx);
  bad_tensors(ctx);
  bad_ops(ctx, dir);
}
