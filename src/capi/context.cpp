// C API: devices and contexts (vkrope.h "Devices and contexts").
#include <algorithm>
#include <cstring>

#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "vkrope/vulkan_interop.hpp"

namespace vkrope::capi {
namespace {

template <std::size_t N>
void copy_string(char (&to)[N], const std::string& from) {
  const std::size_t n = std::min(from.size(), N - 1);
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

vkrope_device_info to_c(const DeviceInfo& d) {
  vkrope_device_info c;
  vkrope_device_info_init(&c);
  c.index = d.index;
  copy_string(c.name, d.name);
  copy_string(c.driver_name, d.driver_name);
  c.vendor_id = d.vendor_id;
  c.device_id = d.device_id;
  switch (d.type) {
    case DeviceType::Other: c.type = VKROPE_DEVICE_OTHER; break;
    case DeviceType::IntegratedGpu: c.type = VKROPE_DEVICE_INTEGRATED_GPU; break;
    case DeviceType::DiscreteGpu: c.type = VKROPE_DEVICE_DISCRETE_GPU; break;
    case DeviceType::VirtualGpu: c.type = VKROPE_DEVICE_VIRTUAL_GPU; break;
    case DeviceType::Cpu: c.type = VKROPE_DEVICE_CPU; break;
  }
  c.api_version = d.api_version;
  c.driver_version = d.driver_version;
  std::memcpy(c.device_uuid, d.device_uuid.data(), sizeof c.device_uuid);
  c.has_compute_queue = d.has_compute_queue;
  c.subgroup_size = d.subgroup_size;
  c.min_subgroup_size = d.min_subgroup_size;
  c.max_subgroup_size = d.max_subgroup_size;
  c.subgroup_operations = d.subgroup_operations;
  c.storage_16bit = d.storage_16bit;
  c.float16 = d.float16;
  c.float64 = d.float64;
  c.unified_memory = d.unified_memory;
  c.timeline_semaphore = d.timeline_semaphore;
  c.timestamps = d.timestamps;
  c.shared_memory_bytes = d.shared_memory_bytes;
  c.max_workgroup_invocations = d.max_workgroup_invocations;
  std::copy(d.max_workgroup_count.begin(), d.max_workgroup_count.end(), c.max_workgroup_count);
  c.max_storage_buffer_range = d.max_storage_buffer_range;
  c.device_local_bytes = d.device_local_bytes;
  c.emulation = static_cast<std::uint32_t>(d.emulation);
  return c;
}

// The C callback behind a std::function; the message is copied to get its '\0'.
std::function<void(std::string_view)> callback(vkrope_message_callback fn, void* user_data) {
  if (!fn) return {};
  return [fn, user_data](std::string_view message) { fn(std::string(message).c_str(), user_data); };
}

ContextOptions to_options(const vkrope_context_options* in) {
  const vkrope_context_options o = read_struct(in, "options", vkrope_context_options_init);
  ContextOptions options = o.use_environment ? ContextOptions::from_environment() : ContextOptions{};
  if (o.device && *o.device) options.device = o.device;
  if (o.validation) options.validation = true;
  if (o.emulation > (VKROPE_EMULATE_BASELINE | VKROPE_EMULATE_DISCRETE))
    invalid("options->emulation is " + std::to_string(o.emulation) + "; expected VKROPE_EMULATE_* flags (0..3)");
  if (o.emulation) options.emulation = static_cast<Emulation>(o.emulation);
  if (o.checked) options.checked = true;
  if (o.pipeline_cache_dir && *o.pipeline_cache_dir) options.pipeline_cache_dir = o.pipeline_cache_dir;
  if (o.max_workgroup_count) options.limits.max_workgroup_count = o.max_workgroup_count;
  if (o.max_storage_buffer_range) options.limits.max_storage_buffer_range = o.max_storage_buffer_range;
  if (o.device_memory) options.limits.device_memory = o.device_memory;
  if (o.on_validation_message) options.on_validation_message = callback(o.on_validation_message, o.user_data);
  if (o.on_warning) options.on_warning = callback(o.on_warning, o.user_data);
  return options;
}

}  // namespace
}  // namespace vkrope::capi

using namespace vkrope;
using namespace vkrope::capi;

extern "C" {

void vkrope_context_options_init(vkrope_context_options* options) {
  if (!options) return;
  *options = vkrope_context_options{};
  options->struct_size = sizeof *options;
  options->use_environment = 1;
}

void vkrope_device_info_init(vkrope_device_info* info) {
  if (!info) return;
  *info = vkrope_device_info{};
  info->struct_size = sizeof *info;
}

void vkrope_adopted_device_init(vkrope_adopted_device* adopted) {
  if (!adopted) return;
  *adopted = vkrope_adopted_device{};
  adopted->struct_size = sizeof *adopted;
  adopted->instance_api_version = VK_API_VERSION_1_1;
}

void vkrope_vulkan_handles_init(vkrope_vulkan_handles* handles) {
  if (!handles) return;
  *handles = vkrope_vulkan_handles{};
  handles->struct_size = sizeof *handles;
}

vkrope_status vkrope_enumerate_devices(int32_t validation, vkrope_device_info* infos, uint32_t* count) {
  return guard(__func__, [&] {
    std::uint32_t& n = need(count, "count");
    const std::vector<DeviceInfo> devices = enumerate_devices(validation != 0);
    if (!infos) {
      n = static_cast<std::uint32_t>(devices.size());
      return;
    }
    const std::size_t stride = infos->struct_size;
    const std::uint32_t written = std::min(n, static_cast<std::uint32_t>(devices.size()));
    for (std::uint32_t i = 0; i < written; ++i) {
      auto* info = reinterpret_cast<vkrope_device_info*>(reinterpret_cast<char*>(infos) + i * stride);
      info->struct_size = static_cast<std::uint32_t>(stride);
      write_struct(info, to_c(devices[i]), "infos");
    }
    n = written;
  });
}

vkrope_status vkrope_context_create(const vkrope_context_options* options, vkrope_context** out) {
  return guard(__func__, [&] {
    vkrope_context*& result = out_handle(out);
    Context context = Context::create(to_options(options));
    result = new vkrope_context{std::move(context)};
  });
}

void vkrope_context_destroy(vkrope_context* context) { delete context; }

vkrope_status vkrope_context_adopt(const vkrope_adopted_device* adopted, const vkrope_context_options* options,
                                   vkrope_context** out) {
  return guard(__func__, [&] {
    vkrope_context*& result = out_handle(out);
    const vkrope_adopted_device a = read_struct(&need(adopted, "adopted"), "adopted", vkrope_adopted_device_init);
    interop::AdoptedDevice device;
    device.instance = a.instance;
    device.physical_device = a.physical_device;
    device.device = a.device;
    device.queue = a.queue;
    device.queue_family_index = a.queue_family_index;
    device.instance_api_version = a.instance_api_version;
    device.get_instance_proc_addr = a.get_instance_proc_addr;
    device.storage_16bit_enabled = a.storage_16bit_enabled != 0;
    device.float16_enabled = a.float16_enabled != 0;
    device.float64_enabled = a.float64_enabled != 0;
    device.timeline_semaphore_enabled = a.timeline_semaphore_enabled != 0;
    Context context = interop::adopt(device, to_options(options));
    result = new vkrope_context{std::move(context)};
  });
}

vkrope_status vkrope_context_device_info(const vkrope_context* context, int32_t hardware, vkrope_device_info* info) {
  return guard(__func__, [&] {
    const Context& c = need(context, "context").context;
    write_struct(info, to_c(hardware ? c.hardware() : c.device()), "info");
  });
}

vkrope_status vkrope_context_validation_message_count(const vkrope_context* context, size_t* count) {
  return guard(__func__, [&] { need(count, "count") = need(context, "context").context.validation_messages().size(); });
}

vkrope_status vkrope_context_validation_message(const vkrope_context* context, size_t index, const char** message) {
  return guard(__func__, [&] {
    const char*& result = need(message, "message");
    const std::vector<std::string> messages = need(context, "context").context.validation_messages();
    if (index >= messages.size())
      invalid("index " + std::to_string(index) + " past the " + std::to_string(messages.size()) + " messages");
    result = keep(messages[index]);
  });
}

vkrope_status vkrope_context_clear_validation_messages(vkrope_context* context) {
  return guard(__func__, [&] { need(context, "context").context.clear_validation_messages(); });
}

vkrope_status vkrope_context_memory(const vkrope_context* context, uint64_t* live_bytes, uint64_t* peak_bytes) {
  return guard(__func__, [&] {
    const MemoryStats stats = need(context, "context").context.memory_stats();
    if (live_bytes) *live_bytes = stats.live_bytes;
    if (peak_bytes) *peak_bytes = stats.peak_bytes;
  });
}

vkrope_status vkrope_context_pipeline_stats(const vkrope_context* context, uint64_t* created, uint64_t* reused) {
  return guard(__func__, [&] {
    const PipelineStats stats = need(context, "context").context.pipeline_stats();
    if (created) *created = stats.created;
    if (reused) *reused = stats.reused;
  });
}

vkrope_status vkrope_context_wait_idle(vkrope_context* context) {
  return guard(__func__, [&] { need(context, "context").context.wait_idle(); });
}

vkrope_status vkrope_context_vulkan_handles(const vkrope_context* context, vkrope_vulkan_handles* handles) {
  return guard(__func__, [&] {
    const Context& c = need(context, "context").context;
    vkrope_vulkan_handles h;
    vkrope_vulkan_handles_init(&h);
    h.instance = interop::instance(c);
    h.physical_device = interop::physical_device(c);
    h.device = interop::device(c);
    h.queue = interop::queue(c);
    h.queue_family_index = interop::queue_family_index(c);
    h.timeline_semaphore = interop::timeline_semaphore(c);
    write_struct(handles, h, "handles");
  });
}

}  // extern "C"
