// Context creation and the device matrix itself, on every device present.
#include <gtest/gtest.h>

#include <cstdlib>

#include "runtime/context_state.hpp"
#include "support/device_matrix.hpp"

namespace vkrope::test {
namespace {

// The set-up (run.sh) installs lavapipe and SwiftShader; CMake counts the drivers it found
// at configure time and CTest passes the count here, so the matrix cannot shrink silently.
TEST(DeviceMatrix, EnumeratesEveryInstalledDriver) {
  const char* expected = std::getenv("VKROPE_EXPECTED_DEVICES");
  if (!expected) GTEST_SKIP() << "VKROPE_EXPECTED_DEVICES is not set (run through ctest to check the matrix)";
  const auto devices = enumerate_devices();
  std::string names;
  for (const auto& d : devices) names += " [" + d.name + "]";
  EXPECT_GE(devices.size(), std::strtoul(expected, nullptr, 10)) << "devices found:" << names;
}

using ContextTest = DeviceTest;

TEST_P(ContextTest, ReportsTheChosenDeviceAndItsCapabilities) {
  const DeviceInfo& d = context().device();
  const DeviceInfo& hw = context().hardware();
  EXPECT_EQ(d.name, GetParam().name);
  EXPECT_EQ(d.index, GetParam().index);
  EXPECT_EQ(d.emulation, GetParam().emulation);
  EXPECT_GE(d.api_version, (1u << 22) | (1u << 12));
  EXPECT_TRUE(d.has_compute_queue);
  EXPECT_GE(d.subgroup_size, 1u);
  EXPECT_GE(d.shared_memory_bytes, 16384u);  // the Vulkan minimum
  EXPECT_GE(d.max_workgroup_invocations, 128u);
  EXPECT_GE(d.max_storage_buffer_range, 1u << 27);
  EXPECT_GE(d.max_push_constants_size, 128u);
  EXPECT_NE(d.device_uuid, (std::array<std::uint8_t, 16>{}));
  if (has(GetParam().emulation, Emulation::Discrete)) {
    EXPECT_FALSE(d.unified_memory);
    EXPECT_EQ(d.mappable_device_local_bytes, 0u);
  } else {
    EXPECT_EQ(d.unified_memory, hw.unified_memory);
    if (hw.type == DeviceType::Cpu) {
      EXPECT_TRUE(d.unified_memory) << "a CPU driver's memory is unified";
    }
  }
  if (has(GetParam().emulation, Emulation::Baseline)) {
    EXPECT_FALSE(d.storage_16bit || d.float16 || d.float64 || d.timeline_semaphore);
    EXPECT_LE(d.shared_memory_bytes, 16384u);
    EXPECT_LE(d.max_workgroup_invocations, 128u);
  } else {
    EXPECT_EQ(d.float16, hw.float16);
    EXPECT_EQ(d.shared_memory_bytes, hw.shared_memory_bytes);
  }
}

TEST_P(ContextTest, HandlesShareStateAndOutliveTheOriginal) {
  Context copy = context();
  EXPECT_EQ(copy.state(), context().state());
  copy.wait_idle();
}

// The validation layer really is on and its messages really arrive: a deliberate misuse
// (a zero-sized VkBuffer, VUID-VkBufferCreateInfo-size-00912) must be reported. Without
// this, "zero validation messages" elsewhere could mean "no layer".
TEST_P(ContextTest, ValidationLayerReportsADeliberateMisuse) {
  ContextOptions options = validated_options(GetParam());
  std::vector<std::string> seen;
  options.on_validation_message = [&seen](std::string_view m) { seen.emplace_back(m); };
  {
    const Context c = Context::create(options);
    const auto& state = *c.state();
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = 0;  // invalid on purpose
    info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    VkBuffer buffer = VK_NULL_HANDLE;
    if (state.fn.vkCreateBuffer(state.device, &info, nullptr, &buffer) == VK_SUCCESS && buffer)
      state.fn.vkDestroyBuffer(state.device, buffer, nullptr);
    EXPECT_FALSE(c.validation_messages().empty());
    c.state()->validation_log.clear();
  }
  ASSERT_FALSE(seen.empty());
  EXPECT_NE(seen.front().find("size"), std::string::npos) << seen.front();
}

INSTANTIATE_TEST_SUITE_P(Devices, ContextTest, testing::ValuesIn(device_cases()), case_name);

TEST(ContextErrors, UnknownSelectorNamesEveryDevice) {
  ContextOptions options;
  options.device = "no-such-gpu";
  try {
    Context::create(options);
    FAIL() << "created a context on 'no-such-gpu'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    for (const auto& d : enumerate_devices())
      EXPECT_NE(std::string(e.what()).find(d.name), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vkrope::test
