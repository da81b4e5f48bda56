// The KV storage formats (bf16, q8_0, q4_0, and K and V in different formats) on every
// device: the device quantizer against the host codec (test_block_formats.cpp) bit for bit,
// attention over every format against the double reference over the stored values, and the
// KvCache in every format, on every device.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <tuple>

#include "ops/attention_variants.hpp"
#include "support/device_matrix.hpp"
#include "support/kv_steps.hpp"
#include "support/ggml_quant_vectors.hpp"
#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/quantize.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

constexpr DType kAllFormats[] = {DType::f32, DType::f16, DType::bf16, DType::q8_0, DType::q4_0};

std::vector<double> doubles(const std::vector<float>& v) { return {v.begin(), v.end()}; }

std::vector<std::byte> encoded(DType dtype, const std::vector<float>& values) {
  std::vector<std::byte> out(storage_bytes(dtype, values.size()));
  encode(dtype, values, out);
  return out;
}

std::vector<float> decoded(DType dtype, const std::vector<float>& values) {
  std::vector<float> out(values.size());
  decode(dtype, encoded(dtype, values), out);
  return out;
}

// The first index where two byte strings differ, for messages.
std::string first_difference(const std::vector<std::byte>& a, const std::vector<std::byte>& b) {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i] != b[i])
      return "byte " + std::to_string(i) + ": " + std::to_string(std::to_integer<int>(a[i])) + " vs " +
             std::to_string(std::to_integer<int>(b[i]));
  return a.size() == b.size() ? "none" : "sizes differ";
}

// ---- Device ---------------------------------------------------------------------------------

using KvFormatsTest = DeviceTest;

// Random blocks at magnitudes from 1e-3 to 1e3, and the blocks a quantizer gets wrong
// first: all zeros, one huge value, scales below f16's normal range and past its largest,
// exact halfway cases, a tie of magnitudes.
std::vector<float> test_blocks(std::vector<float> random, std::size_t blocks) {
  std::vector<float> x(blocks * 32);
  for (std::size_t b = 0; b < blocks; ++b) {
    const float scale = std::pow(10.0f, -3.0f + 6.0f * static_cast<float>(b % 7) / 6.0f);
    for (std::size_t j = 0; j < 32; ++j) x[b * 32 + j] = random[(b * 32 + j) % random.size()] * scale;
  }
  const auto block = [&](std::size_t b) { return x.begin() + static_cast<std::ptrdiff_t>(b * 32); };
  std::fill(block(0), block(1), 0.0f);                                     // all zeros
  block(1)[7] = 30000.0f;                                                  // one huge value
  std::transform(block(2), block(3), block(2), [](float v) { return v * 1e-6f; });  // d underflows f16
  std::transform(block(3), block(4), block(3), [](float v) { return v * 1e-1f; });
  block(4)[3] = 65504.0f * 127.0f;                                         // d = f16's largest
  block(5)[9] = 65504.0f * 200.0f;                                         // d past it: inf
  const float ties[] = {127.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, -126.5f};
  std::copy(std::begin(ties), std::end(ties), block(6));                   // q8_0 halfway cases (d = 1)
  const float ties4[] = {-8.0f, -7.5f, 7.5f, 6.5f, -0.5f, 0.5f, 7.0f};
  std::copy(std::begin(ties4), std::end(ties4), block(7));                 // q4_0 halfway cases (d = 1)
  block(8)[0] = 2.5f;                                                      // equal magnitudes: the first wins
  block(8)[31] = -2.5f;
  return x;
}

