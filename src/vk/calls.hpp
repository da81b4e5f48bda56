// Counts vkrope's calls of the Vulkan functions that create objects, allocate memory,
// submit or wait, behind vkrope::vulkan_calls(): a test or the benchmark takes the counts
// before and after a piece of work to see what it asked of the driver. The fault-injection
// table (vk/fault.cpp) says which fallible call feeds which count.
#pragma once

#include <cstdint>

namespace vkrope::vk {

enum class Call : std::uint8_t {
  AllocateMemory,          // vkAllocateMemory
  CreateBuffer,            // vkCreateBuffer
  CreateFence,             // vkCreateFence
  CreateSemaphore,         // vkCreateSemaphore
  CreateCommandPool,       // vkCreateCommandPool
  AllocateCommandBuffers,  // vkAllocateCommandBuffers
  CreateDescriptorPool,    // vkCreateDescriptorPool
  CreateQueryPool,         // vkCreateQueryPool
  CreatePipeline,          // vkCreateComputePipelines
  QueueSubmit,             // vkQueueSubmit
  Wait,                    // vkWaitForFences, vkWaitSemaphores, vkDeviceWaitIdle
  Count                    // (the number of kinds)
};

void count(Call call) noexcept;
std::int64_t calls(Call call) noexcept;

}  // namespace vkrope::vk
