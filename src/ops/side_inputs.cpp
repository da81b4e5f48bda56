#include "ops/side_inputs.hpp"

#include <string>

#include "vkrope/attention.hpp"

namespace vkrope::detail {

Binding alibi_buffer(BatchState& state, std::int64_t heads) {
  return reads_all(state.ctx.buffer_cache.get("alibi-slopes:" + std::to_string(heads), [&] {
    std::vector<float> slopes;
    for (double x : alibi_slopes(heads)) slopes.push_back(static_cast<float>(x));
    return allocate_cached_storage(state.ctx, std::as_bytes(std::span(slopes)));
  }));
}

Binding placeholder_buffer(BatchState& state) {
  return reads_all(state.ctx.buffer_cache.get("placeholder", [&] {
    const float zeros[4] = {};
    return allocate_cached_storage(state.ctx, std::as_bytes(std::span(zeros)));
  }));
}

}  // namespace vkrope::detail
