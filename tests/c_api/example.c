/* The README's C example: RoPE of a few query heads on the default device, then a check of
 * one rotated pair by hand. Built and run as a test, so the README's code compiles. */
#include <math.h>
#include <stdio.h>

#include <vkrope/vkrope.h>

/* Prints the failed call's status and message and returns 1 from main. */
#define TRY(call)                                                                            \
  do {                                                                                       \
    if ((call) != VKROPE_OK) {                                                               \
      fprintf(stderr, "%s: %s: %s\n", #call, vkrope_status_name(vkrope_last_error_kind()),   \
              vkrope_last_error_message());                                                  \
      return 1;                                                                              \
    }                                                                                        \
  } while (0)

int main(void) {
  enum { SEQ = 4, HEADS = 2, DIM = 8 };
  const int64_t shape[3] = {SEQ, HEADS, DIM}; /* [seq, heads, head_dim] */
  float q[SEQ * HEADS * DIM];
  vkrope_context* ctx = NULL;
  vkrope_tensor* tensor = NULL;
  vkrope_rope_config* config = NULL;
  vkrope_rope_params params;
  vkrope_rope_args args;
  vkrope_device_info info;
  int i;
  for (i = 0; i < SEQ * HEADS * DIM; ++i) q[i] = (float)(i % DIM == 0); /* x = 1 in pair 0 of each head */

  TRY(vkrope_context_create(NULL, &ctx)); /* the best device; options NULL: defaults */
  vkrope_device_info_init(&info);
  TRY(vkrope_context_device_info(ctx, 0, &info));
  TRY(vkrope_tensor_from_floats(ctx, VKROPE_DTYPE_F32, shape, 3, q, SEQ * HEADS * DIM, &tensor));

  vkrope_rope_params_init(&params); /* neox, theta 10000, no scaling */
  params.head_dim = DIM;
  TRY(vkrope_rope_config_create(&params, &config));
  vkrope_rope_args_init(&args);
  args.q = tensor;             /* in place; args.k would rotate keys in the same dispatch */
  args.position_offset = 100;  /* token s at position 100 + s, as after 100 cached tokens */
  TRY(vkrope_rope(NULL, config, &args)); /* NULL batch: submit and wait */
  TRY(vkrope_tensor_download(tensor, q, SEQ * HEADS * DIM));

  /* Pair 0 (x0, x4) of the last token turns by its position times inv_freq[0] = 1. */
  printf("%s: (%.6f, %.6f), expected (%.6f, %.6f)\n", info.name, q[(SEQ - 1) * HEADS * DIM],
         q[(SEQ - 1) * HEADS * DIM + DIM / 2], cos(100.0 + SEQ - 1), sin(100.0 + SEQ - 1));
  vkrope_rope_config_destroy(config);
  vkrope_tensor_destroy(tensor);
  vkrope_context_destroy(ctx);
  return fabs(q[(SEQ - 1) * HEADS * DIM] - cos(100.0 + SEQ - 1)) < 1e-5 ? 0 : 1;
}
