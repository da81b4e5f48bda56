// Device buffers behind tensors, and host access to them: direct mapping where the memory
// is host-visible (CPU and UMA devices), the Context's staging copies otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "runtime/context_state.hpp"
#include "runtime/live_objects.hpp"
#include "runtime/memory_counter.hpp"

namespace vkrope::detail {

// A range of a VkBuffer that tensors view. Owned (vkrope allocated it) or external (the
// application's buffer, see vulkan_interop.hpp): the subclass says which.
struct BufferStorage {
  LiveToken<Live::Buffer> live;  // counted in vkrope::live_objects()
  // Null only for buffers the Context itself holds (its cache, batch arenas, staging),
  // which must not keep the Context alive; every tensor's storage has it.
  std::shared_ptr<ContextState> context;
  vk::DeviceRef device;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;  // where the range starts within `buffer`
  VkDeviceSize size = 0;    // bytes in the range
  // Host pointer to byte 0 of the range when the memory is mapped; nullptr otherwise.
  std::byte* mapped = nullptr;
  bool coherent = true;
  VkDeviceMemory memory = VK_NULL_HANDLE;  // for flush/invalidate of non-coherent memory
  VkDeviceSize memory_offset = 0;
  // The buffer was created for uniform texel-buffer use (vkrope's tensors; not the
  // application's buffers), and the views of the whole range made so far (texel_view.hpp).
  bool texel_usage = false;
  std::mutex views_mutex;
  std::vector<std::pair<VkFormat, vk::BufferView>> views;

  virtual ~BufferStorage() = default;
};

struct OwnedBufferStorage final : BufferStorage {
  vk::Buffer owned_buffer;
  vk::DeviceMemory owned_memory;
  std::shared_ptr<MemoryCounter> counter;  // null for staging (host memory, not counted)
  std::uint64_t counted_bytes = 0;
  ~OwnedBufferStorage() override;  // unmaps and counts itself out; the handles free themselves
};

struct ExternalBufferStorage final : BufferStorage {};

// What a buffer is for, which decides its memory type and whether the host maps it.
enum class MemoryUse {
  // Kernels read and write it (tensors, scratch): device-local; mapped on unified memory.
  Tensor,
  // The host writes small per-call inputs that kernels read (positions, sinks): device-local
  // memory the host maps where the device has some (unified memory, a discrete GPU's BAR
  // window), else plain device-local memory that the batch fills with vkCmdUpdateBuffer.
  Upload,
  // Host-visible memory for copies to and from unmapped tensors (discrete GPUs); counted
  // neither in memory_stats() nor against the device-local heap.
  Staging,
};

// Allocates `bytes` for `use`. Throws InvalidArgument over the device's
// maxStorageBufferRange or maxMemoryAllocationSize, OutOfMemory when the Context's buffers
// would pass the device-local heap or the allocation fails.
std::shared_ptr<BufferStorage> allocate_storage(const std::shared_ptr<ContextState>& context, std::uint64_t bytes,
                                                MemoryUse use = MemoryUse::Tensor);

// Allocates `bytes` for the Context's own use (its cache, batch arenas, staging): the
// result does not hold the Context (no reference cycle), so the Context must outlive it.
std::shared_ptr<BufferStorage> allocate_context_storage(ContextState& context, std::uint64_t bytes, MemoryUse use);

// Allocates and fills a buffer for the Context's cache (read-only tables), as
// allocate_context_storage; written through the staging path where it is not mapped.
std::shared_ptr<BufferStorage> allocate_cached_storage(ContextState& context, std::span<const std::byte> data);

// Host <-> device copies of [offset, offset + data.size()) of the storage: through the
// mapping where there is one, else through the Context's staging buffer (blocking).
void write_storage(ContextState& context, const BufferStorage& storage, std::uint64_t offset,
                   std::span<const std::byte> data);
void read_storage(ContextState& context, const BufferStorage& storage, std::uint64_t offset,
                  std::span<std::byte> data);

// Makes host writes to [offset, offset + bytes) of mapped, non-coherent memory visible to
// the device (nothing to do on coherent memory).
void flush_mapped(ContextState& context, const BufferStorage& storage, std::uint64_t offset, std::uint64_t bytes);

}  // namespace vkrope::detail
