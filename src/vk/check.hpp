// VK_CHECK: every VkResult is checked; failures become vkrope::Error with the expression,
// file and line, and a kind chosen from the result (out of memory, device lost, ...).
#pragma once

#include <string>
#include <string_view>

#include "vk/calls.hpp"
#include "vk/vk.hpp"
#include "vkrope/error.hpp"

namespace vkrope::vk {

std::string_view result_name(VkResult result) noexcept;
ErrorKind kind_of(VkResult result) noexcept;
[[noreturn]] void throw_result(VkResult result, const char* expression, const char* file, int line);

}  // namespace vkrope::vk

#define VK_CHECK(expr)                                                              \
  do {                                                                              \
    const VkResult vkrope_result_ = (expr);                                         \
    if (vkrope_result_ != VK_SUCCESS)                                               \
      ::vkrope::vk::throw_result(vkrope_result_, #expr, __FILE__, __LINE__);        \
  } while (false)

// VK_CHECK of a call that vkrope::vulkan_calls() counts (vk/calls.hpp): counts one call of
// `kind`, then runs and checks `expr`.
#define VK_CHECK_COUNTED(kind, expr)                                                \
  do {                                                                              \
    ::vkrope::vk::count(::vkrope::vk::Call::kind);                                  \
    VK_CHECK(expr);                                                                 \
  } while (false)
