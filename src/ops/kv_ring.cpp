#include "ops/kv_ring.hpp"

#include <algorithm>
#include <numeric>

namespace vkrope::detail {

std::vector<RingRun> ring_runs(const RingLayout& ring, std::int64_t start, std::int64_t tokens) {
  std::vector<RingRun> runs;
  const std::int64_t end = start + tokens;
  if (start < ring.sinks) runs.push_back({0, std::min(end, ring.sinks) - start, start});
  // The window's part: only its last `window` tokens survive the append.
  std::int64_t p = std::max({start, ring.sinks, end - ring.window});
  while (p < end) {
    const std::int64_t offset = (p - ring.sinks) % ring.window;
    const std::int64_t count = std::min(end - p, ring.window - offset);  // up to the wrap
    runs.push_back({p - start, count, ring.sinks + offset});
    p += count;
  }
  return runs;
}

std::vector<std::int64_t> ring_positions(const RingLayout& ring, std::int64_t length) {
  const std::int64_t filled = std::min(length, ring.slots());
  std::vector<std::int64_t> positions(static_cast<std::size_t>(filled));
  for (std::int64_t s = 0; s < filled; ++s) {
    if (s < ring.sinks) {
      positions[static_cast<std::size_t>(s)] = s;
      continue;
    }
    // The newest position p <= length - 1 with (p - sinks) % window == s - sinks.
    const std::int64_t offset = s - ring.sinks, newest = length - 1 - ring.sinks;
    positions[static_cast<std::size_t>(s)] = ring.sinks + offset + (newest - offset) / ring.window * ring.window;
  }
  return positions;
}

std::vector<std::int64_t> ring_cache_positions(const std::vector<std::int64_t>& original) {
  std::vector<std::size_t> order(original.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return original[a] < original[b]; });
  std::vector<std::int64_t> rank(original.size());
  for (std::size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<std::int64_t>(r);
  return rank;
}

}  // namespace vkrope::detail
