/* The C API (vkrope/vkrope.h) compiled as C99 and run on every Vulkan device, validation on:
 * every function is called (the groups live in test_c_api_*.c), RoPE and attention are
 * compared with a double-precision reference written here (reference.c), and the bad-input
 * rows (test_c_api_bad_input.c) must each return their status and message. A validation message fails the device.
 * Inputs come from a seeded generator; the seed is printed, and VKROPE_TEST_SEED replays it. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vkrope/vkrope.h>

#include "check.h"
#include "helpers.h"
#include "reference.h"

int g_failures = 0;
int g_checks = 0;
const char* g_device = "-";

/* ---- Status, version, contexts ------------------------------------------------------ */

static void test_general(void) {
  const vkrope_status all[] = {VKROPE_OK, VKROPE_ERROR_INVALID_ARGUMENT, VKROPE_ERROR_UNSUPPORTED,
                               VKROPE_ERROR_OUT_OF_MEMORY, VKROPE_ERROR_DEVICE_LOST, VKROPE_ERROR_MISMATCH,
                               VKROPE_ERROR_IO, VKROPE_ERROR_INTERNAL};
  size_t i;
  CHECK(strcmp(vkrope_status_name(VKROPE_OK), "ok") == 0);
  for (i = 1; i < sizeof all / sizeof all[0]; ++i) CHECK(strcmp(vkrope_status_name(all[i]), "unknown status") != 0);
  CHECK(strcmp(vkrope_status_name((vkrope_status)99), "unknown status") == 0);
  CHECK(vkrope_version()[0] != '\0');
  CHECK(vkrope_git_revision()[0] != '\0');
  /* A success resets the last error. */
  CHECK(vkrope_tensor_numel(NULL, NULL) == VKROPE_ERROR_INVALID_ARGUMENT);
  CHECK(vkrope_last_error_message()[0] != '\0');
  CHECK_OK(vkrope_alibi_slopes(1, (double[1]){0}, 1));
  CHECK(vkrope_last_error_kind() == VKROPE_OK && vkrope_last_error_message()[0] == '\0');
  CHECK(vkrope_last_error_vk_result() == 0);
  /* init and destroy take NULL. */
  vkrope_context_options_init(NULL);
  vkrope_context_destroy(NULL);
  vkrope_tensor_destroy(NULL);
  vkrope_batch_destroy(NULL);
  vkrope_rope_config_destroy(NULL);
  vkrope_kv_cache_destroy(NULL);
}

static void test_context(vkrope_context* ctx, const vkrope_device_info* listed) {
  vkrope_device_info effective, hardware;
  vkrope_vulkan_handles handles;
  uint64_t live = 0, peak = 0;
  vkrope_device_info_init(&effective);
  vkrope_device_info_init(&hardware);
  CHECK_OK(vkrope_context_device_info(ctx, 0, &effective));
  CHECK_OK(vkrope_context_device_info(ctx, 1, &hardware));
  CHECK(strcmp(effective.name, listed->name) == 0 && strcmp(hardware.name, listed->name) == 0);
  CHECK(effective.index == listed->index && effective.has_compute_queue);
  CHECK(effective.type == listed->type && effective.type <= VKROPE_DEVICE_CPU);
  CHECK(effective.max_storage_buffer_range > 0 && effective.max_workgroup_invocations >= 128);
  CHECK(effective.subgroup_size >= 1 && effective.min_subgroup_size <= effective.max_subgroup_size);
  CHECK(effective.emulation == VKROPE_EMULATE_NONE);
  vkrope_vulkan_handles_init(&handles);
  CHECK_OK(vkrope_context_vulkan_handles(ctx, &handles));
  CHECK(handles.instance != VK_NULL_HANDLE && handles.device != VK_NULL_HANDLE && handles.queue != VK_NULL_HANDLE);
  CHECK_OK(vkrope_context_memory(ctx, &live, &peak));
  CHECK(peak >= live);
  CHECK_OK(vkrope_context_memory(ctx, NULL, NULL));
  CHECK_OK(vkrope_context_wait_idle(ctx));
}

/* A second context on the same device with baseline + discrete emulation and a pipeline
 * cache directory, so the options reach the library (and staging uploads run). */
static void test_emulated_context(const char* selector, const char* dir) {
  vkrope_context_options options;
  vkrope_context* ctx = NULL;
  vkrope_device_info info;
  vkrope_tensor* t = NULL;
  const int64_t shape[1] = {5};
  const float values[5] = {1, 2, 3, 4, 5};
  float back[5];
  vkrope_context_options_init(&options);
  options.use_environment = 0;
  options.device = selector;
  options.emulation = VKROPE_EMULATE_BASELINE | VKROPE_EMULATE_DISCRETE;
  options.checked = 1;
  options.pipeline_cache_dir = dir;
  options.max_workgroup_count = 1024;
  CHECK_OK_OR_RETURN(vkrope_context_create(&options, &ctx));
  vkrope_device_info_init(&info);
  CHECK_OK(vkrope_context_device_info(ctx, 0, &info));
  CHECK(info.emulation == (VKROPE_EMULATE_BASELINE | VKROPE_EMULATE_DISCRETE));
  CHECK(!info.float16 && !info.unified_memory && info.max_workgroup_count[0] <= 1024);
  CHECK_OK(vkrope_tensor_from_floats(ctx, VKROPE_DTYPE_F32, shape, 1, values, 5, &t));
  CHECK_OK(vkrope_tensor_download(t, back, 5));
  CHECK(memcmp(values, back, sizeof back) == 0);
  vkrope_tensor_destroy(t);
  vkrope_context_destroy(ctx);
}

