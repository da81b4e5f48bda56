// The sliding-window ring of KvCache (window, sink tokens, StreamingLLM's cache positions):
// where tokens go, and decode over 3W tokens against the double reference on every device.
#include <gtest/gtest.h>

#include <algorithm>

#include "ops/kv_ring.hpp"
#include "support/device_matrix.hpp"
#include "support/kv_steps.hpp"
#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

using detail::RingLayout;
using detail::RingRun;

bool same_runs(const std::vector<RingRun>& a, const std::vector<RingRun>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const RingRun& x, const RingRun& y) {
    return x.first_token == y.first_token && x.count == y.count && x.slot == y.slot;
  });
}

TEST(KvRing, AppendsLandInTheirSlots) {
  const RingLayout ring{2, 4};  // slots 0-1 sinks, 2-5 the window
  EXPECT_TRUE(same_runs(detail::ring_runs(ring, 0, 3), {{0, 2, 0}, {2, 1, 2}}));
  EXPECT_TRUE(same_runs(detail::ring_runs(ring, 5, 3), {{0, 1, 5}, {1, 2, 2}}));  // wraps after slot 5
  // 9 tokens at once from 1: sink 1, then only the last 4 of the window's 8 (positions 6-9).
  EXPECT_TRUE(same_runs(detail::ring_runs(ring, 1, 9), {{0, 1, 1}, {5, 4, 2}}));
  // 9 from 3: positions 8-11 survive, 8-9 in slots 4-5, then 10-11 wrap to slots 2-3.
  EXPECT_TRUE(same_runs(detail::ring_runs(ring, 3, 9), {{5, 2, 4}, {7, 2, 2}}));
  EXPECT_TRUE(same_runs(detail::ring_runs({0, 3}, 7, 1), {{0, 1, 1}}));
}

