// The counters behind vkrope::live_objects(): a LiveToken member counts its owner in and out.
#pragma once

#include <atomic>
#include <cstdint>

namespace vkrope::detail {

enum class Live { Context, Buffer, Batch };

std::atomic<std::int64_t>& live_counter(Live kind) noexcept;

// A member that counts its owner: construction (or copy) adds one, destruction takes one.
template <Live Kind>
struct LiveToken {
  LiveToken() noexcept { live_counter(Kind).fetch_add(1, std::memory_order_relaxed); }
  LiveToken(const LiveToken&) noexcept : LiveToken() {}
  LiveToken& operator=(const LiveToken&) noexcept { return *this; }
  ~LiveToken() { live_counter(Kind).fetch_sub(1, std::memory_order_relaxed); }
};

}  // namespace vkrope::detail
