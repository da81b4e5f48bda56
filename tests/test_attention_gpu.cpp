// Attention on every device against the double-precision reference: the shape
// matrix, every option alone and together, f16 storage, strided views, split-KV decode
// against one pass, masked rows, large logits, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ops/attention_plan.hpp"
#include "vkrope/version.hpp"
#include "conformance/attention_case.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

using namespace vkrope::conformance;

// --- The shape matrix ---------------------------------------------------------------------

using ShapeParam = std::tuple<DeviceCase, std::int64_t>;  // device, head_dim
class AttentionShapeTest : public testing::TestWithParam<ShapeParam> {};

// Sq x Skv x H/Hkv for one head_dim: 48 cases, causal on every other one that allows it
// (Sq <= Skv), with the default (device-chosen) split so Sq = 1 and 7 take the split-KV path.
TEST_P(AttentionShapeTest, MatchesReferenceAcrossShapes) {
  const auto& [device, head_dim] = GetParam();
  std::vector<std::string> messages;
  ContextOptions options = validated_options(device);
  options.on_validation_message = [&messages](std::string_view m) { messages.emplace_back(m); };
  const Context ctx = Context::create(options);
  const std::uint32_t seed = fresh_seed();
  std::mt19937 rng(seed);
  int index = 0;
  double worst = 0.0;
  for (std::int64_t sq : {1, 7, 64, 257})
    for (std::int64_t skv : {1, 63, 300, 1024})
      for (auto [heads, kv_heads] : {std::pair<std::int64_t, std::int64_t>{8, 8}, {8, 2}, {8, 1}}) {
        AttentionCase c;
        c.sq = sq;
        c.skv = skv;
        c.heads = heads;
        c.kv_heads = kv_heads;
        c.head_dim = head_dim;
        c.config.causal = sq <= skv && index++ % 2 == 0;
        const AttentionResult r = run_attention_case(ctx, c, rng);
        EXPECT_TRUE(r.guard_intact) << c.describe() << ": wrote outside the output";
        // f32 storage: relative error <= 1e-5 (attention_check.hpp).
        EXPECT_LE(r.report.rel_err, attention_case_tolerance(c))
            << c.describe() << ": " << r.report.to_string() << " (seed " << seed << ")";
        worst = std::max(worst, r.report.rel_err);
      }
  RecordProperty("worst_rel_err", std::to_string(worst));
  std::printf("[worst] shape matrix D%ld (48 cases): rel_err %.3g\n", static_cast<long>(head_dim), worst);
  for (const auto& m : messages) ADD_FAILURE() << "validation layer: " << m;
}

std::string shape_param_name(const testing::TestParamInfo<ShapeParam>& info) {
  const testing::TestParamInfo<DeviceCase> device(std::get<0>(info.param), info.index);
  return case_name(device) + "_D" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Devices, AttentionShapeTest,
                         testing::Combine(testing::ValuesIn(native_device_cases()), testing::Values(64, 128, 72)),
                         shape_param_name);

// --- Options --------------------------------------------------------------------------------

using AttentionOptionTest = DeviceTest;

// A prefill-sized and a decode-sized case with GQA, for one config and storage.
// Prints the worst relative error per option set ("[worst] ..."), for the closing figures.
void expect_matches(const Context& ctx, std::mt19937& rng, std::uint32_t seed, AttentionCase c) {
  double worst = 0.0;
  for (auto [sq, skv] : {std::pair<std::int64_t, std::int64_t>{37, 70}, {1, 300}, {5, 5}}) {
    c.sq = sq;
    c.skv = skv;
    if (!c.config.query_positions.empty()) {
      c.config.query_positions.resize(static_cast<std::size_t>(sq));
      c.config.key_positions.resize(static_cast<std::size_t>(skv));
      std::uniform_int_distribution<std::int64_t> pos(0, 400);
      for (auto& p : c.config.query_positions) p = pos(rng);
      for (auto& p : c.config.key_positions) p = pos(rng);
    }
    if (!c.config.sinks.empty()) c.config.sinks.resize(static_cast<std::size_t>(c.heads), 0.5f);
    const AttentionResult r = run_attention_case(ctx, c, rng);
    EXPECT_TRUE(r.guard_intact) << c.describe() << ": wrote outside the output";
    EXPECT_LE(r.report.rel_err, attention_case_tolerance(c))
        << c.describe() << ": " << r.report.to_string() << " (seed " << seed << ")";
    worst = std::max(worst, r.report.rel_err);
  }
  c.sq = c.skv = 0;
  std::printf("[worst] %s: rel_err %.3g\n", c.describe().c_str(), worst);
}

