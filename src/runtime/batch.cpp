#include <algorithm>

#include "runtime/batch_state.hpp"
#include "vk/check.hpp"

namespace vkrope {

namespace detail {

namespace {

constexpr std::uint32_t kSetsPerPool = 64;
constexpr std::uint32_t kBuffersPerSet = 8;  // descriptors reserved per set, on average
constexpr std::uint32_t kQueriesPerPool = 128;

// Waits for earlier dispatches' writes before the next dispatch reads or writes.
void compute_barrier(const VolkDeviceTable& fn, VkCommandBuffer cmd) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                          &barrier, 0, nullptr, 0, nullptr);
}

Binding make_binding(const Tensor& tensor, bool writes) {
  const std::uint64_t begin = static_cast<std::uint64_t>(tensor.offset()) * size_of(tensor.dtype());
  return {tensor.storage(), begin, tensor.span_bytes() - begin, writes};
}

}  // namespace

Binding reads(const Tensor& tensor) { return make_binding(tensor, false); }
Binding writes(const Tensor& tensor) { return make_binding(tensor, true); }

BatchState::BatchState(const Context& context_, BatchOptions options_, VkCommandBuffer external_cmd)
    : context(context_),
      ctx(*context_.state()),
      options(options_),
      external(external_cmd != VK_NULL_HANDLE),
      profiling(options_.profile && context_.device().timestamps && external_cmd == VK_NULL_HANDLE),
      cmd(external_cmd) {
  if (external) {
    begun = true;
    return;
  }
  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = ctx.queue_family;
  VkCommandPool pool_handle = VK_NULL_HANDLE;
  VK_CHECK_COUNTED(CreateCommandPool, ctx.fn.vkCreateCommandPool(ctx.device, &pool_info, nullptr, &pool_handle));
  pool = vk::CommandPool(ctx.ref(), pool_handle);
  VkCommandBufferAllocateInfo cb_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cb_info.commandPool = pool_handle;
  cb_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cb_info.commandBufferCount = 1;
  VK_CHECK_COUNTED(AllocateCommandBuffers, ctx.fn.vkAllocateCommandBuffers(ctx.device, &cb_info, &cmd));
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence_handle = VK_NULL_HANDLE;
  VK_CHECK_COUNTED(CreateFence, ctx.fn.vkCreateFence(ctx.device, &fence_info, nullptr, &fence_handle));
  fence = vk::Fence(ctx.ref(), fence_handle);
}

// Never throws. Recorded but unsubmitted work is dropped (the pool frees its buffer).
BatchState::~BatchState() = default;

void BatchState::begin() {
  if (begun) return;
  VkCommandBufferBeginInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VK_CHECK(ctx.fn.vkBeginCommandBuffer(cmd, &info));
  begun = true;
}

VkDescriptorSet BatchState::allocate_set(VkDescriptorSetLayout layout) {
  if (sets_left == 0) {
    const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kBuffersPerSet};
    VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    info.maxSets = kSetsPerPool;
    info.poolSizeCount = 1;
    info.pPoolSizes = &size;
    VkDescriptorPool handle = VK_NULL_HANDLE;
    VK_CHECK_COUNTED(CreateDescriptorPool, ctx.fn.vkCreateDescriptorPool(ctx.device, &info, nullptr, &handle));
    descriptor_pools.emplace_back(ctx.ref(), handle);
    sets_left = kSetsPerPool;
  }
  VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  info.descriptorPool = descriptor_pools.back().handle();
  info.descriptorSetCount = 1;
  info.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  VK_CHECK(ctx.fn.vkAllocateDescriptorSets(ctx.device, &info, &set));
  --sets_left;
  return set;
}

std::uint32_t BatchState::next_query() {
  if (query_pools.empty() || queries_used == kQueriesPerPool) {
    VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    info.queryType = VK_QUERY_TYPE_TIMESTAMP;
    info.queryCount = kQueriesPerPool;
    VkQueryPool handle = VK_NULL_HANDLE;
    VK_CHECK_COUNTED(CreateQueryPool, ctx.fn.vkCreateQueryPool(ctx.device, &info, nullptr, &handle));
    query_pools.emplace_back(ctx.ref(), handle);
    ctx.fn.vkCmdResetQueryPool(cmd, handle, 0, kQueriesPerPool);  // queries start unavailable
    queries_used = 0;
  }
  return queries_used++;
}