// vkrope::quantize writes exactly the host encoder's bytes, from f32 and f16 sources,
// contiguous and strided, into every format; dequantize reads back exactly the host decoder's
// values.
TEST_P(KvFormatsTest, DeviceQuantizerWritesTheHostEncodersBytes) {
  const std::int64_t rows = 12, dim = 64;  // 24 blocks
  const std::vector<float> x = test_blocks(random_floats(static_cast<std::size_t>(rows * dim)), rows * dim / 32);
  for (DType source : {DType::f32, DType::f16})
    for (DType format : kAllFormats) {
      // A strided source: rows of a [rows, 2 * dim] buffer, the second half of each.
      std::vector<float> wide(static_cast<std::size_t>(rows * 2 * dim), 7.0f);
      for (std::int64_t r = 0; r < rows; ++r)
        std::copy_n(x.begin() + r * dim, dim, wide.begin() + r * 2 * dim + dim);
      const Tensor buffer = Tensor::from_floats(context(), source, {rows, 2 * dim}, wide);
      const Tensor src = buffer.view({rows, dim}, {2 * dim, 1}, dim);
      const Tensor dst = Tensor::empty(context(), format, {rows, dim});
      dst.fill_bytes(0xA5);
      quantize(src, dst);
      const std::vector<float> seen = src.download();  // the values as the source stores them
      const std::vector<std::byte> want = encoded(format, seen), got = dst.download_raw();
      EXPECT_EQ(got, want) << to_string(source) << " -> " << to_string(format)
                           << ": first difference at " << first_difference(got, want) << " (seed " << seed() << ")";

      for (DType out_type : {DType::f32, DType::f16}) {
        const Tensor back = Tensor::empty(context(), out_type, {rows, dim});
        dequantize(dst, back);
        std::vector<float> expected(seen.size());
        decode(format, want, expected);
        // f16 output goes through the driver's packHalf2x16, whose result past f16's range
        // is the driver's choice (SwiftShader gives NaN where lavapipe gives inf):
        // such values are left out.
        std::vector<bool> compared(expected.size(), true);
        if (out_type == DType::f16)
          for (std::size_t i = 0; i < expected.size(); ++i) {
            compared[i] = std::abs(expected[i]) <= 65504.0f;
            expected[i] = half_to_float(float_to_half(expected[i]));
          }
        const std::vector<float> got_values = back.download();
        std::size_t differing = 0;
        std::string example;
        for (std::size_t i = 0; i < expected.size(); ++i)
          if (compared[i] && std::bit_cast<std::uint32_t>(got_values[i]) != std::bit_cast<std::uint32_t>(expected[i]) &&
              !(std::isnan(got_values[i]) && std::isnan(expected[i]))) {
            if (!differing++) example = std::to_string(got_values[i]) + " for " + std::to_string(expected[i]);
          }
        EXPECT_EQ(differing, 0u) << "dequantize " << to_string(format) << " -> " << to_string(out_type) << ": "
                                 << example;
      }
    }
}

// The device quantizer writes the very bytes ggml's reference quantizers wrote for the
// same inputs (support/ggml_quant_vectors.hpp: zeros, huge values, f16-range scales, ties).
TEST_P(KvFormatsTest, DeviceQuantizerWritesGgmlsBytes) {
  const auto blocks = static_cast<std::int64_t>(std::size(kGgmlBlockVectors));
  std::vector<float> x;
  for (const GgmlBlockVector& vector : kGgmlBlockVectors)
    for (std::uint32_t bits : vector.input_bits) x.push_back(std::bit_cast<float>(bits));
  const Tensor src = Tensor::from_floats(context(), DType::f32, {blocks, 32}, x);
  for (DType format : {DType::q8_0, DType::q4_0}) {
    const Tensor dst = Tensor::empty(context(), format, {blocks, 32});
    quantize(src, dst);
    const std::vector<std::byte> got = dst.download_raw();
    const std::size_t size = block_bytes(format);
    for (std::size_t b = 0; b < std::size(kGgmlBlockVectors); ++b) {
      const std::uint8_t* want = format == DType::q8_0 ? kGgmlBlockVectors[b].q8_0.data() : kGgmlBlockVectors[b].q4_0.data();
      EXPECT_EQ(std::memcmp(&got[b * size], want, size), 0) << kGgmlBlockVectors[b].name << " " << to_string(format);
    }
  }
}

struct FormatCase {
  DType k, v;
};
constexpr FormatCase kFormatPairs[] = {{DType::bf16, DType::bf16},
                                       {DType::q8_0, DType::q8_0},
                                       {DType::q4_0, DType::q4_0},
                                       {DType::f16, DType::q4_0},
                                       {DType::q8_0, DType::f32}};

std::string pair_name(const FormatCase& f) {
  return "k " + std::string(to_string(f.k)) + " v " + std::string(to_string(f.v));
}

