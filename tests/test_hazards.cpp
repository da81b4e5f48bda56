// Barrier placement: which pairs of dispatches need a barrier between them.
#include <gtest/gtest.h>

#include <cstdint>

#include "runtime/hazards.hpp"

namespace vkrope::detail {
namespace {

VkBuffer buffer(std::uintptr_t id) { return reinterpret_cast<VkBuffer>(id); }

TEST(Hazards, ReadAfterWriteWriteAfterWriteAndWriteAfterReadConflict) {
  HazardTracker t;
  const BufferAccess write_a{buffer(1), 0, 100, true};
  const BufferAccess read_a{buffer(1), 50, 10, false};
  t.record(std::span(&write_a, 1));
  EXPECT_TRUE(t.conflicts(std::span(&read_a, 1)));   // RAW
  EXPECT_TRUE(t.conflicts(std::span(&write_a, 1)));  // WAW
  t.clear();
  t.record(std::span(&read_a, 1));
  EXPECT_TRUE(t.conflicts(std::span(&write_a, 1)));  // WAR
}

TEST(Hazards, ReadsAndDisjointRangesDoNotConflict) {
  HazardTracker t;
  const BufferAccess read_a{buffer(1), 0, 100, false};
  const BufferAccess write_b{buffer(2), 0, 100, true};
  const BufferAccess write_a_after{buffer(1), 100, 100, true};  // adjacent, not overlapping
  t.record(std::span(&read_a, 1));
  EXPECT_FALSE(t.conflicts(std::span(&read_a, 1)));  // read after read
  EXPECT_FALSE(t.conflicts(std::span(&write_b, 1)));
  EXPECT_FALSE(t.conflicts(std::span(&write_a_after, 1)));
  t.clear();
  EXPECT_FALSE(t.conflicts(std::span(&write_b, 1)));
}

}  // namespace
}  // namespace vkrope::detail
