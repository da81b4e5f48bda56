// vulkan_interop.hpp: Contexts, Tensors and Batches over the application's Vulkan objects.
#include "vkrope/vulkan_interop.hpp"

#include "runtime/batch_state.hpp"
#include "runtime/memory.hpp"
#include "runtime/submission.hpp"
#include "vk/check.hpp"

namespace vkrope::interop {

Context adopt(const AdoptedDevice& adopted, const ContextOptions& options) {
  if (!adopted.instance || !adopted.physical_device || !adopted.device || !adopted.queue)
    throw Error(ErrorKind::InvalidArgument, "interop::adopt needs an instance, physical device, device and queue");
  if (adopted.instance_api_version < VK_API_VERSION_1_1)
    throw Error(ErrorKind::Unsupported, "interop::adopt needs an instance created for Vulkan 1.1 or newer");
  detail::ensure_loader(adopted.get_instance_proc_addr);
  detail::load_instance_functions(adopted.instance);

  auto state = std::make_shared<detail::ContextState>();
  state->options = options;
  state->options.validation = false;  // the application chose the instance's layers
  state->instance = adopted.instance;
  state->physical = detail::query_device(adopted.instance, adopted.physical_device, 0);
  if (adopted.queue_family_index != state->physical.compute_queue_family) {
    // Any family with compute works; re-read its timestamp support.
    std::uint32_t count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(adopted.physical_device, &count, nullptr);
    std::vector<VkQueueFamilyProperties> families(count);
    vkGetPhysicalDeviceQueueFamilyProperties(adopted.physical_device, &count, families.data());
    if (adopted.queue_family_index >= count || !(families[adopted.queue_family_index].queueFlags & VK_QUEUE_COMPUTE_BIT))
      throw Error(ErrorKind::InvalidArgument, "interop::adopt: queue family " +
                                                  std::to_string(adopted.queue_family_index) + " has no compute");
    state->physical.timestamp_valid_bits = families[adopted.queue_family_index].timestampValidBits;
    state->physical.info.timestamps = state->physical.timestamp_valid_bits > 0;
  }
  // Only what the application enabled may be used, whatever the hardware offers.
  DeviceInfo enabled = state->physical.info;
  enabled.storage_16bit = enabled.storage_16bit && adopted.storage_16bit_enabled;
  enabled.float16 = enabled.float16 && adopted.float16_enabled;
  enabled.float64 = enabled.float64 && adopted.float64_enabled;
  enabled.timeline_semaphore = enabled.timeline_semaphore && adopted.timeline_semaphore_enabled;
  state->effective = apply_emulation(enabled, options.emulation, options.limits);
  state->device = adopted.device;
  state->queue_family = adopted.queue_family_index;
  if (adopted.queue_mutex) state->queue_mutex = adopted.queue_mutex;
  state->queue = adopted.queue;  // the application's queue, not necessarily index 0
  state->finish_setup();
  return Context(std::move(state));
}

Tensor wrap_buffer(const Context& context, VkBuffer buffer, VkDeviceSize offset, VkDeviceSize range, DType dtype,
                   const Shape& shape) {
  const auto& state = context.state();
  if (buffer == VK_NULL_HANDLE) throw Error(ErrorKind::InvalidArgument, "interop::wrap_buffer: null VkBuffer");
  if (offset % state->effective.min_storage_buffer_offset_alignment != 0)
    throw Error(ErrorKind::InvalidArgument,
                "interop::wrap_buffer: offset " + std::to_string(offset) +
                    " is not a multiple of minStorageBufferOffsetAlignment (" +
                    std::to_string(state->effective.min_storage_buffer_offset_alignment) + ")");
  if (range > state->effective.max_storage_buffer_range)
    throw Error(ErrorKind::InvalidArgument, "interop::wrap_buffer: range " + std::to_string(range) +
                                                " exceeds maxStorageBufferRange (" +
                                                std::to_string(state->effective.max_storage_buffer_range) + ")");
  auto storage = std::make_shared<detail::ExternalBufferStorage>();
  storage->context = state;
  storage->device = state->ref();
  storage->buffer = buffer;
  storage->offset = offset;
  storage->size = range;
  std::uint64_t elements = 1;
  for (std::int64_t d : shape) elements *= static_cast<std::uint64_t>(d > 0 ? d : 0);
  const std::uint64_t bytes = storage_bytes(dtype, elements);
  if (bytes == 0 || bytes > range)
    throw Error(ErrorKind::InvalidArgument, "interop::wrap_buffer: shape " + shape_to_string(shape) + " needs " +
                                                std::to_string(bytes) + " bytes; the range holds " +
                                                std::to_string(range));
  // The view checks rank and dimensions.
  Tensor whole(context, storage, dtype, Shape{static_cast<std::int64_t>(range / block_bytes(dtype)) * block_elements(dtype)}, Strides{1}, 0);
  return whole.view(shape, contiguous_strides(shape), 0);
}

Batch record_into(const Context& context, VkCommandBuffer command_buffer) {
  if (command_buffer == VK_NULL_HANDLE) throw Error(ErrorKind::InvalidArgument, "interop::record_into: null command buffer");
  return Batch(std::make_unique<detail::BatchState>(context, BatchOptions{}, command_buffer));
}

VkInstance instance(const Context& c) { return c.state()->instance; }
VkPhysicalDevice physical_device(const Context& c) { return c.state()->physical.handle; }
VkDevice device(const Context& c) { return c.state()->device; }
VkQueue queue(const Context& c) { return c.state()->queue; }
std::uint32_t queue_family_index(const Context& c) { return c.state()->queue_family; }
VkBuffer buffer(const Tensor& t) { return t.storage()->buffer; }
VkDeviceSize buffer_offset(const Tensor& t) {
  return t.storage()->offset + storage_bytes(t.dtype(), static_cast<std::uint64_t>(t.offset()));
}
VkSemaphore timeline_semaphore(const Context& c) { return c.state()->timeline.handle(); }
std::uint64_t timeline_value(const Submission& s) { return s.state() ? s.state()->value : 0; }

}  // namespace vkrope::interop
