// Device ranking and selection over made-up devices: no Vulkan needed.
#include <gtest/gtest.h>

#include "vkrope/context.hpp"

namespace vkrope {
namespace {

constexpr std::uint32_t kVulkan13 = (1u << 22) | (3u << 12);

DeviceInfo device(std::uint32_t index, std::string name, DeviceType type, std::uint32_t api = kVulkan13,
                  bool compute = true) {
  DeviceInfo d;
  d.index = index;
  d.name = std::move(name);
  d.type = type;
  d.api_version = api;
  d.has_compute_queue = compute;
  return d;
}

std::string error_of(const std::vector<DeviceInfo>& devices, std::string_view selector) {
  try {
    select_device(devices, selector);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "selector '" << selector << "' was accepted";
  return {};
}

TEST(DeviceSelection, RanksDiscreteOverIntegratedOverVirtualOverCpu) {
  const std::vector<DeviceInfo> all = {device(0, "llvmpipe", DeviceType::Cpu),
                                       device(1, "virtio", DeviceType::VirtualGpu),
                                       device(2, "Intel UHD", DeviceType::IntegratedGpu),
                                       device(3, "NVIDIA H200", DeviceType::DiscreteGpu)};
  EXPECT_EQ(select_device(all, ""), 3u);
  EXPECT_EQ(select_device({all[0], all[1], all[2]}, ""), 2u);
  EXPECT_EQ(select_device({all[0], all[1]}, ""), 1u);
  EXPECT_EQ(select_device({all[0]}, ""), 0u);
}

TEST(DeviceSelection, AmongEqualTypesPrefersNewerApiThenEnumerationOrder) {
  const std::vector<DeviceInfo> cpus = {device(0, "SwiftShader", DeviceType::Cpu, (1u << 22) | (3u << 12)),
                                        device(1, "llvmpipe", DeviceType::Cpu, (1u << 22) | (3u << 12) | 230)};
  EXPECT_EQ(select_device(cpus, ""), 1u);
  const std::vector<DeviceInfo> twins = {device(0, "GPU A", DeviceType::DiscreteGpu),
                                         device(1, "GPU B", DeviceType::DiscreteGpu)};
  EXPECT_EQ(select_device(twins, ""), 0u);
}

TEST(DeviceSelection, ByIndexOrCaseInsensitiveNameSubstring) {
  const std::vector<DeviceInfo> all = {device(0, "SwiftShader Device (Subzero)", DeviceType::Cpu),
                                       device(1, "llvmpipe (LLVM 15.0.6, 256 bits)", DeviceType::Cpu)};
  EXPECT_EQ(select_device(all, "0"), 0u);
  EXPECT_EQ(select_device(all, "1"), 1u);
  EXPECT_EQ(select_device(all, "swiftshader"), 0u);
  EXPECT_EQ(select_device(all, "LLVMPIPE"), 1u);
  EXPECT_EQ(select_device(all, "subzero"), 0u);
}

TEST(DeviceSelection, DevicesWithoutComputeOrVulkan11AreNeverChosen) {
  const std::vector<DeviceInfo> all = {device(0, "old gpu", DeviceType::DiscreteGpu, 1u << 22),
                                       device(1, "display only", DeviceType::DiscreteGpu, kVulkan13, false),
                                       device(2, "llvmpipe", DeviceType::Cpu)};
  EXPECT_EQ(select_device(all, ""), 2u);
  const std::string by_index = error_of(all, "1");
  EXPECT_NE(by_index.find("no compute queue"), std::string::npos) << by_index;
  const std::string by_name = error_of(all, "old");
  EXPECT_NE(by_name.find("< 1.1"), std::string::npos) << by_name;
}

TEST(DeviceSelection, NoMatchListsEveryDeviceAndWhy) {
  const std::vector<DeviceInfo> all = {device(0, "SwiftShader", DeviceType::Cpu),
                                       device(1, "llvmpipe", DeviceType::Cpu)};
  const std::string message = error_of(all, "no-such-gpu");
  EXPECT_NE(message.find("no-such-gpu"), std::string::npos) << message;
  EXPECT_NE(message.find("[0] SwiftShader"), std::string::npos) << message;
  EXPECT_NE(message.find("[1] llvmpipe"), std::string::npos) << message;
  EXPECT_NE(message.find("name does not contain"), std::string::npos) << message;
  EXPECT_NE(error_of(all, "7").find("index"), std::string::npos);
  EXPECT_NE(error_of({}, "").find("no Vulkan device"), std::string::npos);
}

}  // namespace
}  // namespace vkrope
