// Reads a physical device's properties, features and limits into a DeviceInfo, chaining
// only the structures its API version and extensions define (SwiftShader prints a warning
// for every pNext structure it does not know).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "vk/vk.hpp"
#include "vkrope/device_info.hpp"

namespace vkrope::detail {

struct PhysicalDevice {
  VkPhysicalDevice handle = VK_NULL_HANDLE;
  DeviceInfo info;
  std::uint32_t compute_queue_family = UINT32_MAX;  // UINT32_MAX: no compute queue
  std::uint32_t timestamp_valid_bits = 0;  // of the compute queue family
  bool float16_needs_extension = false;  // VK_KHR_shader_float16_int8 (API < 1.2)
  bool timeline_needs_extension = false;  // VK_KHR_timeline_semaphore (enabled wherever listed)
  // VK_KHR_cooperative_matrix with its feature, and VK_KHR_vulkan_memory_model with its.
  bool khr_cooperative_matrix = false;
  std::vector<std::string> extensions;
  std::array<std::uint8_t, VK_UUID_SIZE> pipeline_cache_uuid{};
  bool has_extension(const char* name) const;
};

// `instance` owns `device` (entry points not in volk's table are loaded from it).
PhysicalDevice query_device(VkInstance instance, VkPhysicalDevice device, std::uint32_t index);
std::vector<PhysicalDevice> query_all_devices(VkInstance instance);

}  // namespace vkrope::detail
