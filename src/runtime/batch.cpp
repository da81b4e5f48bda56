#include <algorithm>
#include <cstring>

#include "runtime/batch_state.hpp"
#include "vk/fault.hpp"

namespace vkrope {

namespace detail {

namespace {

// vkCmdUpdateBuffer takes at most this many bytes per command.
constexpr std::size_t kMaxUpdateBytes = 65536;
// The most buffers one dispatch binds (vkrope::Kernel's limit; vkrope's kernels bind <= 9).
constexpr std::size_t kMaxBindings = 16;

// Waits for earlier dispatches' writes before the next dispatch reads or writes.
void compute_barrier(const VolkDeviceTable& fn, VkCommandBuffer cmd) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                          &barrier, 0, nullptr, 0, nullptr);
}

// Makes recorded transfer writes (vkCmdUpdateBuffer, vkCmdCopyBuffer) visible to the
// dispatches after them, and orders their reads before those dispatches' writes.
void upload_barrier(const VolkDeviceTable& fn, VkCommandBuffer cmd) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier,
                          0, nullptr, 0, nullptr);
}

Binding make_binding(const Tensor& tensor, bool writes) {
  const std::uint64_t begin = storage_bytes(tensor.dtype(), static_cast<std::uint64_t>(tensor.offset()));
  return {tensor.storage(), begin, tensor.span_bytes() - begin, writes};
}

}  // namespace

Binding reads(const Tensor& tensor) { return make_binding(tensor, false); }
Binding writes(const Tensor& tensor) { return make_binding(tensor, true); }
Binding reads_all(const std::shared_ptr<BufferStorage>& storage) { return {storage, 0, storage->size, false}; }

BatchState::BatchState(const Context& context_, BatchOptions options_, VkCommandBuffer external_cmd)
    : context(context_),
      ctx(*context_.state()),
      options(options_),
      external(external_cmd != VK_NULL_HANDLE),
      profiling(options_.profile && context_.device().timestamps && external_cmd == VK_NULL_HANDLE),
      cmd(external_cmd),
      begun(external) {
  ctx.ensure_alive();
  take_resources();
}

BatchState::~BatchState() {
  bool idle = true;
  try {
    finish();
  } catch (...) {
    idle = false;  // a wait failed (the device may be lost): the resources go with this batch
  }
  if (!idle) {
    ctx.drain();  // ...once nothing on the queue can still use them
    return;
  }
  if (!res) return;
  try {
    if (begun) res->reset(ctx);  // a recording never submitted (finish() reset the rest)
    ctx.batch_pool.give_back(std::move(res));
  } catch (...) {
    // A reset failed: free the resources instead of reusing them.
  }
}

void BatchState::take_resources() {
  res = ctx.batch_pool.take(ctx);
  if (!external) cmd = res->cmd;
}

void BatchState::reset_resources() noexcept {
  try {
    res->reset(ctx);
  } catch (...) {
    res.reset();  // in an unknown state: the next recording takes fresh ones
  }
}

void BatchState::begin() {
  finish();  // the resources (arenas above all) are free only once the last submission ran
  ctx.ensure_alive();
  if (!res) take_resources();  // (after a failed reset)
  if (begun) return;
  VkCommandBufferBeginInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VK_TRY(BeginCommandBuffer, ctx.fn.vkBeginCommandBuffer(cmd, &info));
  begun = true;
}

Binding BatchState::upload(std::span<const std::byte> bytes) {
  if (bytes.empty() || bytes.size() % 4)
    throw Error(ErrorKind::Internal, "a per-call input of " + std::to_string(bytes.size()) +
                                         " bytes; expected whole 32-bit words");
  begin();
  const DeviceArena::Range range = res->uploads.allocate(ctx, bytes.size());
  BufferStorage& storage = *range.storage;
  if (storage.mapped) {
    std::memcpy(storage.mapped + range.offset, bytes.data(), bytes.size());
    flush_mapped(ctx, storage, range.offset, bytes.size());
  } else {
    // Device memory the host cannot map: the bytes travel inside the command buffer.
    for (std::size_t done = 0; done < bytes.size(); done += kMaxUpdateBytes) {
      const std::size_t n = std::min(kMaxUpdateBytes, bytes.size() - done);
      ctx.fn.vkCmdUpdateBuffer(cmd, storage.buffer, storage.offset + range.offset + done, n, bytes.data() + done);
    }
    uploads_pending = true;
  }
  return {range.storage, range.offset, range.size, false, range.offset, range.size};
}

