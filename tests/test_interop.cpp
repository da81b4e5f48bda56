// Interop: the test creates its own instance, device, queue, buffers and command buffer,
// and drives vkrope's copy kernel through them, as an engine or renderer would.
#include <gtest/gtest.h>
#include <volk.h>

#include <cstring>

#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/roofline.hpp"
#include "vkrope/rope.hpp"
#include "vkrope/vulkan_interop.hpp"

namespace vkrope::test {
namespace {

#define CHECK_VK(expr) ASSERT_EQ((expr), VK_SUCCESS) << #expr

VKAPI_ATTR VkBool32 VKAPI_CALL collect(VkDebugUtilsMessageSeverityFlagBitsEXT, VkDebugUtilsMessageTypeFlagsEXT,
                                       const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  static_cast<std::vector<std::string>*>(user)->emplace_back(data->pMessage);
  return VK_FALSE;
}

// The application's side: plain Vulkan, no vkrope.
struct App {
  std::vector<std::string> messages;
  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  std::uint32_t family = UINT32_MAX;
  VkDevice device = VK_NULL_HANDLE;
  VolkDeviceTable fn{};
  VkQueue queue = VK_NULL_HANDLE;

  struct HostBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    float* data = nullptr;
  };

  void create(std::uint32_t device_index) {
    ASSERT_EQ(volkInitialize(), VK_SUCCESS);
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.apiVersion = VK_API_VERSION_1_1;
    VkDebugUtilsMessengerCreateInfoEXT dm{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    dm.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    dm.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
    dm.pfnUserCallback = collect;
    dm.pUserData = &messages;
    const char* layer = "VK_LAYER_KHRONOS_validation";
    const char* ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    VkInstanceCreateInfo ii{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ii.pApplicationInfo = &app;
    ii.enabledLayerCount = 1;
    ii.ppEnabledLayerNames = &layer;
    ii.enabledExtensionCount = 1;
    ii.ppEnabledExtensionNames = &ext;
    CHECK_VK(vkCreateInstance(&ii, nullptr, &instance));
    volkLoadInstanceOnly(instance);
    auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
    CHECK_VK(create_messenger(instance, &dm, nullptr, &messenger));

    std::uint32_t count = 0;
    CHECK_VK(vkEnumeratePhysicalDevices(instance, &count, nullptr));
    std::vector<VkPhysicalDevice> all(count);
    CHECK_VK(vkEnumeratePhysicalDevices(instance, &count, all.data()));
    ASSERT_LT(device_index, count);
    physical = all[device_index];
    std::uint32_t nf = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical, &nf, nullptr);
    std::vector<VkQueueFamilyProperties> families(nf);
    vkGetPhysicalDeviceQueueFamilyProperties(physical, &nf, families.data());
    for (std::uint32_t f = 0; f < nf && family == UINT32_MAX; ++f)
      if (families[f].queueFlags & VK_QUEUE_COMPUTE_BIT) family = f;
    ASSERT_NE(family, UINT32_MAX);

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qi.queueFamilyIndex = family;
    qi.queueCount = 1;
    qi.pQueuePriorities = &priority;
    VkDeviceCreateInfo di{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    di.queueCreateInfoCount = 1;
    di.pQueueCreateInfos = &qi;
    CHECK_VK(vkCreateDevice(physical, &di, nullptr, &device));
    volkLoadDeviceTable(&fn, device);
    fn.vkGetDeviceQueue(device, family, 0, &queue);
  }

  HostBuffer buffer(VkDeviceSize bytes) {
    HostBuffer b;
    VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bi.size = bytes;
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    EXPECT_EQ(fn.vkCreateBuffer(device, &bi, nullptr, &b.buffer), VK_SUCCESS);
    VkMemoryRequirements req;
    fn.vkGetBufferMemoryRequirements(device, b.buffer, &req);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(physical, &mp);
    const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    std::uint32_t type = UINT32_MAX;
    for (std::uint32_t i = 0; i < mp.memoryTypeCount && type == UINT32_MAX; ++i)
      if ((req.memoryTypeBits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) type = i;
    EXPECT_NE(type, UINT32_MAX);
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = type;
    EXPECT_EQ(fn.vkAllocateMemory(device, &ai, nullptr, &b.memory), VK_SUCCESS);
    EXPECT_EQ(fn.vkBindBufferMemory(device, b.buffer, b.memory, 0), VK_SUCCESS);
    void* p = nullptr;
    EXPECT_EQ(fn.vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &p), VK_SUCCESS);
    b.data = static_cast<float*>(p);
    return b;
  }

  void destroy(HostBuffer& b) {
    fn.vkUnmapMemory(device, b.memory);
    fn.vkDestroyBuffer(device, b.buffer, nullptr);
    fn.vkFreeMemory(device, b.memory, nullptr);
  }

  void destroy() {
    if (device) fn.vkDestroyDevice(device, nullptr);
    if (messenger) {
      reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
          vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"))(instance, messenger, nullptr);
    }
    if (instance) vkDestroyInstance(instance, nullptr);
  }
};

class InteropTest : public testing::TestWithParam<DeviceCase> {};

TEST_P(InteropTest, CopyKernelRunsOnTheApplicationsDeviceBuffersAndCommandBuffer) {
  App app;
  app.create(GetParam().index);
  if (HasFatalFailure()) return;
  const std::uint32_t n = 4099;  // odd: exercises the kernel's tail
  const std::uint32_t seed = fresh_seed();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  App::HostBuffer src = app.buffer(n * 4), dst = app.buffer(n * 4);
  std::vector<float> values(n);
  for (auto& v : values) v = dist(rng);
  std::memcpy(src.data, values.data(), n * 4);
  std::memset(dst.data, 0xff, n * 4);

  {
    interop::AdoptedDevice adopted;
    adopted.instance = app.instance;
    adopted.physical_device = app.physical;
    adopted.device = app.device;
    adopted.queue = app.queue;
    adopted.queue_family_index = app.family;
    ContextOptions options;
    options.emulation = GetParam().emulation;
    const Context context = interop::adopt(adopted, options);
    EXPECT_EQ(interop::device(context), app.device);
    const Tensor src_t = interop::wrap_buffer(context, src.buffer, 0, n * 4, DType::f32, {n});
    const Tensor dst_t = interop::wrap_buffer(context, dst.buffer, 0, n * 4, DType::f32, {n});
    EXPECT_EQ(interop::buffer(dst_t), dst.buffer);

    // The application's command pool and command buffer; vkrope records into it.
    VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pi.queueFamilyIndex = app.family;
    VkCommandPool pool;
    ASSERT_EQ(app.fn.vkCreateCommandPool(app.device, &pi, nullptr, &pool), VK_SUCCESS);
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkCommandBuffer cmd;
    ASSERT_EQ(app.fn.vkAllocateCommandBuffers(app.device, &ai, &cmd), VK_SUCCESS);
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    ASSERT_EQ(app.fn.vkBeginCommandBuffer(cmd, &bi), VK_SUCCESS);
    // RoPE at explicit positions: its positions are a per-call input, which lands in the
    // application's command buffer too (vkCmdUpdateBuffer under discrete emulation).
    RopeConfig rope;
    rope.head_dim = 8;
    const std::vector<std::int64_t> positions = {3, 5, 7, 11};
    std::vector<float> x_values(4 * 2 * 8);
    for (auto& v : x_values) v = dist(rng);
    const Tensor x = Tensor::from_floats(context, DType::f32, {1, 4, 2, 8}, x_values);
    const Tensor rotated = Tensor::empty(context, DType::f32, x.shape());
    {
      Batch batch = interop::record_into(context, cmd);
      copy(batch, src_t, dst_t);
      vkrope::rope(batch, rope, {x, rotated, std::nullopt, std::nullopt}, {positions, 0});
      EXPECT_THROW(batch.submit(), Error);  // the application submits, not vkrope
      // The application's own barrier: shader writes -> host reads.
      VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
      mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
      mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
      app.fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0,
                                  nullptr, 0, nullptr);
      ASSERT_EQ(app.fn.vkEndCommandBuffer(cmd), VK_SUCCESS);
      VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
      VkFence fence;
      ASSERT_EQ(app.fn.vkCreateFence(app.device, &fi, nullptr, &fence), VK_SUCCESS);
      VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
      si.commandBufferCount = 1;
      si.pCommandBuffers = &cmd;
      ASSERT_EQ(app.fn.vkQueueSubmit(app.queue, 1, &si, fence), VK_SUCCESS);
      ASSERT_EQ(app.fn.vkWaitForFences(app.device, 1, &fence, VK_TRUE, UINT64_MAX), VK_SUCCESS);
      app.fn.vkDestroyFence(app.device, fence, nullptr);
    }  // the batch (and its descriptor sets) may go once the work has finished
    EXPECT_EQ(std::memcmp(dst.data, values.data(), n * 4), 0) << "seed " << seed;
    const std::vector<double> want =
        reference::rope(std::vector<double>(x_values.begin(), x_values.end()), 1, 4, 2, rope, rope_frequencies(rope, 11),
                        positions);
    EXPECT_LE(compare(rotated.download(), want).max_abs_err, 2e-6) << "seed " << seed;  // f32 RoPE: 2e-6

    // vkrope's own submission path and staging transfers on the wrapped buffers.
    std::memset(dst.data, 0xff, n * 4);
    copy(src_t, dst_t);
    EXPECT_EQ(dst_t.download(), values);
    // A view at an offset inside the application's buffer.
    const Tensor tail = interop::wrap_buffer(context, src.buffer, 256, n * 4 - 256, DType::f32, {n - 64});
    EXPECT_EQ(tail.download(), std::vector<float>(values.begin() + 64, values.end()));
    EXPECT_THROW(interop::wrap_buffer(context, src.buffer, 2, 64, DType::f32, {4}), Error);  // misaligned
    EXPECT_THROW(interop::wrap_buffer(context, src.buffer, 0, 64, DType::f32, {17}), Error);  // too small
    app.fn.vkDestroyCommandPool(app.device, pool, nullptr);
  }  // the context goes; the application's objects stay

  app.destroy(src);
  app.destroy(dst);
  app.destroy();
  for (const auto& m : app.messages) ADD_FAILURE() << "validation layer: " << m;
}

INSTANTIATE_TEST_SUITE_P(Devices, InteropTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
