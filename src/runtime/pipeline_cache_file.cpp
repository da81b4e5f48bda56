// Persisting the VkPipelineCache: one file per device UUID and driver version, its header
// checked against the device before the driver sees it (some drivers trust the bytes).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "runtime/pipelines.hpp"

namespace vkrope::detail {

namespace {

std::string hex(const std::uint8_t* bytes, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

std::uint32_t read_u32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

std::string pipeline_cache_path(const std::string& dir, const PhysicalDevice& physical) {
  if (dir.empty()) return {};
  const DeviceInfo& d = physical.info;
  return dir + "/pipelines-" + hex(d.device_uuid.data(), d.device_uuid.size()) + "-" +
         std::to_string(d.driver_version) + ".bin";
}

std::vector<std::uint8_t> read_pipeline_cache(const std::string& path, const PhysicalDevice& physical) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // VkPipelineCacheHeaderVersionOne: length, version, vendor id, device id, cache UUID.
  constexpr std::size_t header = 16 + VK_UUID_SIZE;
  if (data.size() < header || read_u32(&data[0]) < header ||
      read_u32(&data[4]) != VK_PIPELINE_CACHE_HEADER_VERSION_ONE ||
      read_u32(&data[8]) != physical.info.vendor_id || read_u32(&data[12]) != physical.info.device_id ||
      std::memcmp(&data[16], physical.pipeline_cache_uuid.data(), VK_UUID_SIZE) != 0)
    return {};
  return data;
}

bool write_pipeline_cache(const std::string& path, const std::vector<std::uint8_t>& data) {
  std::error_code ec;
  const std::filesystem::path target(path);
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return false;
  const std::filesystem::path temp = target.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out) return false;
  }
  std::filesystem::rename(temp, target, ec);  // atomic: readers never see half a file
  if (!ec) return true;
  std::filesystem::remove(temp, ec);
  return false;
}

}  // namespace vkrope::detail
