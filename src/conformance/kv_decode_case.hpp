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
  std::optional<DType> value_dtype;  // the values' format when it differs from the keys' 
  RopeLayout layout = RopeLayout::Neox;
  std::string describe() const;
};

// Relative error of all steps' outputs. f32 cache: 1e-5 (float32 arithmetic throughout, as
// attention's f32 tolerance). f16 cache: 2e-3; the cache rounds the rotated keys and the
// values to 11 significant bits (4.9e-4 relative each), which the reference does not see.
// The other formats (bf16, q8_0, q4_0, or K and V in different formats): the reference
// attends over the values the cache stores (the queries rotated in double), so 1e-5.
double kv_decode_tolerance(const KvDecodeCase& c);

struct KvDecodeResult {
  CompareReport report;
  bool guard_intact = true;  // no step wrote outside the output
};
KvDecodeResult run_kv_decode_case(const Context& ctx, const KvDecodeCase& c, std::mt19937& rng);

}  // namespace vkrope::conformance
