#include "gpu.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace live_compass {

void check_vk(VkResult result, const char* what) {
  if (result != VK_SUCCESS) throw std::runtime_error(std::string(what) + " failed: VkResult " + std::to_string(result));
}

// Every warning or error of the layer is printed and counted: main() exits 1 if any came.
VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT, VkDebugUtilsMessageTypeFlagsEXT,
                               const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  std::fprintf(stderr, "validation: %s\n", data->pMessage);
  ++static_cast<Gpu*>(user)->messages_;
  return VK_FALSE;
}

namespace {

bool has_layer_extension(const char* layer, const char* extension) {
  std::uint32_t n = 0;
  vkEnumerateInstanceExtensionProperties(layer, &n, nullptr);
  std::vector<VkExtensionProperties> all(n);
  vkEnumerateInstanceExtensionProperties(layer, &n, all.data());
  for (const auto& e : all)
    if (std::strcmp(e.extensionName, extension) == 0) return true;
  return false;
}

}  // namespace

Gpu::Gpu(const GpuOptions& options) : options_(options) {
  LC_CHECK(volkInitialize());
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "live_compass";
  app.apiVersion = VK_API_VERSION_1_1;
  std::vector<const char*> extensions = options.instance_extensions;
  std::vector<const char*> layers;
  VkDebugUtilsMessengerCreateInfoEXT dm{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  // Synchronization validation is off by default in the layer; VK_EXT_validation_features
  // (offered by the layer itself, 1.3.239 and 1.4.x alike) turns it on for this instance.
  const VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
  VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
  VkInstanceCreateInfo ii{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  if (options.validation) {
    const char* layer = "VK_LAYER_KHRONOS_validation";
    if (!has_layer_extension(layer, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME))
      throw std::runtime_error("--validate: the Khronos validation layer with VK_EXT_validation_features is missing "
                               "(Debian package vulkan-validationlayers)");
    layers.push_back(layer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    dm.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    dm.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
    dm.pfnUserCallback = on_message;
    dm.pUserData = this;
    features.enabledValidationFeatureCount = 1;
    features.pEnabledValidationFeatures = &sync;
    features.pNext = &dm;  // the messenger also sees vkCreateInstance's own messages
    ii.pNext = &features;
  }
  ii.pApplicationInfo = &app;
  ii.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
  ii.ppEnabledLayerNames = layers.data();
  ii.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  ii.ppEnabledExtensionNames = extensions.data();
  LC_CHECK(vkCreateInstance(&ii, nullptr, &instance));
  volkLoadInstanceOnly(instance);
  if (options.validation) LC_CHECK(vkCreateDebugUtilsMessengerEXT(instance, &dm, nullptr, &messenger_));
}

void Gpu::create_device(VkSurfaceKHR surface) {
  std::uint32_t count = 0;
  LC_CHECK(vkEnumeratePhysicalDevices(instance, &count, nullptr));
  std::vector<VkPhysicalDevice> all(count);
  LC_CHECK(vkEnumeratePhysicalDevices(instance, &count, all.data()));
  const bool by_index = !options_.device.empty() && options_.device.find_first_not_of("0123456789") == std::string::npos;
  for (std::uint32_t i = 0; i < count && !physical; ++i) {
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties(all[i], &p);
    if (by_index ? std::stoul(options_.device) != i
                 : !options_.device.empty() && std::string(p.deviceName).find(options_.device) == std::string::npos)
      continue;
    std::uint32_t nf = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(all[i], &nf, nullptr);
    std::vector<VkQueueFamilyProperties> families(nf);
    vkGetPhysicalDeviceQueueFamilyProperties(all[i], &nf, families.data());
    // One queue for everything: vkrope's compute and the app's drawing are then ordered by
    // plain pipeline barriers, with no queue-family ownership transfers.
    const VkQueueFlags want = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
    for (std::uint32_t f = 0; f < nf; ++f) {
      VkBool32 present = VK_TRUE;
      if (surface) LC_CHECK(vkGetPhysicalDeviceSurfaceSupportKHR(all[i], f, surface, &present));
      if ((families[f].queueFlags & want) == want && present) {
        physical = all[i];
        properties = p;
        family = f;
        timestamp_bits = families[f].timestampValidBits;
        break;
      }
    }
  }
  if (!physical)
    throw std::runtime_error("no Vulkan device with a graphics + compute queue" + std::string(surface ? " that presents" : "") +
                             (options_.device.empty() ? "" : " matches --device " + options_.device));

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qi.queueFamilyIndex = family;
  qi.queueCount = 1;
  qi.pQueuePriorities = &priority;
  const char* swapchain = VK_KHR_SWAPCHAIN_EXTENSION_NAME;
  VkDeviceCreateInfo di{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  di.queueCreateInfoCount = 1;
  di.pQueueCreateInfos = &qi;
  di.enabledExtensionCount = options_.swapchain ? 1 : 0;
  di.ppEnabledExtensionNames = &swapchain;
  LC_CHECK(vkCreateDevice(physical, &di, nullptr, &device));
  volkLoadDeviceTable(&fn, device);
  fn.vkGetDeviceQueue(device, family, 0, &queue);
}

Gpu::~Gpu() {
  if (device) fn.vkDestroyDevice(device, nullptr);
  if (messenger_) vkDestroyDebugUtilsMessengerEXT(instance, messenger_, nullptr);
  if (instance) vkDestroyInstance(instance, nullptr);
}

std::uint32_t Gpu::memory_type(std::uint32_t bits, VkMemoryPropertyFlags want) const {
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(physical, &mp);
  for (std::uint32_t i = 0; i < mp.memoryTypeCount; ++i)
    if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) return i;
  throw std::runtime_error("no memory type with the properties needed");
}

HostBuffer Gpu::host_buffer(VkDeviceSize bytes, VkBufferUsageFlags usage) {
  HostBuffer b;
  VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bi.size = bytes;
  bi.usage = usage;
  LC_CHECK(fn.vkCreateBuffer(device, &bi, nullptr, &b.buffer));
  VkMemoryRequirements req;
  fn.vkGetBufferMemoryRequirements(device, b.buffer, &req);
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  // Coherent: the host reads what the copy wrote after the frame's fence, with no
  // invalidate call to forget.
  ai.memoryTypeIndex =
      memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
  LC_CHECK(fn.vkAllocateMemory(device, &ai, nullptr, &b.memory));
  LC_CHECK(fn.vkBindBufferMemory(device, b.buffer, b.memory, 0));
  LC_CHECK(fn.vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &b.mapped));
  return b;
}

void Gpu::destroy(HostBuffer& b) {
  if (!b.buffer) return;
  fn.vkUnmapMemory(device, b.memory);
  fn.vkDestroyBuffer(device, b.buffer, nullptr);
  fn.vkFreeMemory(device, b.memory, nullptr);
  b = {};
}

Image Gpu::color_image(std::uint32_t width, std::uint32_t height, VkFormat format, VkImageUsageFlags usage) {
  Image im;
  VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
  ci.imageType = VK_IMAGE_TYPE_2D;
  ci.format = format;
  ci.extent = {width, height, 1};
  ci.mipLevels = 1;
  ci.arrayLayers = 1;
  ci.samples = VK_SAMPLE_COUNT_1_BIT;
  ci.tiling = VK_IMAGE_TILING_OPTIMAL;
  ci.usage = usage;
  ci.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  LC_CHECK(fn.vkCreateImage(device, &ci, nullptr, &im.image));
  VkMemoryRequirements req;
  fn.vkGetImageMemoryRequirements(device, im.image, &req);
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  LC_CHECK(fn.vkAllocateMemory(device, &ai, nullptr, &im.memory));
  LC_CHECK(fn.vkBindImageMemory(device, im.image, im.memory, 0));
  im.view = color_view(im.image, format);
  return im;
}

void Gpu::destroy(Image& im) {
  if (!im.image) return;
  fn.vkDestroyImageView(device, im.view, nullptr);
  fn.vkDestroyImage(device, im.image, nullptr);
  fn.vkFreeMemory(device, im.memory, nullptr);
  im = {};
}

VkImageView Gpu::color_view(VkImage image, VkFormat format) {
  VkImageViewCreateInfo vi{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
  vi.image = image;
  vi.viewType = VK_IMAGE_VIEW_TYPE_2D;
  vi.format = format;
  vi.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  VkImageView view;
  LC_CHECK(fn.vkCreateImageView(device, &vi, nullptr, &view));
  return view;
}

}  // namespace live_compass
