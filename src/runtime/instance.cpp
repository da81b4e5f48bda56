#include "runtime/instance.hpp"

#include <cstring>
#include <mutex>

#include "vk/fault.hpp"

namespace vkrope::detail {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::mutex& volk_mutex() {
  static std::mutex mutex;
  return mutex;
}

VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  auto* log = static_cast<MessageLog*>(user);
  std::string text = severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error: " : "warning: ";
  if (data && data->pMessage) text += data->pMessage;
  log->add(std::move(text));
  return VK_FALSE;  // never abort the call: we report, the caller decides
}

bool layer_available(const char* name) {
  std::uint32_t count = 0;
  VK_TRY(EnumerateInstanceLayerProperties, vkEnumerateInstanceLayerProperties(&count, nullptr));
  std::vector<VkLayerProperties> layers(count);
  VK_TRY(EnumerateInstanceLayerProperties, vkEnumerateInstanceLayerProperties(&count, layers.data()));
  for (const auto& layer : layers)
    if (std::strcmp(layer.layerName, name) == 0) return true;
  return false;
}

}  // namespace

void ensure_loader(PFN_vkGetInstanceProcAddr custom) {
  std::lock_guard lock(volk_mutex());
  if (volkGetInstanceVersion() != 0) return;  // already initialized (the first loader wins)
  if (custom) {
    volkInitializeCustom(custom);
    return;
  }
  if (volkInitialize() != VK_SUCCESS)
    throw Error(ErrorKind::Unsupported,
                "no Vulkan loader found (libvulkan.so.1); install the Debian package libvulkan1 "
                "and a Vulkan driver (mesa-vulkan-drivers)");
  if (volkGetInstanceVersion() < kInstanceApiVersion)
    throw Error(ErrorKind::Unsupported, "the Vulkan loader supports only Vulkan 1.0; vkrope needs 1.1");
}

void load_instance_functions(VkInstance instance) {
  // Core instance functions from the loader are trampolines that dispatch on the handle,
  // valid for every instance, so volk's globals are loaded once and never rewritten while
  // another thread may be calling them. Extension functions are fetched per instance.
  static std::once_flag once;
  std::call_once(once, [instance] { volkLoadInstanceOnly(instance); });
}

void MessageLog::add(std::string message) {
  {
    std::lock_guard lock(mutex_);
    messages_.push_back(message);
  }
  if (forward) forward(message);
}

std::vector<std::string> MessageLog::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

void MessageLog::clear() {
  std::lock_guard lock(mutex_);
  messages_.clear();
}

OwnedInstance::OwnedInstance(bool validation, MessageLog* log) {
  ensure_loader();
  if (validation && !layer_available(kValidationLayer))
    throw Error(ErrorKind::Unsupported,
                "validation was requested but VK_LAYER_KHRONOS_validation is not installed; "
                "install the Debian package vulkan-validationlayers");

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "vkrope";
  app.pEngineName = "vkrope";
  app.apiVersion = kInstanceApiVersion;

  VkDebugUtilsMessengerCreateInfoEXT messenger_info{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger_info.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger_info.pfnUserCallback = on_debug_message;
  messenger_info.pUserData = log;

  const char* layers[] = {kValidationLayer};
  const char* extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  if (validation) {
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = layers;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = extensions;
    info.pNext = &messenger_info;  // also catches messages from vkCreate/DestroyInstance
  }
  VK_TRY(CreateInstance, vkCreateInstance(&info, nullptr, &instance_));
  load_instance_functions(instance_);
  if (validation) {
    create_messenger_ = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    destroy_messenger_ = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    const VkResult result = create_messenger_ && destroy_messenger_
                                ? VK_CALL(CreateDebugUtilsMessenger,
                                          create_messenger_(instance_, &messenger_info, nullptr, &messenger_))
                                : VK_ERROR_EXTENSION_NOT_PRESENT;
    if (result != VK_SUCCESS) {
      vkDestroyInstance(instance_, nullptr);  // roll back: leave nothing behind
      vk::throw_failed(fault::Point::CreateDebugUtilsMessenger, result, __FILE__, __LINE__);
    }
  }
}

// Never throws.
OwnedInstance::~OwnedInstance() {
  if (messenger_ != VK_NULL_HANDLE) destroy_messenger_(instance_, messenger_, nullptr);
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

}  // namespace vkrope::detail