/* ---- Tensors ------------------------------------------------------------------------- */

static void test_tensor(vkrope_context* ctx) {
  const int64_t shape[3] = {2, 3, 8};
  float values[48], back[48];
  uint16_t half[48], half_back[48];
  vkrope_tensor *t = NULL, *h = NULL, *view = NULL, *wrapped = NULL;
  int64_t got_shape[4], got_strides[4], offset = -1, numel = 0;
  uint32_t rank = 0;
  size_t bytes = 0, i;
  vkrope_dtype dtype;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize buffer_offset = 1;
  rng_fill(values, 48, -1.f, 1.f);
  CHECK_OK_OR_RETURN(vkrope_tensor_create(ctx, VKROPE_DTYPE_F32, shape, 3, &t));
  CHECK_OK(vkrope_tensor_upload(t, values, 48));
  CHECK_OK(vkrope_tensor_download(t, back, 48));
  CHECK(memcmp(values, back, sizeof back) == 0);
  CHECK_OK(vkrope_tensor_shape(t, got_shape, got_strides, &rank, &offset));
  CHECK(rank == 3 && got_shape[0] == 2 && got_shape[1] == 3 && got_shape[2] == 8);
  CHECK(got_strides[0] == 24 && got_strides[1] == 8 && got_strides[2] == 1 && offset == 0);
  CHECK_OK(vkrope_tensor_dtype(t, &dtype));
  CHECK(dtype == VKROPE_DTYPE_F32);
  CHECK_OK(vkrope_tensor_numel(t, &numel));
  CHECK(numel == 48);
  CHECK_OK(vkrope_tensor_raw_bytes(t, &bytes));
  CHECK(bytes == 48 * sizeof(float));

  /* A strided view: the middle row of each batch, [2, 8] with strides {24, 1}, offset 8. */
  {
    const int64_t vshape[2] = {2, 8}, vstrides[2] = {24, 1};
    float row[16];
    CHECK_OK(vkrope_tensor_view(t, vshape, vstrides, 2, 8, &view));
    CHECK_OK(vkrope_tensor_download(view, row, 16));
    CHECK(memcmp(row, values + 8, 8 * sizeof(float)) == 0 && memcmp(row + 8, values + 32, 8 * sizeof(float)) == 0);
    for (i = 0; i < 16; ++i) row[i] = (float)i;
    CHECK_OK(vkrope_tensor_upload(view, row, 16)); /* writes only the view's elements */
    CHECK_OK(vkrope_tensor_download(t, back, 48));
    CHECK(back[8] == 0.f && back[39] == 15.f && back[0] == values[0] && back[16] == values[16]);
    CHECK_OK(vkrope_tensor_shape(view, NULL, NULL, &rank, &offset));
    CHECK(rank == 2 && offset == 8);
  }

  /* f16 through raw bits: from_floats rounds, download converts back. */
  CHECK_OK(vkrope_tensor_from_floats(ctx, VKROPE_DTYPE_F16, shape, 3, values, 48, &h));
  CHECK_OK(vkrope_tensor_raw_bytes(h, &bytes));
  CHECK(bytes == 96);
  CHECK_OK(vkrope_tensor_download_raw(h, half, sizeof half));
  CHECK_OK(vkrope_tensor_fill_bytes(h, 0xFF));
  CHECK_OK(vkrope_tensor_download(h, back, 48));
  CHECK(back[0] != back[0]); /* 0xFFFF is a NaN */
  CHECK_OK(vkrope_tensor_upload_raw(h, half, sizeof half));
  CHECK_OK(vkrope_tensor_download_raw(h, half_back, sizeof half_back));
  CHECK(memcmp(half, half_back, sizeof half) == 0);
  CHECK_OK(vkrope_tensor_download(h, back, 48));
  for (i = 0; i < 48; ++i) CHECK(fabsf(back[i] - values[i]) <= 1e-3f); /* f16 half ulp at |x| < 1: 2^-12 */

  /* Interop: the same buffer wrapped as another tensor. */
  CHECK_OK(vkrope_tensor_vk_buffer(t, &buffer, &buffer_offset));
  CHECK(buffer != VK_NULL_HANDLE && buffer_offset == 0);
  CHECK_OK(vkrope_tensor_wrap_buffer(ctx, buffer, 0, 48 * sizeof(float), VKROPE_DTYPE_F32, shape, 3, &wrapped));
  CHECK_OK(vkrope_tensor_download(wrapped, values, 48));
  CHECK_OK(vkrope_tensor_download(t, back, 48));
  CHECK(memcmp(values, back, sizeof back) == 0);

  vkrope_tensor_destroy(t); /* the view and the wrapper outlive it: the view holds the buffer */
  CHECK_OK(vkrope_tensor_download(view, back, 16));
  vkrope_tensor_destroy(view);
  vkrope_tensor_destroy(wrapped);
  vkrope_tensor_destroy(h);
}

