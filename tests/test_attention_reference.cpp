// The attention CPU reference and the ALiBi slopes. The reference is compared with a second,
// deliberately naive attention written here (the full score matrix, -inf masking, a softmax per
// row) on fresh random inputs (the seed is printed; set VKROPE_TEST_SEED to replay), then
// checked against cases small enough to work out by hand and against properties any
// attention must have. Both implementations are double precision and do the same arithmetic
// per logit, so they agree to 1e-12 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support/device_matrix.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/error.hpp"
#include "vkrope/reference.hpp"

namespace vkrope {
namespace {

// ============================================================================================
// ALiBi slopes as the paper's recipe states them, written independently of alibi.cpp: for a
// power of two n, start = 2^(-2^-(log2(n) - 3)) and slope i = start * start^i; otherwise the
// slopes of the nearest lower power of two m, then every other slope of 2m, n - m of them.
// ============================================================================================

std::vector<double> recipe_slopes(std::int64_t n) {
  const double log2n = std::log2(static_cast<double>(n));
  if (log2n == std::floor(log2n)) {
    const double start = std::pow(2.0, -std::pow(2.0, -(log2n - 3.0)));
    std::vector<double> slopes;
    for (std::int64_t i = 0; i < n; ++i) slopes.push_back(start * std::pow(start, static_cast<double>(i)));
    return slopes;
  }
  const auto closest = static_cast<std::int64_t>(std::pow(2.0, std::floor(log2n)));
  std::vector<double> slopes = recipe_slopes(closest);
  const std::vector<double> doubled = recipe_slopes(2 * closest);
  for (std::size_t i = 0; i < doubled.size() && static_cast<std::int64_t>(slopes.size()) < n; i += 2) {
    slopes.push_back(doubled[i]);
  }
  return slopes;
}

void expect_slopes_near(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], 1e-14 * expected[i]) << "slope " << i;
  }
}

TEST(AlibiSlopes, EightHeadsArePowersOfTwo) {
  const std::vector<double> slopes = alibi_slopes(8);
  ASSERT_EQ(slopes.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(slopes[i], std::ldexp(1.0, -static_cast<int>(i + 1))) << i;
}

TEST(AlibiSlopes, MatchThePublishedRecipe) {
  for (const std::int64_t n : {1, 2, 4, 6, 12, 16, 20, 32, 40, 64}) {
    SCOPED_TRACE("heads = " + std::to_string(n));
    expect_slopes_near(alibi_slopes(n), recipe_slopes(n));
  }
}

TEST(AlibiSlopes, NonPowerOfTwoCountsWrittenOut) {
  // 6 heads: the 4 slopes of 4 heads (2^-2, 2^-4, 2^-6, 2^-8), then slopes 0 and 2 of 8 heads.
  expect_slopes_near(alibi_slopes(6), {0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125});
  // 1 head: 2^-8.
  expect_slopes_near(alibi_slopes(1), {std::ldexp(1.0, -8)});
  // 12 heads: the 8 of 8 heads (2^-1 .. 2^-8), then 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5 of 16.
  std::vector<double> twelve;
  for (int i = 1; i <= 8; ++i) twelve.push_back(std::ldexp(1.0, -i));
  for (const double e : {0.5, 1.5, 2.5, 3.5}) twelve.push_back(std::pow(2.0, -e));
  expect_slopes_near(alibi_slopes(12), twelve);
}

TEST(AlibiSlopes, PowerOfTwoCountsAreDecreasingAndPositive) {
  // Only power-of-two counts are monotone: the interleaved extra heads of other counts start
  // above the last slope of the lower power of two, by design.
  for (const std::int64_t n : {1, 2, 4, 8, 16, 32, 64, 128}) {
    const std::vector<double> slopes = alibi_slopes(n);
    for (std::size_t i = 0; i < slopes.size(); ++i) {
      EXPECT_GT(slopes[i], 0.0) << "n " << n << " slope " << i;
      EXPECT_LE(slopes[i], 1.0) << "n " << n << " slope " << i;
      if (i > 0) {
        EXPECT_LT(slopes[i], slopes[i - 1]) << "n " << n << " slope " << i;
      }
    }
  }
  // Any count: positive and all distinct (the extra heads fall between the others).
  for (const std::int64_t n : {3, 5, 6, 7, 12, 24, 40, 96}) {
    std::vector<double> slopes = alibi_slopes(n);
    for (const double s : slopes) EXPECT_GT(s, 0.0) << "n " << n;
    std::sort(slopes.begin(), slopes.end());
    EXPECT_EQ(std::adjacent_find(slopes.begin(), slopes.end()), slopes.end()) << "n " << n;
  }
}

TEST(AlibiSlopes, RejectsNonPositiveHeadCounts) {
  for (const std::int64_t n : {0, -3}) {
    try {
      alibi_slopes(n);
      ADD_FAILURE() << "no error for heads = " << n;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find(std::to_string(n)), std::string::npos) << e.what();
    }
  }
}

