#include <fmt/format.h>

#include "commands.hpp"

namespace vkrope::cli {

nlohmann::json device_to_json(const DeviceInfo& d) {
  nlohmann::json shapes = nlohmann::json::array();
  for (const CooperativeMatrixShape& s : d.cooperative_matrix)
    shapes.push_back({{"m", s.m}, {"n", s.n}, {"k", s.k}, {"a", s.a}, {"b", s.b}, {"c", s.c}, {"result", s.result},
                      {"extension", s.extension}});
  std::string uuid;
  for (std::size_t i = 0; i < d.device_uuid.size(); ++i)
    uuid += fmt::format("{}{:02x}", (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "", d.device_uuid[i]);
  return {
      {"index", d.index},
      {"name", d.name},
      {"vendor_id", d.vendor_id},
      {"device_id", d.device_id},
      {"type", std::string(to_string(d.type))},
      {"api_version", d.api_version_string()},
      {"driver_version", d.driver_version},
      {"driver_name", d.driver_name},
      {"driver_info", d.driver_info},
      {"device_uuid", uuid},
      {"subgroup_size", d.subgroup_size},
      {"min_subgroup_size", d.min_subgroup_size},
      {"max_subgroup_size", d.max_subgroup_size},
      {"compute_units", d.compute_units},
      {"cooperative_matrix", shapes},
      {"subgroup_operations", subgroup_ops_to_string(d.subgroup_operations)},
      {"storage_16bit", d.storage_16bit},
      {"float16", d.float16},
      {"float64", d.float64},
      {"shared_memory_bytes", d.shared_memory_bytes},
      {"max_workgroup_size", d.max_workgroup_size},
      {"max_workgroup_invocations", d.max_workgroup_invocations},
      {"max_workgroup_count", d.max_workgroup_count},
      {"max_storage_buffer_range", d.max_storage_buffer_range},
      {"max_push_constants_size", d.max_push_constants_size},
      {"device_local_bytes", d.device_local_bytes},
      {"unified_memory", d.unified_memory},
      {"mappable_device_local_bytes", d.mappable_device_local_bytes},
      {"timeline_semaphore", d.timeline_semaphore},
      {"timestamps", d.timestamps},
      {"timestamp_period_ns", d.timestamp_period_ns},
      {"emulation", std::string(to_string(d.emulation))},
  };
}

}  // namespace vkrope::cli
