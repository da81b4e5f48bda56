// Where a sliding-window ring (KvCacheShape::window) keeps its tokens: the first `sinks`
// tokens in slots 0..sinks-1 for good, then token p (p >= sinks) in slot
// sinks + (p - sinks) % window, so the newest `window` tokens are always held. Pure
// arithmetic, shared by KvCache::append (which slots an append writes) and attend (each
// slot's position).
#pragma once

#include <cstdint>
#include <vector>

namespace vkrope::detail {

struct RingLayout {
  std::int64_t sinks = 0, window = 0;
  std::int64_t slots() const { return sinks + window; }
};

// An append's tokens that survive it, as runs contiguous in both the append (tokens
// first_token.. of it) and the ring (slots slot..): at most three (the sinks, then the
// window part, cut where it wraps). Tokens the same append overwrites are left out, so no
// two writes of one dispatch meet.
struct RingRun {
  std::int64_t first_token = 0, count = 0, slot = 0;
};
std::vector<RingRun> ring_runs(const RingLayout& ring, std::int64_t start, std::int64_t tokens);

// The original position of the token in each filled slot after `length` tokens
// (min(length, slots) of them).
std::vector<std::int64_t> ring_positions(const RingLayout& ring, std::int64_t length);

// StreamingLLM's positions: each held token's rank by original position (sinks 0..S-1, then
// the window's tokens oldest first), for the same slots.
std::vector<std::int64_t> ring_cache_positions(const std::vector<std::int64_t>& original);

}  // namespace vkrope::detail