AttentionCase gqa_case() {
  AttentionCase c;
  c.batch = 2;
  c.heads = 6;
  c.kv_heads = 2;
  c.head_dim = 64;
  return c;
}

RopeConfig rope_for(std::int64_t head_dim, RopeLayout layout, std::int64_t rotary_dim = 0) {
  RopeConfig r;
  r.head_dim = head_dim;
  r.layout = layout;
  if (rotary_dim) r.rotary_dim = rotary_dim;
  return r;
}

TEST_P(AttentionOptionTest, EachOptionMatchesReference) {
  std::mt19937 rng(seed());
  for (bool causal : {false, true}) {
    AttentionCase c = gqa_case();
    c.config.causal = causal;
    c.config.window = 16;
    expect_matches(context(), rng, seed(), c);
    c = gqa_case();
    c.config.causal = causal;
    c.config.alibi = true;
    c.heads = 6;  // not a power of two: the interleaved slope sequence
    expect_matches(context(), rng, seed(), c);
    c = gqa_case();
    c.config.causal = causal;
    c.config.softcap = 5.0;
    c.config.scale = 1.0;  // logits of a few units, so the cap bends them
    expect_matches(context(), rng, seed(), c);
    c = gqa_case();
    c.config.causal = causal;
    c.config.sinks = {0.5f};
    expect_matches(context(), rng, seed(), c);
  }
}

TEST_P(AttentionOptionTest, FusedRopeMatchesReference) {
  std::mt19937 rng(seed());
  for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved})
    for (std::int64_t rotary : {0, 32}) {
      AttentionCase c = gqa_case();
      c.config.causal = true;
      c.config.rope = rope_for(c.head_dim, layout, rotary);
      expect_matches(context(), rng, seed(), c);
    }
  AttentionCase yarn = gqa_case();
  yarn.config.rope = rope_for(yarn.head_dim, RopeLayout::Neox);
  yarn.config.rope->scaling.type = RopeScalingType::Yarn;
  yarn.config.rope->scaling.factor = 4.0;
  yarn.config.rope->scaling.original_max_position_embeddings = 64;
  expect_matches(context(), rng, seed(), yarn);
}

// Fused RoPE equals rope() then attention, with un-rotated inputs.
TEST_P(AttentionOptionTest, FusedRopeEqualsRopeThenAttention) {
  const std::int64_t sq = 9, skv = 40, h = 4, hkv = 2, d = 64;
  const Tensor q = Tensor::from_floats(context(), DType::f32, {sq, h, d}, random_floats(sq * h * d));
  const Tensor k = Tensor::from_floats(context(), DType::f32, {skv, hkv, d}, random_floats(skv * hkv * d));
  const Tensor v = Tensor::from_floats(context(), DType::f32, {skv, hkv, d}, random_floats(skv * hkv * d));
  AttentionConfig fused;
  fused.causal = true;
  fused.rope = rope_for(d, RopeLayout::Neox);
  const Tensor out_fused = Tensor::empty(context(), DType::f32, {sq, h, d});
  attention(fused, q, k, v, out_fused);

  const Tensor q_rot = Tensor::empty(context(), DType::f32, {sq, h, d});
  const Tensor k_rot = Tensor::empty(context(), DType::f32, {skv, hkv, d});
  rope(*fused.rope, {q, q_rot, {}, {}}, {{}, skv - sq});
  rope(*fused.rope, {k, k_rot, {}, {}}, {});
  AttentionConfig plain;
  plain.causal = true;
  const Tensor out_plain = Tensor::empty(context(), DType::f32, {sq, h, d});
  attention(plain, q_rot, k_rot, v, out_plain);
  const std::vector<float> a = out_fused.download(), b = out_plain.download();
  const CompareReport r = compare(a, std::vector<double>(b.begin(), b.end()));
  EXPECT_LE(r.rel_err, 1e-5) << r.to_string();  // both f32 paths, same angles
}

TEST_P(AttentionOptionTest, AllOptionsTogetherAndExplicitPositions) {
  std::mt19937 rng(seed());
  AttentionCase c = gqa_case();
  c.config.causal = true;
  c.config.window = 24;
  c.config.alibi = true;
  c.config.softcap = 30.0;
  c.config.sinks = {0.25f};
  c.config.rope = rope_for(c.head_dim, RopeLayout::Interleaved);
  expect_matches(context(), rng, seed(), c);
  c.config.query_positions = {0};  // resized and drawn at random per shape
  c.config.key_positions = {0};
  expect_matches(context(), rng, seed(), c);
}

