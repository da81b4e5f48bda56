/* The C API test: a context over the application's Vulkan objects, and RoPE recorded into
 * the application's command buffer. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vkrope/vkrope.h>

#include "check.h"
#include "helpers.h"
#include "reference.h"

/* ---- Interop --------------------------------------------------------------------------- */

/* The application's side, plain Vulkan through the loader (dlopen: this test links no
 * Vulkan library, as vkrope itself does not). */
typedef struct vk_fns {
  PFN_vkGetInstanceProcAddr get_instance_proc_addr;
  PFN_vkGetDeviceProcAddr get_device_proc_addr;
  PFN_vkCreateCommandPool create_command_pool;
  PFN_vkDestroyCommandPool destroy_command_pool;
  PFN_vkAllocateCommandBuffers allocate_command_buffers;
  PFN_vkBeginCommandBuffer begin_command_buffer;
  PFN_vkEndCommandBuffer end_command_buffer;
  PFN_vkQueueSubmit queue_submit;
  PFN_vkQueueWaitIdle queue_wait_idle;
} vk_fns;

/* Function pointers from void* without the cast ISO C leaves undefined. */
#define LOAD(fns, member, getter, handle, name)       \
  do {                                                \
    PFN_vkVoidFunction f_ = getter(handle, name);     \
    memcpy(&(fns)->member, &f_, sizeof f_);           \
  } while (0)

static int load_vulkan(vk_fns* fns, VkInstance instance, VkDevice device) {
  void* library = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
  void* symbol;
  if (!library) return 0;
  symbol = dlsym(library, "vkGetInstanceProcAddr");
  if (!symbol) return 0;
  memcpy(&fns->get_instance_proc_addr, &symbol, sizeof symbol);
  LOAD(fns, get_device_proc_addr, fns->get_instance_proc_addr, instance, "vkGetDeviceProcAddr");
  LOAD(fns, create_command_pool, fns->get_device_proc_addr, device, "vkCreateCommandPool");
  LOAD(fns, destroy_command_pool, fns->get_device_proc_addr, device, "vkDestroyCommandPool");
  LOAD(fns, allocate_command_buffers, fns->get_device_proc_addr, device, "vkAllocateCommandBuffers");
  LOAD(fns, begin_command_buffer, fns->get_device_proc_addr, device, "vkBeginCommandBuffer");
  LOAD(fns, end_command_buffer, fns->get_device_proc_addr, device, "vkEndCommandBuffer");
  LOAD(fns, queue_submit, fns->get_device_proc_addr, device, "vkQueueSubmit");
  LOAD(fns, queue_wait_idle, fns->get_device_proc_addr, device, "vkQueueWaitIdle");
  return fns->queue_wait_idle != NULL;
}

/* Adopts the first context's Vulkan objects (as an engine hands over its own), then records
 * RoPE into the application's command buffer, which the application submits. */
void test_interop(vkrope_context* owner) {
  const ref_rope ref = {16, 0, 0, 10000.0, 1.0};
  const int64_t shape[4] = {1, 3, 2, 16};
  float values[96];
  double want[96];
  vkrope_vulkan_handles h;
  vkrope_adopted_device adopted;
  vkrope_context* ctx = NULL;
  vkrope_device_info info, owner_info;
  vk_fns fns;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  vkrope_batch* batch = NULL;
  vkrope_tensor* q;
  vkrope_rope_config* config = NULL;
  vkrope_rope_params p;
  vkrope_rope_args args;
  size_t i;

  vkrope_vulkan_handles_init(&h);
  CHECK_OK_OR_RETURN(vkrope_context_vulkan_handles(owner, &h));
  memset(&fns, 0, sizeof fns);
  CHECK(load_vulkan(&fns, h.instance, h.device));
  if (!fns.queue_wait_idle) return;
  vkrope_adopted_device_init(&adopted);
  CHECK(adopted.instance_api_version == VK_API_VERSION_1_1);
  adopted.instance = h.instance;
  adopted.physical_device = h.physical_device;
  adopted.device = h.device;
  adopted.queue = h.queue;
  adopted.queue_family_index = h.queue_family_index;
  adopted.get_instance_proc_addr = fns.get_instance_proc_addr;
  CHECK_OK_OR_RETURN(vkrope_context_adopt(&adopted, NULL, &ctx));
  vkrope_device_info_init(&info);
  vkrope_device_info_init(&owner_info);
  CHECK_OK(vkrope_context_device_info(ctx, 0, &info));
  CHECK_OK(vkrope_context_device_info(owner, 0, &owner_info));
  CHECK(strcmp(info.name, owner_info.name) == 0);
  CHECK(!info.float16); /* adopted without float16_enabled: not used, whatever the hardware has */

  {
    VkCommandPoolCreateInfo pool_info;
    VkCommandBufferAllocateInfo alloc;
    VkCommandBufferBeginInfo begin;
    VkSubmitInfo submit;
    memset(&pool_info, 0, sizeof pool_info);
    pool_info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pool_info.queueFamilyIndex = h.queue_family_index;
    CHECK(fns.create_command_pool(h.device, &pool_info, NULL, &pool) == VK_SUCCESS);
    memset(&alloc, 0, sizeof alloc);
    alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    alloc.commandPool = pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    CHECK(fns.allocate_command_buffers(h.device, &alloc, &cmd) == VK_SUCCESS);
    memset(&begin, 0, sizeof begin);
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    CHECK(fns.begin_command_buffer(cmd, &begin) == VK_SUCCESS);

    rng_fill(values, 96, -1.f, 1.f);
    for (i = 0; i < 96; ++i) want[i] = values[i];
    ref_rope_apply(&ref, want, 1, 3, 2, NULL, 5, 0);
    q = make_tensor(ctx, VKROPE_DTYPE_F32, shape, 4, values);
    vkrope_rope_params_init(&p);
    p.head_dim = 16;
    CHECK_OK(vkrope_rope_config_create(&p, &config));
    CHECK_OK(vkrope_batch_record_into(ctx, cmd, &batch));
    vkrope_rope_args_init(&args);
    args.q = q;
    args.position_offset = 5;
    CHECK_OK(vkrope_rope(batch, config, &args));
    CHECK_FAILS(vkrope_batch_submit(batch), VKROPE_ERROR_INVALID_ARGUMENT, "submit");
    CHECK(fns.end_command_buffer(cmd) == VK_SUCCESS);
    memset(&submit, 0, sizeof submit);
    submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    CHECK(fns.queue_submit(h.queue, 1, &submit, VK_NULL_HANDLE) == VK_SUCCESS);
    CHECK(fns.queue_wait_idle(h.queue) == VK_SUCCESS);
    check_rope_result("rope recorded into the application's command buffer", q, want, 96, ROPE_F32_TOLERANCE);
    vkrope_batch_destroy(batch);
    vkrope_tensor_destroy(q);
    vkrope_rope_config_destroy(config);
    fns.destroy_command_pool(h.device, pool, NULL);
  }
  vkrope_context_destroy(ctx);
}

