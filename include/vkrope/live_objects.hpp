// How many of the objects vkrope owns are alive in this process, for leak checks: an
// application (or a test) takes a count, runs, drops what it made, and compares.
#pragma once

#include <cstdint>
#include <string>

namespace vkrope {

struct LiveObjects {
  std::int64_t contexts = 0;        // Context states (every handle to one Context counts once)
  std::int64_t buffers = 0;         // device buffers: tensors' storage, caches, scratch
  std::int64_t batches = 0;         // Batch states, recording or submitted
  std::int64_t vulkan_objects = 0;  // device-level Vulkan handles vkrope created
  bool operator==(const LiveObjects&) const = default;
};

// The counts now. Thread-safe; a snapshot while other threads create or drop objects.
LiveObjects live_objects() noexcept;

// "contexts 1, buffers 3, batches 0, vulkan objects 12".
std::string to_string(const LiveObjects& objects);

}  // namespace vkrope
