// The device matrix every device-dependent test runs over: each Vulkan device present,
// natively and under baseline + discrete emulation (kPortable), with the validation layer
// on and any message failing the test.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "vkrope/context.hpp"

namespace vkrope::test {

struct DeviceCase {
  std::uint32_t index = 0;       // enumeration index, passed as the device selector
  std::string name;              // device name
  Emulation emulation = Emulation::None;
};

// How GoogleTest prints a case (instead of a byte dump): "llvmpipe (...) [baseline]".
void PrintTo(const DeviceCase& device, std::ostream* out);

// The emulated half of the matrix: the Vulkan 1.1 minimum features (portable kernel
// variants, fences instead of timeline semaphores) on a discrete GPU's memory (staging
// copies, per-call inputs recorded into the command buffer). The two are independent
// (features choose kernels, memory chooses transfers), so one emulated case covers both.
inline constexpr Emulation kPortable = Emulation::Baseline | Emulation::Discrete;

// Every device present x {native, kPortable}. Enumerated once per process.
std::vector<DeviceCase> device_cases();
// Every device present, natively only (for the heavier cases).
std::vector<DeviceCase> native_device_cases();
// A GoogleTest-safe name: "llvmpipe1", "SwiftShader0", with "_baseline_discrete" appended
// for the emulated case.
std::string case_name(const testing::TestParamInfo<DeviceCase>& info);

// Options for a validated context on `device`.
ContextOptions validated_options(const DeviceCase& device);

// Fixture: a fresh Context per test on the parameter's device, validation on. TearDown
// fails the test on any validation message. (Every test, this one or not, also fails if it
// changes vkrope::live_objects(): tests/support/test_main.cpp.)
class DeviceTest : public testing::TestWithParam<DeviceCase> {
 protected:
  void SetUp() override;
  void TearDown() override;
  const Context& context() const { return *context_; }
  // Another Context on the parameter's device with `caps` on its limits; its validation
  // messages fail the test like the fixture's own.
  Context capped_context(const LimitCaps& caps) const;

  // A fresh seed per test (printed, so a failure can be replayed with VKROPE_TEST_SEED).
  std::uint32_t seed() const { return seed_; }
  std::vector<float> random_floats(std::size_t n, float lo = -1.0f, float hi = 1.0f);

 private:
  struct MessageLog {
    std::mutex mutex;
    std::vector<std::string> lines;
  };
  std::shared_ptr<MessageLog> messages_ = std::make_shared<MessageLog>();
  std::unique_ptr<Context> context_;
  std::uint32_t seed_ = 0;
  std::mt19937 rng_;
};

// A seed from VKROPE_TEST_SEED when set, else from std::random_device.
std::uint32_t fresh_seed();

// A small RoPE call on `ctx` checked against the reference (with guard bands): the Context
// still works, e.g. after a refused call.
void expect_rope_works(const Context& ctx, std::uint32_t seed);

// Expects `call` to throw vkrope::Error of kind InvalidArgument whose message contains `words`.
void expect_invalid_argument(const std::function<void()>& call, const std::string& words);

}  // namespace vkrope::test
