// A grow-only arena of device memory that a Batch sub-allocates from while it records: the
// split-KV partials of attention (scratch, MemoryUse::Tensor) and small per-call inputs
// (positions, sinks; MemoryUse::Upload). Ranges stay valid until the batch's commands have
// run; reset() then frees them all at once. A recording that needs more than the arena
// holds chains further buffers, and the next reset merges them into one of their total
// size: a steady state (the same calls, step after step) allocates nothing.
//
// An arena keeps at most `retain` bytes. Scratch past that starts again at the front of the
// arena (dispatches alone touch scratch, so the batch's hazard tracking orders the reuse
// with a barrier): a decode step over a whole model in one batch stays within it. An upload
// arena that outgrew it (the positions of a huge prefill) gives its memory back at reset.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/memory.hpp"

namespace vkrope::detail {

class DeviceArena {
 public:
  DeviceArena(MemoryUse use, std::uint64_t retain) : use_(use), retain_(retain) {}

  struct Range {
    std::shared_ptr<BufferStorage> storage;  // the arena's buffer (does not hold the Context)
    std::uint64_t offset = 0;                // within the storage, aligned for a binding
    std::uint64_t size = 0;
  };
  // At least `bytes` (rounded up to 4), at an offset that may be bound as a storage buffer.
  Range allocate(ContextState& context, std::uint64_t bytes);
  // Every range is free again: the commands that used them have run.
  void reset(const DeviceInfo& info);
  // Frees the memory (ranges must be unused).
  void release();
  // Bytes held.
  std::uint64_t capacity() const;

 private:
  MemoryUse use_;
  std::uint64_t retain_;
  std::vector<std::shared_ptr<BufferStorage>> buffers_;
  std::size_t current_ = 0;   // the buffer ranges come from now
  std::uint64_t used_ = 0;    // bytes used in buffers_[current_]
  std::uint64_t wanted_ = 0;  // bytes all ranges since the last reset take, each aligned
  std::uint64_t reserve_ = 0; // size of the next first buffer (a merged chain)
};

}  // namespace vkrope::detail
