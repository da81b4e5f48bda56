#include "vk/handles.hpp"

namespace vkrope::vk {

std::atomic<std::int64_t>& live_object_count() noexcept {
  static std::atomic<std::int64_t> count{0};
  return count;
}

}  // namespace vkrope::vk
