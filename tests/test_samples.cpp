// Smoke tests of the samples on every device: each runs to completion with exit 0 (every
// GPU-against-CPU check it makes passed), prints its checks, and writes PNGs that decode at
// the stated sizes. Sample binaries come from CMake (VKROPE_SAMPLES_DIR).
#include <gtest/gtest.h>

#include <set>

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
  // `prefix` goes before the command (e.g. xvfb-run for a windowed sample).
  CliRun run(const std::string& sample, const std::string& args = "", const std::string& prefix = "") {
    const std::string cmd = prefix + std::string(VKROPE_SAMPLES_DIR) + "/" + sample + "/" + sample + " --device " +
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

// Every weight the sample prints comes from vkrope's kernels and is checked against the
// CPU reference (the "(x): vkrope's weights" lines); the claims of each section are checks
// of their own.
TEST_P(SampleTest, PositionSchemes) {
  const CliRun r = run("position_schemes");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("FAILED"), std::string::npos) << r.out;
  for (const char* section : {"(a)", "(b)", "(c)", "(d)"})
    EXPECT_NE(r.out.find(std::string("check ") + section + ": vkrope's weights against the CPU reference: ok"),
              std::string::npos)
        << section << "\n" << r.out;
  for (const char* claim : {"check no position: swapping the words only permutes the weights: ok",
                            "check RoPE: word order changes the weights: ok",
                            "check RoPE: the weight depends on the offset only: ok",
                            "check sinusoidal (absolute): the weight moves with the absolute position: ok",
                            "check learned: no embedding past the table (a clear error): ok",
                            "check RoPE: at position 100000 the same weight as at 10: ok",
                            "check (e): both outputs at every length against the CPU reference: ok"})
    EXPECT_NE(r.out.find(claim), std::string::npos) << claim << "\n" << r.out;
  EXPECT_EQ(png_size(path("position_schemes_order.png")), std::make_pair(1000, 256 + 30 * 6));  // a bar per scheme
  for (const char* chart : {"position_schemes_shift.png", "position_schemes_decay.png", "position_schemes_cost.png"})
    EXPECT_EQ(png_size(path(chart)), std::make_pair(1000, 600)) << chart;
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

#ifdef VKROPE_LIVE_COMPASS
// RGBA8 pixels of a PNG (empty when it does not decode).
std::vector<unsigned char> png_pixels(const std::string& path, int& w, int& h) {
  int channels = 0;
  unsigned char* p = stbi_load(path.c_str(), &w, &h, &channels, 4);
  if (!p) return {};
  std::vector<unsigned char> out(p, p + std::size_t(w) * std::size_t(h) * 4);
  stbi_image_free(p);
  return out;
}

TEST_P(SampleTest, LiveCompassHeadless) {
  const CliRun r = run("live_compass", "--headless 4 --validate");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check weights drawn at position 34 against the CPU reference (f32: 1e-5): ok"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("check validation layer silent: ok"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("4 frames, vkrope device time per frame: median"), std::string::npos) << r.out;
  for (const char* frame : {"live_compass_000.png", "live_compass_001.png", "live_compass_002.png", "live_compass_003.png"})
    EXPECT_EQ(png_size(path(frame)), std::make_pair(640, 400)) << frame;
  EXPECT_FALSE(fs::exists(path("live_compass_004.png")));
  EXPECT_EQ(png_size(path("live_compass_strip.png")), std::make_pair(1280, 200));  // 4 frames at half size
  // The other settings the keys reach: ALiBi, YaRN scaling, another theta and head.
  const CliRun other = run("live_compass", "--headless 2 --validate --alibi --scaling 2 --theta 500 --head 3");
  ASSERT_EQ(other.code, 0) << other.out << other.err;
  EXPECT_NE(other.out.find("check weights drawn at position 32 against the CPU reference (f32: 1e-5): ok"),
            std::string::npos)
      << other.out;
}

// The windowed mode under a virtual X server (Xvfb, started here: CI has no display): 4
// frames presented through the swapchain, then the window read back from the X server. It
// must not be blank and must match the headless frame of the same position.
TEST_P(SampleTest, LiveCompassWindowUnderXvfb) {
  ASSERT_EQ(std::system("command -v xvfb-run >/dev/null"), 0) << "xvfb-run missing: apt-get install xvfb xauth";
  const CliRun headless = run("live_compass", "--headless 4");
  ASSERT_EQ(headless.code, 0) << headless.out << headless.err;
  // -a takes the first free display from -n on; a random start keeps parallel tests apart.
  const std::string xvfb = "xvfb-run -a -n " + std::to_string(100 + fresh_seed() % 400) + " -s '-screen 0 800x600x24' ";
  const CliRun r = run("live_compass", "--frames 4 --validate", xvfb);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("check validation layer silent: ok"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("check weights drawn at position 34 against the CPU reference (f32: 1e-5): ok"), std::string::npos)
      << r.out;
  int w = 0, h = 0, hw = 0, hh = 0;
  const auto window = png_pixels(path("live_compass_window.png"), w, h);
  const auto frame = png_pixels(path("live_compass_003.png"), hw, hh);
  ASSERT_EQ(std::make_pair(w, h), std::make_pair(640, 400));
  ASSERT_EQ(std::make_pair(hw, hh), std::make_pair(640, 400));
  std::set<std::uint32_t> colours;
  double diff = 0;
  for (std::size_t i = 0; i < window.size(); i += 4) {
    colours.insert(std::uint32_t(window[i]) | std::uint32_t(window[i + 1]) << 8 | std::uint32_t(window[i + 2]) << 16);
    for (std::size_t c = 0; c < 3; ++c) diff += std::abs(int(window[i + c]) - int(frame[i + c]));
  }
  EXPECT_GT(colours.size(), 20u) << "the window looks blank";
  EXPECT_LT(diff / double(window.size() / 4 * 3), 1.0) << "mean abs difference from the headless frame, per channel";
}
#endif  // VKROPE_LIVE_COMPASS

INSTANTIATE_TEST_SUITE_P(Devices, SampleTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
