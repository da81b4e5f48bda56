// Checked mode for attention: the inputs are kept before the call, the call is replayed on
// the double-precision CPU reference, and the output compared.
#pragma once

#include <vector>

#include "vkrope/attention.hpp"

namespace vkrope::detail {

struct AttentionSnapshot {
  std::vector<float> q, k, v;
  std::int64_t batch = 1, sq = 0, skv = 0, heads = 0, kv_heads = 0, head_dim = 0;
};
AttentionSnapshot snapshot_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v);

// Tolerance on the relative (L2) error of the output: f32 storage 1e-5 (float32 dot
// products, running max, sum and accumulator: a few ulps per term, ~1e-6 in practice);
// f16 output 2e-3 (one rounding of the output to 11 significant bits is 4.9e-4 of it; f16
// inputs are read back as stored, so the reference sees the same values).
double attention_tolerance(DType out_dtype);

// Throws Mismatch when the output differs from the reference by more than the tolerance.
void check_attention(const AttentionConfig& config, const Tensor& out, const AttentionSnapshot& before);

}  // namespace vkrope::detail