// Attention reads K and V in every format: each format pair x prefill (causal, GQA, window,
// ALiBi), split decode (GQA, softcap, sinks) and fused RoPE, against the double reference
// over exactly the stored values (what the kernels see). Tolerance 1e-5 relative: float32
// arithmetic over identical inputs (attention's own tolerance). The error quantization
// itself adds, against f32 K and V, is reported, not tested.
TEST_P(KvFormatsTest, AttentionReadsEveryFormat) {
  const std::int64_t batch = 2, h = 4, hkv = 2, d = 64;
  struct Shape {
    const char* name;
    std::int64_t sq, skv;
    AttentionConfig config;
  };
  std::vector<Shape> shapes;
  {
    Shape prefill{"prefill causal window alibi", 12, 40, {}};
    prefill.config.causal = true;
    prefill.config.window = 17;
    prefill.config.alibi = true;
    shapes.push_back(prefill);
    Shape decode{"split decode softcap sinks", 1, 150, {}};
    decode.config.key_splits = 3;
    decode.config.softcap = 30.0;
    decode.config.sinks = {0.5f, -1.0f, 2.0f, 0.0f};
    shapes.push_back(decode);
    Shape rope{"fused rope causal", 5, 33, {}};
    rope.config.causal = true;
    RopeConfig r;
    r.head_dim = d;
    rope.config.rope = r;
    shapes.push_back(rope);
  }
  for (const FormatCase& formats : kFormatPairs)
    for (const Shape& s : shapes) {
      const auto n_kv = static_cast<std::size_t>(batch * s.skv * hkv * d);
      const std::vector<float> kx = random_floats(n_kv), vx = random_floats(n_kv);
      const Tensor k = Tensor::from_floats(context(), formats.k, {batch, s.skv, hkv, d}, kx);
      const Tensor v = Tensor::from_floats(context(), formats.v, {batch, s.skv, hkv, d}, vx);
      const Tensor q = Tensor::from_floats(context(), DType::f32, {batch, s.sq, h, d},
                                           random_floats(static_cast<std::size_t>(batch * s.sq * h * d)));
      const Tensor out = Tensor::empty(context(), DType::f32, q.shape());
      attention(s.config, q, k, v, out);
      const std::vector<double> qd = doubles(q.download());
      const std::vector<double> expected = reference::attention(qd, doubles(k.download()), doubles(v.download()),
                                                                batch, s.sq, s.skv, h, hkv, d, s.config);
      const std::vector<float> got = out.download();
      const CompareReport r = compare(got, expected);
      EXPECT_LE(r.rel_err, 1e-5) << pair_name(formats) << ", " << s.name << ": " << r.to_string() << " (seed "
                                 << seed() << ")";
      const std::vector<double> exact =
          reference::attention(qd, doubles(kx), doubles(vx), batch, s.sq, s.skv, h, hkv, d, s.config);
      RecordProperty(pair_name(formats) + " " + s.name + " quantization error",
                     std::to_string(compare(got, exact).rel_err));
    }
}

// Every flash kernel a call can be forced to reads the formats (the decode kernel where the
// device has subgroup shuffles; the rows_texel and coopmat builds take f32 / f16 only, so a
// forced rows_texel runs rows).
TEST_P(KvFormatsTest, EveryFlashKernelReadsTheFormats) {
  struct Reset {
    ~Reset() { detail::force_flash_variant(std::nullopt); }
  } reset;
  const std::int64_t batch = 1, h = 8, hkv = 2, d = 64, skv = 96;
  for (detail::FlashVariant variant : {detail::FlashVariant::Decode, detail::FlashVariant::Team,
                                       detail::FlashVariant::Rows, detail::FlashVariant::RowsTexel})
    for (auto [sq, formats] : {std::pair{std::int64_t{1}, FormatCase{DType::q4_0, DType::q8_0}},
                               std::pair{std::int64_t{9}, FormatCase{DType::bf16, DType::q4_0}}}) {
      detail::force_flash_variant(variant);
      const auto n_kv = static_cast<std::size_t>(batch * skv * hkv * d);
      const Tensor k = Tensor::from_floats(context(), formats.k, {batch, skv, hkv, d}, random_floats(n_kv));
      const Tensor v = Tensor::from_floats(context(), formats.v, {batch, skv, hkv, d}, random_floats(n_kv));
      const Tensor q = Tensor::from_floats(context(), DType::f16, {batch, sq, h, d},
                                           random_floats(static_cast<std::size_t>(batch * sq * h * d)));
      const Tensor out = Tensor::empty(context(), DType::f16, q.shape());
      AttentionConfig config;
      config.causal = true;
      Batch profiled(context(), {.profile = true});
      attention(profiled, config, q, k, v, out);
      profiled.submit();
      const std::vector<double> expected = reference::attention(
          doubles(q.download()), doubles(k.download()), doubles(v.download()), batch, sq, skv, h, hkv, d, config);
      const CompareReport r = compare(out.download(), expected);
      const std::string what = std::string(detail::to_string(variant)) + " forced, Sq " + std::to_string(sq) + " " +
                               pair_name(formats);
      // f16 output: 4.9e-4 relative rounding of each value.
      EXPECT_LE(r.rel_err, 1e-3) << what << ": " << r.to_string() << " (seed " << seed() << ")";
      const std::vector<DispatchTiming> dispatches = profiled.profile();
      if (!dispatches.empty() && variant != detail::FlashVariant::Decode && variant != detail::FlashVariant::RowsTexel) {
        const std::string label = "attention[" + std::string(detail::to_string(variant)) + "]";
        EXPECT_EQ(dispatches.front().label.rfind(label, 0), 0u) << what << ": ran " << dispatches.front().label;
      }
    }
}

