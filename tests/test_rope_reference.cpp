// Properties of the CPU reference on fresh random inputs (the seed is printed; set
// VKROPE_TEST_SEED to replay): rotation preserves norms, q.k depends only on the distance,
// inverse undoes forward, the two layouts agree up to a permutation, partial rotary leaves
// the tail alone, and every token uses its own position.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "support/device_matrix.hpp"
#include "vkrope/error.hpp"
#include "vkrope/reference.hpp"

namespace vkrope {
namespace {

class RopeReference : public testing::Test {
 protected:
  void SetUp() override {
    seed_ = test::fresh_seed();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
    std::printf("seed %u (replay with VKROPE_TEST_SEED=%u)\n", seed_, seed_);
  }

  std::vector<double> random_values(std::size_t n) {
    std::uniform_real_distribution<double> value(-1.0, 1.0);
    std::vector<double> out(n);
    for (double& v : out) v = value(rng_);
    return out;
  }

  std::vector<std::int64_t> random_positions(std::size_t n, std::int64_t max) {
    std::uniform_int_distribution<std::int64_t> position(0, max);
    std::vector<std::int64_t> out(n);
    for (auto& p : out) p = position(rng_);
    return out;
  }

  std::uint32_t seed_ = 0;
  std::mt19937 rng_;
};

RopeConfig config_of(std::int64_t head_dim, std::int64_t rotary_dim = 0, RopeLayout layout = RopeLayout::Neox) {
  RopeConfig c;
  c.head_dim = head_dim;
  c.rotary_dim = rotary_dim;
  c.layout = layout;
  c.theta = 10000.0;
  c.max_position_embeddings = 4096;
  return c;
}

double dot(const double* a, const double* b, std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

TEST_F(RopeReference, RotatesOnePairByPositionTimesFrequency) {
  // head_dim 2: one pair with inv_freq 1, so (1, 0) at position p becomes (cos p, sin p).
  const RopeConfig c = config_of(2);
  const std::vector<double> x = {1.0, 0.0, 0.0, 1.0};
  const std::vector<std::int64_t> positions = {3, 7};
  const std::vector<double> y = reference::rope(x, 1, 2, 1, c, positions);
  EXPECT_DOUBLE_EQ(y[0], std::cos(3.0));
  EXPECT_DOUBLE_EQ(y[1], std::sin(3.0));
  EXPECT_DOUBLE_EQ(y[2], -std::sin(7.0));
  EXPECT_DOUBLE_EQ(y[3], std::cos(7.0));
}

TEST_F(RopeReference, PreservesNorms) {
  for (const RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved}) {
    const RopeConfig c = config_of(128, 0, layout);
    const std::int64_t batch = 2, seq = 17, heads = 3;
    const auto x = random_values(static_cast<std::size_t>(batch * seq * heads * 128));
    const auto positions = random_positions(static_cast<std::size_t>(batch * seq), 100000);
    const auto y = reference::rope(x, batch, seq, heads, c, positions);
    for (std::size_t v = 0; v < x.size(); v += 128) {
      const double before = std::sqrt(dot(&x[v], &x[v], 128));
      const double after = std::sqrt(dot(&y[v], &y[v], 128));
      ASSERT_NEAR(after, before, 1e-12 * before) << "layout " << to_string(layout) << " vector " << v / 128;
    }
  }
}

TEST_F(RopeReference, DotProductDependsOnlyOnDistance) {
  for (const RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved}) {
    const RopeConfig c = config_of(64, 0, layout);
    const auto q = random_values(64);
    const auto k = random_values(64);
    const RopeFrequencies f = rope_frequencies(c, 0);
    auto score = [&](std::int64_t m, std::int64_t n) {
      const std::vector<std::int64_t> pm = {m}, pn = {n};
      const auto qm = reference::rope(q, 1, 1, 1, c, f, pm);
      const auto kn = reference::rope(k, 1, 1, 1, c, f, pn);
      return dot(qm.data(), kn.data(), 64);
    };
    const double near_origin = score(5, 2);
    // Angles reach 1e5 rad, where double carries ~1e-11 absolute error.
    const double tolerance = 1e-9 * std::sqrt(dot(q.data(), q.data(), 64) * dot(k.data(), k.data(), 64));
    EXPECT_NEAR(score(105, 102), near_origin, tolerance) << to_string(layout);
    EXPECT_NEAR(score(100005, 100002), near_origin, tolerance) << to_string(layout);
    // And it does depend on the distance.
    EXPECT_GT(std::fabs(score(6, 2) - near_origin), 1e-6) << to_string(layout);
  }
}

TEST_F(RopeReference, InverseUndoesForward) {
  for (const RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved}) {
    const RopeConfig c = config_of(96, 64, layout);
    const std::int64_t batch = 3, seq = 5, heads = 4;
    const auto x = random_values(static_cast<std::size_t>(batch * seq * heads * 96));
    const auto positions = random_positions(static_cast<std::size_t>(batch * seq), 1 << 24);
    const auto forward = reference::rope(x, batch, seq, heads, c, positions);
    const auto back = reference::rope(forward, batch, seq, heads, c, positions, /*inverse=*/true);
    for (std::size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(back[i], x[i], 1e-12) << to_string(layout) << " " << i;
  }
}

TEST_F(RopeReference, InverseKeepsTheAttentionFactor) {
  // Inverse rotates by -angle with the same attention_factor (what the kernel does), so a
  // round trip scales by attention_factor^2.
  RopeConfig c = config_of(64);
  c.scaling.type = RopeScalingType::Yarn;
  c.scaling.factor = 4.0;
  const RopeFrequencies f = rope_frequencies(c, 0);
  ASSERT_GT(f.attention_factor, 1.1);
  const auto x = random_values(2 * 64);
  const auto positions = random_positions(2, 50000);
  const auto forward = reference::rope(x, 1, 2, 1, c, f, positions);
  const auto back = reference::rope(forward, 1, 2, 1, c, f, positions, /*inverse=*/true);
  const double a2 = f.attention_factor * f.attention_factor;
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(back[i], a2 * x[i], 1e-12) << i;
}

TEST_F(RopeReference, InterleavedIsNeoxUnderThePairPermutation) {
  const std::int64_t head_dim = 80, rotary = 48, half = rotary / 2;
  const std::int64_t batch = 2, seq = 3, heads = 2;
  const auto x = random_values(static_cast<std::size_t>(batch * seq * heads * head_dim));
  const auto positions = random_positions(static_cast<std::size_t>(batch * seq), 30000);
  // neox element i and i + half sit at 2i and 2i + 1 in the interleaved layout.
  auto to_interleaved = [&](const std::vector<double>& neox) {
    std::vector<double> out = neox;
    for (std::size_t v = 0; v < neox.size(); v += static_cast<std::size_t>(head_dim)) {
      for (std::int64_t i = 0; i < half; ++i) {
        out[v + static_cast<std::size_t>(2 * i)] = neox[v + static_cast<std::size_t>(i)];
        out[v + static_cast<std::size_t>(2 * i + 1)] = neox[v + static_cast<std::size_t>(i + half)];
      }
    }
    return out;
  };
  const auto neox = reference::rope(x, batch, seq, heads, config_of(head_dim, rotary, RopeLayout::Neox), positions);
  const auto interleaved = reference::rope(to_interleaved(x), batch, seq, heads,
                                           config_of(head_dim, rotary, RopeLayout::Interleaved), positions);
  EXPECT_EQ(interleaved, to_interleaved(neox));
}

TEST_F(RopeReference, PartialRotaryLeavesTheTailUntouched) {
  const std::int64_t head_dim = 64, rotary = 16;
  for (const RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved}) {
    const auto x = random_values(static_cast<std::size_t>(4 * 2 * head_dim));
    const auto positions = random_positions(4, 5000);
    const auto y = reference::rope(x, 1, 4, 2, config_of(head_dim, rotary, layout), positions);
    bool head_changed = false;
    for (std::size_t v = 0; v < x.size(); v += static_cast<std::size_t>(head_dim)) {
      for (std::int64_t i = rotary; i < head_dim; ++i) {
        const auto at = v + static_cast<std::size_t>(i);
        ASSERT_EQ(y[at], x[at]) << to_string(layout) << " element " << i;
      }
      for (std::int64_t i = 0; i < rotary; ++i) {
        head_changed = head_changed || y[v + static_cast<std::size_t>(i)] != x[v + static_cast<std::size_t>(i)];
      }
    }
    EXPECT_TRUE(head_changed) << to_string(layout);
  }
}

