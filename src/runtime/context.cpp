// Context creation: instance, device choice, logical device with the features the
// effective capabilities allow, and the compute queue.
#include <algorithm>

#include "runtime/context_state.hpp"
#include "runtime/cooperative_matrix.hpp"
#include "runtime/memory.hpp"
#include "vk/fault.hpp"

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
  VkPhysicalDeviceTimelineSemaphoreFeatures timeline{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES};
  timeline.timelineSemaphore = VK_TRUE;
  std::vector<const char*> extensions;
  void** tail = &storage16.pNext;
  if (effective.float16) {
    *tail = &f16;
    tail = &f16.pNext;
    if (physical.float16_needs_extension) extensions.push_back(VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  }
  if (effective.timeline_semaphore) {
    *tail = &timeline;
    tail = &timeline.pNext;
    if (physical.timeline_needs_extension) extensions.push_back(VK_KHR_TIMELINE_SEMAPHORE_EXTENSION_NAME);
  }
  // Cooperative matrices (the coopmat flash kernel) where the effective device keeps a KHR
  // shape, with the Vulkan memory model that kernel's SPIR-V declares.
  KhrCooperativeMatrixFeatures coop;
  coop.cooperativeMatrix = VK_TRUE;
  VkPhysicalDeviceVulkanMemoryModelFeaturesKHR memory_model{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES_KHR};
  memory_model.vulkanMemoryModel = VK_TRUE;
  memory_model.vulkanMemoryModelDeviceScope = VK_TRUE;  // (else Device-scope atomics in any shader are invalid)
  const bool khr_coop = physical.khr_cooperative_matrix &&
                        std::any_of(effective.cooperative_matrix.begin(), effective.cooperative_matrix.end(),
                                    [](const CooperativeMatrixShape& s) { return s.extension == "KHR"; });
  if (khr_coop) {
    *tail = &coop;
    coop.pNext = &memory_model;
    extensions.push_back(kKhrCooperativeMatrixExtension);
    extensions.push_back(VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME);
  }

  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.pNext = &features;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue;
  info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  VK_TRY(CreateDevice, vkCreateDevice(physical.handle, &info, nullptr, &device_));
  // Device-level functions are not volk globals (each Context has its own table).
  destroy_ = reinterpret_cast<PFN_vkDestroyDevice>(vkGetDeviceProcAddr(device_, "vkDestroyDevice"));
}

// Never throws.
OwnedDevice::~OwnedDevice() {
  if (device_ != VK_NULL_HANDLE && destroy_) destroy_(device_, nullptr);
}