// KvCache in each format: append quantizes values to exactly the host encoder's bytes and
// keys (rotated on the way) to within one quantization step of the host's rotation; memory
// per token as documented.
TEST_P(KvFormatsTest, CacheAppendQuantizesKeysAndValues) {
  const std::int64_t batch = 2, hkv = 2, d = 64, tokens = 9;
  for (const FormatCase& formats : kFormatPairs) {
    RopeConfig rope;
    rope.head_dim = d;
    KvCacheShape shape{1, batch, 16, hkv, d, formats.k};
    shape.value_dtype = formats.v;
    KvCache cache(context(), shape, rope);
    EXPECT_EQ(cache.bytes_per_token(),
              hkv * static_cast<std::int64_t>(storage_bytes(formats.k, d) + storage_bytes(formats.v, d)));
    const auto n = static_cast<std::size_t>(batch * tokens * hkv * d);
    const std::vector<float> kx = random_floats(n), vx = random_floats(n);
    // Two appends, of 4 then 5 tokens: the first 4 / 9 of kx and vx, then the rest.
    const auto split = static_cast<std::ptrdiff_t>(n * 4 / tokens);
    const auto part = [&](const std::vector<float>& x, std::int64_t t, bool first) {
      return Tensor::from_floats(context(), DType::f32, {batch, t, hkv, d},
                                 first ? std::vector<float>(x.begin(), x.begin() + split)
                                       : std::vector<float>(x.begin() + split, x.end()));
    };
    cache.append(0, part(kx, 4, true), part(vx, 4, true));
    cache.append(0, part(kx, 5, false), part(vx, 5, false));
    // The appends came batch-major per call: regroup to [B, 9, Hkv, D].
    const std::size_t row = static_cast<std::size_t>(hkv * d);
    std::vector<float> k_all, v_all;
    std::vector<std::int64_t> positions;
    for (std::size_t b = 0; b < 2; ++b) {
      std::size_t start = 0, position = 0;
      for (std::size_t t : {4u, 5u}) {
        for (std::size_t i = 0; i < t; ++i) {
          const auto at = static_cast<std::ptrdiff_t>((start + b * t + i) * row);
          k_all.insert(k_all.end(), kx.begin() + at, kx.begin() + at + static_cast<std::ptrdiff_t>(row));
          v_all.insert(v_all.end(), vx.begin() + at, vx.begin() + at + static_cast<std::ptrdiff_t>(row));
          positions.push_back(static_cast<std::int64_t>(position++));
        }
        start += 2 * t;
      }
    }
    EXPECT_EQ(cache.values(0).download_raw(), encoded(formats.v, v_all)) << pair_name(formats);
    const std::vector<double> rotated = reference::rope(doubles(k_all), batch, tokens, hkv, rope, positions);
    const std::vector<float> stored = cache.keys(0).download();
    const std::vector<float> rotated_f(rotated.begin(), rotated.end());
    const std::vector<float> host = decoded(formats.k, rotated_f);
    // One quantization step: the device's rotation may differ from the double one by an
    // ulp, which can move a value across a rounding boundary of its block (for f16 and bf16
    // a step is one ulp of the block's largest value: 2^-10 and 2^-7 of it).
    double worst = 0.0;
    for (std::size_t blk = 0; blk < stored.size() / 32; ++blk) {
      double amax = 0.0;
      for (std::size_t j = 0; j < 32; ++j) amax = std::max(amax, std::abs(rotated[blk * 32 + j]));
      const double step = formats.k == DType::q8_0   ? amax / 127.0
                          : formats.k == DType::q4_0 ? amax / 8.0
                          : formats.k == DType::bf16 ? amax / 128.0
                          : formats.k == DType::f16  ? amax / 1024.0
                                                     : amax * 1e-6;
      for (std::size_t j = 0; j < 32; ++j)
        worst = std::max(worst, std::abs(stored[blk * 32 + j] - host[blk * 32 + j]) / (step + 1e-30));
    }
    EXPECT_LE(worst, 1.0 + 1e-3) << pair_name(formats) << ": stored keys vs the host's rotation, in steps";
  }
}

