// One attention case run on a device and compared with the double-precision reference on
// the inputs as stored (so f16 storage rounding of the inputs is not counted as error).
#pragma once

#include <random>
#include <string>
#include <vector>

#include "vkrope/attention.hpp"
#include "vkrope/check.hpp"

namespace vkrope::conformance {

struct AttentionCase {
  std::int64_t batch = 1, sq = 1, skv = 1, heads = 8, kv_heads = 8, head_dim = 64;
  DType q_dtype = DType::f32, kv_dtype = DType::f32;
  bool three_dim = false;  // [S, H, D] tensors instead of [1, S, H, D]
  bool fused_qkv = false;  // q, k and v as strided slices of one [B, S, H + 2 Hkv, D] buffer (Sq == Skv)
  float input_scale = 1.0f;  // inputs uniform in [-input_scale, input_scale]
  AttentionConfig config;
  std::string describe() const;
};

// Relative error per storage type, justified in attention_check.hpp: f32 1e-5, f16 output
// 2e-3; plus, for inputs scaled past 1, the f32 rounding error of the larger logits.
double attention_case_tolerance(const AttentionCase& c);

struct AttentionResult {
  CompareReport report;
  bool guard_intact = true;  // no byte written outside the output
  std::vector<float> out;
  std::vector<double> expected;
  // The kernel of each dispatch, in order: "rows", "rows_texel", "team", "decode" or "coopmat", and
  // "combine[serial]" or "combine[parallel]" (empty where the device has no timestamps).
  std::vector<std::string> kernels;
};

// Fresh random q, k, v from `rng`; runs vkrope::attention and the reference.
AttentionResult run_attention_case(const Context& ctx, const AttentionCase& c, std::mt19937& rng);

}  // namespace vkrope::conformance
