// Ragged batches in KvCache: sequences at different lengths in one cache, decoded together
// by one attend() call, against the same tokens decoded sequence by sequence, with every
// flash kernel forced, on every device.
#include <gtest/gtest.h>

#include "ops/attention_variants.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"

namespace vkrope::test {
namespace {

using KvRaggedTest = DeviceTest;

// Three conversations with prompts of 5, 17 and 9 tokens (append_sequence each), then 6
// steps that append one token to every sequence and attend with its query (Sq = 1) and,
// every other step, with its last 2 queries (Sq = 2): each sequence's output equals what a
// cache of that one sequence gives for the same tokens (1e-5 relative: the same float32
// arithmetic over the same stored values, cut into other workgroups). f32 and q8_0 caches;
// the decode, team and rows kernels forced in turn (rows_texel where the device has it).
TEST_P(KvRaggedTest, RaggedBatchMatchesPerSequenceCaches) {
  struct Reset {
    ~Reset() { detail::force_flash_variant(std::nullopt); }
  } reset;
  const std::int64_t batch = 3, h = 4, hkv = 2, d = 32, capacity = 40;
  const std::int64_t prompts[batch] = {5, 17, 9};
  RopeConfig rope;
  rope.head_dim = d;
  const auto random_tensor = [&](std::int64_t b, std::int64_t t, std::int64_t heads) {
    return Tensor::from_floats(context(), DType::f32, {b, t, heads, d},
                               random_floats(static_cast<std::size_t>(b * t * heads * d)));
  };
  for (auto [variant, format] : {std::pair{detail::FlashVariant::Decode, DType::f32},
                                 std::pair{detail::FlashVariant::Team, DType::q8_0},
                                 std::pair{detail::FlashVariant::Rows, DType::f32},
                                 std::pair{detail::FlashVariant::RowsTexel, DType::q8_0}}) {
    detail::force_flash_variant(variant);
    KvCache ragged(context(), {1, batch, capacity, hkv, d, format}, rope);
    std::vector<KvCache> single;
    for (std::int64_t b = 0; b < batch; ++b) single.emplace_back(context(), KvCacheShape{1, 1, capacity, hkv, d, format}, rope);
    for (std::int64_t b = 0; b < batch; ++b) {
      const Tensor k = random_tensor(1, prompts[b], hkv), v = random_tensor(1, prompts[b], hkv);
      ragged.append_sequence(0, b, k, v);
      single[static_cast<std::size_t>(b)].append(0, k, v);
    }
    EXPECT_EQ(ragged.length(0, 1), 17);
    EXPECT_EQ(ragged.length(0), 17);
    double worst = 0.0;
    for (std::int64_t step = 0; step < 6; ++step) {
      const std::int64_t sq = step % 2 == 0 ? 1 : 2;
      const Tensor k = random_tensor(batch, 1, hkv), v = random_tensor(batch, 1, hkv);
      const Tensor q = random_tensor(batch, sq, h);
      const Tensor out = Tensor::empty(context(), DType::f32, {batch, sq, h, d});
      AttentionConfig config;
      config.causal = true;
      Batch run(context());
      ragged.append(run, 0, k, v);
      ragged.attend(run, 0, config, q, out);
      run.submit();
      const std::vector<float> got = out.download();
      for (std::int64_t b = 0; b < batch; ++b) {
        const auto row = [&](const Tensor& x, std::int64_t t, std::int64_t heads) {
          return x.view({1, t, heads, d}, x.strides(), b * x.strides()[0]);
        };
        KvCache& one = single[static_cast<std::size_t>(b)];
        const Tensor want = Tensor::empty(context(), DType::f32, {1, sq, h, d});
        Batch alone(context());
        one.append(alone, 0, row(k, 1, hkv), row(v, 1, hkv));
        one.attend(alone, 0, config, row(q, sq, h), want);
        alone.submit();
        const std::vector<float> w = want.download();
        const std::vector<float> g(got.begin() + b * sq * h * d, got.begin() + (b + 1) * sq * h * d);
        worst = std::max(worst, compare(g, std::vector<double>(w.begin(), w.end())).rel_err);
      }
    }
    EXPECT_LE(worst, 1e-5) << detail::to_string(variant) << " forced, " << to_string(format) << " (seed " << seed()
                           << ")";
    EXPECT_EQ(ragged.length(0, 0), 5 + 6);
  }
}

TEST_P(KvRaggedTest, ErrorsSayWhatWasExpected) {
  const std::int64_t hkv = 2, d = 32;
  KvCache cache(context(), {1, 2, 8, hkv, d, DType::f32});
  const auto kv = [&](std::int64_t b, std::int64_t t) {
    return Tensor::from_floats(context(), DType::f32, {b, t, hkv, d}, random_floats(static_cast<std::size_t>(b * t * hkv * d)));
  };
  cache.append_sequence(0, 1, kv(1, 3), kv(1, 3));
  expect_invalid_argument([&] { cache.append_sequence(0, 2, kv(1, 1), kv(1, 1)); }, "sequence 2");
  expect_invalid_argument([&] { cache.append_sequence(0, 1, kv(1, 6), kv(1, 6)); }, "exceed its capacity of 8");
  expect_invalid_argument([&] { cache.append_sequence(0, 0, kv(2, 1), kv(2, 1)); }, "expected [1, T, 2, 32]");
  EXPECT_EQ(cache.length(0, 1), 3);
  EXPECT_EQ(cache.length(0, 0), 0);
  // Sequence 0 is empty: its queries would have no tokens.
  const Tensor q = Tensor::from_floats(context(), DType::f32, {2, 1, 4, d}, random_floats(static_cast<std::size_t>(8 * d)));
  expect_invalid_argument([&] { cache.attend(0, {}, q, Tensor::empty(context(), DType::f32, q.shape())); },
                          "a sequence of 0 keys");
  KvCacheShape ring_shape{1, 2, 8, hkv, d, DType::f32};
  ring_shape.window = 4;
  KvCache ring(context(), ring_shape);
  expect_invalid_argument([&] { ring.append_sequence(0, 0, kv(1, 1), kv(1, 1)); }, "ring");
}

INSTANTIATE_TEST_SUITE_P(Devices, KvRaggedTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