// ============================================================================================
// The naive attention: expand k and v to every query head, materialise each head's score
// matrix with one extra column for the sink, write -inf where a key is masked, then a softmax
// per row (the row maximum subtracted, as any usable softmax does) and a matrix product.
// ============================================================================================

struct Shape {
  std::int64_t batch = 1, sq = 1, skv = 1, heads = 1, kv_heads = 1, head_dim = 8;
  std::size_t q_size() const { return static_cast<std::size_t>(batch * sq * heads * head_dim); }
  std::size_t kv_size() const { return static_cast<std::size_t>(batch * skv * kv_heads * head_dim); }
};

std::vector<double> naive_attention(const std::vector<double>& q, const std::vector<double>& k,
                                    const std::vector<double>& v, const Shape& s, const AttentionConfig& c) {
  EXPECT_FALSE(c.rope) << "the naive attention has no fused RoPE: rotate first";
  const auto B = static_cast<std::size_t>(s.batch), Sq = static_cast<std::size_t>(s.sq),
             Skv = static_cast<std::size_t>(s.skv), H = static_cast<std::size_t>(s.heads),
             Hkv = static_cast<std::size_t>(s.kv_heads), D = static_cast<std::size_t>(s.head_dim);
  const double inf = std::numeric_limits<double>::infinity();

  std::vector<double> pq(Sq), pk(Skv);
  for (std::size_t i = 0; i < Sq; ++i) {
    pq[i] = c.query_positions.empty() ? static_cast<double>(s.skv - s.sq) + static_cast<double>(i)
                                      : static_cast<double>(c.query_positions[i]);
  }
  for (std::size_t j = 0; j < Skv; ++j) {
    pk[j] = c.key_positions.empty() ? static_cast<double>(j) : static_cast<double>(c.key_positions[j]);
  }

  // repeat_interleave over heads: query head h reads kv head h / (H / Hkv).
  std::vector<double> ke(B * Skv * H * D), ve(B * Skv * H * D);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t j = 0; j < Skv; ++j)
      for (std::size_t h = 0; h < H; ++h)
        for (std::size_t d = 0; d < D; ++d) {
          const std::size_t src = ((b * Skv + j) * Hkv + h / (H / Hkv)) * D + d;
          ke[((b * Skv + j) * H + h) * D + d] = k[src];
          ve[((b * Skv + j) * H + h) * D + d] = v[src];
        }

  const double scale = c.scale ? *c.scale : 1.0 / std::sqrt(static_cast<double>(D));
  const std::vector<double> slopes = recipe_slopes(s.heads);
  std::vector<double> out(B * Sq * H * D, 0.0);
  std::vector<double> scores(Sq * (Skv + 1));
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t h = 0; h < H; ++h) {
      for (std::size_t i = 0; i < Sq; ++i) {
        for (std::size_t j = 0; j < Skv; ++j) {
          double x = 0.0;
          for (std::size_t d = 0; d < D; ++d) {
            x += q[((b * Sq + i) * H + h) * D + d] * ke[((b * Skv + j) * H + h) * D + d];
          }
          x *= scale;
          if (c.softcap > 0.0) x = c.softcap * std::tanh(x / c.softcap);
          if (c.alibi) x -= slopes[h] * std::abs(pq[i] - pk[j]);
          bool masked = c.causal && pk[j] > pq[i];
          if (c.window) {
            const auto w = static_cast<double>(*c.window);
            masked = masked || pq[i] - pk[j] >= w || pk[j] - pq[i] >= w;  // symmetric window
          }
          scores[i * (Skv + 1) + j] = masked ? -inf : x;
        }
        scores[i * (Skv + 1) + Skv] = c.sinks.empty() ? -inf : static_cast<double>(c.sinks[h]);
      }
      for (std::size_t i = 0; i < Sq; ++i) {
        double* row = &scores[i * (Skv + 1)];
        const double m = *std::max_element(row, row + Skv + 1);
        if (m == -inf) continue;  // nothing to attend to: zeros
        double sum = 0.0;
        for (std::size_t j = 0; j <= Skv; ++j) sum += (row[j] = std::exp(row[j] - m));
        for (std::size_t j = 0; j < Skv; ++j)  // the sink's column has no value row
          for (std::size_t d = 0; d < D; ++d)
            out[((b * Sq + i) * H + h) * D + d] += row[j] / sum * ve[((b * Skv + j) * H + h) * D + d];
      }
    }
  }
  return out;
}

