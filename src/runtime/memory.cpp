#include "runtime/memory.hpp"

#include <cstring>
#include <optional>
#include <string>

#include "vk/fault.hpp"

namespace vkrope::detail {

namespace {

constexpr VkMemoryPropertyFlags kHostVisible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
constexpr VkMemoryPropertyFlags kDeviceLocal = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
constexpr VkMemoryPropertyFlags kCoherent = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
constexpr VkMemoryPropertyFlags kCached = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;

// A memory type wish: every flag of `required`, none of `excluded`.
struct MemoryWish {
  VkMemoryPropertyFlags required = 0;
  VkMemoryPropertyFlags excluded = 0;
};

// The first allowed memory type granting `wish`, or none.
std::optional<std::uint32_t> find_type(const VkPhysicalDeviceMemoryProperties& memory, std::uint32_t allowed,
                                       MemoryWish wish) {
  for (std::uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
    const VkMemoryPropertyFlags flags = memory.memoryTypes[i].propertyFlags;
    if ((allowed & (1u << i)) && (flags & wish.required) == wish.required && !(flags & wish.excluded)) return i;
  }
  return std::nullopt;
}

// Uniform texel buffer too: a kernel may read a tensor through a VkBufferView (rows_texel
// attention, the benchmark's load floor; lavapipe gathers texel loads where it loops over
// storage loads).
constexpr VkBufferUsageFlags kStorageUsage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                             VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                                             VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

struct Allocation {
  vk::Buffer buffer;
  vk::DeviceMemory memory;
  VkMemoryPropertyFlags flags = 0;
};

// Creates a buffer and binds fresh memory of the first type granting a wish, in order.
Allocation allocate(ContextState& ctx, VkDeviceSize bytes, VkBufferUsageFlags usage,
                    std::initializer_list<MemoryWish> wishes) {
  const auto& fn = ctx.fn;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = bytes;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  VK_TRY(CreateBuffer, fn.vkCreateBuffer(ctx.device, &info, nullptr, &buffer));
  Allocation a;
  a.buffer = vk::Buffer(ctx.ref(), buffer);

  VkMemoryRequirements req{};
  fn.vkGetBufferMemoryRequirements(ctx.device, buffer, &req);
  std::optional<std::uint32_t> type;
  for (MemoryWish wish : wishes)
    if ((type = find_type(ctx.memory, req.memoryTypeBits, wish))) break;
  if (!type) type = find_type(ctx.memory, req.memoryTypeBits, {});
  if (!type) throw Error(ErrorKind::Internal, "no memory type can hold a storage buffer");

  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = *type;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  const VkResult result = VK_CALL(AllocateMemory, fn.vkAllocateMemory(ctx.device, &alloc, nullptr, &memory));
  if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
    throw Error(ErrorKind::OutOfMemory,
                "vkAllocateMemory failed with " + std::string(vk::result_name(result)) + " (" +
                    std::to_string(bytes) + " bytes)",
                result);
  if (result != VK_SUCCESS) vk::throw_failed(fault::Point::AllocateMemory, result, __FILE__, __LINE__);
  a.memory = vk::DeviceMemory(ctx.ref(), memory);
  a.flags = ctx.memory.memoryTypes[*type].propertyFlags;
  VK_TRY(BindBufferMemory, fn.vkBindBufferMemory(ctx.device, buffer, memory, 0));
  return a;
}

// Where each use lives, and whether the host maps it.
Allocation allocate_for(ContextState& ctx, VkDeviceSize bytes, MemoryUse use, bool& map) {
  const DeviceInfo& info = ctx.effective;
  switch (use) {
    case MemoryUse::Tensor:
      // Unified memory: memory the host maps, so uploads need no staging copy. A discrete
      // GPU (or its emulation): device-local memory without a host mapping, where there is
      // such a type (BAR memory is too small and too slow to read back for tensors).
      map = info.unified_memory;
      if (info.unified_memory)
        return allocate(ctx, bytes, kStorageUsage,
                        {{kDeviceLocal | kHostVisible | kCoherent}, {kDeviceLocal | kHostVisible}, {kDeviceLocal}});
      return allocate(ctx, bytes, kStorageUsage, {{kDeviceLocal, kHostVisible}, {kDeviceLocal}});
    case MemoryUse::Upload:
      map = info.mappable_device_local_bytes > 0;
      if (map)
        return allocate(ctx, bytes, kStorageUsage, {{kDeviceLocal | kHostVisible | kCoherent}, {kDeviceLocal | kHostVisible}});
      return allocate(ctx, bytes, kStorageUsage, {{kDeviceLocal, kHostVisible}, {kDeviceLocal}});
    case MemoryUse::Staging:
      // System memory (not the small BAR window), cached for reading back where offered.
      map = true;
      return allocate(ctx, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                      {{kHostVisible | kCoherent | kCached, kDeviceLocal},
                       {kHostVisible | kCoherent, kDeviceLocal},
                       {kHostVisible, kDeviceLocal},
                       {kHostVisible | kCoherent},
                       {kHostVisible}});
  }
  throw Error(ErrorKind::Internal, "unknown memory use");
}

VkMappedMemoryRange atom_range(const ContextState& ctx, const BufferStorage& s, std::uint64_t offset,
                               std::uint64_t bytes) {
  // Flush/invalidate ranges must start at a multiple of nonCoherentAtomSize and be a
  // multiple of it long, or reach the end of the memory.
  const std::uint64_t atom = ctx.non_coherent_atom_size;
  const std::uint64_t first = s.memory_offset + s.offset + offset;
  const std::uint64_t begin = first / atom * atom;
  const std::uint64_t end = (first + bytes + atom - 1) / atom * atom;
  const std::uint64_t memory_end = s.memory_offset + s.offset + s.size;
  const VkDeviceSize size = end >= memory_end ? VK_WHOLE_SIZE : end - begin;
  return {VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr, s.memory, begin, size};
}

}  // namespace

void MemoryCounter::add(std::uint64_t bytes) {
  const std::uint64_t now = live += bytes;
  std::uint64_t seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
}

OwnedBufferStorage::~OwnedBufferStorage() {
  views.clear();  // before the buffer they view
  if (mapped && owned_memory) device.fn->vkUnmapMemory(device.device, owned_memory.handle());
  if (counter) counter->remove(counted_bytes);
}

std::shared_ptr<BufferStorage> allocate_context_storage(ContextState& ctx, std::uint64_t bytes, MemoryUse use) {
  ContextState* const context = &ctx;
  const DeviceInfo& info = context->effective;
  context->ensure_alive();
  if (bytes == 0) throw Error(ErrorKind::InvalidArgument, "a buffer of 0 bytes was requested");
  if (bytes > info.max_storage_buffer_range && use != MemoryUse::Staging)
    throw Error(ErrorKind::InvalidArgument,
                "a buffer of " + std::to_string(bytes) + " bytes exceeds this device's maxStorageBufferRange (" +
                    std::to_string(info.max_storage_buffer_range) + " bytes on " + info.name + ")");
  if (info.max_memory_allocation_size && bytes > info.max_memory_allocation_size)
    throw Error(ErrorKind::InvalidArgument,
                "a buffer of " + std::to_string(bytes) + " bytes exceeds this device's maxMemoryAllocationSize (" +
                    std::to_string(info.max_memory_allocation_size) + " bytes)");
  // The driver would refuse (or, on a CPU driver, overcommit the host) past the heap; say
  // so before asking it. Other processes' use is not known here, so the driver may still.
  const bool counted = use != MemoryUse::Staging;
  const std::uint64_t held = context->memory_counter->live.load();
  if (counted && info.device_local_bytes && held + bytes > info.device_local_bytes)
    throw Error(ErrorKind::OutOfMemory, "a buffer of " + std::to_string(bytes) + " bytes would bring this Context's " +
                                            "device memory to " + std::to_string(held + bytes) +
                                            " bytes, past the " + std::to_string(info.device_local_bytes) +
                                            " bytes of device-local memory on " + info.name +
                                            "; free tensors first or use smaller shapes");

  bool map = false;
  Allocation a = allocate_for(*context, bytes, use, map);
  auto storage = std::make_shared<OwnedBufferStorage>();
  storage->device = context->ref();
  storage->buffer = a.buffer.handle();
  storage->size = bytes;
  storage->memory = a.memory.handle();
  storage->coherent = a.flags & kCoherent;
  storage->texel_usage = use != MemoryUse::Staging;  // (kStorageUsage)
  if (map && (a.flags & kHostVisible)) {
    void* ptr = nullptr;
    VK_TRY(MapMemory, context->fn.vkMapMemory(context->device, a.memory.handle(), 0, VK_WHOLE_SIZE, 0, &ptr));
    storage->mapped = static_cast<std::byte*>(ptr);
  }
  storage->owned_buffer = std::move(a.buffer);
  storage->owned_memory = std::move(a.memory);
  if (counted) {
    storage->counter = context->memory_counter;
    storage->counted_bytes = bytes;
    context->memory_counter->add(bytes);
  }
  return storage;
}

std::shared_ptr<BufferStorage> allocate_storage(const std::shared_ptr<ContextState>& context, std::uint64_t bytes,
                                                MemoryUse use) {
  auto storage = allocate_context_storage(*context, bytes, use);
  storage->context = context;
  return storage;
}

std::shared_ptr<BufferStorage> allocate_cached_storage(ContextState& context, std::span<const std::byte> data) {
  auto storage = allocate_context_storage(context, data.size(), MemoryUse::Tensor);
  write_storage(context, *storage, 0, data);
  return storage;
}

void flush_mapped(ContextState& context, const BufferStorage& s, std::uint64_t offset, std::uint64_t bytes) {
  if (s.coherent || bytes == 0) return;
  const VkMappedMemoryRange range = atom_range(context, s, offset, bytes);
  VK_TRY(FlushMappedMemoryRanges, context.fn.vkFlushMappedMemoryRanges(context.device, 1, &range));
}

void write_storage(ContextState& context, const BufferStorage& s, std::uint64_t offset,
                   std::span<const std::byte> data) {
  context.ensure_alive();
  if (data.empty()) return;
  if (!s.mapped) {
    context.staging.copy(context, s, offset, {const_cast<std::byte*>(data.data()), data.size()}, true);
    return;
  }
  std::memcpy(s.mapped + offset, data.data(), data.size());
  flush_mapped(context, s, offset, data.size());
}

void read_storage(ContextState& context, const BufferStorage& s, std::uint64_t offset, std::span<std::byte> data) {
  context.ensure_alive();
  if (data.empty()) return;
  if (!s.mapped) {
    context.staging.copy(context, s, offset, data, false);
    return;
  }
  if (!s.coherent) {
    const VkMappedMemoryRange range = atom_range(context, s, offset, data.size());
    VK_TRY(InvalidateMappedMemoryRanges, context.fn.vkInvalidateMappedMemoryRanges(context.device, 1, &range));
  }
  std::memcpy(data.data(), s.mapped + offset, data.size());
}

}  // namespace vkrope::detail
