// Checked mode for linear attention: the inputs are kept before the call, the call is
// replayed on the double-precision CPU reference, and the output compared.
#pragma once

#include <vector>

#include "vkrope/linear_attention.hpp"

namespace vkrope::detail {

struct LinearAttentionSnapshot {
  std::vector<float> q, k, v;
  std::int64_t batch = 1, sq = 0, skv = 0, heads = 0, kv_heads = 0, head_dim = 0, value_dim = 0;
};
LinearAttentionSnapshot snapshot_linear_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v);

// Throws Mismatch when the output differs from the reference by more than
// linear_attention_tolerance (linear_attention_plan.hpp).
void check_linear_attention(const LinearAttentionConfig& config, const Tensor& out,
                            const LinearAttentionSnapshot& before);

}  // namespace vkrope::detail
