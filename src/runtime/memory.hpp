// Device buffers behind tensors, and host access to them: direct mapping where the memory
// is host-visible (CPU and UMA devices), a staging copy otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "runtime/context_state.hpp"
#include "runtime/live_objects.hpp"
#include "runtime/memory_counter.hpp"

namespace vkrope::detail {

// A range of a VkBuffer that tensors view. Owned (vkrope allocated it) or external (the
// application's buffer, see vulkan_interop.hpp): the subclass says which.
struct BufferStorage {
  LiveToken<Live::Buffer> live;  // counted in vkrope::live_objects()
  // Null only for buffers held by the Context's own cache (which must not keep the
  // Context alive); every tensor's storage has it.
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

  virtual ~BufferStorage() = default;
};

struct OwnedBufferStorage final : BufferStorage {
  vk::Buffer owned_buffer;
  vk::DeviceMemory owned_memory;
  std::shared_ptr<MemoryCounter> counter;
  std::uint64_t counted_bytes = 0;
  ~OwnedBufferStorage() override;  // unmaps and counts itself out; the handles free themselves
};

struct ExternalBufferStorage final : BufferStorage {};

// Allocates `bytes` of storage-buffer memory. Throws InvalidArgument over the device's
// maxStorageBufferRange or maxMemoryAllocationSize, OutOfMemory when allocation fails.
std::shared_ptr<BufferStorage> allocate_storage(const std::shared_ptr<ContextState>& context,
                                                std::uint64_t bytes);

// Allocates `bytes` and fills them from `data` (size <= bytes), for the Context's cache:
// the result does not hold the Context (no reference cycle).
std::shared_ptr<BufferStorage> allocate_cached_storage(const std::shared_ptr<ContextState>& context,
                                                       std::span<const std::byte> data);

// Host <-> device copies of [offset, offset + data.size()) of the storage.
void write_storage(const BufferStorage& storage, std::uint64_t offset, std::span<const std::byte> data);
void read_storage(const BufferStorage& storage, std::uint64_t offset, std::span<std::byte> data);

}  // namespace vkrope::detail
