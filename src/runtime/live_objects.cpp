#include "runtime/live_objects.hpp"

#include <array>
#include <string>

#include "vk/handles.hpp"
#include "vkrope/live_objects.hpp"

namespace vkrope {

namespace detail {

std::atomic<std::int64_t>& live_counter(Live kind) noexcept {
  static std::array<std::atomic<std::int64_t>, 3> counters{};
  return counters[static_cast<std::size_t>(kind)];
}

}  // namespace detail

LiveObjects live_objects() noexcept {
  using detail::Live;
  using detail::live_counter;
  return {live_counter(Live::Context).load(), live_counter(Live::Buffer).load(), live_counter(Live::Batch).load(),
          vk::live_object_count().load()};
}

std::string to_string(const LiveObjects& o) {
  return "contexts " + std::to_string(o.contexts) + ", buffers " + std::to_string(o.buffers) + ", batches " +
         std::to_string(o.batches) + ", vulkan objects " + std::to_string(o.vulkan_objects);
}

}  // namespace vkrope
