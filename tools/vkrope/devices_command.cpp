// vkrope devices [--json]: every Vulkan device with its capabilities; the default marked.
#include <fmt/format.h>

#include "commands.hpp"
#include "vkrope/version.hpp"

namespace vkrope::cli {

namespace {

void print_table(const std::vector<DeviceInfo>& devices, std::size_t chosen) {
  for (const DeviceInfo& d : devices) {
    fmt::print("{} [{}] {}\n", d.index == chosen ? '*' : ' ', d.index, d.name);
    fmt::print("      type {}, Vulkan {}, vendor 0x{:04x}, driver {} ({})\n", to_string(d.type),
               d.api_version_string(), d.vendor_id, d.driver_name.empty() ? "?" : d.driver_name, d.driver_info);
    const std::string sizes = d.min_subgroup_size == d.max_subgroup_size
                                  ? std::to_string(d.subgroup_size)
                                  : fmt::format("{} ({}-{})", d.subgroup_size, d.min_subgroup_size, d.max_subgroup_size);
    fmt::print("      subgroup {} [{}], 16-bit storage {}, float16 {}, float64 {}{}\n", sizes,
               subgroup_ops_to_string(d.subgroup_operations), d.storage_16bit ? "yes" : "no",
               d.float16 ? "yes" : "no", d.float64 ? "yes" : "no",
               d.compute_units ? fmt::format(", {} compute units", d.compute_units) : "");
    fmt::print("      shared memory {} KiB, workgroup <= {} invocations ({}x{}x{}), storage buffer <= {} MiB\n",
               d.shared_memory_bytes / 1024, d.max_workgroup_invocations, d.max_workgroup_size[0],
               d.max_workgroup_size[1], d.max_workgroup_size[2], d.max_storage_buffer_range >> 20);
    const auto mib = [](std::uint64_t bytes) { return bytes >> 20; };
    fmt::print("      memory {}, {} MiB device-local, {} MiB of it host-visible; timeline semaphore {}\n",
               d.unified_memory ? "unified" : "discrete", mib(d.device_local_bytes),
               mib(d.mappable_device_local_bytes), d.timeline_semaphore ? "yes" : "no");
    fmt::print("      timestamps {}{}\n", d.timestamps ? "yes" : "no",
               d.timestamps ? fmt::format(" ({} ns/tick)", d.timestamp_period_ns) : "");
    std::string shapes;
    for (const CooperativeMatrixShape& s : d.cooperative_matrix) shapes += (shapes.empty() ? "" : ", ") + to_string(s);
    fmt::print("      cooperative matrix {}\n", shapes.empty() ? "none" : shapes);
  }
  fmt::print("* = default device (choose with --device or VKROPE_DEVICE)\n");
  fmt::print("cooperative-matrix attention kernel: {}\n",
             has_cooperative_matrix_kernel() ? "in this build (KHR f16 shapes)"
                                             : "not in this build (its glslang lacks GL_KHR_cooperative_matrix)");
}

}  // namespace

Run add_devices_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("devices", "list Vulkan devices and their capabilities");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "print JSON instead of a table");
  return [&global, json] {
    const ContextOptions options = context_options(global);
    std::vector<DeviceInfo> devices = enumerate_devices();
    const std::size_t chosen = select_device(devices, options.device);  // throws on a bad selector
    for (auto& d : devices) d = apply_emulation(d, options.emulation);
    if (*json) {
      nlohmann::json out = {{"default", chosen}, {"devices", nlohmann::json::array()}};
      for (const auto& d : devices) out["devices"].push_back(device_to_json(d));
      fmt::print("{}\n", out.dump(2));
    } else {
      print_table(devices, chosen);
    }
    return 0;
  };
}

}  // namespace vkrope::cli
