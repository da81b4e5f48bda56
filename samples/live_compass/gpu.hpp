// The application's own Vulkan: instance (with the validation layer and synchronization
// validation when asked), one device with a graphics + compute queue, and the small
// helpers (buffers, images, one-off commands) the rest of the sample uses. vkrope is not
// involved here: this is what a renderer already has before it adopts vkrope.
#pragma once

#include <volk.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace live_compass {

// Throws std::runtime_error naming the call and its VkResult.
void check_vk(VkResult result, const char* what);
#define LC_CHECK(expr) ::live_compass::check_vk((expr), #expr)

struct GpuOptions {
  std::string device;                    // index or name substring; empty: the first that fits
  bool validation = false;               // Khronos layer + synchronization validation
  std::vector<const char*> instance_extensions;  // e.g. GLFW's surface extensions
  bool swapchain = false;                // enable VK_KHR_swapchain on the device
};

struct HostBuffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  void* mapped = nullptr;
};

struct Image {
  VkImage image = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkImageView view = VK_NULL_HANDLE;
};

class Gpu {
 public:
  explicit Gpu(const GpuOptions& options);
  ~Gpu();
  Gpu(const Gpu&) = delete;
  Gpu& operator=(const Gpu&) = delete;

  // Picks the device after the surface exists (a windowed app needs one that presents to it).
  void create_device(VkSurfaceKHR surface);

  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties{};
  VkDevice device = VK_NULL_HANDLE;
  VolkDeviceTable fn{};
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t family = 0;
  std::uint32_t timestamp_bits = 0;  // 0: this queue cannot write timestamps

  // Validation messages (warnings and errors) seen so far; each is also printed.
  int validation_messages() const { return messages_.load(); }

  HostBuffer host_buffer(VkDeviceSize bytes, VkBufferUsageFlags usage);
  void destroy(HostBuffer& buffer);
  Image color_image(std::uint32_t width, std::uint32_t height, VkFormat format, VkImageUsageFlags usage);
  void destroy(Image& image);
  VkImageView color_view(VkImage image, VkFormat format);

 private:
  std::uint32_t memory_type(std::uint32_t bits, VkMemoryPropertyFlags want) const;
  GpuOptions options_;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  std::atomic<int> messages_{0};
  friend VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT, VkDebugUtilsMessageTypeFlagsEXT,
                                        const VkDebugUtilsMessengerCallbackDataEXT*, void*);
};

}  // namespace live_compass
