#include "runtime/arena.hpp"

#include <algorithm>

namespace vkrope::detail {

namespace {

// Upload arenas start with room for many calls' positions and sinks; scratch is sized to
// what the first call asks (attention's formula, so memory_stats() can check it).
constexpr std::uint64_t kMinUploadBytes = 64u << 10;

// The largest buffer that may be bound whole.
std::uint64_t limit(const DeviceInfo& info) {
  return std::min<std::uint64_t>(info.max_storage_buffer_range,
                                 info.max_memory_allocation_size ? info.max_memory_allocation_size : ~0ull);
}

}  // namespace

DeviceArena::Range DeviceArena::allocate(ContextState& ctx, std::uint64_t bytes) {
  const DeviceInfo& info = ctx.effective;
  const std::uint64_t align = std::max<std::uint64_t>(4, info.min_storage_buffer_offset_alignment);
  bytes = (std::max<std::uint64_t>(bytes, 1) + 3) / 4 * 4;
  const auto fits = [&](std::size_t i, std::uint64_t used) {
    return i < buffers_.size() && (used + align - 1) / align * align + bytes <= buffers_[i]->size;
  };
  if (!fits(current_, used_)) {
    std::size_t reuse = buffers_.size();
    if (use_ == MemoryUse::Tensor && capacity() + bytes > retain_)
      for (reuse = 0; reuse < buffers_.size() && !fits(reuse, 0);) ++reuse;
    if (reuse < buffers_.size()) {
      // Scratch past what an arena keeps: start again at the first buffer that holds the
      // range. Only dispatches use scratch, so the batch's hazard tracking puts a barrier
      // before the reuse.
      current_ = reuse;
    } else {
      // The next buffer of the chain, from its start; a new one where there is none or it
      // is too small (it then replaces the rest of the chain; recorded commands keep the
      // buffers they use alive).
      // current_ moves only once the buffer exists: after a failed allocation the arena is
      // still whole (its tail freed, which nothing needs).
      const std::size_t next = buffers_.empty() ? 0 : current_ + 1;
      if (!fits(next, 0)) {
        buffers_.resize(next);  // the old tail first: never hold both
        const std::uint64_t floor = use_ == MemoryUse::Upload ? kMinUploadBytes : 0;
        const std::uint64_t size = std::max({bytes, std::min(floor, limit(info)), next == 0 ? reserve_ : 0});
        buffers_.push_back(allocate_context_storage(ctx, size, use_));
        reserve_ = 0;
      }
      current_ = next;
    }
    used_ = 0;
  }
  const std::uint64_t offset = (used_ + align - 1) / align * align;
  wanted_ += (bytes + align - 1) / align * align;  // what the range takes in one merged buffer
  used_ = offset + bytes;
  return {buffers_[current_], offset, bytes};
}

void DeviceArena::reset(const DeviceInfo& info) {
  // A chain becomes one buffer of its total size (scratch: at most what it keeps, past which
  // it starts again at the front), allocated at the next allocate(), so an arena nobody uses
  // again holds nothing. An arena that outgrew what it may keep gives its memory back.
  const std::uint64_t merged = use_ == MemoryUse::Tensor ? std::min(wanted_, retain_) : wanted_;
  if (buffers_.size() > 1 && merged <= std::min(limit(info), retain_)) {
    buffers_.clear();
    reserve_ = merged;
  } else if (capacity() > retain_) {
    release();
  }
  current_ = 0;
  used_ = 0;
  wanted_ = 0;
}

void DeviceArena::release() {
  buffers_.clear();
  current_ = 0;
  used_ = reserve_ = wanted_ = 0;
}

std::uint64_t DeviceArena::capacity() const {
  std::uint64_t total = 0;
  for (const auto& b : buffers_) total += b->size;
  return total;
}

}  // namespace vkrope::detail
