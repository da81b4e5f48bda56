// ContextOptions::from_environment: each variable parsed once, bad values refused.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "vkrope/context.hpp"

namespace vkrope {
namespace {

ContextOptions parse(std::map<std::string, std::string> env) {
  return ContextOptions::from_environment([env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(Options, DefaultsWhenNothingIsSet) {
  const ContextOptions o = parse({});
  EXPECT_FALSE(o.validation);
  EXPECT_EQ(o.device, "");
  EXPECT_EQ(o.emulation, Emulation::None);
  EXPECT_EQ(o.pipeline_cache_dir, "");
}

TEST(Options, EachVariableSetsItsField) {
  const ContextOptions o = parse({{"VKROPE_VALIDATION", "1"},
                                  {"VKROPE_DEVICE", "swiftshader"},
                                  {"VKROPE_EMULATE", "baseline"},
                                  {"VKROPE_PIPELINE_CACHE_DIR", "/tmp/x"}});
  EXPECT_TRUE(o.validation);
  EXPECT_EQ(o.device, "swiftshader");
  EXPECT_EQ(o.emulation, Emulation::Baseline);
  EXPECT_EQ(o.pipeline_cache_dir, "/tmp/x");
  EXPECT_FALSE(parse({{"VKROPE_VALIDATION", "0"}}).validation);
  EXPECT_TRUE(parse({{"VKROPE_VALIDATION", "on"}}).validation);
}

TEST(Options, MalformedValuesAreRefusedWithTheVariableName) {
  for (const auto& [name, value] : std::map<std::string, std::string>{{"VKROPE_VALIDATION", "maybe"},
                                                                      {"VKROPE_EMULATE", "fast"}}) {
    try {
      parse({{name, value}});
      FAIL() << name << "=" << value << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(value), std::string::npos) << e.what();
    }
  }
}

TEST(Options, BaselineEmulationHidesFeaturesAndCapsLimits) {
  DeviceInfo d;
  d.storage_16bit = d.float16 = d.float64 = true;
  d.subgroup_operations = 0xff;
  d.shared_memory_bytes = 65536;
  d.max_workgroup_invocations = 1024;
  d.max_workgroup_size = {1024, 1024, 64};
  d.cooperative_matrix = {{16, 16, 16, "f16", "f16", "f32", "f32", "KHR"}};
  const DeviceInfo e = apply_emulation(d, Emulation::Baseline);
  EXPECT_TRUE(e.cooperative_matrix.empty());  // no tensor cores in the Vulkan 1.1 minimum
  EXPECT_FALSE(e.storage_16bit || e.float16 || e.float64);
  EXPECT_FALSE(e.has_subgroup(subgroup_ops::arithmetic));
  EXPECT_FALSE(e.has_subgroup(subgroup_ops::shuffle));
  EXPECT_TRUE(e.has_subgroup(subgroup_ops::basic));
  EXPECT_EQ(e.shared_memory_bytes, 16384u);
  EXPECT_EQ(e.max_workgroup_invocations, 128u);
  EXPECT_EQ(e.max_workgroup_size[0], 128u);
  EXPECT_EQ(e.max_workgroup_size[2], 64u);
  EXPECT_EQ(e.emulation, Emulation::Baseline);
  const DeviceInfo same = apply_emulation(d, Emulation::None);
  EXPECT_TRUE(same.float16);
  ASSERT_EQ(same.cooperative_matrix.size(), 1u);
  EXPECT_EQ(to_string(same.cooperative_matrix[0]), "16x16x16 f16*f16+f32->f32 (KHR)");
  EXPECT_EQ(same.shared_memory_bytes, 65536u);
}

// Discrete emulation changes the memory model only; baseline the features; both combine.
TEST(Options, DiscreteEmulationHidesMappableDeviceMemoryOnly) {
  DeviceInfo d;
  d.float16 = d.timeline_semaphore = d.unified_memory = true;
  d.mappable_device_local_bytes = d.device_local_bytes = 1u << 30;
  const DeviceInfo discrete = apply_emulation(d, Emulation::Discrete);
  EXPECT_FALSE(discrete.unified_memory);
  EXPECT_EQ(discrete.mappable_device_local_bytes, 0u);
  EXPECT_EQ(discrete.device_local_bytes, 1u << 30);
  EXPECT_TRUE(discrete.float16 && discrete.timeline_semaphore);
  const DeviceInfo both = apply_emulation(d, Emulation::Baseline | Emulation::Discrete);
  EXPECT_FALSE(both.unified_memory || both.float16 || both.timeline_semaphore);
  EXPECT_EQ(to_string(both.emulation), "baseline,discrete");
}

TEST(Options, EmulationFlagsParseFromACommaList) {
  EXPECT_EQ(parse_emulation("discrete", "X"), Emulation::Discrete);
  EXPECT_EQ(parse_emulation("baseline,discrete", "X"), Emulation::Baseline | Emulation::Discrete);
  EXPECT_EQ(parse_emulation("discrete,baseline", "X"), Emulation::Baseline | Emulation::Discrete);
  EXPECT_EQ(parse_emulation("none", "X"), Emulation::None);
  EXPECT_EQ(parse_emulation("", "X"), Emulation::None);
  for (Emulation e : {Emulation::None, Emulation::Baseline, Emulation::Discrete, Emulation::Baseline | Emulation::Discrete})
    EXPECT_EQ(parse_emulation(to_string(e), "X"), e) << to_string(e);
  EXPECT_EQ(parse({{"VKROPE_EMULATE", "baseline,discrete"}}).emulation, Emulation::Baseline | Emulation::Discrete);
  try {
    parse_emulation("baseline,fast", "--emulate");
    FAIL() << "baseline,fast was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("--emulate='baseline,fast': 'fast' is not known"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace vkrope
