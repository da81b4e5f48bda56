// How many workgroups a 1-D grid-stride kernel gets.
#pragma once

#include <algorithm>
#include <array>
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

// Calls record(first, count) once per dispatch needed to cover a grid of `groups`
// workgroups when no dispatch may exceed `limit` (maxComputeWorkGroupCount) in any
// dimension: one call for grids within the limit, else the grid is cut into boxes whose
// kernels add `first` to gl_WorkGroupID. Group counts are 64-bit so that a grid larger than
// 2^32 is cut rather than truncated.
template <typename Record>
void for_each_dispatch(std::array<std::uint64_t, 3> groups, const std::array<std::uint32_t, 3>& limit,
                       Record&& record) {
  for (std::uint64_t z = 0; z < groups[2]; z += limit[2])
    for (std::uint64_t y = 0; y < groups[1]; y += limit[1])
      for (std::uint64_t x = 0; x < groups[0]; x += limit[0]) {
        const std::array<std::uint64_t, 3> first = {x, y, z};
        std::array<std::uint32_t, 3> first32{}, count{};
        for (std::size_t i = 0; i < 3; ++i) {
          first32[i] = static_cast<std::uint32_t>(first[i]);
          count[i] = static_cast<std::uint32_t>(std::min<std::uint64_t>(groups[i] - first[i], limit[i]));
        }
        record(first32, count);
      }
}

}  // namespace vkrope::detail
