// The fault-injection hook (public side: vkrope/fault_injection.hpp) at each fallible call.
// VK_CALL(Point, expr) runs the call through the hook and gives its VkResult; VK_TRY does the
// same and throws vkrope::Error naming the Vulkan function on failure. Both also count the
// call in vkrope::vulkan_calls() where that counts it. Off (nothing armed, no trace), the hook
// is one relaxed atomic load.
#pragma once

#include <atomic>

#include "vk/check.hpp"
#include "vk/vk.hpp"
#include "vkrope/fault_injection.hpp"

namespace vkrope::vk {

using fault::Point;

// True while a fault is armed or a trace is recording.
extern std::atomic<bool> g_fault_hook_on;

// The hook's slow path: records the call in the trace, and returns the armed fault's result
// when this is its call (disarming it), else VK_SUCCESS.
VkResult take_fault(Point point) noexcept;
// Whether an injected failure of `point` still makes the call (waits and status queries).
bool runs_before_failing(Point point) noexcept;
// Counts the call in vulkan_calls() where that counts this point.
void count_point(Point point) noexcept;
// Throws the Error for a failed call: "vkQueueSubmit failed with VK_ERROR_DEVICE_LOST (file:line)".
[[noreturn]] void throw_failed(Point point, VkResult result, const char* file, int line);

template <typename Call>
VkResult call(Point point, Call&& make_call) {
  count_point(point);
  if (!g_fault_hook_on.load(std::memory_order_relaxed)) [[likely]]
    return make_call();
  const VkResult injected = take_fault(point);
  if (injected == VK_SUCCESS) return make_call();
  if (runs_before_failing(point)) (void)make_call();
  return injected;
}

// A file access (no VkResult of its own): true when an armed fault fails it.
inline bool file_access_fails(Point point) noexcept {
  return g_fault_hook_on.load(std::memory_order_relaxed) && take_fault(point) != VK_SUCCESS;
}

}  // namespace vkrope::vk

#define VK_CALL(point, expr) ::vkrope::vk::call(::vkrope::fault::Point::point, [&]() -> VkResult { return (expr); })

#define VK_TRY(point, expr)                                                            \
  do {                                                                                 \
    const VkResult vkrope_try_result_ = VK_CALL(point, expr);                          \
    if (vkrope_try_result_ != VK_SUCCESS)                                              \
      ::vkrope::vk::throw_failed(::vkrope::fault::Point::point, vkrope_try_result_,    \
                                 __FILE__, __LINE__);                                  \
  } while (false)
