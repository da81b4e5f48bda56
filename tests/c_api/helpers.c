/* The C API test's shared helpers (helpers.h). */
#include "helpers.h"

#include <stdlib.h>

#include "check.h"
#include "reference.h"

double* to_double(const float* x, size_t n) {
  double* d = malloc(n * sizeof *d);
  size_t i;
  for (i = 0; i < n; ++i) d[i] = x[i];
  return d;
}

vkrope_tensor* make_tensor(vkrope_context* ctx, vkrope_dtype dtype, const int64_t* shape, uint32_t rank,
                                  const float* values) {
  vkrope_tensor* t = NULL;
  int64_t n = 1;
  uint32_t i;
  for (i = 0; i < rank; ++i) n *= shape[i];
  CHECK_OK(values ? vkrope_tensor_from_floats(ctx, dtype, shape, rank, values, (size_t)n, &t)
                  : vkrope_tensor_create(ctx, dtype, shape, rank, &t));
  return t;
}

void check_rope_result(const char* what, vkrope_tensor* t, const double* want, size_t n, double tolerance) {
  float* got = malloc(n * sizeof *got);
  ref_error e;
  CHECK_OK(vkrope_tensor_download(t, got, n));
  e = ref_compare(got, want, n);
  ++g_checks;
  if (!(e.max_abs <= tolerance * ref_max_abs(want, n)))
    FAIL("%s: max abs error %.3g > %.3g * max|x|", what, e.max_abs, tolerance);
  free(got);
}

void check_attention_result(const char* what, vkrope_tensor* t, const double* want, size_t n) {
  float* got = malloc(n * sizeof *got);
  ref_error e;
  CHECK_OK(vkrope_tensor_download(t, got, n));
  e = ref_compare(got, want, n);
  ++g_checks;
  if (!(e.rel_l2 <= ATTENTION_REL_TOLERANCE && e.max_abs <= ATTENTION_ABS_TOLERANCE))
    FAIL("%s: relative error %.3g (tolerance %g), max abs %.3g (tolerance %g)", what, e.rel_l2,
         ATTENTION_REL_TOLERANCE, e.max_abs, ATTENTION_ABS_TOLERANCE);
  free(got);
}
