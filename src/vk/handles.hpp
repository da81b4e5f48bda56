// One move-only RAII owner per kind of device-level Vulkan object. Device functions come
// from a per-device VolkDeviceTable (not volk's globals), so several Contexts on different
// devices coexist in one process.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "vk/vk.hpp"

namespace vkrope::vk {

// The device an object belongs to and the table of its device-level functions.
struct DeviceRef {
  VkDevice device = VK_NULL_HANDLE;
  const VolkDeviceTable* fn = nullptr;
};

// Count of live vkrope-owned Vulkan objects, for leak tests.
std::atomic<std::int64_t>& live_object_count() noexcept;

template <typename T, void (*Destroy)(const DeviceRef&, T)>
class DeviceHandle final {
 public:
  DeviceHandle() = default;
  DeviceHandle(const DeviceRef& device, T handle) : device_(device), handle_(handle) {
    if (handle_ != VK_NULL_HANDLE) live_object_count().fetch_add(1, std::memory_order_relaxed);
  }
  DeviceHandle(const DeviceHandle&) = delete;
  DeviceHandle& operator=(const DeviceHandle&) = delete;
  DeviceHandle(DeviceHandle&& other) noexcept
      : device_(other.device_), handle_(std::exchange(other.handle_, VK_NULL_HANDLE)) {}
  DeviceHandle& operator=(DeviceHandle&& other) noexcept {
    if (this != &other) {
      reset();
      device_ = other.device_;
      handle_ = std::exchange(other.handle_, VK_NULL_HANDLE);
    }
    return *this;
  }
  // Never throws; safe on a moved-from or empty handle.
  ~DeviceHandle() { reset(); }

  void reset() noexcept {
    if (handle_ != VK_NULL_HANDLE) {
      Destroy(device_, handle_);
      handle_ = VK_NULL_HANDLE;
      live_object_count().fetch_sub(1, std::memory_order_relaxed);
    }
  }
  T handle() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != VK_NULL_HANDLE; }

 private:
  DeviceRef device_{};
  T handle_ = VK_NULL_HANDLE;
};

#define VKROPE_DESTROYER(Type, call)                                         \
  inline void destroy_##Type(const DeviceRef& d, Vk##Type h) noexcept {       \
    d.fn->call(d.device, h, nullptr);                                         \
  }                                                                           \
  using Type = DeviceHandle<Vk##Type, destroy_##Type>;

VKROPE_DESTROYER(Buffer, vkDestroyBuffer)
VKROPE_DESTROYER(BufferView, vkDestroyBufferView)
VKROPE_DESTROYER(DeviceMemory, vkFreeMemory)
VKROPE_DESTROYER(ShaderModule, vkDestroyShaderModule)
VKROPE_DESTROYER(DescriptorSetLayout, vkDestroyDescriptorSetLayout)
VKROPE_DESTROYER(PipelineLayout, vkDestroyPipelineLayout)
VKROPE_DESTROYER(Pipeline, vkDestroyPipeline)
VKROPE_DESTROYER(PipelineCache, vkDestroyPipelineCache)
VKROPE_DESTROYER(DescriptorPool, vkDestroyDescriptorPool)
VKROPE_DESTROYER(CommandPool, vkDestroyCommandPool)
VKROPE_DESTROYER(Fence, vkDestroyFence)
VKROPE_DESTROYER(Semaphore, vkDestroySemaphore)
VKROPE_DESTROYER(QueryPool, vkDestroyQueryPool)
#undef VKROPE_DESTROYER

}  // namespace vkrope::vk
