#include "runtime/memory.hpp"

#include <cstring>
#include <optional>
#include <string>

#include "vk/check.hpp"

namespace vkrope::detail {

namespace {

constexpr VkMemoryPropertyFlags kHostVisible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
constexpr VkMemoryPropertyFlags kDeviceLocal = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;

// The first allowed memory type having all of `required`, or none.
std::optional<std::uint32_t> find_type(const VkPhysicalDeviceMemoryProperties& memory,
                                       std::uint32_t allowed, VkMemoryPropertyFlags required) {
  for (std::uint32_t i = 0; i < memory.memoryTypeCount; ++i)
    if ((allowed & (1u << i)) && (memory.memoryTypes[i].propertyFlags & required) == required) return i;
  return std::nullopt;
}

struct Allocation {
  vk::Buffer buffer;
  vk::DeviceMemory memory;
  VkMemoryPropertyFlags flags = 0;
};

// Creates a buffer and binds fresh memory: `preferred` property sets are tried in order.
Allocation allocate(ContextState& ctx, VkDeviceSize bytes, VkBufferUsageFlags usage,
                    std::initializer_list<VkMemoryPropertyFlags> preferred) {
  const auto& fn = ctx.fn;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = bytes;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  VK_CHECK_COUNTED(CreateBuffer, fn.vkCreateBuffer(ctx.device, &info, nullptr, &buffer));
  Allocation a;
  a.buffer = vk::Buffer(ctx.ref(), buffer);

  VkMemoryRequirements req{};
  fn.vkGetBufferMemoryRequirements(ctx.device, buffer, &req);
  std::optional<std::uint32_t> type;
  for (VkMemoryPropertyFlags flags : preferred)
    if ((type = find_type(ctx.memory, req.memoryTypeBits, flags))) break;
  if (!type) type = find_type(ctx.memory, req.memoryTypeBits, 0);
  if (!type) throw Error(ErrorKind::Internal, "no memory type can hold a storage buffer");

  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = *type;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  const VkResult result = VK_COUNTED(AllocateMemory, fn.vkAllocateMemory(ctx.device, &alloc, nullptr, &memory));
  if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
    throw Error(ErrorKind::OutOfMemory,
                "allocating " + std::to_string(bytes) + " bytes of device memory failed (" +
                    std::string(vk::result_name(result)) + ")",
                result);
  VK_CHECK(result);
  a.memory = vk::DeviceMemory(ctx.ref(), memory);
  a.flags = ctx.memory.memoryTypes[*type].propertyFlags;
  VK_CHECK(fn.vkBindBufferMemory(ctx.device, buffer, memory, 0));
  return a;
}

// A mapped host-visible buffer for one transfer, and the copy command around it.
void staged_copy(const BufferStorage& storage, std::uint64_t offset, std::span<std::byte> host, bool to_device) {
  ContextState& ctx = *storage.context;
  const auto& fn = ctx.fn;
  Allocation staging = allocate(ctx, host.size(),
                                to_device ? VK_BUFFER_USAGE_TRANSFER_SRC_BIT : VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                {kHostVisible | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT |
                                     (to_device ? 0u : static_cast<VkMemoryPropertyFlags>(VK_MEMORY_PROPERTY_HOST_CACHED_BIT)),
                                 kHostVisible | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, kHostVisible});
  const bool coherent = staging.flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  void* ptr = nullptr;
  VK_CHECK(fn.vkMapMemory(ctx.device, staging.memory.handle(), 0, VK_WHOLE_SIZE, 0, &ptr));
  const VkMappedMemoryRange whole{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, staging.memory.handle(), 0,
                                  VK_WHOLE_SIZE};
  if (to_device) {
    std::memcpy(ptr, host.data(), host.size());
    if (!coherent) VK_CHECK(fn.vkFlushMappedMemoryRanges(ctx.device, 1, &whole));
  }

  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pool_info.queueFamilyIndex = ctx.queue_family;
  VkCommandPool pool_handle = VK_NULL_HANDLE;
  VK_CHECK_COUNTED(CreateCommandPool, fn.vkCreateCommandPool(ctx.device, &pool_info, nullptr, &pool_handle));
  const vk::CommandPool pool(ctx.ref(), pool_handle);
  VkCommandBufferAllocateInfo cb_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cb_info.commandPool = pool_handle;
  cb_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cb_info.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VK_CHECK_COUNTED(AllocateCommandBuffers, fn.vkAllocateCommandBuffers(ctx.device, &cb_info, &cmd));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VK_CHECK(fn.vkBeginCommandBuffer(cmd, &begin));

  // Earlier submissions may still be writing or reading this range on the device.
  VkMemoryBarrier before{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  before.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  before.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, nullptr, 0, nullptr);
  VkBufferCopy region{};
  region.size = host.size();
  if (to_device) {
    region.dstOffset = storage.offset + offset;
    fn.vkCmdCopyBuffer(cmd, staging.buffer.handle(), storage.buffer, 1, &region);
  } else {
    region.srcOffset = storage.offset + offset;
    fn.vkCmdCopyBuffer(cmd, storage.buffer, staging.buffer.handle(), 1, &region);
  }
  // Make the copy visible to later compute work and to the host.
  VkMemoryBarrier after{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  after.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  after.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT;
  fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &after, 0,
                          nullptr, 0, nullptr);
  VK_CHECK(fn.vkEndCommandBuffer(cmd));

  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence_handle = VK_NULL_HANDLE;
  VK_CHECK_COUNTED(CreateFence, fn.vkCreateFence(ctx.device, &fence_info, nullptr, &fence_handle));
  const vk::Fence fence(ctx.ref(), fence_handle);
  ctx.submit_and_wait(cmd, fence_handle);

  if (!to_device) {
    if (!coherent) VK_CHECK(fn.vkInvalidateMappedMemoryRanges(ctx.device, 1, &whole));
    std::memcpy(host.data(), ptr, host.size());
  }
  fn.vkUnmapMemory(ctx.device, staging.memory.handle());
}

VkMappedMemoryRange atom_range(const BufferStorage& s, std::uint64_t offset) {
  // Flush/invalidate ranges must be multiples of nonCoherentAtomSize (or reach the end).
  const std::uint64_t atom = s.context->non_coherent_atom_size;
  const std::uint64_t begin = (s.memory_offset + s.offset + offset) / atom * atom;
  return {VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, s.memory, begin, VK_WHOLE_SIZE};
}

}  // namespace

void MemoryCounter::add(std::uint64_t bytes) {
  const std::uint64_t now = live += bytes;
  std::uint64_t seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
}

OwnedBufferStorage::~OwnedBufferStorage() {
  if (mapped && owned_memory) device.fn->vkUnmapMemory(device.device, owned_memory.handle());
  if (counter) counter->remove(counted_bytes);
}

std::shared_ptr<BufferStorage> allocate_storage(const std::shared_ptr<ContextState>& context, std::uint64_t bytes) {
  const DeviceInfo& info = context->effective;
  if (bytes == 0) throw Error(ErrorKind::InvalidArgument, "a buffer of 0 bytes was requested");
  if (bytes > info.max_storage_buffer_range)
    throw Error(ErrorKind::InvalidArgument,
                "a buffer of " + std::to_string(bytes) + " bytes exceeds this device's maxStorageBufferRange (" +
                    std::to_string(info.max_storage_buffer_range) + " bytes on " + info.name + ")");
  if (info.max_memory_allocation_size && bytes > info.max_memory_allocation_size)
    throw Error(ErrorKind::InvalidArgument,
                "a buffer of " + std::to_string(bytes) + " bytes exceeds this device's maxMemoryAllocationSize (" +
                    std::to_string(info.max_memory_allocation_size) + " bytes)");
  // The driver would refuse (or, on a CPU driver, overcommit the host) past the heap; say
  // so before asking it. Other processes' use is not known here, so the driver may still.
  const std::uint64_t held = context->memory_counter->live.load();
  if (info.device_local_bytes && held + bytes > info.device_local_bytes)
    throw Error(ErrorKind::OutOfMemory, "a buffer of " + std::to_string(bytes) + " bytes would bring this Context's " +
                                            "device memory to " + std::to_string(held + bytes) +
                                            " bytes, past the " + std::to_string(info.device_local_bytes) +
                                            " bytes of device-local memory on " + info.name +
                                            "; free tensors first or use smaller shapes");

  constexpr VkBufferUsageFlags usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  // On unified memory prefer memory the host can map, so uploads need no staging copy;
  // a discrete GPU (or its emulation) gets plain device-local memory and staging.
  Allocation a = info.unified_memory
                     ? allocate(*context, bytes, usage,
                                {kDeviceLocal | kHostVisible | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                 kDeviceLocal | kHostVisible, kDeviceLocal})
                     : allocate(*context, bytes, usage, {kDeviceLocal});

  auto storage = std::make_shared<OwnedBufferStorage>();
  storage->context = context;
  storage->device = context->ref();
  storage->buffer = a.buffer.handle();
  storage->size = bytes;
  storage->memory = a.memory.handle();
  storage->coherent = a.flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  if (info.unified_memory && (a.flags & kHostVisible)) {
    void* ptr = nullptr;
    VK_CHECK(context->fn.vkMapMemory(context->device, a.memory.handle(), 0, VK_WHOLE_SIZE, 0, &ptr));
    storage->mapped = static_cast<std::byte*>(ptr);
  }
  storage->owned_buffer = std::move(a.buffer);
  storage->owned_memory = std::move(a.memory);
  storage->counter = context->memory_counter;
  storage->counted_bytes = bytes;
  context->memory_counter->add(bytes);
  return storage;
}

std::shared_ptr<BufferStorage> allocate_cached_storage(const std::shared_ptr<ContextState>& context,
                                                       std::span<const std::byte> data) {
  auto storage = allocate_storage(context, data.size());
  write_storage(*storage, 0, data);
  storage->context.reset();
  return storage;
}

void write_storage(const BufferStorage& s, std::uint64_t offset, std::span<const std::byte> data) {
  if (data.empty()) return;
  if (!s.mapped) {
    staged_copy(s, offset, {const_cast<std::byte*>(data.data()), data.size()}, true);
    return;
  }
  std::memcpy(s.mapped + offset, data.data(), data.size());
  if (!s.coherent) {
    const VkMappedMemoryRange range = atom_range(s, offset);
    VK_CHECK(s.context->fn.vkFlushMappedMemoryRanges(s.context->device, 1, &range));
  }
}

void read_storage(const BufferStorage& s, std::uint64_t offset, std::span<std::byte> data) {
  if (data.empty()) return;
  if (!s.mapped) {
    staged_copy(s, offset, data, false);
    return;
  }
  if (!s.coherent) {
    const VkMappedMemoryRange range = atom_range(s, offset);
    VK_CHECK(s.context->fn.vkInvalidateMappedMemoryRanges(s.context->device, 1, &range));
  }
  std::memcpy(data.data(), s.mapped + offset, data.size());
}

}  // namespace vkrope::detail
