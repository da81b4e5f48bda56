// quantize.comp's dispatch: values in f32 / f16 written into buffers of any storage format,
// keys optionally rotated on the way. Shared by KvCache::append (K and V in one dispatch)
// and vkrope::quantize (one tensor).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ops/tensor_layout.hpp"
#include "runtime/batch_state.hpp"
#include "vkrope/rope.hpp"

namespace vkrope::detail {

struct StoreRequest {
  const Tensor* k_src = nullptr;  // [B, T, H, D] as k_layout, f32 or f16
  const Tensor* v_src = nullptr;  // nullptr: k only
  Layout4 k_layout{}, v_layout{};
  const Tensor* k_dst = nullptr;  // [B, capacity, H, D] contiguous, written at tokens start..
  const Tensor* v_dst = nullptr;
  std::int64_t start = 0, capacity = 0;
  std::int64_t position = -1;        // of the first token, for RoPE (-1: start)
  const RopeConfig* rope = nullptr;  // rotate the keys at positions position..position+T-1
  std::string label;
};

// Records the dispatch. The caller has checked shapes, formats (a block format's head_dim
// is a multiple of 32) and the 32-bit element indices of the destinations.
void dispatch_store(BatchState& state, const StoreRequest& request);

}  // namespace vkrope::detail