// f16 storage: relative error <= 2e-3 with an f16 output (one rounding to 11 bits is
// 4.9e-4); f32 q and output over an f16 KV cache keeps the f32 bound, the reference
// seeing the stored f16 keys and values.
TEST_P(AttentionOptionTest, HalfStorage) {
  std::mt19937 rng(seed());
  for (DType q_dtype : {DType::f16, DType::f32}) {
    AttentionCase c = gqa_case();
    c.q_dtype = q_dtype;
    c.kv_dtype = DType::f16;
    c.config.causal = true;
    expect_matches(context(), rng, seed(), c);
    c.config.rope = rope_for(c.head_dim, RopeLayout::Neox);
    c.config.window = 8;
    expect_matches(context(), rng, seed(), c);
  }
}

TEST_P(AttentionOptionTest, StridedAndThreeDimViews) {
  std::mt19937 rng(seed());
  AttentionCase c = gqa_case();
  c.fused_qkv = true;
  c.config.causal = true;
  for (std::int64_t s : {1, 33}) {
    c.sq = c.skv = s;
    const AttentionResult r = run_attention_case(context(), c, rng);
    EXPECT_LE(r.report.rel_err, attention_case_tolerance(c)) << c.describe() << ": " << r.report.to_string();
  }
  AttentionCase t = gqa_case();
  t.three_dim = true;
  t.batch = 1;
  expect_matches(context(), rng, seed(), t);
}

// Split-KV decode and the one-pass kernel agree, whatever the split count, with and
// without sinks (added once, in the combine pass).
TEST_P(AttentionOptionTest, SplitKeysEqualOnePass) {
  std::mt19937 rng(seed());
  for (bool sinks : {false, true})
    for (std::int64_t splits : {2, 7, 64}) {
      AttentionCase c = gqa_case();
      c.sq = 3;
      c.skv = 500;
      c.config.causal = true;
      if (sinks) c.config.sinks.assign(6, -0.5f);
      c.config.key_splits = 1;
      std::mt19937 same = rng;
      const AttentionResult one = run_attention_case(context(), c, same);
      EXPECT_LE(one.report.rel_err, attention_case_tolerance(c)) << c.describe() << ": " << one.report.to_string();
      c.config.key_splits = splits;
      const AttentionResult split = run_attention_case(context(), c, rng);
      const CompareReport r = compare(split.out, std::vector<double>(one.out.begin(), one.out.end()));
      EXPECT_LE(r.rel_err, 1e-6) << c.describe() << ": " << r.to_string();  // f32, reordered sums only
      EXPECT_LE(split.report.rel_err, attention_case_tolerance(c)) << c.describe();
    }
}

// A query that sees no key outputs zeros (no sinks), never NaN; with a sink it is still 0
// (the sink attends to nothing).
TEST_P(AttentionOptionTest, FullyMaskedRowsGiveZeros) {
  std::mt19937 rng(seed());
  for (std::int64_t splits : {1, 4}) {
    AttentionCase c = gqa_case();
    c.sq = 3;
    c.skv = 40;
    c.config.causal = true;
    c.config.key_splits = splits;
    c.config.query_positions = {-5, 10, -1};  // the first and last see nothing
    c.config.key_positions.resize(40);
    for (std::int64_t j = 0; j < 40; ++j) c.config.key_positions[static_cast<std::size_t>(j)] = j;
    const AttentionResult r = run_attention_case(context(), c, rng);
    EXPECT_LE(r.report.rel_err, attention_case_tolerance(c)) << r.report.to_string();
    const std::size_t row = static_cast<std::size_t>(c.heads * c.head_dim);
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t i : {std::size_t{0}, std::size_t{2}})
        for (std::size_t e = 0; e < row; ++e) ASSERT_EQ(r.out[(b * 3 + i) * row + e], 0.0f) << "b " << b << " i " << i;
  }
}

// |s| ~ 1e4: the online softmax subtracts the running max before exp, so nothing
// overflows; the output is a near-one-hot pick of v, compared in relative error.
TEST_P(AttentionOptionTest, LargeLogitsStayFinite) {
  std::mt19937 rng(seed());
  AttentionCase c = gqa_case();
  c.input_scale = 30.0f;  // q . k over 64 dims reaches ~1e4
  c.config.scale = 1.0;
  for (std::int64_t splits : {1, 5}) {
    c.config.key_splits = splits;
    c.sq = 4;
    c.skv = 200;
    const AttentionResult r = run_attention_case(context(), c, rng);
    for (float x : r.out) ASSERT_TRUE(std::isfinite(x));
    EXPECT_GT(r.report.max_abs_ref, 0.0);
    // The tolerance grows with the f32 rounding error of logits this large (attention_case.hpp).
    EXPECT_LE(r.report.rel_err, attention_case_tolerance(c))
        << c.describe() << ": " << r.report.to_string();
  }
}

