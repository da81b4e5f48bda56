// The matrix shapes a device runs on cooperative matrices (tensor cores), from
// VK_KHR_cooperative_matrix where the device has it, else VK_NV_cooperative_matrix.
#pragma once

#include <vector>

#include "vk/vk.hpp"
#include "vkrope/device_info.hpp"

namespace vkrope::detail {

// VK_KHR_cooperative_matrix's feature structure, laid out as the registry defines it
// (Debian 12's Vulkan headers predate the extension).
struct KhrCooperativeMatrixFeatures {
  VkStructureType sType = static_cast<VkStructureType>(1000506000);
  void* pNext = nullptr;
  VkBool32 cooperativeMatrix = VK_FALSE;
  VkBool32 cooperativeMatrixRobustBufferAccess = VK_FALSE;
};
inline constexpr const char* kKhrCooperativeMatrixExtension = "VK_KHR_cooperative_matrix";

// Subgroup-scope shapes only (the scope a compute shader's subgroup multiplies in); empty
// when the device lists neither extension.
// `instance` owns `device`: the KHR query is loaded from it by name.
std::vector<CooperativeMatrixShape> query_cooperative_matrix(VkInstance instance, VkPhysicalDevice device, bool has_khr,
                                                             bool has_nv);

}  // namespace vkrope::detail