// max |actual - expected| / max |expected|: relative to the output's scale, so that outputs
// near zero (cancelling weighted sums) do not demand more than double precision holds.
double relative_error(const std::vector<double>& actual, const std::vector<double>& expected) {
  EXPECT_EQ(actual.size(), expected.size());
  double error = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    if (!std::isfinite(actual[i])) return std::numeric_limits<double>::infinity();
    error = std::max(error, std::abs(actual[i] - expected[i]));
    norm = std::max(norm, std::abs(expected[i]));
  }
  return norm > 0.0 ? error / norm : error;
}

constexpr double kTolerance = 1e-12;

class AttentionReference : public testing::Test {
 protected:
  void SetUp() override {
    seed_ = test::fresh_seed();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
    std::printf("seed %u (replay with VKROPE_TEST_SEED=%u)\n", seed_, seed_);
  }

  std::vector<double> random_values(std::size_t n, double lo = -1.0, double hi = 1.0) {
    std::uniform_real_distribution<double> value(lo, hi);
    std::vector<double> out(n);
    for (double& x : out) x = value(rng_);
    return out;
  }

  std::vector<std::int64_t> random_positions(std::int64_t n, std::int64_t max) {
    std::uniform_int_distribution<std::int64_t> position(0, max);
    std::vector<std::int64_t> out(static_cast<std::size_t>(n));
    for (auto& p : out) p = position(rng_);
    return out;
  }

  std::vector<float> random_sinks(std::int64_t heads) {
    std::uniform_real_distribution<float> value(-2.0f, 2.0f);
    std::vector<float> out(static_cast<std::size_t>(heads));
    for (float& x : out) x = value(rng_);
    return out;
  }

  // The reference against the naive attention on random q, k, v. Returns the reference's
  // output so a caller can check more.
  std::vector<double> compare_with_naive(const Shape& s, const AttentionConfig& c) {
    const auto q = random_values(s.q_size()), k = random_values(s.kv_size()), v = random_values(s.kv_size());
    const auto actual = reference::attention(q, k, v, s.batch, s.sq, s.skv, s.heads, s.kv_heads, s.head_dim, c);
    const auto expected = naive_attention(q, k, v, s, c);
    EXPECT_LE(relative_error(actual, expected), kTolerance)
        << "batch " << s.batch << " sq " << s.sq << " skv " << s.skv << " heads " << s.heads << "/" << s.kv_heads
        << " head_dim " << s.head_dim << " seed " << seed_;
    return actual;
  }

  std::uint32_t seed_ = 0;
  std::mt19937 rng_;
};

std::vector<double> call(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
                         const Shape& s, const AttentionConfig& c) {
  return reference::attention(q, k, v, s.batch, s.sq, s.skv, s.heads, s.kv_heads, s.head_dim, c);
}

// ============================================================================================
// Against the naive attention, one option at a time and then together.
// ============================================================================================

TEST_F(AttentionReference, Plain) {
  compare_with_naive({/*batch=*/2, /*sq=*/7, /*skv=*/11, /*heads=*/3, /*kv_heads=*/3, /*head_dim=*/16}, {});
  AttentionConfig scaled;
  scaled.scale = 0.37;
  compare_with_naive({1, 5, 5, 2, 2, 8}, scaled);
}

