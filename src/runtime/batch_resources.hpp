// What a Batch records with: a command buffer and fence, descriptor pools, timestamp query
// pools, and arenas for scratch and per-call inputs. Kept across the batch's submissions and,
// once the Batch is gone, by its Context for the next one, so that a steady state (an engine
// decoding step after step, or the blocking overloads called in a loop) creates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/arena.hpp"
#include "vk/handles.hpp"

namespace vkrope::detail {

struct ContextState;

// Descriptor sets from pools sized by descriptor count as well as by sets, so no
// allocation exceeds a pool on drivers that enforce pool sizes (SwiftShader does; lavapipe
// does not). Pools are reset, not destroyed, between recordings.
class DescriptorPools {
 public:
  // A set of `layout`, which holds `descriptors` storage-buffer descriptors.
  VkDescriptorSet allocate(ContextState& context, VkDescriptorSetLayout layout, std::uint32_t descriptors);
  void reset(ContextState& context);
  std::size_t pool_count() const noexcept { return pools_.size(); }

  static constexpr std::uint32_t kSetsPerPool = 64;
  static constexpr std::uint32_t kDescriptorsPerPool = 64 * 9;  // a flash dispatch binds 9

 private:
  void next_pool(ContextState& context);
  std::vector<vk::DescriptorPool> pools_;
  std::size_t current_ = 0;
  std::uint32_t sets_left_ = 0;
  std::uint32_t descriptors_left_ = 0;
};

// Timestamp queries, in pools created on first need and reset inside each recording.
class QueryPools {
 public:
  struct Slot {
    VkQueryPool pool;
    std::uint32_t query;
  };
  // The next query of this recording; records the pool's reset into `cmd` on its first use.
  Slot next(ContextState& context, VkCommandBuffer cmd);
  // Every query written since begin_recording(), in order.
  std::vector<std::uint64_t> read(ContextState& context) const;
  void begin_recording() noexcept;

  static constexpr std::uint32_t kQueriesPerPool = 128;

 private:
  std::vector<vk::QueryPool> pools_;
  std::size_t used_pools_ = 0;       // pools used in this recording
  std::uint32_t used_in_last_ = 0;   // queries used in the last of them
};

struct BatchResources {
  explicit BatchResources(ContextState& context);
  vk::CommandPool command_pool;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  vk::Fence fence;  // signalled by a submission where the Context has no timeline semaphore
  DescriptorPools descriptors;
  QueryPools queries;
  // What an idle batch may keep: a decode step's scratch over a whole model (32 layers of
  // 1.1 MB at H 32, D 128) stays; a long prefill's gives its memory back.
  static constexpr std::uint64_t kRetainedScratch = 64u << 20;
  static constexpr std::uint64_t kRetainedUploads = 4u << 20;
  DeviceArena scratch{MemoryUse::Tensor, kRetainedScratch};
  DeviceArena uploads{MemoryUse::Upload, kRetainedUploads};

  // Ready for the next recording: the work recorded with these has run.
  void reset(ContextState& context);
};

}  // namespace vkrope::detail