// The naive GPU path (materialized scores, RoPE by rope()) agrees with the flash kernels
// and with the reference, option by option.
TEST_P(AttentionOptionTest, NaivePathCrossChecksFlash) {
  std::mt19937 rng(seed());
  for (int variant = 0; variant < 6; ++variant) {
    AttentionConfig c;
    c.causal = variant % 2 == 0;
    if (variant == 1) c.window = 7;
    if (variant == 2) c.alibi = true;
    if (variant == 3) c.softcap = 2.0;
    if (variant == 4) c.sinks.assign(6, 0.3f);
    if (variant == 5) c.rope = rope_for(64, RopeLayout::Interleaved, 32);
    const std::int64_t sq = 9, skv = 50, h = 6, hkv = 3, d = 64;
    const auto make = [&](std::int64_t s, std::int64_t heads) {
      return Tensor::from_floats(context(), DType::f32, {2, s, heads, d},
                                 random_floats(static_cast<std::size_t>(2 * s * heads * d)));
    };
    const Tensor q = make(sq, h), k = make(skv, hkv), v = make(skv, hkv);
    const Tensor flash = Tensor::empty(context(), DType::f32, q.shape()), naive = Tensor::empty(context(), DType::f32, q.shape());
    attention(c, q, k, v, flash);
    attention_naive(c, q, k, v, naive);
    const std::vector<float> a = flash.download(), b = naive.download();
    const CompareReport r = compare(a, std::vector<double>(b.begin(), b.end()));
    EXPECT_LE(r.rel_err, 1e-5) << "variant " << variant << ": " << r.to_string();  // two f32 paths
    const auto to_d = [](const std::vector<float>& x) { return std::vector<double>(x.begin(), x.end()); };
    const std::vector<double> want =
        reference::attention(to_d(q.download()), to_d(k.download()), to_d(v.download()), 2, sq, skv, h, hkv, d, c);
    EXPECT_LE(compare(b, want).rel_err, 1e-5) << "variant " << variant;
  }
  const Tensor big_q = Tensor::empty(context(), DType::f32, {1, 64, 8, 64});
  const Tensor big_kv = Tensor::empty(context(), DType::f32, {1, 8192, 8, 64});
  const Tensor big_out = Tensor::empty(context(), DType::f32, {1, 64, 8, 64});
  EXPECT_THROW(attention_naive({}, big_q, big_kv, big_kv, big_out), Error);
}

