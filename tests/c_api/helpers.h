/* What the C API test's files share: tolerances, tensor helpers that check as they go, and
 * the test groups each file defines. */
#ifndef VKROPE_TEST_C_API_HELPERS_H
#define VKROPE_TEST_C_API_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include <vkrope/vkrope.h>

/* Tolerances, each with its reason:
 * - RoPE, f32 storage: 2e-6 * max|x|, vkrope's own documented bound (the angle is exact at
 *   these positions; what is left is f32 rounding of x cos - y sin). f16 storage: 1e-3 *
 *   max|x|, half an f16 ulp (2^-11) of the stored result plus the rounding of the input.
 * - Attention, f32: relative L2 error 1e-5, vkrope's bound for f32 outputs (online softmax in
 *   f32 over short rows); max-abs 1e-4 beside it, so one bad element cannot hide in the norm. */
#define ROPE_F32_TOLERANCE 2e-6
#define ROPE_F16_TOLERANCE 1e-3
#define ATTENTION_REL_TOLERANCE 1e-5
#define ATTENTION_ABS_TOLERANCE 1e-4

double* to_double(const float* x, size_t n); /* malloc'd; the caller frees */
/* A tensor of `values` (NULL: contents undefined), the creation checked. */
vkrope_tensor* make_tensor(vkrope_context* ctx, vkrope_dtype dtype, const int64_t* shape, uint32_t rank,
                           const float* values);
/* Downloads t and compares: RoPE by max-abs error relative to max|want|, attention by
 * relative L2 and max-abs error (the tolerances above). */
void check_rope_result(const char* what, vkrope_tensor* t, const double* want, size_t n, double tolerance);
void check_attention_result(const char* what, vkrope_tensor* t, const double* want, size_t n);

/* The test groups. */
void test_rope(vkrope_context* ctx);                           /* test_c_api_rope.c */
void test_rope_config(const char* configs_dir, const char* dir); /* test_c_api_rope.c */
void test_attention(vkrope_context* ctx);                      /* test_c_api_attention.c */
void test_kv_cache(vkrope_context* ctx);                       /* test_c_api_attention.c */
void test_interop(vkrope_context* owner);                      /* test_c_api_interop.c */
void test_bad_input(vkrope_context* ctx, const char* dir);     /* test_c_api_bad_input.c */

#endif
