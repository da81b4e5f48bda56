#include "frames.hpp"

namespace live_compass {

Frames::Frames(Gpu& gpu, Scene& scene, const Renderer& renderer) : gpu_(gpu), scene_(scene), renderer_(renderer) {
  const VkDevice d = gpu.device;
  VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pi.queueFamilyIndex = gpu.family;  // vkrope's queue family too: record_into requires it
  LC_CHECK(gpu.fn.vkCreateCommandPool(d, &pi, nullptr, &pool_));
  if (gpu.timestamp_bits > 0) {
    VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
    qi.queryCount = 2 * kFramesInFlight;
    LC_CHECK(gpu.fn.vkCreateQueryPool(d, &qi, nullptr, &queries_));
  }
  for (Slot& s : slots_) {
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = pool_;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    LC_CHECK(gpu.fn.vkAllocateCommandBuffers(d, &ai, &s.cmd));
    VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    LC_CHECK(gpu.fn.vkCreateFence(d, &fi, nullptr, &s.fence));
    VkSemaphoreCreateInfo si{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    LC_CHECK(gpu.fn.vkCreateSemaphore(d, &si, nullptr, &s.acquired));
  }
}

Frames::~Frames() {
  gpu_.fn.vkDeviceWaitIdle(gpu_.device);
  for (Slot& s : slots_) {
    s.batch.reset();  // vkrope's per-frame objects go back to its Context
    gpu_.fn.vkDestroySemaphore(gpu_.device, s.acquired, nullptr);
    gpu_.fn.vkDestroyFence(gpu_.device, s.fence, nullptr);
  }
  if (queries_) gpu_.fn.vkDestroyQueryPool(gpu_.device, queries_, nullptr);
  gpu_.fn.vkDestroyCommandPool(gpu_.device, pool_, nullptr);
}

void Frames::barrier(VkCommandBuffer cmd, VkPipelineStageFlags src, VkPipelineStageFlags dst,
                     VkAccessFlags dst_access) const {
  // A global memory barrier: every buffer involved is small and all of them change.
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  mb.dstAccessMask = dst_access;
  gpu_.fn.vkCmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

void Frames::retire(Target& target, Slot& s, std::uint32_t index) {
  if (!s.pending) return;
  LC_CHECK(gpu_.fn.vkWaitForFences(gpu_.device, 1, &s.fence, VK_TRUE, UINT64_MAX));
  s.pending = false;
  s.batch.reset();  // the command buffer has executed: vkrope's descriptor sets may go
  if (queries_) {
    std::uint64_t t[2];
    LC_CHECK(gpu_.fn.vkGetQueryPoolResults(gpu_.device, queries_, 2 * index, 2, sizeof t, t, sizeof t[0],
                                           VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    const std::uint64_t mask = gpu_.timestamp_bits >= 64 ? ~0ull : (1ull << gpu_.timestamp_bits) - 1;
    vkrope_ms_.push_back(double((t[1] - t[0]) & mask) * double(gpu_.properties.limits.timestampPeriod) * 1e-6);
  }
  target.retire(index, s.position);
}

bool Frames::draw(Target& target, std::int64_t position, const Settings& settings) {
  const std::uint32_t index = std::uint32_t(frame_ % kFramesInFlight);
  Slot& s = slots_[index];
  retire(target, s, index);  // the frame that last used this slot, two frames ago
  const std::optional<Target::Acquired> acquired = target.acquire(index, s.acquired);
  if (!acquired) return false;
  const auto& fn = gpu_.fn;
  LC_CHECK(fn.vkResetFences(gpu_.device, 1, &s.fence));
  LC_CHECK(fn.vkResetCommandBuffer(s.cmd, 0));
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  LC_CHECK(fn.vkBeginCommandBuffer(s.cmd, &bi));
  if (queries_) fn.vkCmdResetQueryPool(s.cmd, queries_, 2 * index, 2);

  // 1. The previous frame (the other slot, maybe still running) read vkrope's buffers in
  // its vertex and fragment shaders and wrote them in its compute shaders; this frame's
  // compute writes the same buffers (the ring, the rotated queries, vkrope's scratch).
  barrier(s.cmd,
          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_VERTEX_SHADER_BIT |
              VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
  // 2. vkrope's work, between two timestamps (each written once everything before it has
  // finished, so the difference is vkrope's dispatches and their barriers).
  if (queries_) fn.vkCmdWriteTimestamp(s.cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, 2 * index);
  scene_.record(s.cmd, position, settings, s.batch);
  if (queries_) fn.vkCmdWriteTimestamp(s.cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, 2 * index + 1);
  // 3. vkrope's compute writes -> the drawing's vertex and fragment shader reads.
  barrier(s.cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
          VK_PIPELINE_STAGE_VERTEX_SHADER_BIT | VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
  // 4. The application's own drawing, from the buffers vkrope wrote.
  renderer_.record(s.cmd, acquired->framebuffer, position, settings.head);
  target.record_after(s.cmd, index, *acquired);
  LC_CHECK(fn.vkEndCommandBuffer(s.cmd));

  const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.waitSemaphoreCount = acquired->wait ? 1 : 0;
  si.pWaitSemaphores = &s.acquired;
  si.pWaitDstStageMask = &wait_stage;
  si.commandBufferCount = 1;
  si.pCommandBuffers = &s.cmd;
  si.signalSemaphoreCount = acquired->signal ? 1 : 0;
  si.pSignalSemaphores = &acquired->signal;
  LC_CHECK(fn.vkQueueSubmit(gpu_.queue, 1, &si, s.fence));
  s.pending = true;
  s.position = position;
  target.present(*acquired);
  ++frame_;
  return true;
}

void Frames::finish(Target& target) {
  for (std::uint32_t i = 0; i < kFramesInFlight; ++i) {
    const std::uint32_t index = std::uint32_t((frame_ + i) % kFramesInFlight);  // oldest first
    retire(target, slots_[index], index);
  }
}

}  // namespace live_compass