// Every flash variant (attention_variants.hpp) forced on every device, over head dims, GQA,
// options, one pass and split-KV, each split case with both combine passes; where the decode
// kernel cannot take a call (a prefill, or no subgroup shuffle: baseline emulation), the
// device's own pick runs instead, and the test checks which kernels did.
TEST_P(AttentionOptionTest, EveryKernelVariantMatchesReference) {
  std::mt19937 rng(seed());
  struct Reset {
    ~Reset() {
      detail::force_flash_variant(std::nullopt);
      detail::force_combine_variant(std::nullopt);
    }
  } reset;
  const DeviceInfo& info = context().device();
  const bool shuffles = info.has_subgroup(subgroup_ops::basic | subgroup_ops::shuffle);
  for (detail::FlashVariant variant : {detail::FlashVariant::Team, detail::FlashVariant::Rows,
                                       detail::FlashVariant::RowsTexel, detail::FlashVariant::Decode}) {
    detail::force_flash_variant(variant);
    for (std::int64_t d : {40, 64, 72, 256}) {
      AttentionCase c = gqa_case();
      c.head_dim = d;
      c.config.causal = true;
      if (d == 72) c.config.window = 20;
      else c.config.window.reset();
      // Fused RoPE of q and k (keys rotated on read: never the decode kernel's; its q-only
      // RoPE runs through the KvCache in test_kv_cache.cpp).
      if (d == 72) c.config.rope = rope_for(d, RopeLayout::Neox, 48);
      else c.config.rope.reset();
      if (d == 40) c.q_dtype = c.kv_dtype = DType::f16;
      if (d == 72) c.kv_dtype = DType::f16;  // f16 keys rotated in the team kernel's tile (kept f32)
      if (d == 64 || d == 256) c.config.sinks = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -0.5f};  // one per query head
      if (d == 64) {  // the decode kernel's case: every option it takes
        c.config.window = 300;
        c.config.alibi = true;
        c.config.softcap = 30.0;
      }
      for (auto [sq, skv, splits] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{20, 100, 1}, {2, 600, 3}}) {
        c.sq = sq;
        c.skv = skv;
        c.config.key_splits = splits;
        // The forced kernel where the call and device allow it (the table's rules, which
        // flash_shape applies); the decode kernel must run at least at D = 64, sq = 2.
        const bool rope_keys = c.config.rope.has_value();
        // k and v are fresh tensors: one texel view each when the device's limit holds
        // their texels (4 elements each); SwiftShader's 65,536 do not hold the longer case.
        const bool viewable = c.batch * skv * c.kv_heads * d / 4 <= info.max_texel_buffer_elements;
        const detail::FlashShape shape =
            detail::flash_shape(info, {.head_dim = d, .sq = sq, .group = c.heads / c.kv_heads, .rope_keys = rope_keys,
                                       .kv_texel_viewable = viewable, .rope_half = rope_keys ? 24 : 1,
                                       .kv_vec4_aligned = true,
                                       .kv_f16 = c.kv_dtype == DType::f16});
        const std::string flash = detail::to_string(shape.variant);
        // The team kernel's two ways to sum a team's partial dots both run: subgroup
        // shuffles at D = 64 (teams of 2) where the device has them, shared memory at
        // D = 40 (teams of 5) and under baseline emulation.
        if (variant == detail::FlashVariant::Team && d == 64) {
          EXPECT_EQ(shape.subgroup_sums, shuffles);
        }
        if (variant == detail::FlashVariant::Team && d == 40) {
          EXPECT_FALSE(shape.subgroup_sums);
        }
        if (variant == detail::FlashVariant::Decode && shuffles && d == 64 && sq == 2) {
          EXPECT_EQ(flash, "decode");
        }
        if (variant == detail::FlashVariant::RowsTexel) {
          EXPECT_EQ(flash, viewable ? "rows_texel" : "rows");
        } else if (variant != detail::FlashVariant::Decode) {
          EXPECT_EQ(flash, detail::to_string(variant));
        }
        for (detail::CombineVariant combine : {detail::CombineVariant::Serial, detail::CombineVariant::Parallel}) {
          if (splits == 1 && combine == detail::CombineVariant::Parallel) continue;
          detail::force_combine_variant(combine);
          const std::string what = flash + " / " + detail::to_string(combine) + " " + c.describe();
          const AttentionResult r = run_attention_case(context(), c, rng);
          EXPECT_TRUE(r.guard_intact) << what << ": wrote outside the output";
          EXPECT_LE(r.report.rel_err, attention_case_tolerance(c))
              << what << ": " << r.report.to_string() << " (seed " << seed() << ")";
          ASSERT_FALSE(r.kernels.empty());
          EXPECT_EQ(r.kernels.front(), flash) << what;
          if (splits > 1) {
            EXPECT_EQ(r.kernels.back(), std::string("combine[") + detail::to_string(combine) + "]") << what;
          }
        }
      }
    }
  }
}

