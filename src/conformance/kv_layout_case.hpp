// The KV cache's layouts as an engine uses them, one decode step checked: a ragged batch
// (sequences of different lengths), a paged cache with forked sequences sharing a prompt,
// and a sliding-window ring with sink tokens after three windows of tokens. The last
// step's output (between guard bands) is compared with the double-precision reference over
// the values the cache stores, queries rotated in double: float32's tolerance (1e-5).
#pragma once

#include <random>
#include <string>

#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"

namespace vkrope::conformance {

enum class KvLayout { Ragged, PagedForks, RingWithSinks };
const char* to_string(KvLayout layout) noexcept;

struct KvLayoutCase {
  KvLayout layout = KvLayout::Ragged;
  DType format = DType::f16;
  std::int64_t heads = 4, kv_heads = 2, head_dim = 64;
  std::string describe() const;
};

struct KvLayoutResult {
  CompareReport report;
  bool guard_intact = true;
};
KvLayoutResult run_kv_layout_case(const Context& ctx, const KvLayoutCase& c, std::mt19937& rng);

}  // namespace vkrope::conformance
