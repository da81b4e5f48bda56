// Persisting the VkPipelineCache: one file per device UUID and driver version. The driver's
// bytes are wrapped in vkrope's own header (magic, size, FNV-1a checksum) and their Vulkan
// header is checked against the device, so no truncated, corrupted or foreign file reaches
// the driver (some drivers trust the bytes). A file that fails a check is reported and
// ignored; the cache is rebuilt and the file rewritten at the next save.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "runtime/pipelines.hpp"
#include "vk/fault.hpp"

namespace vkrope::detail {

namespace {

// "VKROPEPC", format 1: magic[8], u32 format, u32 zero, u64 payload bytes, u64 FNV-1a-64 of
// the payload, then the payload (vkGetPipelineCacheData's bytes).
constexpr char kMagic[8] = {'V', 'K', 'R', 'O', 'P', 'E', 'P', 'C'};
constexpr std::uint32_t kFormat = 1;
constexpr std::size_t kFileHeader = 32;

std::string hex(const std::uint8_t* bytes, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

template <typename T>
T read_as(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void append(std::vector<std::uint8_t>& out, T v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

std::uint64_t fnv1a(const std::uint8_t* p, std::size_t n) {
  std::uint64_t h = 14695981039346656037ull;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

}  // namespace

std::string pipeline_cache_path(const std::string& dir, const PhysicalDevice& physical) {
  if (dir.empty()) return {};
  const DeviceInfo& d = physical.info;
  return dir + "/pipelines-" + hex(d.device_uuid.data(), d.device_uuid.size()) + "-" +
         std::to_string(d.driver_version) + ".bin";
}

PipelineCacheFile read_pipeline_cache(const std::string& path, const PhysicalDevice& physical) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};  // the first run: nothing to say
  const auto ignored = [&](const std::string& why) {
    return PipelineCacheFile{{}, "pipeline cache " + path + " ignored (" + why + "); it is rebuilt"};
  };
  std::ifstream in(path, std::ios::binary);
  if (!in || vk::file_access_fails(fault::Point::PipelineCacheFileRead)) return ignored("it cannot be read");
  std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return ignored("a read failed");
  if (file.size() < kFileHeader || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0 ||
      read_as<std::uint32_t>(&file[8]) != kFormat)
    return ignored("not a vkrope pipeline cache of format " + std::to_string(kFormat));
  const std::uint64_t size = read_as<std::uint64_t>(&file[16]);
  if (file.size() - kFileHeader != size)
    return ignored("truncated: " + std::to_string(file.size() - kFileHeader) + " of " + std::to_string(size) +
                   " bytes");
  std::vector<std::uint8_t> data(file.begin() + kFileHeader, file.end());
  if (fnv1a(data.data(), data.size()) != read_as<std::uint64_t>(&file[24])) return ignored("checksum mismatch");
  // VkPipelineCacheHeaderVersionOne: length, version, vendor id, device id, cache UUID.
  constexpr std::size_t header = 16 + VK_UUID_SIZE;
  if (data.size() < header || read_as<std::uint32_t>(&data[0]) < header ||
      read_as<std::uint32_t>(&data[4]) != VK_PIPELINE_CACHE_HEADER_VERSION_ONE)
    return ignored("no Vulkan pipeline cache header");
  if (read_as<std::uint32_t>(&data[8]) != physical.info.vendor_id ||
      read_as<std::uint32_t>(&data[12]) != physical.info.device_id ||
      std::memcmp(&data[16], physical.pipeline_cache_uuid.data(), VK_UUID_SIZE) != 0)
    return ignored("made by another device or driver version");
  return {std::move(data), {}};
}

std::string write_pipeline_cache(const std::string& path, const std::vector<std::uint8_t>& data) {
  const auto failed = [&](const std::string& why) { return "pipeline cache " + path + " not saved (" + why + ")"; };
  if (vk::file_access_fails(fault::Point::PipelineCacheFileWrite)) return failed("the write failed");
  std::error_code ec;
  const std::filesystem::path target(path);
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return failed("cannot create " + target.parent_path().string() + ": " + ec.message());
  std::vector<std::uint8_t> file(kMagic, kMagic + sizeof kMagic);
  append(file, kFormat);
  append(file, std::uint32_t{0});
  append(file, static_cast<std::uint64_t>(data.size()));
  append(file, fnv1a(data.data(), data.size()));
  file.insert(file.end(), data.begin(), data.end());
  const std::filesystem::path temp = target.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (out) out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(temp, ec);
      return failed("cannot write " + temp.string());
    }
  }
  std::filesystem::rename(temp, target, ec);  // atomic: readers never see half a file
  if (!ec) return {};
  std::filesystem::remove(temp, ec);
  return failed("cannot rename into place");
}

}  // namespace vkrope::detail
