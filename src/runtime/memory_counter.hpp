#pragma once

#include <atomic>
#include <cstdint>

namespace vkrope::detail {

// Device memory held by a Context's buffers, for Context::memory_stats(). Shared with the
// buffers so cached ones (which do not hold the Context) can still count themselves out.
struct MemoryCounter {
  std::atomic<std::uint64_t> live{0};
  std::atomic<std::uint64_t> peak{0};
  void add(std::uint64_t bytes);
  void remove(std::uint64_t bytes) { live -= bytes; }
};

}  // namespace vkrope::detail