// The cooperative-matrix kernel where this build has it and the device reports a KHR f16
// shape (Mesa 26.1 lavapipe's 8x8x8 in ./run.sh test-trixie, which sets
// VKROPE_EXPECT_COOPMAT=1 so the test fails there rather than skip): f16 q, k and v (its
// f16 products and P round at the output's own 2e-3), every option it takes, GQA, head_dims
// of one and several matrix widths, tails of rows and keys, one pass and split.
TEST_P(AttentionOptionTest, CoopMatKernelMatchesReference) {
  const DeviceInfo& info = context().device();
  const detail::FlashRequest probe{.head_dim = 64, .sq = 64, .group = 3, .kv_f16 = true, .q_f16 = true};
  struct Reset {
    ~Reset() { detail::force_flash_variant(std::nullopt); }
  } reset;
  detail::force_flash_variant(detail::FlashVariant::CoopMat);
  const bool runs = detail::flash_shape(info, probe).variant == detail::FlashVariant::CoopMat;
  const char* expect = std::getenv("VKROPE_EXPECT_COOPMAT");
  if (!runs) {
    const std::string why = !has_cooperative_matrix_kernel() ? "this build's glslang lacks GL_KHR_cooperative_matrix"
                            : info.cooperative_matrix.empty()
                                ? "the device reports no cooperative-matrix shape"
                                : "the device has no KHR f16 x f16 + f32 -> f32 shape dividing head_dim 64";
    // (Baseline emulation hides the matrices on purpose; SwiftShader has none.)
    if (expect && std::string(expect) == "1" && info.name.find("llvmpipe") != std::string::npos &&
        !has(GetParam().emulation, Emulation::Baseline))
      FAIL() << "VKROPE_EXPECT_COOPMAT=1 but the kernel cannot run: " << why;
    GTEST_SKIP() << why;
  }
  std::mt19937 rng(seed());
  struct Options {
    bool causal;
    std::optional<std::int64_t> window;
    bool alibi;
    double softcap;
    bool sinks;
    bool explicit_positions;
  };
  const Options option_sets[] = {
      {true, std::nullopt, false, 0.0, false, false},  // causal prefill
      {false, 24, true, 0.0, true, false},             // window, ALiBi, sinks
      {true, std::nullopt, false, 20.0, false, true},  // softcap, explicit positions
  };
  double worst = 0.0;
  for (std::int64_t d : {64, 128}) {
    for (const Options& o : option_sets) {
      // (D 128, two matrix widths more, with the first set only: llvmpipe takes seconds to
      // compile each pipeline.)
      if (d == 128 && &o != &option_sets[0]) continue;
      for (auto [sq, skv, splits] : {std::tuple<std::int64_t, std::int64_t, std::int64_t>{37, 70, 1}, {20, 300, 3}}) {
        AttentionCase c = gqa_case();
        c.head_dim = d;
        c.q_dtype = c.kv_dtype = DType::f16;
        c.sq = sq;
        c.skv = skv;
        c.config.key_splits = splits;
        c.config.causal = o.causal;
        c.config.window = o.window;
        c.config.alibi = o.alibi;
        c.config.softcap = o.softcap;
        if (o.sinks) c.config.sinks.assign(static_cast<std::size_t>(c.heads), 0.5f);
        if (o.explicit_positions) {  // keys in order, queries among them (causal needs q >= some k)
          c.config.key_positions.resize(static_cast<std::size_t>(skv));
          for (std::int64_t j = 0; j < skv; ++j) c.config.key_positions[static_cast<std::size_t>(j)] = 3 * j;
          std::uniform_int_distribution<std::int64_t> pos(0, 3 * skv);
          c.config.query_positions.resize(static_cast<std::size_t>(sq));
          for (auto& p : c.config.query_positions) p = pos(rng);
        }
        const AttentionResult r = run_attention_case(context(), c, rng);
        EXPECT_TRUE(r.guard_intact) << c.describe() << ": wrote outside the output";
        EXPECT_LE(r.report.rel_err, attention_case_tolerance(c))
            << c.describe() << ": " << r.report.to_string() << " (seed " << seed() << ")";
        ASSERT_FALSE(r.kernels.empty());
        EXPECT_EQ(r.kernels.front(), "coopmat") << c.describe();
        worst = std::max(worst, r.report.rel_err);
      }
    }
  }
  // Fused RoPE of q (keys stored rotated by a KvCache): a prefill of 20 queries through an
  // f16 cache, neox with partial rotary dims.
  {
    const std::int64_t batch = 2, skv = 90, sq = 20, h = 6, hkv = 2, d = 64;
    RopeConfig rope = rope_for(d, RopeLayout::Neox, 48);
    const auto floats = [&](std::int64_t n) {
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      std::vector<float> x(static_cast<std::size_t>(n));
      for (float& f : x) f = dist(rng);
      return x;
    };
    const Tensor k_in = Tensor::from_floats(context(), DType::f16, {batch, skv, hkv, d}, floats(batch * skv * hkv * d));
    const Tensor v_in = Tensor::from_floats(context(), DType::f16, {batch, skv, hkv, d}, floats(batch * skv * hkv * d));
    const Tensor q = Tensor::from_floats(context(), DType::f16, {batch, sq, h, d}, floats(batch * sq * h * d));
    KvCache cache(context(), {1, batch, skv, hkv, d, DType::f16}, rope);
    cache.append(0, k_in, v_in);
    AttentionConfig config;
    config.causal = true;
    const Tensor out = Tensor::empty(context(), DType::f16, {batch, sq, h, d});
    Batch profiled(context(), {.profile = true});
    cache.attend(profiled, 0, config, q, out);
    profiled.submit();
    AttentionConfig reference_config = config;
    reference_config.rope = rope;
    const auto doubles = [](const std::vector<float>& x) { return std::vector<double>(x.begin(), x.end()); };
    const CompareReport r = compare(out.download(), reference::attention(doubles(q.download()), doubles(k_in.download()),
                                                                         doubles(v_in.download()), batch, sq, skv, h,
                                                                         hkv, d, reference_config));
    // f16 output, and the cache's keys rounded to f16 after rotation (4.9e-4 each): 2e-3.
    EXPECT_LE(r.rel_err, 2e-3) << "KvCache prefill: " << r.to_string() << " (seed " << seed() << ")";
    const std::vector<DispatchTiming> dispatches = profiled.profile();
    ASSERT_FALSE(dispatches.empty());
    EXPECT_NE(dispatches.back().label.find("attention[coopmat]"), std::string::npos) << dispatches.back().label;
    worst = std::max(worst, r.rel_err);
  }
  std::printf("[worst] coopmat kernel (%s): rel_err %.3g\n", info.name.c_str(), worst);
}

