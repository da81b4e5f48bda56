// ContextOptions::from_environment and the small to_string helpers of the public types.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "vkrope/context.hpp"
#include "vkrope/error.hpp"

namespace vkrope {

namespace {

bool parse_bool(const char* name, std::string_view value) {
  if (value == "1" || value == "true" || value == "on" || value == "yes") return true;
  if (value == "0" || value == "false" || value == "off" || value == "no" || value.empty()) return false;
  throw Error(ErrorKind::InvalidArgument,
              std::string(name) + "='" + std::string(value) + "' is not a boolean; expected 1 or 0");
}

}  // namespace

ContextOptions ContextOptions::from_environment() {
  return from_environment([](const char* name) -> const char* { return std::getenv(name); });
}

ContextOptions ContextOptions::from_environment(const std::function<const char*(const char*)>& lookup) {
  ContextOptions options;
  if (const char* v = lookup("VKROPE_VALIDATION")) options.validation = parse_bool("VKROPE_VALIDATION", v);
  if (const char* v = lookup("VKROPE_DEVICE")) options.device = v;
  if (const char* v = lookup("VKROPE_CHECKED")) options.checked = parse_bool("VKROPE_CHECKED", v);
  if (const char* v = lookup("VKROPE_EMULATE")) options.emulation = parse_emulation(v, "VKROPE_EMULATE");
  if (const char* v = lookup("VKROPE_PIPELINE_CACHE_DIR")) options.pipeline_cache_dir = v;
  return options;
}

std::string default_pipeline_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/vkrope";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/vkrope";
  return {};
}

std::string_view to_string(DeviceType type) noexcept {
  switch (type) {
    case DeviceType::IntegratedGpu: return "integrated-gpu";
    case DeviceType::DiscreteGpu: return "discrete-gpu";
    case DeviceType::VirtualGpu: return "virtual-gpu";
    case DeviceType::Cpu: return "cpu";
    case DeviceType::Other: return "other";
  }
  return "other";
}

std::string to_string(Emulation emulation) {
  std::string out;
  if (has(emulation, Emulation::Baseline)) out = "baseline";
  if (has(emulation, Emulation::Discrete)) out += out.empty() ? "discrete" : ",discrete";
  return out.empty() ? "none" : out;
}

Emulation parse_emulation(std::string_view text, std::string_view what) {
  Emulation result = Emulation::None;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string_view word = text.substr(begin, end - begin);
    if (word == "baseline") result = result | Emulation::Baseline;
    else if (word == "discrete") result = result | Emulation::Discrete;
    else if (word != "none" && !word.empty())
      throw Error(ErrorKind::InvalidArgument, std::string(what) + "='" + std::string(text) + "': '" +
                                                  std::string(word) +
                                                  "' is not known; expected baseline, discrete, both "
                                                  "(baseline,discrete) or none");
    begin = end + 1;
  }
  return result;
}

std::string to_string(const CooperativeMatrixShape& s) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) + " " + s.a + "*" + s.b + "+" +
         s.c + "->" + s.result + " (" + s.extension + ")";
}

std::string subgroup_ops_to_string(std::uint32_t ops) {
  static constexpr std::pair<std::uint32_t, const char*> names[] = {
      {subgroup_ops::basic, "basic"},         {subgroup_ops::vote, "vote"},
      {subgroup_ops::arithmetic, "arithmetic"}, {subgroup_ops::ballot, "ballot"},
      {subgroup_ops::shuffle, "shuffle"},     {subgroup_ops::shuffle_relative, "shuffle_relative"},
      {subgroup_ops::clustered, "clustered"}, {subgroup_ops::quad, "quad"}};
  std::string out;
  for (const auto& [bit, name] : names) {
    if (!(ops & bit)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out.empty() ? "none" : out;
}

std::string DeviceInfo::api_version_string() const {
  return std::to_string((api_version >> 22) & 0x7fu) + "." + std::to_string((api_version >> 12) & 0x3ffu) +
         "." + std::to_string(api_version & 0xfffu);
}

namespace {

template <typename T>
void cap(T& limit, T value) {
  if (value != 0) limit = std::min(limit, value);
}

}  // namespace

DeviceInfo apply_emulation(DeviceInfo info, Emulation emulation, const LimitCaps& caps) {
  info.emulation = emulation;
  for (auto& count : info.max_workgroup_count) cap(count, caps.max_workgroup_count);
  cap(info.max_storage_buffer_range, caps.max_storage_buffer_range);
  cap(info.device_local_bytes, caps.device_memory);
  if (has(emulation, Emulation::Discrete)) {
    info.unified_memory = false;
    info.mappable_device_local_bytes = 0;
  }
  if (!has(emulation, Emulation::Baseline)) return info;
  // The Vulkan 1.1 minimums: what every conformant device offers.
  info.timeline_semaphore = false;
  info.storage_16bit = false;
  info.float16 = false;
  info.float64 = false;
  info.subgroup_operations &= subgroup_ops::basic | subgroup_ops::vote | subgroup_ops::ballot;
  info.cooperative_matrix.clear();
  info.shared_memory_bytes = std::min<std::uint32_t>(info.shared_memory_bytes, 16384);
  info.max_texel_buffer_elements = std::min<std::uint32_t>(info.max_texel_buffer_elements, 65536);
  info.max_workgroup_invocations = std::min<std::uint32_t>(info.max_workgroup_invocations, 128);
  for (auto& size : info.max_workgroup_size) size = std::min<std::uint32_t>(size, 128);
  return info;
}

}  // namespace vkrope
