// A decode loop through the KvCache, as an engine runs it: each step appends one token's
// key and value (RoPE applied to the key on the way in) and attends with that token's
// query; the outputs of all steps are compared with one causal attention over every
// token in the double-precision reference.
#pragma once

#include <random>
#include <string>

#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"

namespace vkrope::conformance {

struct KvDecodeCase {
  std::int64_t steps = 100, heads = 8, kv_heads = 2, head_dim = 64;
  DType cache_dtype = DType::f16;  // queries, new keys and values are f32 (engine activations)
  RopeLayout layout = RopeLayout::Neox;
  std::string describe() const;
};

// Relative error of all steps' outputs. f32 cache: 1e-5 (float32 arithmetic throughout, as
// attention's f32 tolerance). f16 cache: 2e-3; the cache rounds the rotated keys and the
// values to 11 significant bits (4.9e-4 relative each), which the reference does not see.
double kv_decode_tolerance(const KvDecodeCase& c);

struct KvDecodeResult {
  CompareReport report;
  bool guard_intact = true;  // no step wrote outside the output
};
KvDecodeResult run_kv_decode_case(const Context& ctx, const KvDecodeCase& c, std::mt19937& rng);

}  // namespace vkrope::conformance
