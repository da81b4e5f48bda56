// KvCache on every device: append (with RoPE on the keys) against the reference rotation,
// 100 decode steps against one prefill over the same tokens, and its errors.
#include <gtest/gtest.h>

#include <functional>

#include "ops/attention_variants.hpp"
#include "support/device_matrix.hpp"
#include "support/kv_steps.hpp"
#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

using KvCacheTest = DeviceTest;

RopeConfig neox(std::int64_t head_dim) {
  RopeConfig r;
  r.head_dim = head_dim;
  return r;
}

std::vector<double> doubles(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// The stored keys are the new keys rotated at their positions; values are copied as they are.
TEST_P(KvCacheTest, AppendRotatesKeysAndCopiesValues) {
  const std::int64_t hkv = 2, d = 64;
  for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved})
    for (DType dtype : {DType::f32, DType::f16}) {
      RopeConfig rope = neox(d);
      rope.layout = layout;
      rope.rotary_dim = 48;  // partial: the last 16 dims are copied
      KvCache cache(context(), {2, 2, 20, hkv, d, dtype}, rope);
      std::vector<float> all_k, all_v;
      for (std::int64_t t : {5, 1, 7}) {  // three appends at growing offsets
        const auto n = static_cast<std::size_t>(2 * t * hkv * d);
        const std::vector<float> kx = random_floats(n), vx = random_floats(n);
        cache.append(0, Tensor::from_floats(context(), DType::f32, {2, t, hkv, d}, kx),
                     Tensor::from_floats(context(), DType::f32, {2, t, hkv, d}, vx));
        all_k.insert(all_k.end(), kx.begin(), kx.end());
        all_v.insert(all_v.end(), vx.begin(), vx.end());
      }
      ASSERT_EQ(cache.length(0), 13);
      // The appends came batch-major per call; regroup into [B, 13, Hkv, D] for the reference.
      const std::size_t row = static_cast<std::size_t>(hkv * d);
      std::vector<double> k_ref, v_ref;
      std::vector<std::int64_t> positions;
      for (std::size_t b = 0; b < 2; ++b) {
        std::size_t start = 0, position = 0;
        for (std::size_t t : {5u, 1u, 7u}) {
          for (std::size_t i = 0; i < t; ++i) {
            const std::size_t at = (start + b * t + i) * row;
            k_ref.insert(k_ref.end(), all_k.begin() + static_cast<std::ptrdiff_t>(at),
                         all_k.begin() + static_cast<std::ptrdiff_t>(at + row));
            v_ref.insert(v_ref.end(), all_v.begin() + static_cast<std::ptrdiff_t>(at),
                         all_v.begin() + static_cast<std::ptrdiff_t>(at + row));
            positions.push_back(static_cast<std::int64_t>(position++));
          }
          start += 2 * t;
        }
      }
      const std::vector<double> rotated =
          reference::rope(k_ref, 2, 13, hkv, rope, rope_frequencies(rope, 12), positions);
      // f32: RoPE's 2e-6 of max |x| (rope_check.hpp); f16: one rounding, 1e-3.
      const double tolerance = dtype == DType::f32 ? 2e-6 : 1e-3;
      const CompareReport keys = compare(cache.keys(0).download(), rotated);
      EXPECT_LE(keys.max_abs_err, tolerance) << to_string(layout) << " " << to_string(dtype) << ": " << keys.to_string();
      const CompareReport values = compare(cache.values(0).download(), v_ref);
      EXPECT_LE(values.max_abs_err, dtype == DType::f32 ? 0.0 : 1e-3) << values.to_string();
      EXPECT_EQ(cache.length(1), 0);  // other layers untouched
    }
}