// --- Memory -------------------------------------------------------------------------------

// attention.hpp's scratch formula: none for one pass, partials * B * Sq * H * (D + 4) floats
// for split-KV, partials = splits x lane phases (<= 8); never Sq x Skv. Measured with the Context's peak device memory.
// (The Skv = 16384 prefill runs in test_attention_long.cpp.)
TEST_P(AttentionOptionTest, ScratchFollowsTheHeaderFormula) {
  const std::int64_t skv = 2048, h = 8, d = 128;
  for (auto [sq, splits] : {std::pair<std::int64_t, std::int64_t>{64, 1}, {1, 8}}) {
    // A fresh Context: its batches' scratch arenas start empty, so the first split call's
    // scratch shows in the peak; a later call reuses it.
    const Context ctx = capped_context({});
    const auto make = [&](std::int64_t s, bool fill) {
      const Shape shape = {1, s, h, d};
      return fill ? Tensor::from_floats(ctx, DType::f16, shape, random_floats(static_cast<std::size_t>(s * h * d)))
                  : Tensor::empty(ctx, DType::f16, shape);
    };
    const Tensor k = make(skv, true), v = make(skv, true), q = make(sq, true), out = make(sq, false);
    AttentionConfig c;
    c.causal = true;
    c.key_splits = splits;
    AttentionConfig one_pass = c;
    one_pass.key_splits = 1;
    attention(one_pass, q, k, v, out);  // warm: pipelines and the placeholder binding, no scratch
    ctx.reset_peak_memory();
    const std::uint64_t before = ctx.memory_stats().live_bytes;
    attention(c, q, k, v, out);
    const std::uint64_t scratch = ctx.memory_stats().peak_bytes - before;
    const std::int64_t max_lane_phases = 8;
    const auto formula = static_cast<std::uint64_t>(splits == 1 ? 0 : splits * max_lane_phases * sq * h * (d + 4) * 4);
    EXPECT_LE(scratch, formula) << "Sq " << sq << " splits " << splits;
    if (splits > 1) {  // at least one lane phase's partials: the scratch was measured
      EXPECT_GE(scratch, static_cast<std::uint64_t>(splits * sq * h * (d + 4) * 4)) << "Sq " << sq;
    }
    RecordProperty("scratch_bytes_sq" + std::to_string(sq), std::to_string(scratch));
    ctx.reset_peak_memory();
    const std::uint64_t held = ctx.memory_stats().live_bytes;
    attention(c, q, k, v, out);
    EXPECT_EQ(ctx.memory_stats().peak_bytes, held) << "the second call reuses the scratch";
    // Spot-check the output of the long one-pass case against the reference on its last row.
    if (sq == 64) {
      const std::vector<float> all_k = k.download(), all_v = v.download(), all_q = q.download();
      AttentionConfig last = c;
      last.query_positions = {skv - 1};
      last.key_positions.resize(static_cast<std::size_t>(skv));
      for (std::int64_t j = 0; j < skv; ++j) last.key_positions[static_cast<std::size_t>(j)] = j;
      const std::vector<double> q_row(all_q.end() - h * d, all_q.end());
      const std::vector<double> want = reference::attention(q_row, std::vector<double>(all_k.begin(), all_k.end()),
                                                            std::vector<double>(all_v.begin(), all_v.end()), 1, 1, skv,
                                                            h, h, d, last);
      const std::vector<float> got = out.download();
      // f16 output: 2e-3 (attention_check.hpp).
      EXPECT_LE(compare(std::span<const float>(got).subspan(got.size() - static_cast<std::size_t>(h * d)), want).rel_err, 2e-3);
    }
  }
}

