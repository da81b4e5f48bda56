// The CLI as a user runs it: exit codes (0 ok, 2 usage or input error, 1 failure), one-line
// errors on stderr, outputs never created on error, and `vkrope rope` against the
// reference. The binary's path comes from CMake (VKROPE_CLI_PATH).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/npy.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class CliTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vkrope-cli-" + std::to_string(fresh_seed()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun run(const std::string& args) {
    const std::string cmd = std::string(VKROPE_CLI_PATH) + " " + args + " >" + (dir_ / "out").string() + " 2>" +
                            (dir_ / "err").string();
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir_ / "out"), slurp(dir_ / "err")};
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Expects exit 2 with exactly one line on stderr and no output file.
  void expect_usage_error(const std::string& args, const std::string& needle, const std::string& output = "") {
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
    if (!output.empty()) {
      EXPECT_FALSE(fs::exists(output)) << args << " created " << output;
    }
  }

  fs::path dir_;
};

TEST_F(CliTest, DevicesMarksTheDefaultAndRefusesAnUnknownSelector) {
  const CliRun r = run("devices");
  EXPECT_EQ(r.code, 0) << r.err;
  // Only structures a device reports are chained, so SwiftShader prints no
  // "WARNING: UNSUPPORTED: pProperties->pNext" lines: stderr is vkrope's alone.
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("* ["), std::string::npos) << r.out;
  const CliRun swift = run("devices --device swiftshader");
  EXPECT_EQ(swift.code, 0) << swift.err;
  EXPECT_NE(swift.out.find("* [0] SwiftShader"), std::string::npos) << swift.out;
  const CliRun json = run("devices --json");
  EXPECT_EQ(json.code, 0);
  EXPECT_NE(json.out.find("\"default\""), std::string::npos);
  expect_usage_error("devices --device no-such-gpu", "no-such-gpu");
}

TEST_F(CliTest, UsageErrorsExitTwoWithOneLine) {
  expect_usage_error("no-such-command", "no-such-command");
  expect_usage_error("devices --no-such-flag", "no-such-flag");
  expect_usage_error("", "subcommand");
  expect_usage_error("--emulate fast devices", "fast");
  EXPECT_EQ(run("--help").code, 0);
}

TEST_F(CliTest, RopeMatchesTheReference) {
  std::mt19937 rng(fresh_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const std::vector<std::int64_t> shape{2, 3, 4, 64};
  std::vector<float> x(2 * 3 * 4 * 64);
  for (float& v : x) v = dist(rng);
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, shape, x);
  const std::vector<std::int64_t> pos{7, 70000, 3, 1, 2, 900};  // [batch, seq]
  io::write_npy(path("p.npy"), io::NpyType::i64, std::vector<std::int64_t>{2, 3},
                std::as_bytes(std::span(pos)));
  const CliRun r = run("rope --input " + path("x.npy") + " --output " + path("y.npy") + " --positions " + path("p.npy") +
                    " --layout interleaved --rotary-dim 32 --theta 500000");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto y = io::to_floats(io::read_npy(path("y.npy")));
  RopeConfig config;
  config.head_dim = 64;
  config.rotary_dim = 32;
  config.layout = RopeLayout::Interleaved;
  config.theta = 500000;
  const std::vector<double> xd(x.begin(), x.end());
  const auto ref = reference::rope(xd, 2, 3, 4, config, pos);
  EXPECT_LE(compare(y, ref).max_abs_err, 1e-6) << compare(y, ref).to_string();
}

TEST_F(CliTest, RopeReadsScalingAndHfConfig) {
  std::vector<float> x(5 * 2 * 96, 0.5f);
  io::write_npy_floats(path("x16.npy"), io::NpyType::f16, std::vector<std::int64_t>{5, 2, 96}, x);
  {
    std::ofstream(path("config.json")) << R"({"hidden_size": 3072, "num_attention_heads": 32,
      "max_position_embeddings": 131072, "original_max_position_embeddings": 4096, "rope_theta": 10000.0,
      "rope_scaling": {"type": "longrope", "short_factor": [)" +
                                              [] {
                                                std::string s;
                                                for (int i = 0; i < 48; ++i) s += (i ? ",1.0" : "1.0");
                                                return s;
                                              }() + R"(], "long_factor": [)" +
                                              [] {
                                                std::string s;
                                                for (int i = 0; i < 48; ++i) s += (i ? ",2.0" : "2.0");
                                                return s;
                                              }() + "]}}";
  }
  const CliRun r = run("rope --input " + path("x16.npy") + " --output " + path("y16.npy") + " --offset 5000 --hf-config " +
                    path("config.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const io::NpyArray y = io::read_npy(path("y16.npy"));
  EXPECT_EQ(y.type, io::NpyType::f16);
  EXPECT_EQ(y.shape, (std::vector<std::int64_t>{5, 2, 96}));
  const CliRun inline_scaling = run("rope --input " + path("x16.npy") + " --output " + path("z.npy") +
                                 " --scaling '{\"rope_type\": \"linear\", \"factor\": 4.0}'");
  EXPECT_EQ(inline_scaling.code, 0) << inline_scaling.err;
}

TEST_F(CliTest, RopeBadInputExitsTwoAndCreatesNothing) {
  std::vector<float> x(3 * 2 * 8, 1.0f);
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, std::vector<std::int64_t>{3, 2, 8}, x);
  const std::string out = path("never.npy");
  const std::string base = "rope --input " + path("x.npy") + " --output " + out;
  expect_usage_error("rope --input " + path("missing.npy") + " --output " + out, "missing.npy", out);
  expect_usage_error(base + " --rotary-dim 3", "rotary", out);
  expect_usage_error(base + " --rotary-dim 16", "rotary", out);
  expect_usage_error(base + " --offset -4", "offset", out);
  expect_usage_error(base + " --offset 16777215", "2^24", out);
  expect_usage_error(base + " --scaling '{\"rope_type\": \"warp\", \"factor\": 2}'", "warp", out);
  expect_usage_error(base + " --scaling '{\"rope_type\": \"linear\"'", "JSON", out);
  expect_usage_error(base + " --scaling '{\"rope_type\": \"linear\", \"factor\": -1}'", "factor", out);
  expect_usage_error(base + " --layout sideways", "sideways", out);
  expect_usage_error(base + " --hf-config " + path("nope.json"), "nope.json", out);
  const std::vector<std::int64_t> wrong{0, 1};
  io::write_npy(path("p2.npy"), io::NpyType::i64, std::vector<std::int64_t>{2}, std::as_bytes(std::span(wrong)));
  expect_usage_error(base + " --positions " + path("p2.npy"), "expected [3]", out);
  { std::ofstream(path("bad.npy")) << "\x93NUMPY garbage"; }
  expect_usage_error("rope --input " + path("bad.npy") + " --output " + out, "bad.npy", out);
  io::write_npy_floats(path("x2d.npy"), io::NpyType::f32, std::vector<std::int64_t>{6, 8}, std::vector<float>(48, 1.0f));
  expect_usage_error("rope --input " + path("x2d.npy") + " --output " + out, "expected [seq", out);
}

}  // namespace
}  // namespace vkrope::test
