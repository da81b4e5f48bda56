// What vkrope knows about a Vulkan device, with no Vulkan types in sight.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

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

// One matrix multiply-accumulate a device runs on cooperative matrices (tensor cores), per
// subgroup: result (m x n) = a (m x k) * b (k x n) + c. Component types "f16", "f32", "bf16",
// "s8", ...; extension "KHR" (VK_KHR_cooperative_matrix) or "NV" (VK_NV_cooperative_matrix).
struct CooperativeMatrixShape {
  std::uint32_t m = 0, n = 0, k = 0;
  std::string a, b, c, result;
  std::string extension;
};
std::string to_string(const CooperativeMatrixShape& shape);  // "16x16x16 f16*f16+f32->f32 (KHR)"

// Makes a device look smaller or farther away than it is, so that paths it would not take
// run and are tested on any device. Flags, combined with |.
enum class Emulation : std::uint32_t {
  None = 0,
  // No 16-bit storage, float16, float64, subgroup arithmetic or shuffle, timeline
  // semaphores; shared memory capped at 16 KiB and workgroups at 128 invocations (the
  // Vulkan 1.1 minimums).
  Baseline = 1,
  // A discrete GPU's memory: tensors sit in memory the host may not map (uploads and
  // downloads go through staging copies), and no device-local memory is host-visible (no
  // BAR), so per-call inputs are recorded into the command buffer. Kernels are unchanged.
  Discrete = 2,
};
constexpr Emulation operator|(Emulation a, Emulation b) noexcept {
  return static_cast<Emulation>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
// Whether `set` includes every flag of `flags`.
constexpr bool has(Emulation set, Emulation flags) noexcept {
  return (static_cast<std::uint32_t>(set) & static_cast<std::uint32_t>(flags)) == static_cast<std::uint32_t>(flags);
}
// "none", "baseline", "discrete" or "baseline,discrete".
std::string to_string(Emulation emulation);
// The inverse of to_string: a comma-separated list of baseline, discrete, none. Throws
// InvalidArgument naming `what` (the variable or flag) for anything else.
Emulation parse_emulation(std::string_view text, std::string_view what);

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
  // The subgroup sizes a compute shader may run with (VK_EXT_subgroup_size_control; both
  // subgroup_size without it): a kernel that splits work by subgroup plans for the smallest
  // and rounds workgroups to the largest.
  std::uint32_t min_subgroup_size = 1;
  std::uint32_t max_subgroup_size = 1;
  // Compute units (NVIDIA SMs, AMD CUs, Arm shader cores) where an extension tells; 0 when
  // unknown. Split-KV decode sizes its grid from it.
  std::uint32_t compute_units = 0;
  // Subgroup-scope cooperative-matrix shapes (empty without either extension, and under
  // baseline emulation); what a tensor-core kernel would tile by.
  std::vector<CooperativeMatrixShape> cooperative_matrix;
  std::uint32_t subgroup_operations = 0;  // subgroup_ops bits
  bool storage_16bit = false;             // storageBuffer16BitAccess
  bool float16 = false;                   // shaderFloat16 arithmetic
  bool float64 = false;                   // shaderFloat64
  std::uint32_t shared_memory_bytes = 0;  // maxComputeSharedMemorySize
  std::array<std::uint32_t, 3> max_workgroup_size{};
  std::uint32_t max_workgroup_invocations = 0;
  std::array<std::uint32_t, 3> max_workgroup_count{};
  std::uint32_t max_storage_buffer_range = 0;
  std::uint32_t max_texel_buffer_elements = 0;  // maxTexelBufferElements (texels of one view)
  std::uint64_t min_texel_buffer_offset_alignment = 0;
  std::uint32_t max_push_constants_size = 0;
  std::uint64_t min_storage_buffer_offset_alignment = 0;
  std::uint64_t max_memory_allocation_size = 0;
  std::uint64_t device_local_bytes = 0;  // size of the largest device-local heap
  // Memory. unified_memory: tensors live in device-local memory the host maps (CPU drivers,
  // integrated GPUs), so uploads and downloads are plain copies; false on discrete GPUs,
  // where they go through staging buffers. mappable_device_local_bytes: the largest heap of
  // device-local memory the host can also map (all of it when unified; 256 MiB on a discrete
  // GPU without resizable BAR; 0 when there is none), where per-call inputs are written
  // directly instead of being recorded into the command buffer.
  bool unified_memory = false;
  std::uint64_t mappable_device_local_bytes = 0;
  bool timeline_semaphore = false;       // timelineSemaphore (Vulkan 1.2 or VK_KHR_timeline_semaphore)
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

VKROPE_PUBLIC_END
