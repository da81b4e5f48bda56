// vkrope::Error: the one exception type vkrope throws across its public API.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

// What went wrong, so callers can decide without parsing the message.
enum class ErrorKind {
  InvalidArgument,  // the caller passed something wrong: a shape, a value, a file's content
  Unsupported,      // valid, but this device or installation cannot do it
  OutOfMemory,      // a device or host allocation failed
  DeviceLost,       // VK_ERROR_DEVICE_LOST: the device must be recreated
  Mismatch,         // checked mode: GPU output differs from the CPU reference
  Io,               // a file could not be read or written
  Internal,         // an unexpected Vulkan failure; a bug in vkrope or the driver
};

std::string_view to_string(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  // vk_result is the VkResult (as an int) when a Vulkan call failed, 0 otherwise.
  Error(ErrorKind kind, const std::string& message, std::int32_t vk_result = 0);

  ErrorKind kind() const noexcept { return kind_; }
  std::int32_t vk_result() const noexcept { return vk_result_; }

 private:
  ErrorKind kind_;
  std::int32_t vk_result_;
};

}  // namespace vkrope

VKROPE_PUBLIC_END
