// How many of the objects vkrope owns are alive in this process, for leak checks: an
// application (or a test) takes a count, runs, drops what it made, and compares.
#pragma once

#include <cstdint>
#include <string>

#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

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

// How often vkrope has asked the driver for objects, memory, submissions and waits in this
// process, over all Contexts and threads. Take the counts before and after a piece of work
// and subtract: a steady-state decode step recorded into a Batch makes none of these calls
// until Batch::submit (which makes one submit, and one wait when it blocks).
struct VulkanCalls {
  std::int64_t allocate_memory = 0;           // vkAllocateMemory
  std::int64_t create_buffer = 0;             // vkCreateBuffer
  std::int64_t create_fence = 0;              // vkCreateFence
  std::int64_t create_semaphore = 0;          // vkCreateSemaphore
  std::int64_t create_command_pool = 0;       // vkCreateCommandPool
  std::int64_t allocate_command_buffers = 0;  // vkAllocateCommandBuffers
  std::int64_t create_descriptor_pool = 0;    // vkCreateDescriptorPool
  std::int64_t create_query_pool = 0;         // vkCreateQueryPool
  std::int64_t create_pipeline = 0;           // vkCreateComputePipelines
  std::int64_t queue_submit = 0;              // vkQueueSubmit
  std::int64_t wait = 0;                      // vkWaitForFences, vkWaitSemaphores, vkDeviceWaitIdle

  // Objects created and memory allocated: every field above but queue_submit and wait.
  std::int64_t creations() const noexcept;
  VulkanCalls operator-(const VulkanCalls& earlier) const noexcept;
  bool operator==(const VulkanCalls&) const = default;
};

// The counts now. Thread-safe.
VulkanCalls vulkan_calls() noexcept;

// "allocate_memory 1, create_buffer 1, ..., wait 2" (the non-zero counts; "none" if all are).
std::string to_string(const VulkanCalls& calls);

}  // namespace vkrope

VKROPE_PUBLIC_END
