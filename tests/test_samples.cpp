// Smoke tests of the samples on every device: each runs to completion with exit 0 (every
// GPU-against-CPU check it makes passed), prints its checks, and writes PNGs that decode at
// the stated sizes. Sample binaries come from CMake (VKROPE_SAMPLES_DIR).
#include <gtest/gtest.h>

#include "support/cli_fixture.hpp"

namespace vkrope::test {
namespace {

class SampleTest : public testing::TestWithParam<DeviceCase> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vkrope-sample-" + std::to_string(fresh_seed()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  CliRun run(const std::string& sample, const std::string& args = "") {
    const std::string cmd = std::string(VKROPE_SAMPLES_DIR) + "/" + sample + "/" + sample + " --device " +
                            std::to_string(GetParam().index) + " --out " + dir_.string() + " " + args + " >" +
                            (dir_ / "stdout").string() + " 2>" + (dir_ / "stderr").string();
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir_ / "stdout"), slurp(dir_ / "stderr")};
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_P(SampleTest, RopeToy) {
  const CliRun r = run("rope_toy");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n') > 10, true);
  EXPECT_NE(r.out.find("check offset 3 gives the same score at positions 5, 105 and 100005: ok"), std::string::npos);
  EXPECT_NE(r.out.find("check with RoPE, the order changes the score: ok"), std::string::npos);
  EXPECT_EQ(r.out.find("FAILED"), std::string::npos) << r.out;
  EXPECT_EQ(png_size(path("offset_invariance.png")), std::make_pair(1000, 600));
}

TEST_P(SampleTest, RelativeDecay) {
  const CliRun r = run("relative_decay");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check kernel bound against the double-precision bound: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("for every curve: ok"), std::string::npos) << r.out;
  EXPECT_EQ(png_size(path("relative_decay.png")), std::make_pair(1000, 600));
}

TEST_P(SampleTest, LongContext) {
  const CliRun r = run("long_context");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check kernel rotations against the double reference: ok"), std::string::npos) << r.out;
  // Default RoPE takes slow pairs past what training saw; the scalings keep none there.
  EXPECT_EQ(r.out.find("default                     0 ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("linear x8                   0 (0.00)            0 (0.00)"), std::string::npos) << r.out;
  EXPECT_EQ(png_size(path("unseen_rotation.png")), std::make_pair(1000, 600));
  EXPECT_EQ(png_size(path("long_offset_scores.png")), std::make_pair(1000, 600));
}

TEST_P(SampleTest, AttentionHeatmap) {
  const CliRun r = run("attention_heatmap");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check weights against the CPU reference (f32: 1e-5): ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("check GPU colormap pixels against the host colormap (within 1 level): ok"), std::string::npos)
      << r.out;
  EXPECT_EQ(png_size(path("attention_heatmap.png")), std::make_pair(1248, 502));
}

TEST_P(SampleTest, VisionRope) {
  const CliRun r = run("vision_rope");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check 2D rotations against the CPU reference (f32: 1e-6 of max |x|): ok"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("check 2D scores depend on the patch offset only: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("check the patch below weighs over twice as much in 2D as in 1D raster order: ok"), std::string::npos)
      << r.out;
  EXPECT_EQ(png_size(path("vision_rope.png")), std::make_pair(1056, 334));
}

TEST_P(SampleTest, CompassWithFrames) {
  const CliRun r = run("compass", "--frames 3");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check the needle of pair 0 at position 1 points at 1 radian: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("check kernel rotations against the double reference (f32: 2e-6): ok"), std::string::npos)
      << r.out;
  EXPECT_EQ(png_size(path("compass.png")), std::make_pair(720, 740));
  for (const char* frame : {"compass_000.png", "compass_001.png", "compass_002.png"})
    EXPECT_EQ(png_size(path(frame)), std::make_pair(720, 740)) << frame;
  EXPECT_FALSE(fs::exists(path("compass_003.png")));  // exactly --frames frames
}

TEST_P(SampleTest, TinyDecoder) {
  const CliRun r = run("tiny_decoder");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check every step's logits against the double-precision model: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tokens/s); decode: 24 tokens in"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Devices, SampleTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
