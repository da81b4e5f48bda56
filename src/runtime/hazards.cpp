#include "runtime/hazards.hpp"

namespace vkrope::detail {

namespace {

bool overlap(const BufferAccess& a, const BufferAccess& b) {
  return a.buffer == b.buffer && a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

}  // namespace

bool HazardTracker::conflicts(std::span<const BufferAccess> accesses) const {
  for (const BufferAccess& next : accesses)
    for (const BufferAccess& earlier : pending_)
      if ((next.writes || earlier.writes) && overlap(next, earlier)) return true;
  return false;
}

void HazardTracker::record(std::span<const BufferAccess> accesses) {
  pending_.insert(pending_.end(), accesses.begin(), accesses.end());
}

}  // namespace vkrope::detail
