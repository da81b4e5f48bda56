// The recording side of a Batch, used by op implementations: bind buffers, push
// constants, dispatch, per-call inputs and scratch; barriers and timestamps are inserted
// here. Its lifecycle: recording (after the first dispatch) -> submitted (in flight) ->
// finished (its submission waited for; resources reset) -> recording again.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/batch_resources.hpp"
#include "runtime/context_state.hpp"
#include "runtime/hazards.hpp"
#include "runtime/memory.hpp"
#include "runtime/submission.hpp"
#include "vkrope/batch.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::detail {

// One storage-buffer binding of a dispatch. The descriptor covers [bound_offset,
// bound_offset + bound_size) of the storage's range (bound_size 0: all of it); tensors bind
// their whole buffer and address views by element offsets in push constants, so no
// binding-offset alignment rule can bite. `touched` narrows the bytes the dispatch reads or
// writes, for hazard tracking.
struct Binding {
  std::shared_ptr<BufferStorage> storage;
  std::uint64_t touched_offset = 0;  // within the storage range
  std::uint64_t touched_size = 0;
  bool writes = false;
  std::uint64_t bound_offset = 0;
  std::uint64_t bound_size = 0;
  // For a uniform texel-buffer binding: a view of the storage's buffer (texel_view.hpp: the
  // storage owns it, and the batch keeps the storage alive; the bytes read are still `touched`).
  VkBufferView texel_view = VK_NULL_HANDLE;
};

Binding reads(const Tensor& tensor);
Binding writes(const Tensor& tensor);
// All of a buffer the Context holds (a cached table, the placeholder).
Binding reads_all(const std::shared_ptr<BufferStorage>& storage);

struct BatchState {
  LiveToken<Live::Batch> live;  // counted in vkrope::live_objects()
  BatchState(const Context& context, BatchOptions options, VkCommandBuffer external);
  // Waits for work still running (errors ignored), then gives the resources back to the
  // Context. Never throws.
  ~BatchState();

  // Records one dispatch. `push` holds exactly pipeline.push_constant_bytes bytes. Throws
  // Internal when a group count exceeds maxComputeWorkGroupCount (ops must split first).
  // `label` names the dispatch in profile(): a string, or a function making one, called only
  // when profiling (so recording builds no strings otherwise).
  template <typename Label>
  void dispatch(const ComputePipeline& pipeline, std::span<const Binding> bindings, const void* push,
                std::array<std::uint32_t, 3> groups, Label&& label) {
    record_dispatch(pipeline, bindings, push, groups);
    if (!profiling) return;
    if constexpr (std::is_invocable_v<Label&>) labels.emplace_back(label());
    else labels.emplace_back(std::forward<Label>(label));
  }

  // Records vkCmdCopyBuffer of `bytes` from src to dst (the driver's own copy: the second
  // memory floor of the benchmark), ordered after earlier dispatches and before later ones,
  // timed like a dispatch when profiling.
  void transfer_copy(const Binding& src, const Binding& dst, std::uint64_t bytes, std::string label);

  // Per-call input bytes (positions, sinks) for the next dispatches, in this batch's upload
  // arena: written through a mapping where the arena's memory is host-visible, else
  // recorded as vkCmdUpdateBuffer, ordered before the next dispatch by a transfer barrier.
  Binding upload(std::span<const std::byte> bytes);
  // `bytes` of device memory for this recording's own use (split-KV partials), written by
  // the dispatch that binds it.
  Binding scratch(std::uint64_t bytes);

  Submission submit_async();
  void submit();
  // Waits for the submitted work, reads its timestamps, frees its buffers and resets the
  // resources; nothing to do when no work is in flight.
  void finish();
  const std::vector<DispatchTiming>& profile();

  Context context;
  ContextState& ctx;
  BatchOptions options;
  bool external;                        // recording into the application's command buffer
  bool profiling;                       // options.profile and the queue can write timestamps
  std::unique_ptr<BatchResources> res;  // taken from the Context, given back at the end
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  bool begun = false;                   // the command buffer is recording
  bool uploads_pending = false;         // transfer writes (vkCmdUpdateBuffer, copies) since the last dispatch
  std::shared_ptr<SubmissionState> in_flight;  // the last submission until finish()

  HazardTracker hazards;
  std::size_t dispatches = 0;
  std::size_t barriers = 0;
  std::vector<std::string> labels;      // one per timed dispatch
  std::vector<DispatchTiming> timings;  // of the last finished submission

  // Buffers used by recorded commands, kept alive until the commands have run.
  std::vector<std::shared_ptr<BufferStorage>> keep_alive;

 private:
  void begin();
  // Resources from the Context's pool (new ones if it has none idle).
  void take_resources();
  // Resets the resources for the next recording; drops them when the reset fails.
  void reset_resources() noexcept;
  void record_dispatch(const ComputePipeline& pipeline, std::span<const Binding> bindings, const void* push,
                       std::array<std::uint32_t, 3> groups);
  void read_profile();
  void write_timestamp();  // (profiling only)
  void end_recording();
};

}  // namespace vkrope::detail
