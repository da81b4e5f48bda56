#include "vk/calls.hpp"

#include <array>
#include <atomic>
#include <cstddef>

namespace vkrope::vk {

namespace {

std::array<std::atomic<std::int64_t>, static_cast<std::size_t>(Call::Count)>& counters() noexcept {
  static std::array<std::atomic<std::int64_t>, static_cast<std::size_t>(Call::Count)> all{};
  return all;
}

}  // namespace

void count(Call call) noexcept { counters()[static_cast<std::size_t>(call)].fetch_add(1, std::memory_order_relaxed); }

std::int64_t calls(Call call) noexcept { return counters()[static_cast<std::size_t>(call)].load(); }

}  // namespace vkrope::vk