TEST_F(AttentionReference, CausalBottomRightAligned) {
  AttentionConfig c;
  c.causal = true;
  compare_with_naive({/*batch=*/2, /*sq=*/5, /*skv=*/13, /*heads=*/2, /*kv_heads=*/2, /*head_dim=*/8}, c);
  compare_with_naive({1, 9, 9, 2, 2, 8}, c);
  compare_with_naive({1, 1, 17, 2, 2, 8}, c);  // decode
}

TEST_F(AttentionReference, Window) {
  for (const bool causal : {true, false}) {
    for (const std::int64_t window : {1, 3, 8, 100}) {
      AttentionConfig c;
      c.causal = causal;
      c.window = window;
      SCOPED_TRACE("causal " + std::to_string(causal) + " window " + std::to_string(window));
      compare_with_naive({/*batch=*/1, /*sq=*/6, /*skv=*/14, /*heads=*/2, /*kv_heads=*/2, /*head_dim=*/8}, c);
      compare_with_naive({2, 10, 10, 1, 1, 4}, c);
    }
  }
}

TEST_F(AttentionReference, AlibiSixHeads) {
  AttentionConfig c;
  c.alibi = true;
  compare_with_naive({/*batch=*/1, /*sq=*/9, /*skv=*/12, /*heads=*/6, /*kv_heads=*/6, /*head_dim=*/8}, c);
  c.causal = true;
  compare_with_naive({2, 9, 12, 6, 6, 8}, c);
}

TEST_F(AttentionReference, Softcap) {
  AttentionConfig c;
  c.softcap = 0.5;  // small enough that tanh saturates for many logits
  c.scale = 2.0;
  compare_with_naive({/*batch=*/1, /*sq=*/8, /*skv=*/8, /*heads=*/2, /*kv_heads=*/2, /*head_dim=*/16}, c);
  c.softcap = 30.0;  // Gemma 2's value: nearly linear here
  c.causal = true;
  compare_with_naive({1, 8, 8, 2, 2, 16}, c);
}

TEST_F(AttentionReference, Sinks) {
  AttentionConfig c;
  c.sinks = random_sinks(4);
  compare_with_naive({/*batch=*/2, /*sq=*/6, /*skv=*/9, /*heads=*/4, /*kv_heads=*/4, /*head_dim=*/8}, c);
  c.causal = true;
  c.window = 4;
  compare_with_naive({2, 6, 9, 4, 4, 8}, c);
}

TEST_F(AttentionReference, GroupedAndMultiQuery) {
  AttentionConfig c;
  c.causal = true;
  compare_with_naive({/*batch=*/2, /*sq=*/5, /*skv=*/7, /*heads=*/8, /*kv_heads=*/2, /*head_dim=*/8}, c);  // GQA
  compare_with_naive({2, 5, 7, 8, 1, 8}, c);                                                                // MQA
}

TEST_F(AttentionReference, ExplicitPositions) {
  AttentionConfig c;
  c.causal = true;
  c.window = 6;
  c.alibi = true;
  c.query_positions = random_positions(7, 20);  // unsorted, repeats allowed
  c.key_positions = random_positions(10, 20);
  compare_with_naive({/*batch=*/2, /*sq=*/7, /*skv=*/10, /*heads=*/4, /*kv_heads=*/2, /*head_dim=*/8}, c);
  c.causal = false;
  compare_with_naive({2, 7, 10, 4, 2, 8}, c);
}

TEST_F(AttentionReference, EverythingAtOnce) {
  AttentionConfig c;
  c.causal = true;
  c.window = 5;
  c.alibi = true;
  c.softcap = 3.0;
  c.scale = 0.6;
  c.sinks = random_sinks(6);
  compare_with_naive({/*batch=*/3, /*sq=*/4, /*skv=*/15, /*heads=*/6, /*kv_heads=*/3, /*head_dim=*/12}, c);
}