TEST(KvRing, EverySlotKnowsItsPosition) {
  const RingLayout ring{2, 4};
  EXPECT_EQ(detail::ring_positions(ring, 3), (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(detail::ring_positions(ring, 9), (std::vector<std::int64_t>{0, 1, 6, 7, 8, 5}));
  EXPECT_EQ(detail::ring_cache_positions({0, 1, 6, 7, 8, 5}), (std::vector<std::int64_t>{0, 1, 3, 4, 5, 2}));
}

using KvRingTest = DeviceTest;


// The rows `which` of a [1, S, heads, D] array (`width` = heads * D values each).
std::vector<double> rows(const std::vector<float>& x, std::int64_t width, const std::vector<std::int64_t>& which) {
  std::vector<double> out;
  for (std::int64_t r : which)
    out.insert(out.end(), x.begin() + r * width, x.begin() + (r + 1) * width);
  return out;
}

// The values a cache of `format` stores for x (the device writes the host encoder's bytes).
std::vector<float> as_stored(DType format, const std::vector<float>& x) {
  std::vector<std::byte> bytes(storage_bytes(format, x.size()));
  encode(format, x, bytes);
  std::vector<float> back(x.size());
  decode(format, bytes, back);
  return back;
}

// 3W decode steps (append one token, attend with its query) through rings with and without
// sinks, at original and at cache positions, f16 and q8_0: step t against the reference
// over the tokens held (sinks, and the last W positions), keys and queries rotated at those
// positions in double. Tolerance 1e-5: the kernel reads exactly the stored values and rotates
// them in float32.
TEST_P(KvRingTest, DecodeOverThreeWindowsMatchesTheReference) {
  const std::int64_t w = 8, h = 4, hkv = 2, d = 32, steps = 3 * w;
  RopeConfig rope;
  rope.head_dim = d;
  for (auto [sinks, cache_positions, format] :
       {std::tuple{std::int64_t{0}, false, DType::f16}, std::tuple{std::int64_t{3}, false, DType::q8_0},
        std::tuple{std::int64_t{3}, true, DType::f16}}) {
    KvCacheShape shape{1, 1, 1024, hkv, d, format};
    shape.window = w;
    shape.sink_tokens = sinks;
    shape.cache_positions = cache_positions;
    KvCache cache(context(), shape, rope);
    const auto n_q = static_cast<std::size_t>(steps * h * d), n_kv = static_cast<std::size_t>(steps * hkv * d);
    const std::vector<float> qx = random_floats(n_q), kx = random_floats(n_kv), vx = random_floats(n_kv);
    const Tensor q = Tensor::from_floats(context(), DType::f32, {1, steps, h, d}, qx);
    const Tensor k = Tensor::from_floats(context(), DType::f32, {1, steps, hkv, d}, kx);
    const Tensor v = Tensor::from_floats(context(), DType::f32, {1, steps, hkv, d}, vx);
    const Tensor out = Tensor::empty(context(), DType::f32, {1, steps, h, d});
    decode_steps(context(), cache, q, k, v, out, {});
    EXPECT_EQ(cache.keys(0).shape()[1], sinks + w) << "the ring holds sinks + window slots";
    const std::vector<float> got = out.download();
    const std::vector<float> k_stored = as_stored(format, kx), v_stored = as_stored(format, vx);
    double worst = 0.0;
    for (std::int64_t t = 0; t < steps; ++t) {
      std::vector<std::int64_t> held;
      for (std::int64_t p = 0; p <= t; ++p)
        if (p < sinks || p > t - w) held.push_back(p);
      AttentionConfig config;
      config.rope = rope;
      config.key_positions = held;
      config.query_positions = {t};
      if (cache_positions) {  // ranks in the cache
        for (std::size_t i = 0; i < held.size(); ++i) config.key_positions[i] = static_cast<std::int64_t>(i);
        config.query_positions = {static_cast<std::int64_t>(held.size()) - 1};
      }
      const std::int64_t n = static_cast<std::int64_t>(held.size());
      const std::vector<double> expected =
          reference::attention(rows(qx, h * d, {t}), rows(k_stored, hkv * d, held), rows(v_stored, hkv * d, held), 1,
                               1, n, h, hkv, d, config);
      const std::vector<float> step(got.begin() + t * h * d, got.begin() + (t + 1) * h * d);
      worst = std::max(worst, compare(step, expected).rel_err);
    }
    EXPECT_LE(worst, 1e-5) << "sinks " << sinks << (cache_positions ? " cache positions " : " original positions ")
                           << to_string(format) << " (seed " << seed() << ")";
  }
}

// One append of 2.5 windows at once keeps the sinks and the last W tokens (the ones it
// overwrites are never written), and memory is sinks + window slots at any capacity.
TEST_P(KvRingTest, LongAppendKeepsTheNewestWindow) {
  const std::int64_t w = 8, sinks = 2, hkv = 2, d = 32, t = 20;
  KvCacheShape shape{1, 1, 32768, hkv, d, DType::f32};
  shape.window = w;
  shape.sink_tokens = sinks;
  KvCache ring(context(), shape);
  KvCacheShape dense_shape{1, 1, 32768, hkv, d, DType::f32};
  EXPECT_EQ(ring.bytes_per_layer(), (sinks + w) * hkv * d * 4 * 2);
  EXPECT_EQ(ring.bytes_per_layer() * 32768, KvCache(context(), dense_shape).bytes_per_layer() * (sinks + w));
  const std::vector<float> kx = random_floats(static_cast<std::size_t>(t * hkv * d));
  const Tensor k = Tensor::from_floats(context(), DType::f32, {1, t, hkv, d}, kx);
  ring.append(0, k, k);
  const std::vector<float> held = ring.keys(0).download();
  const std::vector<std::int64_t> positions = detail::ring_positions({sinks, w}, t);
  ASSERT_EQ(positions.size(), static_cast<std::size_t>(sinks + w));
  for (std::size_t s = 0; s < positions.size(); ++s)
    for (std::int64_t e = 0; e < hkv * d; ++e)
      ASSERT_EQ(held[s * static_cast<std::size_t>(hkv * d) + static_cast<std::size_t>(e)],
                kx[static_cast<std::size_t>(positions[s] * hkv * d + e)])
          << "slot " << s << " should hold position " << positions[s];
}

TEST_P(KvRingTest, ErrorsSayWhatWasExpected) {
  const std::int64_t hkv = 2, d = 32;
  KvCacheShape shape{1, 1, 64, hkv, d, DType::f32};
  shape.window = 4;
  shape.sink_tokens = 1;
  shape.evict = false;
  KvCache ring(context(), shape);
  const auto kv = [&](std::int64_t t) {
    return Tensor::from_floats(context(), DType::f32, {1, t, hkv, d},
                               random_floats(static_cast<std::size_t>(t * hkv * d)));
  };
  ring.append(0, kv(4), kv(4));
  expect_invalid_argument([&] { ring.append(0, kv(2), kv(2)); }, "evict = true");
  EXPECT_EQ(ring.length(0), 4) << "a refused append must not count";
  const Tensor q = Tensor::from_floats(context(), DType::f32, {1, 6, 4, d}, random_floats(static_cast<std::size_t>(6 * 4 * d)));
  expect_invalid_argument([&] { ring.attend(0, {}, q, Tensor::empty(context(), DType::f32, q.shape())); }, "Sq = 6");
  KvCacheShape bad{1, 1, 64, hkv, d, DType::f32};
  bad.sink_tokens = 2;
  expect_invalid_argument([&] { KvCache c(context(), bad); }, "window >= 1");
}

INSTANTIATE_TEST_SUITE_P(Devices, KvRingTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
