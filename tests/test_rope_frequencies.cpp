// rope_frequencies against tables of real models' configurations. The expected values are
// computed here, independently of src/rope, from the published formulas (Su et al. for the
// base, Meta's Llama 3.1 reference for llama3, the YaRN paper as transformers implements it,
// Microsoft's LongRoPE for Phi-3), plus closed forms and band counts worked out by hand.
// Both sides are double, so the tolerance is a relative 1e-12.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "vkrope/error.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {
namespace {

constexpr double kTolerance = 1e-12;
constexpr double kPi = std::numbers::pi;

// ---- expected values, from the formulas ------------------------------------------------

// theta_i = base^(-2i / d), written as exp(-2i/d * ln base), another evaluation route than pow.
double base_frequency(double base, int d, int i) {
  return std::exp(-static_cast<double>(2 * i) / static_cast<double>(d) * std::log(base));
}

std::vector<double> base_frequencies(double base, int d) {
  std::vector<double> out;
  for (int i = 0; i < d / 2; ++i) out.push_back(base_frequency(base, d, i));
  return out;
}

// Meta's apply_scaling (Llama 3.1).
std::vector<double> llama31(double base, int d, double scale, double low, double high, double old_context) {
  std::vector<double> out;
  for (const double freq : base_frequencies(base, d)) {
    const double wavelen = 2 * kPi / freq;
    if (wavelen < old_context / high) {
      out.push_back(freq);
    } else if (wavelen > old_context / low) {
      out.push_back(freq / scale);
    } else {
      const double smooth = (old_context / wavelen - low) / (high - low);
      out.push_back((1 - smooth) * freq / scale + smooth * freq);
    }
  }
  return out;
}

// YaRN "NTK-by-parts" as transformers implements it: the ramp runs over the pair index
// between the indices where a wavelength fits beta_fast and beta_slow turns into the
// original context (floored and ceiled when truncating).
std::vector<double> yarn(double base, int d, double scale, double original, double beta_fast, double beta_slow,
                         bool truncate = true) {
  auto index_for_turns = [&](double turns) {
    // Solve original / (2 pi base^(2i/d)) = turns for i.
    return d / 2.0 * std::log(original / (2 * kPi * turns)) / std::log(base);
  };
  double lo = index_for_turns(beta_fast);
  double hi = index_for_turns(beta_slow);
  if (truncate) {
    lo = std::floor(lo);
    hi = std::ceil(hi);
  }
  if (lo < 0) lo = 0;
  if (hi > d - 1) hi = d - 1;
  if (lo == hi) hi += 0.001;
  std::vector<double> out;
  for (int i = 0; i < d / 2; ++i) {
    double interpolate = (i - lo) / (hi - lo);  // 0: keep the frequency, 1: divide by scale
    interpolate = interpolate < 0 ? 0 : (interpolate > 1 ? 1 : interpolate);
    const double freq = base_frequency(base, d, i);
    out.push_back(freq * (1 - interpolate) + freq / scale * interpolate);
  }
  return out;
}

double yarn_mscale(double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; }

std::vector<double> longrope(double base, int d, const std::vector<double>& rescale) {
  std::vector<double> out;
  for (int i = 0; i < d / 2; ++i) out.push_back(base_frequency(base, d, i) / rescale[static_cast<std::size_t>(i)]);
  return out;
}

// Plausible Phi-3-style tables: short factors near 1, long factors growing with the pair
// index (low frequencies are stretched most).
std::vector<double> phi3_short() {
  std::vector<double> t;
  for (int i = 0; i < 48; ++i) t.push_back(1.0 + 0.002 * i + (i > 30 ? 0.01 * (i - 30) : 0.0));
  return t;
}
std::vector<double> phi3_long() {
  std::vector<double> t;
  for (int i = 0; i < 48; ++i) t.push_back(1.0 + 47.0 * std::pow(i / 47.0, 2.5));
  return t;
}

// ---- comparison -----------------------------------------------------------------------

testing::AssertionResult tables_match(const std::vector<double>& actual, const std::vector<double>& expected) {
  if (actual.size() != expected.size()) {
    return testing::AssertionFailure() << "size " << actual.size() << ", expected " << expected.size();
  }
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double error = std::fabs(actual[i] - expected[i]) / std::fabs(expected[i]);
    if (!(error <= kTolerance)) {
      return testing::AssertionFailure() << "inv_freq[" << i << "] = " << actual[i] << ", expected " << expected[i]
                                         << " (relative error " << error << ")";
    }
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult near(double actual, double expected) {
  const double error = std::fabs(actual - expected) / std::fabs(expected);
  if (error <= kTolerance) return testing::AssertionSuccess();
  return testing::AssertionFailure() << actual << ", expected " << expected << " (relative error " << error << ")";
}

RopeConfig config_of(std::int64_t head_dim, double theta, RopeScaling scaling = {}, std::int64_t max_positions = 0) {
  RopeConfig c;
  c.head_dim = head_dim;
  c.theta = theta;
  c.scaling = std::move(scaling);
  c.max_position_embeddings = max_positions;
  return c;
}

// ---- default, linear, dynamic ---------------------------------------------------------

TEST(RopeFrequencies, DefaultIsThetaToTheMinusTwoIOverD) {
  const RopeFrequencies f = rope_frequencies(config_of(/*head_dim=*/128, /*theta=*/10000.0), 100);
  EXPECT_TRUE(tables_match(f.inv_freq, base_frequencies(10000.0, 128)));
  EXPECT_EQ(f.attention_factor, 1.0);
  EXPECT_EQ(f.inv_freq.front(), 1.0);
}

TEST(RopeFrequencies, PartialRotaryUsesRotaryDimAsD) {
  RopeConfig c = config_of(/*head_dim=*/64, /*theta=*/10000.0);
  c.rotary_dim = 16;  // Pythia: rotary_pct 0.25
  EXPECT_TRUE(tables_match(rope_frequencies(c, 0).inv_freq, base_frequencies(10000.0, 16)));
}

TEST(RopeFrequencies, LinearDividesByFactor) {
  RopeScaling s;
  s.type = RopeScalingType::Linear;
  s.factor = 4.0;
  const RopeFrequencies f = rope_frequencies(config_of(128, 10000.0, s), 16383);
  std::vector<double> expected = base_frequencies(10000.0, 128);
  for (double& v : expected) v /= 4.0;
  EXPECT_TRUE(tables_match(f.inv_freq, expected));
  EXPECT_EQ(f.attention_factor, 1.0);
}

TEST(RopeFrequencies, DynamicBelowThresholdIsDefault) {
  RopeScaling s;
  s.type = RopeScalingType::Dynamic;
  s.factor = 2.0;
  const RopeConfig c = config_of(128, 10000.0, s, /*max_positions=*/2048);
  // Positions 0..2047 are a sequence of 2048: not past the trained length.
  EXPECT_TRUE(tables_match(rope_frequencies(c, 2047).inv_freq, base_frequencies(10000.0, 128)));
  EXPECT_TRUE(tables_match(rope_frequencies(c, 10).inv_freq, base_frequencies(10000.0, 128)));
}

TEST(RopeFrequencies, DynamicAboveThresholdGrowsTheBase) {
  RopeScaling s;
  s.type = RopeScalingType::Dynamic;
  s.factor = 2.0;
  const RopeConfig c = config_of(128, 10000.0, s, /*max_positions=*/2048);
  // Positions up to 4095: a sequence of 4096, so base = 1e4 * (2 * 4096 / 2048 - 1)^(128 / 126).
  const double base = 10000.0 * std::pow(3.0, 64.0 / 63.0);
  const RopeFrequencies f = rope_frequencies(c, 4095);
  EXPECT_TRUE(tables_match(f.inv_freq, base_frequencies(base, 128)));
  EXPECT_EQ(f.attention_factor, 1.0);
  // One past the threshold already scales: seq 2049.
  const double base_2049 = 10000.0 * std::pow(2.0 * 2049 / 2048 - 1.0, 128.0 / 126.0);
  EXPECT_TRUE(tables_match(rope_frequencies(c, 2048).inv_freq, base_frequencies(base_2049, 128)));
}

// ---- llama3 ---------------------------------------------------------------------------

RopeConfig llama31_8b() {
  RopeScaling s;
  s.type = RopeScalingType::Llama3;
  s.factor = 8.0;
  s.low_freq_factor = 1.0;
  s.high_freq_factor = 4.0;
  s.original_max_position_embeddings = 8192;
  return config_of(/*head_dim=*/128, /*theta=*/500000.0, s, /*max_positions=*/131072);
}

TEST(RopeFrequencies, Llama31MatchesMetasScaling) {
  const RopeFrequencies f = rope_frequencies(llama31_8b(), 100000);
  EXPECT_TRUE(tables_match(f.inv_freq, llama31(500000.0, 128, 8.0, 1.0, 4.0, 8192.0)));
  EXPECT_EQ(f.attention_factor, 1.0);
}

TEST(RopeFrequencies, Llama31BandsCountedByHand) {
  // Wavelengths 2 pi 500000^(i/64): 29 pairs under 2048 tokens keep their frequency, 29 over
  // 8192 are divided by 8, and the 6 between are blended.
  const std::vector<double> f = rope_frequencies(llama31_8b(), 0).inv_freq;
  const std::vector<double> base = base_frequencies(500000.0, 128);
  int kept = 0, divided = 0, blended = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (near(f[i], base[i])) {
      ++kept;
    } else if (near(f[i], base[i] / 8.0)) {
      ++divided;
    } else {
      EXPECT_LT(f[i], base[i]) << i;
      EXPECT_GT(f[i], base[i] / 8.0) << i;
      ++blended;
    }
  }
  EXPECT_EQ(kept, 29);
  EXPECT_EQ(divided, 29);
  EXPECT_EQ(blended, 6);
}

// ---- yarn -----------------------------------------------------------------------------

RopeConfig qwen_yarn() {
  // Qwen2.5-7B-Instruct with the recommended rope_scaling: yarn, factor 4, original 32768.
  RopeScaling s;
  s.type = RopeScalingType::Yarn;
  s.factor = 4.0;
  s.original_max_position_embeddings = 32768;
  return config_of(/*head_dim=*/128, /*theta=*/1e6, s, /*max_positions=*/32768);
}

TEST(RopeFrequencies, YarnQwenMatchesTheRampFormula) {
  const RopeFrequencies f = rope_frequencies(qwen_yarn(), 131071);
  EXPECT_TRUE(tables_match(f.inv_freq, yarn(1e6, 128, 4.0, 32768.0, 32.0, 1.0)));
  EXPECT_TRUE(near(f.attention_factor, 0.1 * std::log(4.0) + 1.0));
}

TEST(RopeFrequencies, YarnQwenRampEndsWorkedOutByHand) {
  // 128 ln(32768 / 64 pi) / (2 ln 1e6) = 23.6 -> 23; 128 ln(32768 / 2 pi) / (2 ln 1e6) = 39.65 -> 40:
  // pairs 0..23 unchanged, 40..63 divided by 4, a linear blend between.
  const std::vector<double> f = rope_frequencies(qwen_yarn(), 0).inv_freq;
  const std::vector<double> base = base_frequencies(1e6, 128);
  for (std::size_t i = 0; i <= 23; ++i) EXPECT_TRUE(near(f[i], base[i])) << i;
  for (std::size_t i = 40; i < 64; ++i) EXPECT_TRUE(near(f[i], base[i] / 4.0)) << i;
  const double t = (30.0 - 23.0) / 17.0;
  EXPECT_TRUE(near(f[30], base[30] * (1 - t) + base[30] / 4.0 * t));
}

TEST(RopeFrequencies, YarnWithoutTruncationKeepsTheFractionalRange) {
  RopeConfig c = qwen_yarn();
  c.scaling.truncate = false;
  const std::vector<double> f = rope_frequencies(c, 0).inv_freq;
  EXPECT_TRUE(tables_match(f, yarn(1e6, 128, 4.0, 32768.0, 32.0, 1.0, /*truncate=*/false)));
  EXPECT_FALSE(tables_match(f, yarn(1e6, 128, 4.0, 32768.0, 32.0, 1.0, /*truncate=*/true)));
}

TEST(RopeFrequencies, YarnExplicitAttentionFactorWins) {
  RopeConfig c = qwen_yarn();
  c.scaling.attention_factor = 0.875;
  c.scaling.mscale = 1.0;
  c.scaling.mscale_all_dim = 0.5;
  EXPECT_EQ(rope_frequencies(c, 0).attention_factor, 0.875);
}

TEST(RopeFrequencies, YarnDefaultsToTheConfigsMaxPositionsAsOriginal) {
  RopeConfig c = qwen_yarn();
  c.scaling.original_max_position_embeddings.reset();
  c.max_position_embeddings = 8192;
  EXPECT_TRUE(tables_match(rope_frequencies(c, 0).inv_freq, yarn(1e6, 128, 4.0, 8192.0, 32.0, 1.0)));
}

RopeConfig deepseek_v2(double mscale, double mscale_all_dim) {
  RopeScaling s;
  s.type = RopeScalingType::Yarn;
  s.factor = 40.0;
  s.original_max_position_embeddings = 4096;
  s.beta_fast = 32.0;
  s.beta_slow = 1.0;
  s.mscale = mscale;
  s.mscale_all_dim = mscale_all_dim;
  RopeConfig c = config_of(/*head_dim=*/64, /*theta=*/10000.0, s, /*max_positions=*/163840);
  c.layout = RopeLayout::Interleaved;
  return c;
}

TEST(RopeFrequencies, YarnDeepSeekV2EqualMscalesGiveAttentionFactorOne) {
  const RopeFrequencies f = rope_frequencies(deepseek_v2(0.707, 0.707), 163839);
  EXPECT_TRUE(tables_match(f.inv_freq, yarn(10000.0, 64, 40.0, 4096.0, 32.0, 1.0)));
  EXPECT_EQ(f.attention_factor, 1.0);
  // Ramp from pair floor(10.47) = 10 to ceil(22.51) = 23, worked out by hand.
  const std::vector<double> base = base_frequencies(10000.0, 64);
  EXPECT_TRUE(near(f.inv_freq[10], base[10]));
  EXPECT_TRUE(near(f.inv_freq[23], base[23] / 40.0));
}

TEST(RopeFrequencies, YarnDeepSeekUnequalMscalesGiveTheirRatio) {
  const RopeFrequencies f = rope_frequencies(deepseek_v2(1.0, 0.707), 0);
  EXPECT_TRUE(near(f.attention_factor, yarn_mscale(40.0, 1.0) / yarn_mscale(40.0, 0.707)));
  EXPECT_TRUE(near(f.attention_factor, 1.0857263992561355));  // by hand: 1.36889 / 1.26080
}

TEST(RopeFrequencies, YarnZeroMscaleFallsBackToTheFactorAlone) {
  // transformers tests `mscale and mscale_all_dim` for truth.
  EXPECT_TRUE(near(rope_frequencies(deepseek_v2(0.0, 0.707), 0).attention_factor, yarn_mscale(40.0, 1.0)));
}

TEST(RopeFrequencies, YarnFactorAtMostOneHasNoTemperature) {
  RopeConfig c = qwen_yarn();
  c.scaling.factor = 1.0;
  EXPECT_EQ(rope_frequencies(c, 0).attention_factor, 1.0);
}

// ---- longrope -------------------------------------------------------------------------

RopeConfig phi3_mini_128k() {
  RopeScaling s;
  s.type = RopeScalingType::LongRope;
  s.factor = 131072.0 / 4096.0;  // what from_hf_config derives for Phi-3
  s.original_max_position_embeddings = 4096;
  s.short_factor = phi3_short();
  s.long_factor = phi3_long();
  return config_of(/*head_dim=*/96, /*theta=*/10000.0, s, /*max_positions=*/131072);
}

TEST(RopeFrequencies, LongRopeShortTableWithinTheOriginalContext) {
  // Positions 0..4095: a sequence of 4096, not longer than the original.
  const RopeFrequencies f = rope_frequencies(phi3_mini_128k(), 4095);
  EXPECT_TRUE(tables_match(f.inv_freq, longrope(10000.0, 96, phi3_short())));
  // sqrt(1 + ln 32 / ln 4096) = sqrt(1 + 5/12), applied whatever the table.
  EXPECT_TRUE(near(f.attention_factor, std::sqrt(17.0 / 12.0)));
}

TEST(RopeFrequencies, LongRopeLongTableBeyondTheOriginalContext) {
  const RopeFrequencies f = rope_frequencies(phi3_mini_128k(), 4096);
  EXPECT_TRUE(tables_match(f.inv_freq, longrope(10000.0, 96, phi3_long())));
  EXPECT_TRUE(near(f.attention_factor, std::sqrt(17.0 / 12.0)));
  EXPECT_TRUE(tables_match(rope_frequencies(phi3_mini_128k(), 131071).inv_freq, longrope(10000.0, 96, phi3_long())));
}

TEST(RopeFrequencies, LongRopeAttentionFactorOverridesAndFactorOneDisables) {
  RopeConfig c = phi3_mini_128k();
  c.scaling.attention_factor = 1.25;
  EXPECT_EQ(rope_frequencies(c, 0).attention_factor, 1.25);
  c.scaling.attention_factor.reset();
  c.scaling.factor = 1.0;
  EXPECT_EQ(rope_frequencies(c, 0).attention_factor, 1.0);
}

// ---- arguments and names --------------------------------------------------------------

TEST(RopeFrequencies, RejectsNegativePositionAndInvalidConfig) {
  try {
    rope_frequencies(config_of(128, 10000.0), -1);
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  }
  EXPECT_THROW(rope_frequencies(config_of(127, 10000.0), 0), Error);
}

TEST(RopeFrequencies, NamesMatchTransformers) {
  EXPECT_EQ(to_string(RopeScalingType::Default), "default");
  EXPECT_EQ(to_string(RopeScalingType::Linear), "linear");
  EXPECT_EQ(to_string(RopeScalingType::Dynamic), "dynamic");
  EXPECT_EQ(to_string(RopeScalingType::Yarn), "yarn");
  EXPECT_EQ(to_string(RopeScalingType::Llama3), "llama3");
  EXPECT_EQ(to_string(RopeScalingType::LongRope), "longrope");
  EXPECT_EQ(to_string(RopeLayout::Neox), "neox");
  EXPECT_EQ(to_string(RopeLayout::Interleaved), "interleaved");
}

}  // namespace
}  // namespace vkrope