// Fused RoPE equals rotating q and k first (at their positions, with one table taken at the
// largest position of either) and attending without it; v stays as it is. Dynamic NTK makes
// the table depend on the largest position, so a table from q's positions alone would differ.
TEST_F(AttentionReference, FusedRopeEqualsRotatingFirst) {
  RopeConfig rope;
  rope.head_dim = 16;
  rope.scaling.type = RopeScalingType::Dynamic;
  rope.scaling.factor = 2.0;
  rope.max_position_embeddings = 16;
  const Shape s{/*batch=*/2, /*sq=*/5, /*skv=*/9, /*heads=*/4, /*kv_heads=*/2, /*head_dim=*/16};
  const auto q = random_values(s.q_size()), k = random_values(s.kv_size()), v = random_values(s.kv_size());

  for (const bool explicit_positions : {false, true}) {
    SCOPED_TRACE(explicit_positions ? "explicit positions" : "default positions");
    AttentionConfig c;
    c.causal = !explicit_positions;
    c.alibi = explicit_positions;
    std::vector<std::int64_t> qpos = {4, 5, 6, 7, 8}, kpos = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    if (explicit_positions) {
      qpos = {20, 3, 11, 19, 0};  // all below key max 40, both above the trained 16
      kpos = {40, 2, 17, 25, 9, 30, 1, 33, 12};
      c.query_positions = qpos;
      c.key_positions = kpos;
    }
    const auto per_token = [&](const std::vector<std::int64_t>& p) {
      std::vector<std::int64_t> out;
      for (std::int64_t b = 0; b < s.batch; ++b) out.insert(out.end(), p.begin(), p.end());
      return out;
    };
    const std::int64_t max_position =
        std::max(*std::max_element(qpos.begin(), qpos.end()), *std::max_element(kpos.begin(), kpos.end()));
    const RopeFrequencies shared = rope_frequencies(rope, max_position);
    const auto qr = reference::rope(q, s.batch, s.sq, s.heads, rope, shared, per_token(qpos));
    const auto kr = reference::rope(k, s.batch, s.skv, s.kv_heads, rope, shared, per_token(kpos));

    const auto expected = call(qr, kr, v, s, c);
    EXPECT_LE(relative_error(expected, naive_attention(qr, kr, v, s, c)), kTolerance) << "seed " << seed_;
    AttentionConfig fused = c;
    fused.rope = rope;
    const auto actual = call(q, k, v, s, fused);
    EXPECT_LE(relative_error(actual, expected), kTolerance) << "seed " << seed_;

    if (explicit_positions) {
      // The test can tell: q rotated by a table of its own largest position attends differently.
      const auto own = reference::rope(q, s.batch, s.sq, s.heads, rope, per_token(qpos));
      EXPECT_GT(relative_error(call(own, kr, v, s, c), expected), 1e-6);
    }
  }
}

// ============================================================================================
// Cases worked out by hand, so that an option both implementations ignored would still show.
// ============================================================================================

TEST_F(AttentionReference, HandWorkedCases) {
  const Shape one{/*batch=*/1, /*sq=*/2, /*skv=*/2, /*heads=*/1, /*kv_heads=*/1, /*head_dim=*/1};
  const std::vector<double> zero_q = {0.0, 0.0}, k = {1.0, 1.0}, v = {3.0, 5.0};

  // q = 0: uniform weights without options.
  EXPECT_DOUBLE_EQ(call(zero_q, k, v, one, {})[0], 4.0);
  // Causal, bottom-right: query 0 (position 0) sees key 0 only; query 1 sees both.
  AttentionConfig causal;
  causal.causal = true;
  auto out = call(zero_q, k, v, one, causal);
  EXPECT_DOUBLE_EQ(out[0], 3.0);
  EXPECT_DOUBLE_EQ(out[1], 4.0);
  // Window 1 without causal: each query sees only its own position.
  AttentionConfig window;
  window.window = 1;
  out = call(zero_q, k, v, one, window);
  EXPECT_DOUBLE_EQ(out[0], 3.0);
  EXPECT_DOUBLE_EQ(out[1], 5.0);
  // ALiBi, 1 head (slope 2^-8): query 1 weighs key 0 (distance 1) by e^-slope against 1.
  AttentionConfig alibi;
  alibi.alibi = true;
  const double w = std::exp(-std::ldexp(1.0, -8));
  EXPECT_NEAR(call(zero_q, k, v, one, alibi)[1], (3.0 * w + 5.0) / (w + 1.0), 1e-15);
  // Sink z, one visible key (causal query 0) with logit 0: weight 1 / (1 + e^z).
  AttentionConfig sink = causal;
  sink.sinks = {0.7f};
  EXPECT_NEAR(call(zero_q, k, v, one, sink)[0], 3.0 / (1.0 + std::exp(double{0.7f})), 1e-15);
  // Softcap c: logits q.k * scale = 4 and -4 become c tanh(+-4 / c).
  AttentionConfig cap;
  cap.softcap = 2.0;
  cap.scale = 1.0;
  const std::vector<double> q1 = {2.0, 2.0}, k2 = {2.0, -2.0};
  const double a = 2.0 * std::tanh(2.0), b = -a;
  EXPECT_NEAR(call(q1, k2, v, one, cap)[0], (3.0 * std::exp(a) + 5.0 * std::exp(b)) / (std::exp(a) + std::exp(b)),
              1e-14);
  // Default scale 1 / sqrt(head_dim): head_dim 4, q.k = 4 -> logit 2 against 0.
  const Shape d4{1, 1, 2, 1, 1, 4};
  const std::vector<double> q4 = {1, 1, 1, 1}, k4 = {1, 1, 1, 1, 0, 0, 0, 0}, v4 = {1, 1, 1, 1, 0, 0, 0, 0};
  EXPECT_NEAR(call(q4, k4, v4, d4, {})[0], std::exp(2.0) / (std::exp(2.0) + 1.0), 1e-15);
}