TEST_F(RopeReference, EachTokenUsesItsOwnPosition) {
  // [batch 3, seq 4] with unrelated positions per row: each token must equal a one-token call
  // at its position with the same frequencies.
  const RopeConfig c = config_of(32, 0, RopeLayout::Interleaved);
  const std::int64_t batch = 3, seq = 4, heads = 2, dim = 32;
  const auto x = random_values(static_cast<std::size_t>(batch * seq * heads * dim));
  const auto positions = random_positions(static_cast<std::size_t>(batch * seq), 1000000);
  const RopeFrequencies f = rope_frequencies(c, 1000000);
  const auto y = reference::rope(x, batch, seq, heads, c, f, positions);
  const auto token_size = static_cast<std::size_t>(heads * dim);
  for (std::size_t t = 0; t < positions.size(); ++t) {
    const std::vector<double> one(x.begin() + static_cast<std::ptrdiff_t>(t * token_size),
                                  x.begin() + static_cast<std::ptrdiff_t>((t + 1) * token_size));
    const std::vector<std::int64_t> p = {positions[t]};
    const auto expected = reference::rope(one, 1, 1, heads, c, f, p);
    for (std::size_t i = 0; i < token_size; ++i) ASSERT_EQ(y[t * token_size + i], expected[i]) << "token " << t;
  }
}