// A 200-step decode loop per format (append one token, attend with its query) against the
// double reference over the cache's stored keys and values, with the queries rotated at
// their positions as the cache does.
TEST_P(KvFormatsTest, TwoHundredDecodeStepsPerFormat) {
  const std::int64_t steps = 200, h = 4, hkv = 2, d = 32;
  for (DType format : {DType::bf16, DType::q8_0, DType::q4_0}) {
    RopeConfig rope;
    rope.head_dim = d;
    KvCache cache(context(), {1, 1, steps, hkv, d, format}, rope);
    const auto n_q = static_cast<std::size_t>(steps * h * d), n_kv = static_cast<std::size_t>(steps * hkv * d);
    const Tensor q = Tensor::from_floats(context(), DType::f32, {1, steps, h, d}, random_floats(n_q));
    const Tensor k = Tensor::from_floats(context(), DType::f32, {1, steps, hkv, d}, random_floats(n_kv));
    const Tensor v = Tensor::from_floats(context(), DType::f32, {1, steps, hkv, d}, random_floats(n_kv));
    const Tensor out = Tensor::empty(context(), DType::f32, {1, steps, h, d});
    AttentionConfig step;
    step.causal = true;
    decode_steps(context(), cache, q, k, v, out, step);
    std::vector<std::int64_t> positions(static_cast<std::size_t>(steps));
    for (std::int64_t t = 0; t < steps; ++t) positions[static_cast<std::size_t>(t)] = t;
    const std::vector<double> q_rotated = reference::rope(doubles(q.download()), 1, steps, h, rope, positions);
    AttentionConfig causal;
    causal.causal = true;  // row t sees keys 0..t, as step t did
    const std::vector<double> expected = reference::attention(q_rotated, doubles(cache.keys(0).download()),
                                                              doubles(cache.values(0).download()), 1, steps, steps,
                                                              h, hkv, d, causal);
    const CompareReport r = compare(out.download(), expected);
    // q rotated in float32 by the kernel vs in double here: 1e-5 (attention's tolerance).
    EXPECT_LE(r.rel_err, 1e-5) << to_string(format) << ": " << r.to_string() << " (seed " << seed() << ")";
  }
}

TEST_P(KvFormatsTest, BadInputSaysWhatWasExpected) {
  expect_invalid_argument([&] { (void)Tensor::empty(context(), DType::q8_0, {4, 48}); }, "multiple of 32");
  const Tensor blocks = Tensor::empty(context(), DType::q4_0, {4, 64});
  expect_invalid_argument([&] { (void)blocks.view({2, 32}, {64, 1}, 16); }, "a block's start");
  expect_invalid_argument([&] { (void)blocks.view({2, 32}, {48, 1}, 0); }, "whole blocks");
  expect_invalid_argument([&] { KvCache bad(context(), {1, 1, 8, 2, 48, DType::q8_0}); }, "multiple of 32");
  KvCacheShape mixed{1, 1, 8, 2, 40, DType::f16};
  mixed.value_dtype = DType::q4_0;
  expect_invalid_argument([&] { KvCache bad(context(), mixed); }, "whole q4_0 blocks");
  const Tensor f = Tensor::from_floats(context(), DType::f32, {4, 64}, random_floats(256));
  expect_invalid_argument([&] { quantize(blocks, Tensor::empty(context(), DType::q8_0, {4, 64})); }, "f32 or f16");
  expect_invalid_argument([&] { quantize(f, Tensor::empty(context(), DType::q8_0, {2, 128})); }, "one shape");
  expect_invalid_argument([&] { dequantize(blocks, Tensor::empty(context(), DType::q8_0, {4, 64})); }, "f32 or f16");
  const Tensor q = Tensor::empty(context(), DType::q8_0, {1, 1, 2, 64});
  const Tensor kv = Tensor::empty(context(), DType::q8_0, {1, 4, 2, 64});
  expect_invalid_argument([&] { attention({}, q, kv, kv, Tensor::empty(context(), DType::q8_0, {1, 1, 2, 64})); },
                          "expected f32 or f16 queries");
  expect_rope_works(context(), seed());
}

INSTANTIATE_TEST_SUITE_P(Devices, KvFormatsTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