TEST_F(AttentionReference, QueryHeadsShareKvHeadsInOrder) {
  // 4 query heads over 2 kv heads: heads 0, 1 read kv head 0 and heads 2, 3 read kv head 1.
  const Shape s{/*batch=*/1, /*sq=*/1, /*skv=*/2, /*heads=*/4, /*kv_heads=*/2, /*head_dim=*/1};
  const std::vector<double> q(4, 0.0), k(4, 0.0), v = {1.0, 10.0, 3.0, 30.0};  // [skv][kv_heads]
  const auto out = call(q, k, v, s, {});
  EXPECT_DOUBLE_EQ(out[0], 2.0);
  EXPECT_DOUBLE_EQ(out[1], 2.0);
  EXPECT_DOUBLE_EQ(out[2], 20.0);
  EXPECT_DOUBLE_EQ(out[3], 20.0);
}

// ============================================================================================
// Properties.
// ============================================================================================

TEST_F(AttentionReference, FullyMaskedRowsGiveZeros) {
  // Window 1 sees equal positions only: query 0 at position 0 has no key there.
  const Shape s{/*batch=*/1, /*sq=*/2, /*skv=*/2, /*heads=*/2, /*kv_heads=*/1, /*head_dim=*/4};
  const auto q = random_values(s.q_size()), k = random_values(s.kv_size()), v = random_values(s.kv_size());
  for (const bool sinks : {false, true}) {
    SCOPED_TRACE(sinks ? "with sinks" : "without sinks");
    AttentionConfig c;
    c.window = 1;
    c.query_positions = {0, 5};
    c.key_positions = {5, 6};
    if (sinks) c.sinks = {1.5f, -20.0f};
    const auto out = call(q, k, v, s, c);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(out[i], 0.0) << i;  // query 0, both heads
    // Query 1 sees key 0 alone: v's row, times the share the sink leaves it.
    const double logit = q[8] * k[0] + q[9] * k[1] + q[10] * k[2] + q[11] * k[3];
    const double share = sinks ? 1.0 / (1.0 + std::exp(1.5 - logit / 2.0)) : 1.0;
    for (std::size_t d = 0; d < 4; ++d) EXPECT_NEAR(out[8 + d], share * v[d], 1e-15) << d;
    EXPECT_LE(relative_error(out, naive_attention(q, k, v, s, c)), kTolerance);
  }
}

TEST_F(AttentionReference, LargeLogitsStayFinite) {
  // q.k up to ~800 times scale 100: logits near 1e4 to 1e5, where exp overflows without the
  // row maximum subtracted.
  const Shape s{/*batch=*/1, /*sq=*/6, /*skv=*/10, /*heads=*/2, /*kv_heads=*/2, /*head_dim=*/8};
  const auto q = random_values(s.q_size(), -10.0, 10.0), k = random_values(s.kv_size(), -10.0, 10.0);
  const auto v = random_values(s.kv_size());
  AttentionConfig c;
  c.scale = 100.0;
  for (const bool sinks : {false, true}) {
    if (sinks) c.sinks = {1e4f, -1e4f};
    const auto out = call(q, k, v, s, c);
    for (const double x : out) ASSERT_TRUE(std::isfinite(x));
    EXPECT_LE(relative_error(out, naive_attention(q, k, v, s, c)), kTolerance) << "seed " << seed_;
  }
}