TEST_F(RopeReference, FrequenciesComeFromTheLargestPosition) {
  // LongRoPE switches tables past the original length: one far token in any batch row
  // switches the whole call to the long table.
  RopeConfig c = config_of(8);
  c.scaling.type = RopeScalingType::LongRope;
  c.scaling.factor = 2.0;
  c.scaling.original_max_position_embeddings = 4096;
  c.scaling.short_factor = {1.0, 1.0, 1.0, 1.0};
  c.scaling.long_factor = {1.0, 2.0, 3.0, 4.0};
  const auto x = random_values(2 * 8);
  const std::vector<std::int64_t> near_positions = {10, 20};
  const std::vector<std::int64_t> far_positions = {10, 5000};
  const auto short_call = reference::rope(x, 2, 1, 1, c, near_positions);
  const auto long_call = reference::rope(x, 2, 1, 1, c, far_positions);
  const std::vector<double> first_short(short_call.begin(), short_call.begin() + 8);
  const std::vector<double> first_long(long_call.begin(), long_call.begin() + 8);
  const std::vector<double> first_expected =
      reference::rope(std::vector<double>(x.begin(), x.begin() + 8), 1, 1, 1, c, rope_frequencies(c, 5000),
                      std::vector<std::int64_t>{10});
  EXPECT_NE(first_short, first_long);
  EXPECT_EQ(first_long, first_expected);
}

TEST_F(RopeReference, RejectsMismatchedSizes) {
  const RopeConfig c = config_of(8);
  const std::vector<double> x(2 * 8);
  const std::vector<std::int64_t> one_position = {0};
  EXPECT_THROW(reference::rope(x, 1, 2, 1, c, one_position), Error);
  const std::vector<std::int64_t> two_positions = {0, 1};
  EXPECT_THROW(reference::rope(x, 1, 2, 2, c, two_positions), Error);
  const std::vector<std::int64_t> negative = {0, -1};
  EXPECT_THROW(reference::rope(x, 1, 2, 1, c, negative), Error);
  RopeFrequencies wrong = rope_frequencies(c, 0);
  wrong.inv_freq.pop_back();
  EXPECT_THROW(reference::rope(x, 1, 2, 1, c, wrong, two_positions), Error);
}

}  // namespace
}  // namespace vkrope
