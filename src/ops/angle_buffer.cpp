#include "ops/angle_buffer.hpp"

#include <string>

#include "rope/angle_table.hpp"
#include "runtime/memory.hpp"

namespace vkrope::detail {

namespace {

// The frequencies' bytes identify the table: equal configs give equal keys.
std::string table_key(const RopeFrequencies& f) {
  std::string key(reinterpret_cast<const char*>(f.inv_freq.data()), f.inv_freq.size() * sizeof(double));
  key.append(reinterpret_cast<const char*>(&f.attention_factor), sizeof(double));
  return "rope-angles:" + key;
}

}  // namespace

std::shared_ptr<BufferStorage> angle_table_buffer(BatchState& state, const RopeFrequencies& frequencies) {
  return state.ctx.buffer_cache.get(table_key(frequencies), [&] {
    const std::vector<float> angles = build_angle_table(frequencies);
    return allocate_cached_storage(state.ctx, std::as_bytes(std::span(angles)));
  });
}

}  // namespace vkrope::detail
