// From a failed VkResult to vkrope::Error: the kind chosen from the result (out of memory,
// device lost, ...), the message naming the call, file and line. The call sites use VK_TRY
// (vk/fault.hpp), which runs each call through the fault-injection hook first.
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
