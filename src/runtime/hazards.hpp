// Decides where a batch needs a pipeline barrier: before a dispatch that touches bytes an
// earlier dispatch (since the last barrier) touched, when at least one of the two writes.
// Independent dispatches stay unsynchronized so the device can overlap them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "vk/vk.hpp"

namespace vkrope::detail {

struct BufferAccess {
  VkBuffer buffer = VK_NULL_HANDLE;
  std::uint64_t offset = 0;  // bytes within the VkBuffer
  std::uint64_t size = 0;
  bool writes = false;
};

class HazardTracker {
 public:
  // True when any of `accesses` overlaps a pending access with a write on either side
  // (read-after-write, write-after-write, write-after-read).
  bool conflicts(std::span<const BufferAccess> accesses) const;
  void record(std::span<const BufferAccess> accesses);
  void clear() { pending_.clear(); }  // after a barrier

 private:
  std::vector<BufferAccess> pending_;
};

}  // namespace vkrope::detail
