// Interop with applications that already own Vulkan objects (engines, renderers).
// This is the only public header that exposes Vulkan types.
#pragma once

#include <vulkan/vulkan_core.h>

#include <mutex>

#include "vkrope/batch.hpp"
#include "vkrope/context.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope::interop {

// The application's objects. vkrope never destroys them; they must outlive the Context
// and everything made from it.
struct AdoptedDevice {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;     // must support compute
  std::uint32_t queue_family_index = 0;
  // Instance API version the application created `instance` with (>= 1.1).
  std::uint32_t instance_api_version = VK_API_VERSION_1_1;
  // How to load Vulkan functions; null: volk opens the system loader (libvulkan.so.1).
  PFN_vkGetInstanceProcAddr get_instance_proc_addr = nullptr;
  // Optional features the application enabled on `device`; vkrope uses only these.
  bool storage_16bit_enabled = false;  // VkPhysicalDevice16BitStorageFeatures::storageBuffer16BitAccess
  bool float16_enabled = false;        // shaderFloat16
  bool float64_enabled = false;        // shaderFloat64
  // VkPhysicalDeviceTimelineSemaphoreFeatures::timelineSemaphore (Vulkan 1.2, or 1.1 with
  // VK_KHR_timeline_semaphore enabled). With it, vkrope signals a timeline semaphore of its
  // own with each submission (see timeline_semaphore() below); without, a fence per batch.
  bool timeline_semaphore_enabled = false;
  // If the application also submits to `queue` from other threads, pass the mutex it
  // holds while doing so; vkrope locks it around its own vkQueueSubmit calls. Null: vkrope
  // uses a mutex of its own and the application must not submit concurrently.
  std::mutex* queue_mutex = nullptr;
};

// A Context over the application's device. options.device and options.validation are
// ignored (the device is given, and layers are chosen when the instance is created);
// emulation and the pipeline cache apply.
Context adopt(const AdoptedDevice& adopted, const ContextOptions& options = {});

// A tensor over [offset, offset + range) of the application's buffer, which must have
// been created with STORAGE_BUFFER usage (and TRANSFER_SRC/DST for upload/download).
// The buffer must outlive the tensor and every view of it.
Tensor wrap_buffer(const Context& context, VkBuffer buffer, VkDeviceSize offset,
                   VkDeviceSize range, DType dtype, const Shape& shape);

// A batch whose ops record into `command_buffer` (in the recording state, from a pool of
// the context's queue family) instead of a command buffer of vkrope's. The application
// submits it, and is responsible for synchronizing vkrope's work with its own (vkrope
// records barriers only between its own dispatches). The Batch owns the descriptor sets the
// commands use: keep it alive until the command buffer has finished executing.
Batch record_into(const Context& context, VkCommandBuffer command_buffer);

// The Vulkan objects behind vkrope's, for applications that want to share them.
VkInstance instance(const Context& context);
VkPhysicalDevice physical_device(const Context& context);
VkDevice device(const Context& context);
VkQueue queue(const Context& context);
std::uint32_t queue_family_index(const Context& context);
VkBuffer buffer(const Tensor& tensor);
VkDeviceSize buffer_offset(const Tensor& tensor);  // byte offset of element 0 of the view

// The Context's timeline semaphore, which every submission of vkrope's signals with a
// rising value; VK_NULL_HANDLE where the device (or emulation) has no timeline semaphores.
// A renderer makes its own submission wait for vkrope's work on the device (no host wait)
// with a VkTimelineSemaphoreSubmitInfo waiting for timeline_value(submission).
VkSemaphore timeline_semaphore(const Context& context);
// The value a submission signals on timeline_semaphore(); 0 without one, or for a
// Submission that submitted nothing.
std::uint64_t timeline_value(const Submission& submission);

}  // namespace vkrope::interop

VKROPE_PUBLIC_END
