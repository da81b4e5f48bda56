// The CLI under a driver failure (VKROPE_FAULT, vkrope/fault_injection.hpp): every command,
// failed at calls it certainly makes, prints one line naming the failed call, exits 1 (not
// 2: the input was fine) and leaves no output file behind.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "io/npy.hpp"
#include "support/cli_fixture.hpp"

namespace vkrope::test {
namespace {

// Runs the CLI with VKROPE_FAULT=spec (and the pipeline cache in the test's directory, so
// no file from another run is read).
class CliFaultTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    setenv("VKROPE_PIPELINE_CACHE_DIR", path("cache").c_str(), 1);
  }
  void TearDown() override {
    unsetenv("VKROPE_FAULT");
    unsetenv("VKROPE_PIPELINE_CACHE_DIR");
    CliTest::TearDown();
  }
  CliRun run_with_fault(const std::string& spec, const std::string& args) {
    setenv("VKROPE_FAULT", spec.c_str(), 1);
    CliRun r = run(args);
    unsetenv("VKROPE_FAULT");
    return r;
  }
};

TEST_F(CliFaultTest, EveryCommandExitsOneNamingTheCallAndWritesNothing) {
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, std::vector<std::int64_t>{3, 2, 8},
                       std::vector<float>(48, 0.5f));
  io::write_npy_floats(path("q.npy"), io::NpyType::f32, std::vector<std::int64_t>{1, 2, 2, 8},
                       std::vector<float>(32, 0.25f));
  const std::string out = path("o.npy"), report = path("r.json"), plots = path("plots");
  struct Command {
    std::string args;
    std::vector<std::string> outputs;  // files (or directories) that must not appear
  };
  const std::vector<Command> commands = {
      {"rope --input " + path("x.npy") + " --output " + out, {out}},
      {"attention --q " + path("q.npy") + " --k " + path("q.npy") + " --v " + path("q.npy") + " --output " + out, {out}},
      {"conformance --quick --case rope/default/neox/f32/full/far/forward --json " + report, {report}},
      {"bench --op rope --filter 'decode B1 ' --repetitions 1 --json " + report + " --plot " + plots, {report, plots}},
  };
  // Calls every one of these commands makes, failed with each kind of result.
  const std::vector<std::string> faults = {
      "vkCreateInstance:1:VK_ERROR_INITIALIZATION_FAILED",
      "vkCreateDevice:1:VK_ERROR_OUT_OF_HOST_MEMORY",
      "vkAllocateMemory:1:VK_ERROR_OUT_OF_DEVICE_MEMORY",
      "vkCreateComputePipelines:1:VK_ERROR_OUT_OF_DEVICE_MEMORY",
      "vkQueueSubmit:1:VK_ERROR_DEVICE_LOST",
  };
  for (const Command& c : commands)
    for (const std::string& spec : faults) {
      SCOPED_TRACE(spec + " " + c.args);
      const CliRun r = run_with_fault(spec, c.args);
      EXPECT_EQ(r.code, 1) << r.out << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      const std::string call = spec.substr(0, spec.find(':'));
      EXPECT_NE(r.err.find(call + " failed with"), std::string::npos) << r.err;
      for (const std::string& o : c.outputs) EXPECT_FALSE(fs::exists(o)) << o << " was created";
    }
  // Without a fault every command works (so the failures above were the faults').
  for (const Command& c : commands) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.code, 0) << c.args << "\n" << r.err;
    EXPECT_TRUE(fs::exists(c.outputs.front())) << c.args;
    fs::remove_all(c.outputs.front());
  }
}

// `devices` and `demo` before any work: the instance and the device.
TEST_F(CliFaultTest, DevicesAndDemoExitOne) {
  for (const std::string& args : {std::string("devices"), std::string("demo")})
    for (const std::string spec : {"vkCreateInstance:1:VK_ERROR_INCOMPATIBLE_DRIVER", "vkEnumeratePhysicalDevices"}) {
      const CliRun r = run_with_fault(spec, args);
      EXPECT_EQ(r.code, 1) << args << " " << spec << "\n" << r.out << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_NE(r.err.find(spec.substr(0, spec.find(':'))), std::string::npos) << r.err;
    }
}

// A pipeline cache that cannot be used is a warning line; the command succeeds.
TEST_F(CliFaultTest, PipelineCacheProblemsAreWarnings) {
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, std::vector<std::int64_t>{3, 2, 8},
                       std::vector<float>(48, 0.5f));
  const std::string args = "rope --input " + path("x.npy") + " --output " + path("o.npy");
  ASSERT_EQ(run(args).code, 0);  // saves the cache
  const CliRun r = run_with_fault("pipeline cache file read", args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("vkrope: warning: pipeline cache"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(path("o.npy")));
}

TEST_F(CliFaultTest, MalformedFaultSpecIsAUsageError) {
  for (const std::string spec : {"vkNoSuchCall", "vkQueueSubmit:zero", "vkCreateBuffer:1:VK_ERROR_DEVICE_LOST"}) {
    const CliRun r = run_with_fault(spec, "devices");
    EXPECT_EQ(r.code, 2) << spec << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("VKROPE_FAULT"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace vkrope::test
