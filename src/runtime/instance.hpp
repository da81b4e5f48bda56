// Vulkan instance ownership: loader initialization, instance creation with the optional
// validation layer, and the debug messenger that collects its messages.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vk/vk.hpp"

namespace vkrope::detail {

// Loads the Vulkan loader once per process (volk). Throws Unsupported when there is none.
void ensure_loader(PFN_vkGetInstanceProcAddr custom = nullptr);

// Messages (the validation layer's, vkrope's own warnings), collected thread-safely.
class MessageLog {
 public:
  void add(std::string message);
  std::vector<std::string> messages() const;
  void clear();
  std::function<void(std::string_view)> forward;  // set before the messenger exists

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

// An instance vkrope created (and destroys), with its messenger when validation is on.
class OwnedInstance {
 public:
  // `log` must outlive the instance (it receives messages until destruction).
  OwnedInstance(bool validation, MessageLog* log);
  ~OwnedInstance();
  OwnedInstance(const OwnedInstance&) = delete;
  OwnedInstance& operator=(const OwnedInstance&) = delete;

  VkInstance handle() const noexcept { return instance_; }

 private:
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  PFN_vkCreateDebugUtilsMessengerEXT create_messenger_ = nullptr;
  PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger_ = nullptr;
};

// The instance API version vkrope asks for and relies on.
inline constexpr std::uint32_t kInstanceApiVersion = VK_API_VERSION_1_1;

// Loads volk's instance-level function pointers (once per process; see instance.cpp).
void load_instance_functions(VkInstance instance);

}  // namespace vkrope::detail
