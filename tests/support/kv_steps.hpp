// Decode steps through a KvCache as an engine runs them, shared by the KV cache tests.
#pragma once

#include "vkrope/kv_cache.hpp"

namespace vkrope::test {

// Step t (of q's Sq) appends token t's key and value (k, v: [1, steps, Hkv, D]) and attends
// with its query (q: [1, steps, H, D]) into row t of out, one batch per step.
inline void decode_steps(const Context& ctx, KvCache& cache, const Tensor& q, const Tensor& k, const Tensor& v,
                         const Tensor& out, const AttentionConfig& config) {
  const std::int64_t steps = q.shape()[1], d = q.shape()[3];
  for (std::int64_t t = 0; t < steps; ++t) {
    const auto row = [&](const Tensor& x) {
      const std::int64_t heads = x.shape()[2];
      return x.view({1, 1, heads, d}, x.strides(), x.offset() + t * heads * d);
    };
    Batch batch(ctx);
    cache.append(batch, 0, row(k), row(v));
    cache.attend(batch, 0, config, row(q), row(out));
    batch.submit();
  }
}

}  // namespace vkrope::test
