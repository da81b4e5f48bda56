// The recording side of a Batch, used by op implementations: bind buffers, push
// constants, dispatch; barriers and timestamps are inserted here.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/context_state.hpp"
#include "runtime/hazards.hpp"
#include "runtime/memory.hpp"
#include "vkrope/batch.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::detail {

// One storage-buffer binding of a dispatch: the tensor's whole buffer is bound (views are
// addressed by element offsets in push constants, so no binding offset alignment rule can
// bite); `touched` narrows the bytes the dispatch reads or writes, for hazard tracking.
struct Binding {
  std::shared_ptr<BufferStorage> storage;
  std::uint64_t touched_offset = 0;  // within the storage range
  std::uint64_t touched_size = 0;
  bool writes = false;
};

Binding reads(const Tensor& tensor);
Binding writes(const Tensor& tensor);

struct BatchState {
  LiveToken<Live::Batch> live;  // counted in vkrope::live_objects()
  BatchState(const Context& context, BatchOptions options, VkCommandBuffer external);
  ~BatchState();

  // Records one dispatch. `push` holds exactly pipeline.push_constant_bytes bytes. Throws
  // Internal when a group count exceeds maxComputeWorkGroupCount (ops must split first).
  void dispatch(const ComputePipeline& pipeline, std::span<const Binding> bindings, const void* push,
                std::array<std::uint32_t, 3> groups, std::string label);
  void submit();

  Context context;
  ContextState& ctx;
  BatchOptions options;
  bool external;                        // recording into the application's command buffer
  bool profiling;                       // options.profile and the queue can write timestamps
  vk::CommandPool pool;                 // own command buffers only
  vk::Fence fence;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  bool begun = false;

  std::vector<vk::DescriptorPool> descriptor_pools;
  std::uint32_t sets_left = 0;
  HazardTracker hazards;
  std::size_t dispatches = 0;
  std::size_t barriers = 0;

  std::vector<vk::QueryPool> query_pools;
  std::uint32_t queries_used = 0;       // in the last query pool
  std::vector<std::string> labels;      // one per timed dispatch
  std::vector<DispatchTiming> profile;  // of the last submit

  // Buffers used by recorded commands, kept alive until the commands have run.
  std::vector<std::shared_ptr<BufferStorage>> keep_alive;

 private:
  void begin();
  VkDescriptorSet allocate_set(VkDescriptorSetLayout layout);
  std::uint32_t next_query();
  void read_profile();
  void reset();
};

}  // namespace vkrope::detail
