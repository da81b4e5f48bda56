#include "runtime/staging.hpp"

#include <algorithm>
#include <cstring>

#include "runtime/memory.hpp"
#include "vk/fault.hpp"

namespace vkrope::detail {

void Staging::prepare(ContextState& ctx, std::uint64_t bytes) {
  const auto& fn = ctx.fn;
  if (!pool_) {
    // Made together or not at all: a failure part-way keeps nothing (locals until the end).
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT | VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    pool_info.queueFamilyIndex = ctx.queue_family;
    VkCommandPool pool_handle = VK_NULL_HANDLE;
    VK_TRY(CreateCommandPool, fn.vkCreateCommandPool(ctx.device, &pool_info, nullptr, &pool_handle));
    vk::CommandPool pool(ctx.ref(), pool_handle);
    VkCommandBufferAllocateInfo cb_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cb_info.commandPool = pool_handle;
    cb_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cb_info.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VK_TRY(AllocateCommandBuffers, fn.vkAllocateCommandBuffers(ctx.device, &cb_info, &cmd));
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence_handle = VK_NULL_HANDLE;
    VK_TRY(CreateFence, fn.vkCreateFence(ctx.device, &fence_info, nullptr, &fence_handle));
    fence_ = vk::Fence(ctx.ref(), fence_handle);
    pool_ = std::move(pool);
    cmd_ = cmd;
  }
  if (!buffer_ || buffer_->size < bytes) {
    buffer_.reset();  // the old one first: never hold both
    buffer_ = allocate_context_storage(ctx, bytes, MemoryUse::Staging);
  }
}

void Staging::copy(ContextState& ctx, const BufferStorage& target, std::uint64_t offset, std::span<std::byte> host,
                   bool to_device) {
  std::lock_guard lock(mutex_);
  const std::uint64_t chunk = std::min<std::uint64_t>(host.size(), kChunkBytes);
  prepare(ctx, chunk);
  const auto& fn = ctx.fn;
  for (std::uint64_t done = 0; done < host.size(); done += chunk) {
    const std::uint64_t bytes = std::min<std::uint64_t>(chunk, host.size() - done);
    if (to_device) {
      std::memcpy(buffer_->mapped, host.data() + done, bytes);
      flush_mapped(ctx, *buffer_, 0, bytes);
    }
    VK_TRY(ResetCommandBuffer, fn.vkResetCommandBuffer(cmd_, 0));
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VK_TRY(BeginCommandBuffer, fn.vkBeginCommandBuffer(cmd_, &begin));
    // Earlier submissions may still be writing or reading this range on the device.
    VkMemoryBarrier before{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    before.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    before.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    fn.vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, nullptr, 0, nullptr);
    VkBufferCopy region{};
    region.size = bytes;
    if (to_device) {
      region.srcOffset = buffer_->offset;
      region.dstOffset = target.offset + offset + done;
      fn.vkCmdCopyBuffer(cmd_, buffer_->buffer, target.buffer, 1, &region);
    } else {
      region.srcOffset = target.offset + offset + done;
      region.dstOffset = buffer_->offset;
      fn.vkCmdCopyBuffer(cmd_, target.buffer, buffer_->buffer, 1, &region);
    }
    // Make the copy visible to later compute work and to the host.
    VkMemoryBarrier after{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    after.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    after.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT;
    fn.vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &after, 0,
                            nullptr, 0, nullptr);
    VK_TRY(EndCommandBuffer, fn.vkEndCommandBuffer(cmd_));
    const VkFence fence = fence_.handle();
    VK_TRY(ResetFences, fn.vkResetFences(ctx.device, 1, &fence));
    ctx.submit(cmd_, fence);
    ctx.wait_fence(fence);
    if (!to_device) {
      if (!buffer_->coherent) {
        const VkMappedMemoryRange whole{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, buffer_->memory, 0,
                                        VK_WHOLE_SIZE};
        VK_TRY(InvalidateMappedMemoryRanges, fn.vkInvalidateMappedMemoryRanges(ctx.device, 1, &whole));
      }
      std::memcpy(host.data() + done, buffer_->mapped, bytes);
    }
  }
}

void Staging::release() noexcept {
  std::lock_guard lock(mutex_);
  buffer_.reset();
  fence_.reset();
  pool_.reset();  // frees the command buffer too
  cmd_ = VK_NULL_HANDLE;
}

}  // namespace vkrope::detail
