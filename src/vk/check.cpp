#include "vk/check.hpp"

#include <cstring>

namespace vkrope::vk {

std::string_view result_name(VkResult result) noexcept {
  switch (result) {
#define VKROPE_CASE(r) \
  case r:              \
    return #r;
    VKROPE_CASE(VK_SUCCESS)
    VKROPE_CASE(VK_NOT_READY)
    VKROPE_CASE(VK_TIMEOUT)
    VKROPE_CASE(VK_INCOMPLETE)
    VKROPE_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    VKROPE_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    VKROPE_CASE(VK_ERROR_INITIALIZATION_FAILED)
    VKROPE_CASE(VK_ERROR_DEVICE_LOST)
    VKROPE_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    VKROPE_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    VKROPE_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    VKROPE_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    VKROPE_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    VKROPE_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    VKROPE_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    VKROPE_CASE(VK_ERROR_FRAGMENTED_POOL)
    VKROPE_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    VKROPE_CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    VKROPE_CASE(VK_ERROR_FRAGMENTATION)
    VKROPE_CASE(VK_ERROR_UNKNOWN)
#undef VKROPE_CASE
    default:
      return "VkResult(unknown)";
  }
}

ErrorKind kind_of(VkResult result) noexcept {
  switch (result) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_OUT_OF_POOL_MEMORY:
    case VK_ERROR_FRAGMENTED_POOL:
    case VK_ERROR_FRAGMENTATION:
    case VK_ERROR_TOO_MANY_OBJECTS:
      return ErrorKind::OutOfMemory;
    case VK_ERROR_DEVICE_LOST:
      return ErrorKind::DeviceLost;
    case VK_ERROR_LAYER_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_INCOMPATIBLE_DRIVER:
      return ErrorKind::Unsupported;
    default:
      return ErrorKind::Internal;
  }
}

void throw_result(VkResult result, const char* expression, const char* file, int line) {
  const char* base = std::strrchr(file, '/');
  std::string message = std::string(expression) + " failed with " +
                        std::string(result_name(result)) + " (" + (base ? base + 1 : file) + ":" +
                        std::to_string(line) + ")";
  throw Error(kind_of(result), message, static_cast<std::int32_t>(result));
}

}  // namespace vkrope::vk

