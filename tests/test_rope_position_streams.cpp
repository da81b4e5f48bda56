// Host side of RoPE with several positions per token: which stream each pair takes (M-RoPE
// sections, vision halves), the vision forms' frequencies as transformers writes them, the
// patch-grid positions, and the reference's stream-major positions.
#include <gtest/gtest.h>

#include <cmath>

#include "support/device_matrix.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/rope.hpp"

namespace vkrope::test {
namespace {

RopeConfig qwen_text(std::vector<std::int64_t> section, bool interleaved) {
  RopeConfig c;
  c.head_dim = 128;
  c.theta = 1e6;
  c.mrope_section = std::move(section);
  c.mrope_interleaved = interleaved;
  return c;
}

TEST(RopePositionStreams, QwenTwoVlSectionsAreContiguous) {
  const auto streams = qwen_text({16, 24, 24}, false).pair_streams();
  ASSERT_EQ(streams.size(), 64u);
  for (std::size_t i = 0; i < 64; ++i) EXPECT_EQ(streams[i], i < 16 ? 0 : i < 40 ? 1 : 2) << i;
  EXPECT_EQ(qwen_text({16, 24, 24}, false).position_streams(), 3);
}

// Qwen3-VL's [24, 20, 20]: height on 1, 4, ..., 58; width on 2, 5, ..., 59; temporal on
// every multiple of 3 and on 60..63, as transformers' apply_interleaved_mrope writes it.
TEST(RopePositionStreams, QwenThreeVlSectionsInterleave) {
  const auto streams = qwen_text({24, 20, 20}, true).pair_streams();
  ASSERT_EQ(streams.size(), 64u);
  int counts[3] = {0, 0, 0};
  for (std::size_t i = 0; i < 64; ++i) {
    const int expected = i >= 60 ? 0 : static_cast<int>(i % 3);
    EXPECT_EQ(streams[i], expected) << i;
    ++counts[streams[i]];
  }
  EXPECT_EQ(counts[0], 24);
  EXPECT_EQ(counts[1], 20);
  EXPECT_EQ(counts[2], 20);
}

TEST(RopePositionStreams, VisionHalvesAreRowThenColumn) {
  RopeConfig c;
  c.head_dim = 80;
  c.vision = RopeVision::Pixtral;
  const auto streams = c.pair_streams();
  ASSERT_EQ(streams.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(streams[i], i < 20 ? 0 : 1) << i;
  EXPECT_EQ(c.position_streams(), 2);
  c.vision = RopeVision::None;
  EXPECT_EQ(c.position_streams(), 1);
}

// transformers' VisionRotaryEmbedding(head_dim / 2): inv_freq[k] = theta^(-2k / (head_dim /
// 2)) for k < head_dim / 4, used for the row (first half of the pairs) and again for the
// column.
TEST(RopePositionStreams, QwenTwoVlVisionFrequencies) {
  RopeConfig c;
  c.head_dim = 80;
  c.vision = RopeVision::Qwen2VL;
  const RopeFrequencies f = rope_frequencies(c, 100);
  ASSERT_EQ(f.inv_freq.size(), 40u);
  for (std::size_t k = 0; k < 20; ++k) {
    const double expected = std::pow(10000.0, -2.0 * static_cast<double>(k) / 40.0);
    EXPECT_NEAR(f.inv_freq[k], expected, 1e-15 * expected) << k;
    EXPECT_NEAR(f.inv_freq[20 + k], expected, 1e-15 * expected) << k;
  }
}

// transformers' PixtralRotaryEmbedding: freqs = theta^(-2j / head_dim) for j < head_dim / 2;
// the row takes freqs[::2], the column freqs[1::2].
TEST(RopePositionStreams, PixtralVisionFrequencies) {
  RopeConfig c;
  c.head_dim = 64;
  c.vision = RopeVision::Pixtral;
  const RopeFrequencies f = rope_frequencies(c, 100);
  ASSERT_EQ(f.inv_freq.size(), 32u);
  for (std::size_t k = 0; k < 16; ++k) {
    const double row = std::pow(10000.0, -2.0 * static_cast<double>(2 * k) / 64.0);
    const double column = std::pow(10000.0, -2.0 * static_cast<double>(2 * k + 1) / 64.0);
    EXPECT_NEAR(f.inv_freq[k], row, 1e-15 * row) << k;
    EXPECT_NEAR(f.inv_freq[16 + k], column, 1e-15 * column) << k;
  }
}

// Qwen2-VL's rot_pos_emb: hpos/wpos reshaped (h / m, m, w / m, m), permuted (0, 2, 1, 3):
// 2 x 2 blocks of neighbours one after another, blocks row by row; frames repeat the grid.
TEST(RopePositionStreams, GridPositionsInMergeOrder) {
  const RopePositions plain = vision_grid_positions(2, 3);
  EXPECT_EQ(plain.values, (std::vector<std::int64_t>{0, 0, 0, 1, 1, 1, /*columns*/ 0, 1, 2, 0, 1, 2}));
  const RopePositions merged = vision_grid_positions(4, 4, 2);
  const std::vector<std::int64_t> rows = {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3};
  const std::vector<std::int64_t> cols = {0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3};
  std::vector<std::int64_t> expected = rows;
  expected.insert(expected.end(), cols.begin(), cols.end());
  EXPECT_EQ(merged.values, expected);
  const RopePositions frames = vision_grid_positions(2, 2, 1, 3);
  EXPECT_EQ(frames.values, (std::vector<std::int64_t>{0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1,  // rows
                                                      0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(frames.offset, 0);
}

TEST(RopePositionStreams, GridPositionsRefuseBadSizes) {
  expect_invalid_argument([] { vision_grid_positions(0, 4); }, "height = 0");
  expect_invalid_argument([] { vision_grid_positions(4, -1); }, "width = -1");
  expect_invalid_argument([] { vision_grid_positions(3, 4, 2); }, "multiples of merge");
  expect_invalid_argument([] { vision_grid_positions(4, 4, 1, 0); }, "frames = 0");
  expect_invalid_argument([] { vision_grid_positions(1 << 20, 1 << 20); }, "at most 2^28");
}

// The reference takes stream-major positions and rotates pair i by its stream's position:
// checked here on one token by hand.
TEST(RopePositionStreams, ReferenceReadsEachPairsStream) {
  RopeConfig c;
  c.head_dim = 12;  // 6 pairs
  c.mrope_section = {2, 2, 2};
  std::vector<double> x(12);
  for (std::size_t i = 0; i < 12; ++i) x[i] = 1.0 + static_cast<double>(i);
  const std::vector<std::int64_t> positions = {3, 50, 700};  // one token: t, h, w
  const auto y = reference::rope(x, 1, 1, 1, c, positions);
  const RopeFrequencies f = rope_frequencies(c, 700);
  for (std::size_t i = 0; i < 6; ++i) {
    const double angle = static_cast<double>(positions[i / 2]) * f.inv_freq[i];
    EXPECT_NEAR(y[i], x[i] * std::cos(angle) - x[i + 6] * std::sin(angle), 1e-12) << i;
    EXPECT_NEAR(y[i + 6], x[i] * std::sin(angle) + x[i + 6] * std::cos(angle), 1e-12) << i;
  }
  expect_invalid_argument([&] { reference::rope(x, 1, 1, 1, c, std::vector<std::int64_t>{3}); }, "3 streams");
}

TEST(RopePositionStreams, ConfigErrorsSayWhatWasExpected) {
  RopeConfig c = qwen_text({16, 24, 23}, false);
  expect_invalid_argument([&] { c.validate(); }, "expected rotary_dim / 2 = 64");
  c.mrope_section = {16, -1, 49};
  expect_invalid_argument([&] { c.validate(); }, "counts in 0..rotary_dim / 2");
  c.mrope_section = {};
  c.mrope_interleaved = true;
  expect_invalid_argument([&] { c.validate(); }, "without mrope_section");
  RopeConfig v;
  v.head_dim = 64;
  v.rotary_dim = 6;
  v.vision = RopeVision::Qwen2VL;
  expect_invalid_argument([&] { v.validate(); }, "3 frequency pairs");
}

}  // namespace
}  // namespace vkrope::test
