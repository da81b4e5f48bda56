// One linear attention case run on a device and compared with the double-precision
// reference (RoFormer eq. 19 term by term) on the inputs as stored.
#pragma once

#include <random>
#include <string>

#include "vkrope/check.hpp"
#include "vkrope/linear_attention.hpp"

namespace vkrope::conformance {

struct LinearAttentionCase {
  std::int64_t batch = 1, sq = 1, skv = 1, heads = 8, kv_heads = 8, dim = 64, value_dim = 64;
  DType dtype = DType::f32;
  // Causal only: the first `prefill` tokens in one call through a LinearAttentionState, then
  // one token per call (0: one call, no state).
  std::int64_t prefill = 0;
  bool decode = false;
  LinearAttentionConfig config;
  std::string describe() const;
};

// Relative L2 error (linear_attention_plan.hpp): f32 1e-5, f16 2e-3.
double linear_attention_case_tolerance(const LinearAttentionCase& c);

struct LinearAttentionResult {
  CompareReport report;
  bool guard_intact = true;  // no byte written outside the output
};

// Fresh random q, k, v from `rng`; runs vkrope::linear_attention and the reference.
LinearAttentionResult run_linear_attention_case(const Context& ctx, const LinearAttentionCase& c, std::mt19937& rng);

}  // namespace vkrope::conformance