void ContextState::finish_setup() {
  warnings.forward = options.on_warning;
  volkLoadDeviceTable(&fn, device);
  if (queue == VK_NULL_HANDLE) fn.vkGetDeviceQueue(device, queue_family, 0, &queue);
  vkGetPhysicalDeviceMemoryProperties(physical.handle, &memory);
  VkPhysicalDeviceProperties props{};
  vkGetPhysicalDeviceProperties(physical.handle, &props);
  non_coherent_atom_size = std::max<std::uint64_t>(1, props.limits.nonCoherentAtomSize);
  if (effective.timeline_semaphore) {
    VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
    type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    type.initialValue = 0;
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    info.pNext = &type;
    VkSemaphore semaphore = VK_NULL_HANDLE;
    VK_TRY(CreateSemaphore, fn.vkCreateSemaphore(device, &info, nullptr, &semaphore));
    timeline = vk::Semaphore(ref(), semaphore);
  }
  pipelines = std::make_unique<PipelineTable>(
      ref(), physical, pipeline_cache_path(options.pipeline_cache_dir, physical), warnings);
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

std::uint64_t ContextState::submit(VkCommandBuffer command_buffer, VkFence fence) {
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &command_buffer;
  VkTimelineSemaphoreSubmitInfo values{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
  const VkSemaphore semaphore = timeline.handle();
  std::lock_guard lock(*queue_mutex);  // VkQueue is externally synchronized; values rise in submission order
  const std::uint64_t value = timeline ? timeline_value + 1 : 0;
  if (timeline) {
    values.signalSemaphoreValueCount = 1;
    values.pSignalSemaphoreValues = &value;
    submit.pNext = &values;
    submit.signalSemaphoreCount = 1;
    submit.pSignalSemaphores = &semaphore;
  }
  ensure_alive();
  VK_TRY_DEVICE(*this, QueueSubmit, fn.vkQueueSubmit(queue, 1, &submit, fence));
  if (timeline) timeline_value = value;
  return value;
}

void ContextState::wait_fence(VkFence fence) {
  ensure_alive();
  VK_TRY_DEVICE(*this, WaitForFences, fn.vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
}

bool ContextState::fence_signalled(VkFence fence) {
  ensure_alive();
  const VkResult result = VK_CALL(GetFenceStatus, fn.vkGetFenceStatus(device, fence));
  if (result == VK_NOT_READY) return false;
  if (result != VK_SUCCESS) fail(fault::Point::GetFenceStatus, result, __FILE__, __LINE__);
  return true;
}

void ContextState::wait_timeline(std::uint64_t value) {
  const VkSemaphore semaphore = timeline.handle();
  VkSemaphoreWaitInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
  info.semaphoreCount = 1;
  info.pSemaphores = &semaphore;
  info.pValues = &value;
  // The extension's entry point (vkrope enables it), or 1.2 core on an adopted device.
  const PFN_vkWaitSemaphores wait = fn.vkWaitSemaphoresKHR ? fn.vkWaitSemaphoresKHR : fn.vkWaitSemaphores;
  ensure_alive();
  VK_TRY_DEVICE(*this, WaitSemaphores, wait(device, &info, UINT64_MAX));
}

bool ContextState::timeline_reached(std::uint64_t value) {
  const PFN_vkGetSemaphoreCounterValue get =
      fn.vkGetSemaphoreCounterValueKHR ? fn.vkGetSemaphoreCounterValueKHR : fn.vkGetSemaphoreCounterValue;
  std::uint64_t now = 0;
  ensure_alive();
  VK_TRY_DEVICE(*this, GetSemaphoreCounterValue, get(device, timeline.handle(), &now));
  return now >= value;
}

void ContextState::wait_idle() {
  ensure_alive();
  std::lock_guard lock(*queue_mutex);  // vkDeviceWaitIdle synchronizes the queue too
  VK_TRY_DEVICE(*this, DeviceWaitIdle, fn.vkDeviceWaitIdle(device));
}

void ContextState::ensure_alive() const {
  if (!lost.load(std::memory_order_acquire)) [[likely]]
    return;
  std::lock_guard lock(lost_mutex_);
  throw Error(ErrorKind::DeviceLost, "the device " + effective.name + " was lost (" + lost_reason_ +
                                         "); this Context can only be destroyed: create a new one",
              VK_ERROR_DEVICE_LOST);
}

void ContextState::fail(fault::Point point, VkResult result, const char* file, int line) {
  try {
    vk::throw_failed(point, result, file, line);
  } catch (const Error& e) {
    if (result == VK_ERROR_DEVICE_LOST) {
      std::lock_guard lock(lost_mutex_);
      if (lost_reason_.empty()) lost_reason_ = e.what();
      lost.store(true, std::memory_order_release);
    }
    throw;
  }
}

void ContextState::drain() noexcept {
  if (device == VK_NULL_HANDLE || !fn.vkDeviceWaitIdle) return;
  std::lock_guard lock(*queue_mutex);
  fn.vkDeviceWaitIdle(device);  // not through the hook: this is clean-up, not work
}

ContextState::~ContextState() {
  if (device != VK_NULL_HANDLE && fn.vkDeviceWaitIdle) fn.vkDeviceWaitIdle(device);
  batch_pool.clear();
  staging.release();
  buffer_cache.clear();
  pipelines.reset();  // saves the cache and destroys pipelines while the device lives
  timeline.reset();
  owned_device.reset();
  owned_instance.reset();
}

}  // namespace detail

std::vector<DeviceInfo> enumerate_devices(bool validation) {
  detail::MessageLog log;
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
std::vector<std::string> Context::warnings() const { return state_->warnings.messages(); }
PipelineStats Context::pipeline_stats() const { return state_->pipelines->stats(); }

MemoryStats Context::memory_stats() const {
  return {state_->memory_counter->live.load(), state_->memory_counter->peak.load()};
}

void Context::reset_peak_memory() const { state_->memory_counter->peak = state_->memory_counter->live.load(); }
void Context::save_pipeline_cache() const { state_->pipelines->save(); }

void Context::wait_idle() const { state_->wait_idle(); }

}  // namespace vkrope
