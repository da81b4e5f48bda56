#include "runtime/batch_resources.hpp"

#include "runtime/batch_pool.hpp"

#include "runtime/context_state.hpp"
#include "vk/fault.hpp"

namespace vkrope::detail {

void DescriptorPools::next_pool(ContextState& ctx) {
  // The pool after the current one (the first when there is none), made when it does not
  // exist yet. current_ moves only once it exists: a failed creation changes nothing.
  const std::size_t next = pools_.empty() ? 0 : current_ + 1;
  if (next == pools_.size()) {
    // Room for kDescriptorsPerPool of each type (a set counts all its bindings against
    // descriptors_left_, so neither type can run out first).
    const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kDescriptorsPerPool},
                                          {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, kDescriptorsPerPool}};
    VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    info.maxSets = kSetsPerPool;
    info.poolSizeCount = 2;
    info.pPoolSizes = sizes;
    VkDescriptorPool handle = VK_NULL_HANDLE;
    VK_TRY(CreateDescriptorPool, ctx.fn.vkCreateDescriptorPool(ctx.device, &info, nullptr, &handle));
    pools_.emplace_back(ctx.ref(), handle);
  }
  current_ = next;
  sets_left_ = kSetsPerPool;
  descriptors_left_ = kDescriptorsPerPool;
}

VkDescriptorSet DescriptorPools::allocate(ContextState& ctx, VkDescriptorSetLayout layout, std::uint32_t descriptors) {
  if (descriptors > kDescriptorsPerPool)
    throw Error(ErrorKind::Internal, "a descriptor set of " + std::to_string(descriptors) +
                                         " buffers exceeds a pool's " + std::to_string(kDescriptorsPerPool));
  if (pools_.empty() || sets_left_ == 0 || descriptors_left_ < descriptors) next_pool(ctx);
  VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  info.descriptorPool = pools_[current_].handle();
  info.descriptorSetCount = 1;
  info.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  VkResult result = VK_CALL(AllocateDescriptorSets, ctx.fn.vkAllocateDescriptorSets(ctx.device, &info, &set));
  if (result == VK_ERROR_OUT_OF_POOL_MEMORY || result == VK_ERROR_FRAGMENTED_POOL) {
    // A driver may count differently (per-set overhead); a fresh pool has room.
    next_pool(ctx);
    info.descriptorPool = pools_[current_].handle();
    result = VK_CALL(AllocateDescriptorSets, ctx.fn.vkAllocateDescriptorSets(ctx.device, &info, &set));
  }
  if (result != VK_SUCCESS) vk::throw_failed(fault::Point::AllocateDescriptorSets, result, __FILE__, __LINE__);
  --sets_left_;
  descriptors_left_ -= descriptors;
  return set;
}

void DescriptorPools::reset(ContextState& ctx) {
  for (std::size_t i = 0; i < pools_.size() && i <= current_; ++i)
    ctx.fn.vkResetDescriptorPool(ctx.device, pools_[i].handle(), 0);  // (cannot fail)
  current_ = 0;
  sets_left_ = pools_.empty() ? 0 : kSetsPerPool;
  descriptors_left_ = pools_.empty() ? 0 : kDescriptorsPerPool;
}

QueryPools::Slot QueryPools::next(ContextState& ctx, VkCommandBuffer cmd) {
  if (used_pools_ == 0 || used_in_last_ == kQueriesPerPool) {
    if (used_pools_ == pools_.size()) {
      VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
      info.queryType = VK_QUERY_TYPE_TIMESTAMP;
      info.queryCount = kQueriesPerPool;
      VkQueryPool handle = VK_NULL_HANDLE;
      VK_TRY(CreateQueryPool, ctx.fn.vkCreateQueryPool(ctx.device, &info, nullptr, &handle));
      pools_.emplace_back(ctx.ref(), handle);
    }
    // Queries start unavailable in every recording that writes them.
    ctx.fn.vkCmdResetQueryPool(cmd, pools_[used_pools_].handle(), 0, kQueriesPerPool);
    ++used_pools_;
    used_in_last_ = 0;
  }
  return {pools_[used_pools_ - 1].handle(), used_in_last_++};
}

std::vector<std::uint64_t> QueryPools::read(ContextState& ctx) const {
  std::vector<std::uint64_t> stamps;
  for (std::size_t p = 0; p < used_pools_; ++p) {
    const std::uint32_t count = p + 1 == used_pools_ ? used_in_last_ : kQueriesPerPool;
    std::vector<std::uint64_t> values(count);
    VK_TRY_DEVICE(ctx, GetQueryPoolResults,
                  ctx.fn.vkGetQueryPoolResults(ctx.device, pools_[p].handle(), 0, count, count * sizeof(std::uint64_t),
                                               values.data(), sizeof(std::uint64_t),
                                               VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    stamps.insert(stamps.end(), values.begin(), values.end());
  }
  return stamps;
}

void QueryPools::begin_recording() noexcept {
  used_pools_ = 0;
  used_in_last_ = 0;
}

BatchResources::BatchResources(ContextState& ctx) {
  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = ctx.queue_family;
  VkCommandPool pool_handle = VK_NULL_HANDLE;
  VK_TRY(CreateCommandPool, ctx.fn.vkCreateCommandPool(ctx.device, &pool_info, nullptr, &pool_handle));
  command_pool = vk::CommandPool(ctx.ref(), pool_handle);
  VkCommandBufferAllocateInfo cb_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cb_info.commandPool = pool_handle;
  cb_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cb_info.commandBufferCount = 1;
  VK_TRY(AllocateCommandBuffers, ctx.fn.vkAllocateCommandBuffers(ctx.device, &cb_info, &cmd));
  if (!ctx.timeline) {
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence_handle = VK_NULL_HANDLE;
    VK_TRY(CreateFence, ctx.fn.vkCreateFence(ctx.device, &fence_info, nullptr, &fence_handle));
    fence = vk::Fence(ctx.ref(), fence_handle);
  }
}

void BatchResources::reset(ContextState& ctx) {
  VK_TRY(ResetCommandPool, ctx.fn.vkResetCommandPool(ctx.device, command_pool.handle(), 0));
  descriptors.reset(ctx);
  queries.begin_recording();
  scratch.reset(ctx.effective);
  uploads.reset(ctx.effective);
}

BatchPool::BatchPool() = default;
BatchPool::~BatchPool() = default;

std::unique_ptr<BatchResources> BatchPool::take(ContextState& ctx) {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto resources = std::move(idle_.back());
      idle_.pop_back();
      return resources;
    }
  }
  return std::make_unique<BatchResources>(ctx);
}

void BatchPool::give_back(std::unique_ptr<BatchResources> resources) noexcept {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(resources));
}

void BatchPool::clear() noexcept {
  std::lock_guard lock(mutex_);
  idle_.clear();
}

}  // namespace vkrope::detail
