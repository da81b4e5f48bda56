// Device ranking and selection: pure logic over DeviceInfo, testable without Vulkan.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include "vkrope/context.hpp"
#include "vkrope/error.hpp"

namespace vkrope {

namespace {

// Higher is preferred: a CPU implementation is chosen only when nothing else is there.
int rank(DeviceType type) {
  switch (type) {
    case DeviceType::DiscreteGpu: return 4;
    case DeviceType::IntegratedGpu: return 3;
    case DeviceType::VirtualGpu: return 2;
    case DeviceType::Other: return 1;
    case DeviceType::Cpu: return 0;
  }
  return 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Why a device cannot run vkrope at all, or empty.
std::string unusable_reason(const DeviceInfo& d) {
  if (!d.has_compute_queue) return "no compute queue";
  if (d.api_version < ((1u << 22) | (1u << 12))) return "Vulkan " + d.api_version_string() + " < 1.1";
  return {};
}

[[noreturn]] void reject(const std::vector<DeviceInfo>& devices, std::string_view selector,
                         const std::vector<std::string>& reasons) {
  std::string message = devices.empty()
                            ? std::string("no Vulkan device found (is a driver installed? e.g. mesa-vulkan-drivers)")
                            : "no device matches '" + std::string(selector) + "'; devices:";
  for (std::size_t i = 0; i < devices.size(); ++i)
    message += " [" + std::to_string(i) + "] " + devices[i].name + " (" + reasons[i] + ")" +
               (i + 1 < devices.size() ? ";" : "");
  throw Error(ErrorKind::InvalidArgument, message);
}

}  // namespace

std::size_t select_device(const std::vector<DeviceInfo>& devices, std::string_view selector) {
  std::vector<std::string> reasons(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) reasons[i] = unusable_reason(devices[i]);

  if (selector.empty()) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      if (!reasons[i].empty()) continue;
      // Among devices of one type, the newer Vulkan implementation (lavapipe 1.3.230 over
      // SwiftShader 1.3.0, say), then enumeration order.
      if (!best || rank(devices[i].type) > rank(devices[*best].type) ||
          (rank(devices[i].type) == rank(devices[*best].type) &&
           devices[i].api_version > devices[*best].api_version))
        best = i;
    }
    if (best) return *best;
    reject(devices, "<default>", reasons);
  }

  // An index when the whole selector is a non-negative integer.
  std::size_t index = 0;
  const auto [end, ec] = std::from_chars(selector.data(), selector.data() + selector.size(), index);
  if (ec == std::errc() && end == selector.data() + selector.size()) {
    for (std::size_t i = 0; i < devices.size(); ++i)
      if (reasons[i].empty()) reasons[i] = "index " + std::to_string(i) + " != " + std::string(selector);
    if (index < devices.size() && unusable_reason(devices[index]).empty()) return index;
    if (index < devices.size()) reasons[index] = unusable_reason(devices[index]);
    reject(devices, selector, reasons);
  }

  const std::string needle = lower(selector);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (!reasons[i].empty()) continue;
    if (lower(devices[i].name).find(needle) != std::string::npos) return i;
    reasons[i] = "name does not contain '" + std::string(selector) + "'";
  }
  reject(devices, selector, reasons);
}

}  // namespace vkrope