TEST_F(AttentionReference, OutputsAreConvexCombinationsOfValues) {
  const Shape s{/*batch=*/2, /*sq=*/7, /*skv=*/11, /*heads=*/6, /*kv_heads=*/3, /*head_dim=*/8};
  AttentionConfig c;
  c.causal = true;
  c.window = 4;
  c.alibi = true;
  c.softcap = 5.0;
  const auto q = random_values(s.q_size(), -3.0, 3.0), k = random_values(s.kv_size(), -3.0, 3.0);
  const auto v = random_values(s.kv_size());
  const auto out = call(q, k, v, s, c);
  const auto D = static_cast<std::size_t>(s.head_dim);
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t i = 0; i < 7; ++i)
      for (std::size_t h = 0; h < 6; ++h)
        for (std::size_t d = 0; d < D; ++d) {
          double lo = std::numeric_limits<double>::infinity(), hi = -lo;
          for (std::size_t j = 0; j < 11; ++j) {
            const double x = v[((b * 11 + j) * 3 + h / 2) * D + d];
            lo = std::min(lo, x);
            hi = std::max(hi, x);
          }
          const double o = out[((b * 7 + i) * 6 + h) * D + d];
          EXPECT_GE(o, lo - 1e-12);
          EXPECT_LE(o, hi + 1e-12);
        }
}

TEST_F(AttentionReference, SinksOnlyShrinkTheWeights) {
  const Shape s{/*batch=*/1, /*sq=*/5, /*skv=*/8, /*heads=*/4, /*kv_heads=*/2, /*head_dim=*/8};
  const auto q = random_values(s.q_size()), k = random_values(s.kv_size());
  const auto v = random_values(s.kv_size(), 0.0, 1.0);  // nonnegative
  AttentionConfig c;
  c.causal = true;
  const auto without = call(q, k, v, s, c);
  c.sinks = random_sinks(4);
  const auto with = call(q, k, v, s, c);
  const auto D = static_cast<std::size_t>(s.head_dim);
  for (std::size_t row = 0; row < without.size() / D; ++row) {
    double n_with = 0.0, n_without = 0.0;
    for (std::size_t d = 0; d < D; ++d) {
      n_with += with[row * D + d] * with[row * D + d];
      n_without += without[row * D + d] * without[row * D + d];
      EXPECT_LE(with[row * D + d], without[row * D + d] * (1.0 + 1e-12)) << "row " << row << " dim " << d;
    }
    EXPECT_LE(n_with, n_without * (1.0 + 1e-12)) << "row " << row;
    EXPECT_GT(n_without - n_with, 0.0) << "row " << row << ": a finite sink takes some weight";
  }
}

// ============================================================================================
// Bad input.
// ============================================================================================

void expect_invalid(const Shape& s, const AttentionConfig& c, const std::string& mentions) {
  const std::vector<double> q(s.q_size()), kv(s.kv_size());
  try {
    call(q, kv, kv, s, c);
    ADD_FAILURE() << "no error; expected one mentioning " << mentions;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(AttentionReferenceInput, RejectsBadInput) {
  const Shape s{/*batch=*/1, /*sq=*/3, /*skv=*/4, /*heads=*/4, /*kv_heads=*/2, /*head_dim=*/4};
  AttentionConfig c;
  c.query_positions = {0, 1};  // sq is 3
  c.key_positions = {0, 1, 2, 3};
  expect_invalid(s, c, "query_positions");
  c.query_positions = {0, 1, 2};
  c.key_positions = {0, 1, 2};  // skv is 4
  expect_invalid(s, c, "key_positions");

  AttentionConfig sinks;
  sinks.sinks = {0.0f, 0.0f};
  expect_invalid(s, sinks, "sinks");
  AttentionConfig window;
  window.window = 0;
  expect_invalid(s, window, "window");
  AttentionConfig scale;
  scale.scale = std::numeric_limits<double>::infinity();
  expect_invalid(s, scale, "scale");
  AttentionConfig softcap;
  softcap.softcap = std::numeric_limits<double>::quiet_NaN();
  expect_invalid(s, softcap, "softcap");
  expect_invalid({1, 3, 4, 3, 2, 4}, {}, "multiple");
}

}  // namespace
}  // namespace vkrope