void BatchState::dispatch(const ComputePipeline& pipeline, std::span<const Binding> bindings, const void* push,
                          std::array<std::uint32_t, 3> groups, std::string label) {
  const DeviceInfo& info = ctx.effective;
  for (std::size_t i = 0; i < 3; ++i)
    if (groups[i] == 0 || groups[i] > info.max_workgroup_count[i])
      throw Error(ErrorKind::Internal, pipeline.name + ": workgroup count " + std::to_string(groups[i]) +
                                           " in dimension " + std::to_string(i) + " is outside 1.." +
                                           std::to_string(info.max_workgroup_count[i]));
  if (bindings.size() != pipeline.buffer_count)
    throw Error(ErrorKind::Internal, pipeline.name + ": " + std::to_string(bindings.size()) + " buffers bound, " +
                                         std::to_string(pipeline.buffer_count) + " expected");
  begin();
  const auto& fn = ctx.fn;

  std::vector<BufferAccess> accesses;
  std::vector<VkDescriptorBufferInfo> buffer_infos;
  for (const Binding& b : bindings) {
    accesses.push_back({b.storage->buffer, b.storage->offset + b.touched_offset, b.touched_size, b.writes});
    buffer_infos.push_back({b.storage->buffer, b.storage->offset, b.storage->size});
    keep_alive.push_back(b.storage);
  }
  if (hazards.conflicts(accesses)) {
    compute_barrier(fn, cmd);
    ++barriers;
    hazards.clear();
  }
  hazards.record(accesses);

  const VkDescriptorSet set = allocate_set(pipeline.set_layout.handle());
  std::vector<VkWriteDescriptorSet> descriptor_writes(bindings.size());
  for (std::uint32_t i = 0; i < bindings.size(); ++i) {
    auto& w = descriptor_writes[i];
    w = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    w.dstSet = set;
    w.dstBinding = i;
    w.descriptorCount = 1;
    w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    w.pBufferInfo = &buffer_infos[i];
  }
  fn.vkUpdateDescriptorSets(ctx.device, static_cast<std::uint32_t>(descriptor_writes.size()),
                            descriptor_writes.data(), 0, nullptr);

  fn.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.pipeline.handle());
  fn.vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout.handle(), 0, 1, &set, 0, nullptr);
  if (pipeline.push_constant_bytes > 0)
    fn.vkCmdPushConstants(cmd, pipeline.layout.handle(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                          pipeline.push_constant_bytes, push);
  if (profiling) {
    // BOTTOM_OF_PIPE: written once all earlier commands have finished, so the interval
    // covers this dispatch (and any overlap with unsynchronized earlier ones).
    const std::uint32_t q = next_query();
    fn.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pools.back().handle(), q);
  }
  fn.vkCmdDispatch(cmd, groups[0], groups[1], groups[2]);
  if (profiling) {
    const std::uint32_t q = next_query();
    fn.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, query_pools.back().handle(), q);
    labels.push_back(std::move(label));
  }
  ++dispatches;
}

void BatchState::submit() {
  if (external)
    throw Error(ErrorKind::InvalidArgument,
                "this batch records into the application's command buffer; the application submits it");
  if (!begun) return;  // nothing recorded
  const auto& fn = ctx.fn;
  // Make this batch's writes available to later submissions (transfers, compute) and to
  // the host, which reads mapped memory after the fence.
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                          VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT;
  fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                              VK_PIPELINE_STAGE_HOST_BIT,
                          0, 1, &barrier, 0, nullptr, 0, nullptr);
  VK_CHECK(fn.vkEndCommandBuffer(cmd));
  try {
    const VkFence f = fence.handle();
    VK_CHECK(fn.vkResetFences(ctx.device, 1, &f));
    ctx.submit_and_wait(cmd, f);
    read_profile();
  } catch (...) {
    reset();
    throw;
  }
  reset();
}

void BatchState::read_profile() {
  profile.clear();
  if (!profiling || labels.empty()) return;
  // Timestamps carry only timestampValidBits bits: take differences modulo that.
  const std::uint32_t bits = ctx.physical.timestamp_valid_bits;
  const std::uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  std::vector<std::uint64_t> stamps;
  for (std::size_t p = 0; p < query_pools.size(); ++p) {
    const std::uint32_t count = p + 1 == query_pools.size() ? queries_used : kQueriesPerPool;
    std::vector<std::uint64_t> values(count);
    VK_CHECK(ctx.fn.vkGetQueryPoolResults(ctx.device, query_pools[p].handle(), 0, count,
                                          count * sizeof(std::uint64_t), values.data(), sizeof(std::uint64_t),
                                          VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    stamps.insert(stamps.end(), values.begin(), values.end());
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::uint64_t ticks = (stamps[2 * i + 1] - stamps[2 * i]) & mask;
    profile.push_back({labels[i], static_cast<double>(ticks) * ctx.effective.timestamp_period_ns * 1e-6});
  }
}

void BatchState::reset() {
  if (!external) {
    ctx.fn.vkResetCommandPool(ctx.device, pool.handle(), 0);
    begun = false;
  }
  descriptor_pools.clear();
  sets_left = 0;
  query_pools.clear();
  queries_used = 0;
  labels.clear();
  hazards.clear();
  keep_alive.clear();
  dispatches = 0;
  barriers = 0;
}

}  // namespace detail

Batch::Batch(const Context& context, BatchOptions options)
    : state_(std::make_unique<detail::BatchState>(context, options, VK_NULL_HANDLE)) {}
Batch::Batch(std::unique_ptr<detail::BatchState> state) : state_(std::move(state)) {}
Batch::~Batch() = default;
Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;

void Batch::submit() { state_->submit(); }
std::size_t Batch::dispatch_count() const noexcept { return state_->dispatches; }
std::size_t Batch::barrier_count() const noexcept { return state_->barriers; }
const std::vector<DispatchTiming>& Batch::profile() const noexcept { return state_->profile; }
const Context& Batch::context() const noexcept { return state_->context; }

}  // namespace vkrope