// One token at a time: append its key and value, attend with its query; each step's output
// equals the same row of one causal prefill over all the tokens with fused RoPE.
TEST_P(KvCacheTest, HundredDecodeStepsEqualOnePrefill) {
  const std::int64_t steps = 100, h = 8, hkv = 2, d = 64;
  for (DType dtype : {DType::f32, DType::f16}) {
    const auto n_q = static_cast<std::size_t>(steps * h * d), n_kv = static_cast<std::size_t>(steps * hkv * d);
    const Tensor q = Tensor::from_floats(context(), DType::f32, {1, steps, h, d}, random_floats(n_q));
    const Tensor k = Tensor::from_floats(context(), DType::f32, {1, steps, hkv, d}, random_floats(n_kv));
    const Tensor v = Tensor::from_floats(context(), DType::f32, {1, steps, hkv, d}, random_floats(n_kv));
    AttentionConfig prefill;
    prefill.causal = true;
    prefill.rope = neox(d);
    const Tensor expected = Tensor::empty(context(), DType::f32, {1, steps, h, d});
    // The prefill sees the KV cache's storage rounding too: f16 keys and values are
    // rounded before attention, so give the prefill the same rounded values.
    const Tensor k_in = dtype == DType::f32 ? k : Tensor::from_floats(context(), dtype, k.shape(), k.download());
    const Tensor v_in = dtype == DType::f32 ? v : Tensor::from_floats(context(), dtype, v.shape(), v.download());
    attention(prefill, q, k_in, v_in, expected);

    KvCache cache(context(), {1, 1, steps, hkv, d, dtype}, neox(d));
    const Tensor out = Tensor::empty(context(), DType::f32, {1, steps, h, d});
    AttentionConfig step;
    step.causal = true;
    decode_steps(context(), cache, q, k, v, out, step);
    const std::vector<float> want = expected.download();
    const CompareReport r = compare(out.download(), doubles(want));
    // f32 cache: both paths in float32 from the same inputs, reordered sums: 1e-5.
    // f16 cache: the decode path rounds the *rotated* keys to f16, the prefill the
    // un-rotated ones, so they differ by f16 rounding of k (4.9e-4 relative): 2e-3.
    EXPECT_LE(r.rel_err, dtype == DType::f32 ? 1e-5 : 2e-3) << to_string(dtype) << ": " << r.to_string();
    RecordProperty(std::string("decode_vs_prefill_") + std::string(to_string(dtype)), std::to_string(r.rel_err));
  }
}

// attend() takes q and out [Sq, H, D] as the header says (a cache of one sequence), with the
// same result as [1, Sq, H, D]; a cache of several sequences asks for the batch dimension.
TEST_P(KvCacheTest, AttendTakesQueriesWithoutABatchDimension) {
  const std::int64_t h = 4, hkv = 2, d = 32, t = 6, sq = 2;
  KvCache cache(context(), {1, 1, 16, hkv, d, DType::f32}, neox(d));
  const auto n_kv = static_cast<std::size_t>(t * hkv * d);
  cache.append(0, Tensor::from_floats(context(), DType::f32, {t, hkv, d}, random_floats(n_kv)),
               Tensor::from_floats(context(), DType::f32, {t, hkv, d}, random_floats(n_kv)));
  const std::vector<float> qx = random_floats(static_cast<std::size_t>(sq * h * d));
  AttentionConfig config;
  config.causal = true;
  const Tensor out3 = Tensor::empty(context(), DType::f32, {sq, h, d});
  cache.attend(0, config, Tensor::from_floats(context(), DType::f32, {sq, h, d}, qx), out3);
  const Tensor out4 = Tensor::empty(context(), DType::f32, {1, sq, h, d});
  cache.attend(0, config, Tensor::from_floats(context(), DType::f32, {1, sq, h, d}, qx), out4);
  EXPECT_EQ(out3.download(), out4.download());  // the same dispatch over the same data: bit-exact

  KvCache two(context(), {1, 2, 16, hkv, d, DType::f32}, neox(d));
  two.append(0, Tensor::from_floats(context(), DType::f32, {2, t, hkv, d}, random_floats(2 * n_kv)),
             Tensor::from_floats(context(), DType::f32, {2, t, hkv, d}, random_floats(2 * n_kv)));
  expect_invalid_argument(
      [&] { two.attend(0, config, Tensor::from_floats(context(), DType::f32, {sq, h, d}, qx), out3); },
      "no batch dimension, but the cache holds 2 sequences");
}