void BatchState::write_timestamp() {
  // BOTTOM_OF_PIPE: written once all earlier commands have finished, so an interval covers
  // the command between two stamps (and any overlap with unsynchronized earlier ones).
  const QueryPools::Slot slot = res->queries.next(ctx, cmd);
  ctx.fn.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, slot.pool, slot.query);
}

void BatchState::transfer_copy(const Binding& src, const Binding& dst, std::uint64_t bytes, std::string label) {
  begin();
  const auto& fn = ctx.fn;
  // Earlier dispatches' and transfers' writes (and reads of dst) before the copy.
  VkMemoryBarrier before{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  before.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  before.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, nullptr, 0, nullptr);
  hazards.clear();
  for (const Binding* b : {&src, &dst})
    if (keep_alive.empty() || keep_alive.back() != b->storage) keep_alive.push_back(b->storage);
  if (profiling) write_timestamp();
  const VkBufferCopy region{src.storage->offset + src.touched_offset, dst.storage->offset + dst.touched_offset, bytes};
  fn.vkCmdCopyBuffer(cmd, src.storage->buffer, dst.storage->buffer, 1, &region);
  if (profiling) {
    write_timestamp();
    labels.push_back(std::move(label));
  }
  uploads_pending = true;  // the next dispatch waits for the copy's writes
}

Binding BatchState::scratch(std::uint64_t bytes) {
  begin();
  const DeviceArena::Range range = res->scratch.allocate(ctx, bytes);
  return {range.storage, range.offset, range.size, true, range.offset, range.size};
}

void BatchState::record_dispatch(const ComputePipeline& pipeline, std::span<const Binding> bindings, const void* push,
                                 std::array<std::uint32_t, 3> groups) {
  const DeviceInfo& info = ctx.effective;
  for (std::size_t i = 0; i < 3; ++i)
    if (groups[i] == 0 || groups[i] > info.max_workgroup_count[i])
      throw Error(ErrorKind::Internal, pipeline.name + ": workgroup count " + std::to_string(groups[i]) +
                                           " in dimension " + std::to_string(i) + " is outside 1.." +
                                           std::to_string(info.max_workgroup_count[i]));
  if (bindings.size() != pipeline.buffer_count || bindings.size() > kMaxBindings)
    throw Error(ErrorKind::Internal, pipeline.name + ": " + std::to_string(bindings.size()) + " buffers bound, " +
                                         std::to_string(pipeline.buffer_count) + " expected");
  for (std::uint32_t i = 0; i < bindings.size(); ++i)
    if ((bindings[i].texel_view != VK_NULL_HANDLE) != ((pipeline.texel_bindings >> i & 1u) != 0))
      throw Error(ErrorKind::Internal, pipeline.name + ": binding " + std::to_string(i) +
                                           (bindings[i].texel_view ? " has a texel view the kernel does not read"
                                                                   : " needs a texel view"));
  begin();
  const auto& fn = ctx.fn;

  // Fixed arrays: recording a dispatch allocates nothing on the host either.
  std::array<BufferAccess, kMaxBindings> accesses{};
  std::array<VkDescriptorBufferInfo, kMaxBindings> buffer_infos{};
  std::array<VkWriteDescriptorSet, kMaxBindings> descriptor_writes{};
  const std::size_t n = bindings.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Binding& b = bindings[i];
    accesses[i] = {b.storage->buffer, b.storage->offset + b.touched_offset, b.touched_size, b.writes};
    buffer_infos[i] = {b.storage->buffer, b.storage->offset + b.bound_offset,
                       b.bound_size ? b.bound_size : b.storage->size - b.bound_offset};
    // (A cached table may leave the Context's cache while this batch still needs it.)
    if (keep_alive.empty() || keep_alive.back() != b.storage) keep_alive.push_back(b.storage);
  }
  const std::span<const BufferAccess> used(accesses.data(), n);
  if (uploads_pending) {
    upload_barrier(fn, cmd);
    uploads_pending = false;
  }
  if (hazards.conflicts(used)) {
    compute_barrier(fn, cmd);
    ++barriers;
    hazards.clear();
  }
  hazards.record(used);

  const VkDescriptorSet set =
      res->descriptors.allocate(ctx, pipeline.set_layout.handle(), static_cast<std::uint32_t>(n));
  for (std::uint32_t i = 0; i < n; ++i) {
    auto& w = descriptor_writes[i];
    w = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    w.dstSet = set;
    w.dstBinding = i;
    w.descriptorCount = 1;
    w.descriptorType = descriptor_type(pipeline.texel_bindings, i);
    if (w.descriptorType == VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER) w.pTexelBufferView = &bindings[i].texel_view;
    else w.pBufferInfo = &buffer_infos[i];
  }
  fn.vkUpdateDescriptorSets(ctx.device, static_cast<std::uint32_t>(n), descriptor_writes.data(), 0, nullptr);

  fn.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.pipeline.handle());
  fn.vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout.handle(), 0, 1, &set, 0, nullptr);
  if (pipeline.push_constant_bytes > 0)
    fn.vkCmdPushConstants(cmd, pipeline.layout.handle(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                          pipeline.push_constant_bytes, push);
  if (profiling) write_timestamp();
  fn.vkCmdDispatch(cmd, groups[0], groups[1], groups[2]);
  if (profiling) write_timestamp();
  ++dispatches;
}

