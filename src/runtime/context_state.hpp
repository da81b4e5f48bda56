// The state shared by every handle to one Context: the instance (owned or adopted), the
// logical device and its function table, the compute queue, and the pipeline table.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/batch_pool.hpp"
#include "runtime/device_query.hpp"
#include "runtime/instance.hpp"
#include "runtime/live_objects.hpp"
#include "runtime/memory_counter.hpp"
#include "runtime/pipelines.hpp"
#include "runtime/staging.hpp"
#include "vk/fault.hpp"
#include "vk/handles.hpp"
#include "vkrope/context.hpp"

namespace vkrope::detail {

// A logical device vkrope created (and destroys). An adopted device has no owner.
class OwnedDevice {
 public:
  OwnedDevice(const PhysicalDevice& physical, const DeviceInfo& effective);
  ~OwnedDevice();
  OwnedDevice(const OwnedDevice&) = delete;
  OwnedDevice& operator=(const OwnedDevice&) = delete;
  VkDevice handle() const noexcept { return device_; }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  PFN_vkDestroyDevice destroy_ = nullptr;
};

struct BufferStorage;

// Read-only device buffers derived from host data (RoPE angle tables, ALiBi slopes, the
// placeholder binding), computed once per Context and reused, keyed by their content. Bounded: the oldest entry goes first (a
// batch still using it keeps it alive).
class BufferCache {
 public:
  // The entry for `key`, made with `make` when absent.
  std::shared_ptr<BufferStorage> get(const std::string& key,
                                     const std::function<std::shared_ptr<BufferStorage>()>& make);
  void clear();

 private:
  static constexpr std::size_t kMaxEntries = 32;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::shared_ptr<BufferStorage>>> entries_;  // oldest first
};

struct ContextState {
  LiveToken<Live::Context> live;  // counted in vkrope::live_objects()
  ContextOptions options;
  MessageLog validation_log;                 // outlives the instance (declared first)
  MessageLog warnings;                       // ContextOptions::on_warning's, kept
  std::optional<OwnedInstance> owned_instance;  // empty when adopted
  VkInstance instance = VK_NULL_HANDLE;
  PhysicalDevice physical;                      // .info: what the hardware reports
  DeviceInfo effective;                         // after emulation
  std::optional<OwnedDevice> owned_device;      // empty when adopted
  VkDevice device = VK_NULL_HANDLE;
  VolkDeviceTable fn{};
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t queue_family = 0;
  VkPhysicalDeviceMemoryProperties memory{};
  std::uint64_t non_coherent_atom_size = 1;

  std::mutex own_queue_mutex;
  std::mutex* queue_mutex = &own_queue_mutex;   // an adopting application may supply its own
  // Signalled by every submission with the next value, where effective.timeline_semaphore.
  vk::Semaphore timeline;
  std::uint64_t timeline_value = 0;             // the last value submitted; under *queue_mutex

  std::shared_ptr<MemoryCounter> memory_counter = std::make_shared<MemoryCounter>();
  std::unique_ptr<PipelineTable> pipelines;     // destroyed before the device
  BufferCache buffer_cache;                     // cleared before the device goes
  Staging staging;                              // released before the device goes
  BatchPool batch_pool;                         // cleared before the device goes

  vk::DeviceRef ref() const noexcept { return {device, &fn}; }

  // The device-loss contract: the first VK_ERROR_DEVICE_LOST (from a submit, a wait or a
  // status query, real or injected) is remembered, and from then on every call that would
  // use the device throws DeviceLost at once instead (ensure_alive()). Only destruction works.
  std::atomic<bool> lost{false};
  // Throws DeviceLost when the device was lost.
  void ensure_alive() const;
  // Throws the Error for `point` failing with `result`, remembering a lost device first.
  [[noreturn]] void fail(fault::Point point, VkResult result, const char* file, int line);
  // After a failure, before freeing what submitted work may still use: waits until the queue
  // is idle (a lost device returns at once). Errors ignored; never throws.
  void drain() noexcept;

  ContextState() = default;
  ContextState(const ContextState&) = delete;
  ContextState& operator=(const ContextState&) = delete;
  // Waits for the device, saves the pipeline cache, then destroys in reverse order. Never throws.
  ~ContextState();

  // Fills fn, queue, memory properties, the timeline semaphore and the pipeline table once
  // `device` is set.
  void finish_setup();
  // Submits one command buffer, signalling `fence` (when not null) and, where the Context
  // has a timeline semaphore, its next value, which is returned (0 without one).
  std::uint64_t submit(VkCommandBuffer command_buffer, VkFence fence);
  void wait_fence(VkFence fence);
  // vkGetFenceStatus: whether `fence` is signalled.
  bool fence_signalled(VkFence fence);
  // The timeline semaphore: wait for a value, or read whether it was reached.
  void wait_timeline(std::uint64_t value);
  bool timeline_reached(std::uint64_t value);
  void wait_idle();

 private:
  mutable std::mutex lost_mutex_;
  std::string lost_reason_;  // the failure that lost the device
};

}  // namespace vkrope::detail

// VK_TRY for a call that can lose the device: its failure goes through ctx.fail().
#define VK_TRY_DEVICE(ctx, point, expr)                                                     \
  do {                                                                                      \
    const VkResult vkrope_try_result_ = VK_CALL(point, expr);                               \
    if (vkrope_try_result_ != VK_SUCCESS)                                                   \
      (ctx).fail(::vkrope::fault::Point::point, vkrope_try_result_, __FILE__, __LINE__);    \
  } while (false)
