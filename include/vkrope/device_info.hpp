// What vkrope knows about a Vulkan device, with no Vulkan types in sight.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace vkrope {

enum class DeviceType { Other, IntegratedGpu, DiscreteGpu, VirtualGpu, Cpu };
std::string_view to_string(DeviceType type) noexcept;

// Subgroup operations a device supports in compute shaders (VkSubgroupFeatureFlagBits).
namespace subgroup_ops {
inline constexpr std::uint32_t basic = 0x1;
inline constexpr std::uint32_t vote = 0x2;
inline constexpr std::uint32_t arithmetic = 0x4;
inline constexpr std::uint32_t ballot = 0x8;
inline constexpr std::uint32_t shuffle = 0x10;
inline constexpr std::uint32_t shuffle_relative = 0x20;
inline constexpr std::uint32_t clustered = 0x40;
inline constexpr std::uint32_t quad = 0x80;
}  // namespace subgroup_ops
std::string subgroup_ops_to_string(std::uint32_t ops);

// Turns optional features off so the portable kernel paths can be exercised on any device.
enum class Emulation {
  None,
  // No 16-bit storage, float16, float64, subgroup arithmetic or shuffle; shared memory
  // capped at 16 KiB and workgroups at 128 invocations (the Vulkan 1.1 minimums).
  Baseline,
};
std::string_view to_string(Emulation emulation) noexcept;

// Smaller limits than the device has, to see what an application (and vkrope) does on a
// smaller device without owning one: splitting of large grids, refusal of large tensors,
// running out of memory. 0 keeps the device's value; a cap above it changes nothing.
struct LimitCaps {
  std::uint32_t max_workgroup_count = 0;       // each of maxComputeWorkGroupCount[0..2]
  std::uint32_t max_storage_buffer_range = 0;  // maxStorageBufferRange, bytes
  std::uint64_t device_memory = 0;             // device_local_bytes: what a Context may hold
};

struct DeviceInfo {
  std::uint32_t index = 0;  // position in the loader's enumeration order
  std::string name;
  std::uint32_t vendor_id = 0;
  std::uint32_t device_id = 0;
  DeviceType type = DeviceType::Other;
  std::uint32_t api_version = 0;     // VK_MAKE_API_VERSION encoding
  std::uint32_t driver_version = 0;  // vendor-specific encoding
  std::string driver_name;           // empty when the device lacks VK_KHR_driver_properties
  std::string driver_info;
  std::array<std::uint8_t, 16> device_uuid{};
  bool has_compute_queue = false;    // devices without one are never selected

  // Compute capabilities. In a Context created with emulation these are the *effective*
  // values, which kernels choose their variants from.
  std::uint32_t subgroup_size = 1;
  std::uint32_t subgroup_operations = 0;  // subgroup_ops bits
  bool storage_16bit = false;             // storageBuffer16BitAccess
  bool float16 = false;                   // shaderFloat16 arithmetic
  bool float64 = false;                   // shaderFloat64
  std::uint32_t shared_memory_bytes = 0;  // maxComputeSharedMemorySize
  std::array<std::uint32_t, 3> max_workgroup_size{};
  std::uint32_t max_workgroup_invocations = 0;
  std::array<std::uint32_t, 3> max_workgroup_count{};
  std::uint32_t max_storage_buffer_range = 0;
  std::uint32_t max_push_constants_size = 0;
  std::uint64_t min_storage_buffer_offset_alignment = 0;
  std::uint64_t max_memory_allocation_size = 0;
  std::uint64_t device_local_bytes = 0;  // size of the largest device-local heap
  bool timestamps = false;               // compute queue can write timestamps
  double timestamp_period_ns = 0.0;      // nanoseconds per timestamp tick
  Emulation emulation = Emulation::None;

  std::string api_version_string() const;
  bool has_subgroup(std::uint32_t ops) const noexcept {
    return (subgroup_operations & ops) == ops;
  }
};

// The capabilities left after emulation and caps (identity for Emulation::None and no caps).
DeviceInfo apply_emulation(DeviceInfo info, Emulation emulation, const LimitCaps& caps = {});

}  // namespace vkrope
