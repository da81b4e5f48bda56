// Context creation: instance, device choice, logical device with the features the
// effective capabilities allow, and the compute queue.
#include <algorithm>

#include "runtime/context_state.hpp"
#include "runtime/memory.hpp"
#include "vk/check.hpp"

namespace vkrope {

namespace detail {

OwnedDevice::OwnedDevice(const PhysicalDevice& physical, const DeviceInfo& effective) {
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue.queueFamilyIndex = physical.compute_queue_family;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;

  // Enable exactly the optional features the effective capabilities allow, so that under
  // emulation a kernel that used one anyway would be caught by the validation layer.
  VkPhysicalDevice16BitStorageFeatures storage16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  storage16.storageBuffer16BitAccess = effective.storage_16bit ? VK_TRUE : VK_FALSE;
  VkPhysicalDeviceShaderFloat16Int8Features f16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  f16.shaderFloat16 = VK_TRUE;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.features.shaderFloat64 = effective.float64 ? VK_TRUE : VK_FALSE;
  features.pNext = &storage16;
  std::vector<const char*> extensions;
  if (effective.float16) {
    storage16.pNext = &f16;
    if (physical.float16_needs_extension) extensions.push_back(VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  }

  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.pNext = &features;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue;
  info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  VK_CHECK(vkCreateDevice(physical.handle, &info, nullptr, &device_));
  // Device-level functions are not volk globals (each Context has its own table).
  destroy_ = reinterpret_cast<PFN_vkDestroyDevice>(vkGetDeviceProcAddr(device_, "vkDestroyDevice"));
}

// Never throws.
OwnedDevice::~OwnedDevice() {
  if (device_ != VK_NULL_HANDLE && destroy_) destroy_(device_, nullptr);
}

void ContextState::finish_setup() {
  volkLoadDeviceTable(&fn, device);
  if (queue == VK_NULL_HANDLE) fn.vkGetDeviceQueue(device, queue_family, 0, &queue);
  vkGetPhysicalDeviceMemoryProperties(physical.handle, &memory);
  VkPhysicalDeviceProperties props{};
  vkGetPhysicalDeviceProperties(physical.handle, &props);
  non_coherent_atom_size = std::max<std::uint64_t>(1, props.limits.nonCoherentAtomSize);
  pipelines = std::make_unique<PipelineTable>(
      ref(), physical, pipeline_cache_path(options.pipeline_cache_dir, physical));
}

std::shared_ptr<BufferStorage> BufferCache::get(const std::string& key,
                                               const std::function<std::shared_ptr<BufferStorage>()>& make) {
  std::lock_guard lock(mutex_);
  for (const auto& [k, storage] : entries_)
    if (k == key) return storage;
  auto storage = make();
  if (entries_.size() == kMaxEntries) entries_.erase(entries_.begin());
  entries_.emplace_back(key, storage);
  return storage;
}

void BufferCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

void ContextState::submit_and_wait(VkCommandBuffer command_buffer, VkFence fence) {
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &command_buffer;
  {
    std::lock_guard lock(*queue_mutex);  // VkQueue is externally synchronized
    VK_CHECK_COUNTED(QueueSubmit, fn.vkQueueSubmit(queue, 1, &submit, fence));
  }
  VK_CHECK_COUNTED(Wait, fn.vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
}

ContextState::~ContextState() {
  if (device != VK_NULL_HANDLE && fn.vkDeviceWaitIdle) fn.vkDeviceWaitIdle(device);
  buffer_cache.clear();
  pipelines.reset();  // saves the cache and destroys pipelines while the device lives
  owned_device.reset();
  owned_instance.reset();
}

}  // namespace detail

std::vector<DeviceInfo> enumerate_devices(bool validation) {
  detail::ValidationLog log;
  detail::OwnedInstance instance(validation, &log);
  std::vector<DeviceInfo> infos;
  for (auto& pd : detail::query_all_devices(instance.handle())) infos.push_back(std::move(pd.info));
  return infos;
}

Context Context::create(const ContextOptions& options) {
  auto state = std::make_shared<detail::ContextState>();
  state->options = options;
  state->validation_log.forward = options.on_validation_message;
  state->owned_instance.emplace(options.validation, &state->validation_log);
  state->instance = state->owned_instance->handle();

  auto devices = detail::query_all_devices(state->instance);
  std::vector<DeviceInfo> infos;
  for (const auto& d : devices) infos.push_back(d.info);
  const std::size_t chosen = select_device(infos, options.device);

  state->physical = std::move(devices[chosen]);
  state->effective = apply_emulation(state->physical.info, options.emulation, options.limits);
  state->owned_device.emplace(state->physical, state->effective);
  state->device = state->owned_device->handle();
  state->queue_family = state->physical.compute_queue_family;
  state->finish_setup();
  return Context(std::move(state));
}

const DeviceInfo& Context::device() const { return state_->effective; }
const DeviceInfo& Context::hardware() const { return state_->physical.info; }
const ContextOptions& Context::options() const { return state_->options; }
std::vector<std::string> Context::validation_messages() const { return state_->validation_log.messages(); }
void Context::clear_validation_messages() { state_->validation_log.clear(); }
PipelineStats Context::pipeline_stats() const { return state_->pipelines->stats(); }

MemoryStats Context::memory_stats() const {
  return {state_->memory_counter->live.load(), state_->memory_counter->peak.load()};
}

void Context::reset_peak_memory() const { state_->memory_counter->peak = state_->memory_counter->live.load(); }
void Context::save_pipeline_cache() const { state_->pipelines->save(); }

void Context::wait_idle() const {
  std::lock_guard lock(*state_->queue_mutex);  // vkDeviceWaitIdle synchronizes the queue too
  VK_CHECK_COUNTED(Wait, state_->fn.vkDeviceWaitIdle(state_->device));
}

}  // namespace vkrope