/* ---- Devices ------------------------------------------------------------------------------ */

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void collect(const char* message, void* user_data) {
  (void)message;
  ++*(int*)user_data;
}

static void test_device(const vkrope_device_info* listed, const char* dir) {
  char selector[16];
  vkrope_context_options options;
  vkrope_context* ctx = NULL;
  size_t messages = 0, i;
  int callback_messages = 0;
  const double start = seconds();
  const int failures_before = g_failures;
  g_device = listed->name;
  snprintf(selector, sizeof selector, "%u", listed->index);
  vkrope_context_options_init(&options);
  CHECK(options.use_environment == 1);
  options.use_environment = 0; /* what this test checks must not depend on VKROPE_EMULATE & co */
  options.device = selector;
  options.validation = 1;
  options.on_validation_message = collect;
  options.user_data = &callback_messages;
  CHECK_OK_OR_RETURN(vkrope_context_create(&options, &ctx));

  /* Each group's time and the pipelines it built, which is where CPU drivers spend it. */
#define GROUP(call)                                                                                \
  do {                                                                                             \
    const double group_start_ = seconds();                                                         \
    uint64_t built_before_ = 0, built_after_ = 0;                                                  \
    CHECK_OK(vkrope_context_pipeline_stats(ctx, &built_before_, NULL));                            \
    call;                                                                                          \
    CHECK_OK(vkrope_context_pipeline_stats(ctx, &built_after_, NULL));                             \
    printf("  [%s] %-40s %5.2f s, %llu pipelines built\n", listed->name, #call, seconds() - group_start_, \
           (unsigned long long)(built_after_ - built_before_));                                    \
  } while (0)
  GROUP(test_context(ctx, listed));
  GROUP(test_tensor(ctx));
  GROUP(test_rope(ctx));
  GROUP(test_attention(ctx));
  GROUP(test_kv_cache(ctx));
  GROUP(test_interop(ctx));
  GROUP(test_bad_input(ctx, dir));
  GROUP(test_emulated_context(selector, dir));
#undef GROUP

  /* The validation layer saw everything on this context's device, adopted context included. */
  CHECK_OK(vkrope_context_validation_message_count(ctx, &messages));
  ++g_checks;
  if (messages != 0 || callback_messages != 0) {
    FAIL("%zu validation messages (%d through the callback)", messages, callback_messages);
    for (i = 0; i < messages; ++i) {
      const char* text = NULL;
      if (vkrope_context_validation_message(ctx, i, &text) == VKROPE_OK) fprintf(stderr, "  %s\n", text);
    }
  }
  CHECK_OK(vkrope_context_clear_validation_messages(ctx));
  vkrope_context_destroy(ctx);
  printf("[%s] %s in %.1f s\n", listed->name, g_failures == failures_before ? "passed" : "FAILED", seconds() - start);
  fflush(stdout);
}

int main(void) {
  const char* seed_text = getenv("VKROPE_TEST_SEED");
  const char* expected_text = getenv("VKROPE_EXPECTED_DEVICES");
  const uint64_t seed = seed_text ? strtoull(seed_text, NULL, 10) : (uint64_t)time(NULL);
  vkrope_device_info* devices;
  uint32_t count = 0, i;
  printf("vkrope %s (%s), C API test, seed %llu (replay: VKROPE_TEST_SEED=%llu)\n", vkrope_version(),
         vkrope_git_revision(), (unsigned long long)seed, (unsigned long long)seed);
  rng_seed(seed);
  test_general();
  test_rope_config(VKROPE_CONFIGS_DIR, VKROPE_TEST_TMP_DIR);

  CHECK_OK(vkrope_enumerate_devices(0, NULL, &count));
  if (expected_text && count < (uint32_t)atoi(expected_text))
    FAIL("%u Vulkan devices; the set-up installed drivers for %s", count, expected_text);
  devices = calloc(count ? count : 1, sizeof *devices);
  vkrope_device_info_init(&devices[0]);
  CHECK_OK(vkrope_enumerate_devices(0, devices, &count));
  for (i = 0; i < count; ++i) {
    CHECK(devices[i].struct_size == sizeof(vkrope_device_info) && devices[i].index == i);
    if (devices[i].has_compute_queue) test_device(&devices[i], VKROPE_TEST_TMP_DIR);
  }
  free(devices);
  printf("%d checks, %d failed (seed %llu)\n", g_checks, g_failures, (unsigned long long)seed);
  return g_failures ? 1 : 0;
}

