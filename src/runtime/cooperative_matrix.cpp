#include "runtime/cooperative_matrix.hpp"

#include <string>

namespace vkrope::detail {

namespace {

// VK_KHR_cooperative_matrix's property query, laid out as the registry defines it: Debian
// 12's headers (1.3.239) predate the extension (1.3.255), so vkrope carries its own copy
// and loads the entry point by name. Component types and scopes share their values with
// VK_NV_cooperative_matrix's.
struct KhrCooperativeMatrixProperties {
  VkStructureType sType;
  void* pNext;
  std::uint32_t MSize, NSize, KSize;
  VkComponentTypeNV AType, BType, CType, ResultType;
  VkBool32 saturatingAccumulation;
  VkScopeNV scope;
};
constexpr auto kKhrPropertiesType = static_cast<VkStructureType>(1000506001);
using KhrQuery = VkResult(VKAPI_PTR*)(VkPhysicalDevice, std::uint32_t*, KhrCooperativeMatrixProperties*);

std::string component_name(VkComponentTypeNV type) {
  switch (static_cast<int>(type)) {
    case 0: return "f16";
    case 1: return "f32";
    case 2: return "f64";
    case 3: return "s8";
    case 4: return "s16";
    case 5: return "s32";
    case 6: return "s64";
    case 7: return "u8";
    case 8: return "u16";
    case 9: return "u32";
    case 10: return "u64";
    case 1000141000: return "bf16";  // VK_COMPONENT_TYPE_BFLOAT16_KHR
    default: return "type " + std::to_string(static_cast<int>(type));
  }
}

CooperativeMatrixShape shape(std::uint32_t m, std::uint32_t n, std::uint32_t k, VkComponentTypeNV a,
                             VkComponentTypeNV b, VkComponentTypeNV c, VkComponentTypeNV result, const char* ext) {
  return {m, n, k, component_name(a), component_name(b), component_name(c), component_name(result), ext};
}

}  // namespace

std::vector<CooperativeMatrixShape> query_cooperative_matrix(VkInstance instance, VkPhysicalDevice device, bool has_khr,
                                                             bool has_nv) {
  std::vector<CooperativeMatrixShape> shapes;
  if (has_khr) {
    const auto query = reinterpret_cast<KhrQuery>(
        vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR"));
    std::uint32_t count = 0;
    if (query && query(device, &count, nullptr) == VK_SUCCESS && count > 0) {
      std::vector<KhrCooperativeMatrixProperties> props(count, KhrCooperativeMatrixProperties{kKhrPropertiesType});
      if (query(device, &count, props.data()) == VK_SUCCESS)
        for (std::uint32_t i = 0; i < count; ++i)
          if (props[i].scope == VK_SCOPE_SUBGROUP_NV)
            shapes.push_back(shape(props[i].MSize, props[i].NSize, props[i].KSize, props[i].AType, props[i].BType,
                                   props[i].CType, props[i].ResultType, "KHR"));
    }
    if (!shapes.empty()) return shapes;
  }
  if (has_nv && vkGetPhysicalDeviceCooperativeMatrixPropertiesNV) {
    std::uint32_t count = 0;
    if (vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(device, &count, nullptr) == VK_SUCCESS && count > 0) {
      std::vector<VkCooperativeMatrixPropertiesNV> props(count, {VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV});
      if (vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(device, &count, props.data()) == VK_SUCCESS)
        for (std::uint32_t i = 0; i < count; ++i)
          if (props[i].scope == VK_SCOPE_SUBGROUP_NV)
            shapes.push_back(shape(props[i].MSize, props[i].NSize, props[i].KSize, props[i].AType, props[i].BType,
                                   props[i].CType, props[i].DType, "NV"));
    }
  }
  return shapes;
}

}  // namespace vkrope::detail