// Decode through the cache (keys stored rotated, q rotated at its position by the kernel)
// with every flash kernel forced in turn, the decode kernel included, against the double
// precision reference over the un-rotated keys. Split and unsplit, f32 and f16 caches, GQA
// groups of 4 and 1 (the decode kernel's rows: Sq * H / Hkv).
TEST_P(KvCacheTest, EveryFlashKernelDecodesThroughTheCache) {
  struct Reset {
    ~Reset() { detail::force_flash_variant(std::nullopt); }
  } reset;
  const std::int64_t batch = 2, skv = 150, d = 64;
  const bool shuffles = context().device().has_subgroup(subgroup_ops::basic | subgroup_ops::shuffle);
  // (rows_texel too: the cache's K and V, at most 38,400 elements, fit one texel view on
  // every device, SwiftShader's 65,536 texels and baseline emulation included.)
  for (detail::FlashVariant variant : {detail::FlashVariant::Decode, detail::FlashVariant::Team,
                                       detail::FlashVariant::Rows, detail::FlashVariant::RowsTexel})
    for (auto [h, hkv, sq, dtype, splits] :
         {std::tuple<std::int64_t, std::int64_t, std::int64_t, DType, std::int64_t>{8, 2, 1, DType::f16, 0},
          {8, 2, 2, DType::f32, 3}, {4, 4, 1, DType::f32, 0}}) {
      detail::force_flash_variant(variant);
      RopeConfig rope = neox(d);
      if (dtype == DType::f32) {
        rope.layout = RopeLayout::Interleaved;
        rope.rotary_dim = 48;
      }
      const auto n_kv = static_cast<std::size_t>(batch * skv * hkv * d);
      const auto n_q = static_cast<std::size_t>(batch * sq * h * d);
      // f16 cache: the reference sees the same rounded keys and values (rounded before RoPE
      // here, after it in the cache: within the f16 tolerance below).
      const Tensor k_in = Tensor::from_floats(context(), dtype, {batch, skv, hkv, d}, random_floats(n_kv));
      const Tensor v_in = Tensor::from_floats(context(), dtype, {batch, skv, hkv, d}, random_floats(n_kv));
      const Tensor q = Tensor::from_floats(context(), DType::f32, {batch, sq, h, d}, random_floats(n_q));
      KvCache cache(context(), {1, batch, skv, hkv, d, dtype}, rope);
      cache.append(0, k_in, v_in);
      AttentionConfig config;
      config.causal = true;
      config.key_splits = splits;
      const Tensor out = Tensor::empty(context(), DType::f32, {batch, sq, h, d});
      Batch profiled(context(), {.profile = true});
      cache.attend(profiled, 0, config, q, out);
      profiled.submit();

      AttentionConfig reference_config = config;
      reference_config.rope = rope;
      const std::vector<double> expected =
          reference::attention(doubles(q.download()), doubles(k_in.download()), doubles(v_in.download()), batch, sq,
                               skv, h, hkv, d, reference_config);
      const CompareReport r = compare(out.download(), expected);
      const std::string what = std::string(detail::to_string(variant)) + " forced, H " + std::to_string(h) +
                               " Hkv " + std::to_string(hkv) + " Sq " + std::to_string(sq) + " " +
                               std::string(to_string(dtype)) + " splits " + std::to_string(splits);
      // f32 cache: float32 throughout, 1e-5 (attention's tolerance); f16 cache: the rotated
      // keys rounded to f16 (4.9e-4 relative each), 2e-3.
      EXPECT_LE(r.rel_err, dtype == DType::f32 ? 1e-5 : 2e-3) << what << ": " << r.to_string() << " (seed " << seed()
                                                           << ")";
      // The forced kernel ran (the decode kernel wherever the device has subgroup shuffles:
      // these calls meet the rest of its needs on every device here).
      const std::vector<DispatchTiming> dispatches = profiled.profile();
      if (!dispatches.empty() && (variant != detail::FlashVariant::Decode || shuffles)) {
        const std::string label = "attention[" + std::string(detail::to_string(variant)) + "]";
        EXPECT_EQ(dispatches.front().label.rfind(label, 0), 0u) << what << ": ran " << dispatches.front().label;
      }
    }
}

TEST_P(KvCacheTest, ErrorsSayWhatWasWrong) {
  const std::int64_t hkv = 2, d = 64;
  KvCache cache(context(), {2, 1, 4, hkv, d, DType::f32});
  const auto kv = [&](std::int64_t t, std::int64_t heads = 2, std::int64_t dim = 64) {
    return Tensor::from_floats(context(), DType::f32, {1, t, heads, dim},
                               random_floats(static_cast<std::size_t>(t * heads * dim)));
  };
  const auto& expect_error = expect_invalid_argument;
  cache.append(0, kv(3), kv(3));
  expect_error([&] { cache.append(0, kv(2), kv(2)); }, "exceed its capacity of 4");
  EXPECT_EQ(cache.length(0), 3) << "a refused append must not count";
  expect_error([&] { cache.append(2, kv(1), kv(1)); }, "layer 2");
  expect_error([&] { cache.append(1, kv(1, 3), kv(1, 3)); }, "expected [1, T, 2, 64]");
  expect_error([&] { cache.append(1, kv(1), kv(2)); }, "one dtype and shape");
  const Tensor q = kv(1, 4), out = Tensor::empty(context(), DType::f32, {1, 1, 4, 64});
  expect_error([&] { cache.attend(1, {}, q, out); }, "empty");
  AttentionConfig with_rope;
  with_rope.rope = neox(d);
  expect_error([&] { cache.attend(0, with_rope, q, out); }, "rope");
  expect_error([&] { KvCache bad(context(), {1, 1, 0, hkv, d, DType::f32}); }, "capacity = 0");
  expect_error([&] { KvCache bad(context(), {1, 1, 8, hkv, 60, DType::f32}); }, "head_dim 60");
  cache.clear();
  EXPECT_EQ(cache.length(0), 0);
  cache.append(0, kv(4), kv(4));  // full capacity after a clear
  cache.attend(0, {}, q, out);
}

INSTANTIATE_TEST_SUITE_P(Devices, KvCacheTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
