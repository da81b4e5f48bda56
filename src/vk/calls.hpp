// Counts vkrope's calls of the Vulkan functions that create objects, allocate memory,
// submit or wait, behind vkrope::vulkan_calls(): a test or the benchmark takes the counts
// before and after a piece of work to see what it asked of the driver. Each call site wraps
// its call in VK_COUNTED, so the count sits next to the call it counts.
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

// Counts one call of `kind` (a vk::Call name), then evaluates `expr`, the call itself.
#define VK_COUNTED(kind, expr) (::vkrope::vk::count(::vkrope::vk::Call::kind), (expr))
