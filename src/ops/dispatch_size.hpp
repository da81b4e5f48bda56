// How many workgroups a 1-D grid-stride kernel gets.
#pragma once

#include <algorithm>
#include <cstdint>

#include "vkrope/device_info.hpp"

namespace vkrope::detail {

// A workgroup size for simple 1-D kernels: 256 or the device's (emulated) limit.
inline std::uint32_t default_workgroup_size(const DeviceInfo& info) {
  return std::min({256u, info.max_workgroup_invocations, info.max_workgroup_size[0]});
}

// Enough workgroups for one item per invocation, capped; the kernels' grid-stride loops
// cover the rest. CPU drivers pay a fixed cost per workgroup (SwiftShader copies 64 MiB at
// 1.3 GB/s with 16,384 groups and 2.7-3.1 GB/s with 16-64), so they get few, long-running
// groups; GPUs get up to 65,535.
inline std::uint32_t grid_groups(const DeviceInfo& info, std::uint64_t items, std::uint32_t workgroup_size) {
  const std::uint32_t cap = std::min(info.max_workgroup_count[0], info.type == DeviceType::Cpu ? 64u : 65535u);
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>((items + workgroup_size - 1) / workgroup_size, 1, cap));
}

}  // namespace vkrope::detail
