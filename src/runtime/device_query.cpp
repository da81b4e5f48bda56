#include "runtime/device_query.hpp"

#include <algorithm>
#include <cstring>

#include "runtime/cooperative_matrix.hpp"
#include "vk/fault.hpp"

namespace vkrope::detail {

namespace {

DeviceType to_device_type(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return DeviceType::IntegratedGpu;
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return DeviceType::DiscreteGpu;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return DeviceType::VirtualGpu;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return DeviceType::Cpu;
    default: return DeviceType::Other;
  }
}

std::vector<std::string> device_extensions(VkPhysicalDevice device) {
  std::uint32_t count = 0;
  VK_TRY(EnumerateDeviceExtensionProperties, vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr));
  std::vector<VkExtensionProperties> props(count);
  VK_TRY(EnumerateDeviceExtensionProperties, vkEnumerateDeviceExtensionProperties(device, nullptr, &count, props.data()));
  std::vector<std::string> names;
  for (const auto& p : props) names.emplace_back(p.extensionName);
  return names;
}

}  // namespace

bool PhysicalDevice::has_extension(const char* name) const {
  return std::find(extensions.begin(), extensions.end(), name) != extensions.end();
}

PhysicalDevice query_device(VkInstance instance, VkPhysicalDevice device, std::uint32_t index) {
  PhysicalDevice pd;
  pd.handle = device;
  pd.extensions = device_extensions(device);
  DeviceInfo& info = pd.info;
  info.index = index;

  VkPhysicalDeviceProperties base{};
  vkGetPhysicalDeviceProperties(device, &base);
  const bool api12 = base.apiVersion >= VK_API_VERSION_1_2;

  // Properties: subgroup and ID are core 1.1; driver properties need 1.2 or the extension.
  VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceIDProperties id{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
  VkPhysicalDeviceMaintenance3Properties maintenance3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &subgroup;
  subgroup.pNext = &id;
  id.pNext = &maintenance3;
  const bool has_driver_props = api12 || pd.has_extension(VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
  // The optional structures only where their extension is listed (each appended at `tail`):
  // the subgroup sizes a compute shader may run with, and the compute-unit count.
  void** tail = &maintenance3.pNext;
  const auto chain = [&tail](auto& structure) {
    *tail = &structure;
    tail = &structure.pNext;
  };
  if (has_driver_props) chain(driver);
  VkPhysicalDeviceSubgroupSizeControlPropertiesEXT size_control{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT};
  const bool has_size_control = pd.has_extension(VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  if (has_size_control) chain(size_control);
  VkPhysicalDeviceShaderSMBuiltinsPropertiesNV nv_sm{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SM_BUILTINS_PROPERTIES_NV};
  const bool has_nv_sm = pd.has_extension(VK_NV_SHADER_SM_BUILTINS_EXTENSION_NAME);
  if (has_nv_sm) chain(nv_sm);
  VkPhysicalDeviceShaderCorePropertiesAMD amd_core{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CORE_PROPERTIES_AMD};
  const bool has_amd_core = pd.has_extension(VK_AMD_SHADER_CORE_PROPERTIES_EXTENSION_NAME);
  if (has_amd_core) chain(amd_core);
#ifdef VK_ARM_shader_core_builtins  // newer headers than Debian 12's
  VkPhysicalDeviceShaderCoreBuiltinsPropertiesARM arm_core{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CORE_BUILTINS_PROPERTIES_ARM};
  const bool has_arm_core = pd.has_extension(VK_ARM_SHADER_CORE_BUILTINS_EXTENSION_NAME);
  if (has_arm_core) chain(arm_core);
#endif
  vkGetPhysicalDeviceProperties2(device, &props);

  // Features: 16-bit storage is core 1.1; float16 arithmetic needs 1.2 or the extension.
  VkPhysicalDevice16BitStorageFeatures storage16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  VkPhysicalDeviceShaderFloat16Int8Features f16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  VkPhysicalDeviceTimelineSemaphoreFeatures timeline{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES};
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &storage16;
  const bool has_f16_struct = api12 || pd.has_extension(VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  // The instance is created for Vulkan 1.1, so 1.2's core timeline functions are not ours
  // to call: timeline semaphores come through the extension (which 1.2+ drivers still list).
  const bool has_timeline_struct = pd.has_extension(VK_KHR_TIMELINE_SEMAPHORE_EXTENSION_NAME);
  void** feature_tail = &storage16.pNext;
  if (has_f16_struct) {
    *feature_tail = &f16;
    feature_tail = &f16.pNext;
  }
  if (has_timeline_struct) {
    *feature_tail = &timeline;
    feature_tail = &timeline.pNext;
  }
  // Cooperative matrices: the KHR feature, and the Vulkan memory model its GLSL needs
  // (GL_KHR_cooperative_matrix's scopes come with GL_KHR_memory_scope_semantics, which
  // makes glslang emit the VulkanMemoryModel capability).
  KhrCooperativeMatrixFeatures coop;
  VkPhysicalDeviceVulkanMemoryModelFeaturesKHR memory_model{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES_KHR};
  const bool has_khr_coop = pd.has_extension(kKhrCooperativeMatrixExtension) &&
                            pd.has_extension(VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME);
  if (has_khr_coop) {
    *feature_tail = &coop;
    coop.pNext = &memory_model;
  }
  vkGetPhysicalDeviceFeatures2(device, &features);
  pd.float16_needs_extension = !api12 && has_f16_struct;
  pd.timeline_needs_extension = has_timeline_struct;

  info.name = base.deviceName;
  info.vendor_id = base.vendorID;
  info.device_id = base.deviceID;
  info.type = to_device_type(base.deviceType);
  info.api_version = base.apiVersion;
  info.driver_version = base.driverVersion;
  if (has_driver_props) {
    info.driver_name = driver.driverName;
    info.driver_info = driver.driverInfo;
  }
  std::memcpy(info.device_uuid.data(), id.deviceUUID, VK_UUID_SIZE);
  std::memcpy(pd.pipeline_cache_uuid.data(), base.pipelineCacheUUID, VK_UUID_SIZE);

  info.subgroup_size = subgroup.subgroupSize;
  info.min_subgroup_size = has_size_control ? size_control.minSubgroupSize : subgroup.subgroupSize;
  info.max_subgroup_size = has_size_control ? size_control.maxSubgroupSize : subgroup.subgroupSize;
  if (has_nv_sm) info.compute_units = nv_sm.shaderSMCount;
  if (has_amd_core)
    info.compute_units =
        amd_core.shaderEngineCount * amd_core.shaderArraysPerEngineCount * amd_core.computeUnitsPerShaderArray;
#ifdef VK_ARM_shader_core_builtins
  if (has_arm_core) info.compute_units = arm_core.shaderCoreCount;
#endif
  // KHR shapes only where vkrope can enable what a shader using them needs. The memory
  // model's device scope too: with vulkanMemoryModel on and it off, any shader using Device
  // scope (a caller's atomicAdd in a vkrope::Kernel, say) becomes invalid.
  pd.khr_cooperative_matrix = has_khr_coop && coop.cooperativeMatrix == VK_TRUE &&
                              memory_model.vulkanMemoryModel == VK_TRUE &&
                              memory_model.vulkanMemoryModelDeviceScope == VK_TRUE;
  info.cooperative_matrix = query_cooperative_matrix(instance, device, pd.khr_cooperative_matrix,
                                                     pd.has_extension(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME));
  info.subgroup_operations =
      (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ? subgroup.supportedOperations : 0u;
  info.storage_16bit = storage16.storageBuffer16BitAccess == VK_TRUE;
  info.float16 = has_f16_struct && f16.shaderFloat16 == VK_TRUE;
  info.float64 = features.features.shaderFloat64 == VK_TRUE;
  info.timeline_semaphore = has_timeline_struct && timeline.timelineSemaphore == VK_TRUE;

  const VkPhysicalDeviceLimits& limits = base.limits;
  info.shared_memory_bytes = limits.maxComputeSharedMemorySize;
  for (std::size_t i = 0; i < 3; ++i) {
    info.max_workgroup_size[i] = limits.maxComputeWorkGroupSize[i];
    info.max_workgroup_count[i] = limits.maxComputeWorkGroupCount[i];
  }
  info.max_workgroup_invocations = limits.maxComputeWorkGroupInvocations;
  info.max_storage_buffer_range = limits.maxStorageBufferRange;
  info.max_texel_buffer_elements = limits.maxTexelBufferElements;
  info.min_texel_buffer_offset_alignment = limits.minTexelBufferOffsetAlignment;
  info.max_push_constants_size = limits.maxPushConstantsSize;
  info.min_storage_buffer_offset_alignment = limits.minStorageBufferOffsetAlignment;
  info.max_memory_allocation_size = maintenance3.maxMemoryAllocationSize;
  info.timestamp_period_ns = limits.timestampPeriod;

  VkPhysicalDeviceMemoryProperties memory{};
  vkGetPhysicalDeviceMemoryProperties(device, &memory);
  for (std::uint32_t h = 0; h < memory.memoryHeapCount; ++h)
    if (memory.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info.device_local_bytes = std::max<std::uint64_t>(info.device_local_bytes, memory.memoryHeaps[h].size);
  constexpr VkMemoryPropertyFlags mappable = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  for (std::uint32_t t = 0; t < memory.memoryTypeCount; ++t)
    if ((memory.memoryTypes[t].propertyFlags & mappable) == mappable)
      info.mappable_device_local_bytes = std::max<std::uint64_t>(
          info.mappable_device_local_bytes, memory.memoryHeaps[memory.memoryTypes[t].heapIndex].size);
  // A discrete GPU's host-visible device memory is a window over PCIe (BAR): fine for
  // small writes, slow to read, so its tensors stay unmapped even with resizable BAR.
  info.unified_memory = (info.type == DeviceType::Cpu || info.type == DeviceType::IntegratedGpu) &&
                        info.mappable_device_local_bytes > 0;

  // The first queue family with compute; timestamps need valid bits on that family.
  std::uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, families.data());
  for (std::uint32_t f = 0; f < family_count; ++f) {
    if (families[f].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      pd.compute_queue_family = f;
      info.has_compute_queue = true;
      pd.timestamp_valid_bits = families[f].timestampValidBits;
      info.timestamps = families[f].timestampValidBits > 0 && limits.timestampPeriod > 0.0f;
      break;
    }
  }
  return pd;
}

std::vector<PhysicalDevice> query_all_devices(VkInstance instance) {
  std::uint32_t count = 0;
  VK_TRY(EnumeratePhysicalDevices, vkEnumeratePhysicalDevices(instance, &count, nullptr));
  std::vector<VkPhysicalDevice> handles(count);
  VK_TRY(EnumeratePhysicalDevices, vkEnumeratePhysicalDevices(instance, &count, handles.data()));
  std::vector<PhysicalDevice> devices;
  devices.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) devices.push_back(query_device(instance, handles[i], i));
  return devices;
}

}  // namespace vkrope::detail