void BatchState::end_recording() {
  const auto& fn = ctx.fn;
  // Make this batch's writes available to later submissions (transfers, compute) and to
  // the host, which reads mapped memory once the submission is done. The barrier's second
  // scope holds every later command on the queue: the next batch needs no wait to read them.
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                          VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT;
  fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                              VK_PIPELINE_STAGE_HOST_BIT,
                          0, 1, &barrier, 0, nullptr, 0, nullptr);
  VK_TRY(EndCommandBuffer, fn.vkEndCommandBuffer(cmd));
}

Submission BatchState::submit_async() {
  if (external)
    throw Error(ErrorKind::InvalidArgument,
                "this batch records into the application's command buffer; the application submits it");
  if (!begun) return {};  // nothing recorded
  auto state = std::make_shared<SubmissionState>();
  state->context = context.state();
  try {
    end_recording();
    if (res->fence) {
      state->fence = res->fence.handle();
      VK_TRY(ResetFences, ctx.fn.vkResetFences(ctx.device, 1, &state->fence));
    }
    state->value = ctx.submit(cmd, state->fence);
  } catch (...) {
    // Nothing runs: drop the recording and keep the batch usable.
    begun = false;
    hazards.clear();
    dispatches = barriers = 0;
    uploads_pending = false;
    labels.clear();
    keep_alive.clear();
    reset_resources();
    throw;
  }
  in_flight = state;
  begun = false;
  hazards.clear();
  dispatches = barriers = 0;
  return Submission(std::move(state));
}

void BatchState::submit() {
  submit_async();
  finish();
}

void BatchState::finish() {
  if (!in_flight) return;
  in_flight->wait();  // on failure the work stays in flight: finish() again waits again
  in_flight.reset();
  const auto release = [&] {
    labels.clear();
    keep_alive.clear();
    reset_resources();
  };
  try {
    read_profile();
  } catch (...) {
    release();
    throw;
  }
  release();
}

const std::vector<DispatchTiming>& BatchState::profile() {
  finish();
  return timings;
}

void BatchState::read_profile() {
  timings.clear();
  if (!profiling || labels.empty()) return;
  // Timestamps carry only timestampValidBits bits: take differences modulo that.
  const std::uint32_t bits = ctx.physical.timestamp_valid_bits;
  const std::uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  const std::vector<std::uint64_t> stamps = res->queries.read(ctx);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::uint64_t ticks = (stamps[2 * i + 1] - stamps[2 * i]) & mask;
    timings.push_back({labels[i], static_cast<double>(ticks) * ctx.effective.timestamp_period_ns * 1e-6});
  }
}

bool SubmissionState::poll() {
  std::lock_guard lock(mutex);
  if (done) return true;
  if (fence) {
    if (!context->fence_signalled(fence)) return false;
  } else if (!context->timeline_reached(value)) {
    return false;
  }
  done = true;
  return true;
}

void SubmissionState::wait() {
  std::lock_guard lock(mutex);
  if (done) return;
  if (fence) context->wait_fence(fence);
  else context->wait_timeline(value);
  done = true;
}

}  // namespace detail

Batch::Batch(const Context& context, BatchOptions options)
    : state_(std::make_unique<detail::BatchState>(context, options, VK_NULL_HANDLE)) {}
Batch::Batch(std::unique_ptr<detail::BatchState> state) : state_(std::move(state)) {}
Batch::~Batch() = default;
Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;

void Batch::submit() { state_->submit(); }
Submission Batch::submit_async() { return state_->submit_async(); }
void Batch::wait() { state_->finish(); }
std::size_t Batch::dispatch_count() const noexcept { return state_->dispatches; }
std::size_t Batch::barrier_count() const noexcept { return state_->barriers; }
const std::vector<DispatchTiming>& Batch::profile() { return state_->profile(); }
const Context& Batch::context() const noexcept { return state_->context; }

bool Submission::ready() const { return !state_ || state_->poll(); }
void Submission::wait() const {
  if (state_) state_->wait();
}

}  // namespace vkrope