// Split passes whose scratch would pass kMaxAttentionScratch run over chunks of query rows
// sharing one buffer, each chunk's queries at their own positions (causal: the chunks see
// different key prefixes). 1024 keys give 64 key ranges (tiles of 8 or 16 keys), 64 x 8
// heads x 68 floats = 139 KB per query row, so 1000 rows would need 139 MB: three chunks,
// and a peak far below 135 MB shows the chunks ran.
TEST_P(AttentionOptionTest, OversizeSplitScratchRunsInQueryChunks) {
  const std::uint32_t seed = this->seed();
  std::mt19937 rng(seed);
  AttentionCase c;
  c.sq = 1000;
  c.skv = 1024;
  c.heads = c.kv_heads = 8;
  c.head_dim = 64;
  c.config.causal = true;
  c.config.key_splits = 64;
  context().reset_peak_memory();
  const AttentionResult r = run_attention_case(context(), c, rng);
  EXPECT_LE(r.report.rel_err, attention_case_tolerance(c)) << r.report.to_string() << " (seed " << seed << ")";
  // Inputs and output are 4 x 2 MB; the scratch is held to the cap.
  EXPECT_LE(context().memory_stats().peak_bytes, kMaxAttentionScratch + (8u << 20));
}

// --- Bad input ---------------------------------------------------------------------------------

TEST_P(AttentionOptionTest, BadInputIsRejectedWithoutWriting) {
  const Context& ctx = context();
  const auto t = [&](Shape s, DType d = DType::f32) { return Tensor::from_floats(ctx, d, s, random_floats([&] {
                                                                                  std::int64_t n = 1;
                                                                                  for (auto x : s) n *= x;
                                                                                  return static_cast<std::size_t>(n);
                                                                                }())); };
  const Tensor q = t({1, 4, 6, 64}), k = t({1, 8, 2, 64}), v = t({1, 8, 2, 64});
  const Tensor out = Tensor::empty(ctx, DType::f32, {1, 4, 6, 64});
  out.fill_bytes(0x7F);
  const std::vector<float> before = out.download();
  const auto expect_error = [&](const AttentionConfig& config, const Tensor& qq, const Tensor& kk, const Tensor& vv,
                                const Tensor& oo, const std::string& words) {
    try {
      attention(config, qq, kk, vv, oo);
      ADD_FAILURE() << "no error; expected one mentioning '" << words << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  AttentionConfig plain;
  expect_error(plain, t({1, 4, 5, 64}), k, v, Tensor::empty(ctx, DType::f32, {1, 4, 5, 64}), "not a multiple");
  expect_error(plain, q, t({1, 8, 2, 32}), t({1, 8, 2, 32}), out, "head_dim");
  expect_error(plain, q, k, t({1, 9, 2, 64}), out, "differ");
  expect_error(plain, t({1, 4, 6, 12}), t({1, 8, 2, 12}), t({1, 8, 2, 12}), Tensor::empty(ctx, DType::f32, {1, 4, 6, 12}),
               "multiple of 8");
  AttentionConfig causal;
  causal.causal = true;
  const Tensor long_q = t({1, 9, 6, 64});
  expect_error(causal, long_q, k, v, Tensor::empty(ctx, DType::f32, {1, 9, 6, 64}), "explicit positions");
  for (std::int64_t w : {0, -3}) {
    AttentionConfig window;
    window.window = w;
    expect_error(window, q, k, v, out, "window");
  }
  AttentionConfig scale;
  scale.scale = std::nan("");
  expect_error(scale, q, k, v, out, "scale");
  AttentionConfig softcap;
  softcap.softcap = INFINITY;
  expect_error(softcap, q, k, v, out, "softcap");
  AttentionConfig sinks;
  sinks.sinks = {0.f, 0.f};
  expect_error(sinks, q, k, v, out, "sinks");
  AttentionConfig rope;
  rope.rope = rope_for(32, RopeLayout::Neox);
  expect_error(rope, q, k, v, out, "rope.head_dim");
  expect_error(plain, q, k, v, Tensor::empty(ctx, DType::f16, {1, 4, 6, 64}), "out is");
  // Not in-place: out sharing bytes with q, or with k (same shape when Sq = Skv, H = Hkv).
  expect_error(plain, out, k, v, out, "out overlaps q");
  const Tensor square = t({1, 8, 2, 64});
  expect_error(plain, t({1, 8, 2, 64}), square, v, square, "out overlaps k");
  EXPECT_EQ(out.download(), before) << "a rejected call wrote its output";
  attention(plain, q, k, v, out);  // the Context still runs a correct call afterwards
  EXPECT_NE(out.download(), before);
}

INSTANTIATE_TEST_SUITE_P(Devices, AttentionOptionTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
