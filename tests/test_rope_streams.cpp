// RoPE with several positions per token on every device: M-RoPE (Qwen2-VL's contiguous
// sections, Qwen3-VL's interleaved ones) and 2D vision RoPE (Qwen2-VL and Pixtral forms)
// against the double reference in every scaling, layout, dtype and position form; then
// properties (equal streams are plain RoPE, 2D scores depend on the patch offset only), the
// GPU kernel forced, and bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "conformance/rope_case.hpp"
#include "ops/rope_variants.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

using namespace vkrope::conformance;

constexpr RopeScalingType kScalings[] = {RopeScalingType::Default, RopeScalingType::Linear,
                                         RopeScalingType::Dynamic, RopeScalingType::Yarn,
                                         RopeScalingType::Llama3,  RopeScalingType::LongRope};

// Scaling x layout x dtype x partial rotary x position form (144 calls) for one stream
// form; strided views, in place and inverse cycle through them. Tolerances are run_rope_case's:
// f32 1e-6 and f16 1e-3 of max |x| (x the attention factor), as for text RoPE.
std::size_t check_every_combination(const Context& ctx, StreamForm form, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::size_t count = 0;
  for (RopeScalingType type : kScalings)
    for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved})
      for (DType dtype : {DType::f32, DType::f16})
        for (bool partial : {false, true})
          for (PositionMode mode : {PositionMode::Shared, PositionMode::PerBatch, PositionMode::Offset}) {
            RopeCase c;
            c.config = with_stream_form(rope_config(type, layout, partial), form);
            c.dtype = dtype;
            c.positions = mode;
            c.strided = count % 4 == 1;
            c.in_place = count % 4 == 2;
            c.inverse = count % 5 == 3;
            static constexpr std::int64_t kMaxPositions[] = {60, 5000, 300000};
            c.max_position = kMaxPositions[count % 3];
            c.seq = static_cast<std::int64_t>(3 + count % 4);
            const RopeResult r = run_rope_case(ctx, c, rng);
            EXPECT_LE(r.max_abs_err, r.tolerance) << c.describe() << ": " << r.detail << " (seed " << seed << ")";
            EXPECT_TRUE(r.guard_intact) << c.describe() << ": wrote outside its output (seed " << seed << ")";
            ++count;
          }
  return count;
}

using FormParam = std::tuple<DeviceCase, StreamForm>;
class RopeStreamsMatrixTest : public testing::TestWithParam<FormParam> {};

TEST_P(RopeStreamsMatrixTest, MatchesReferenceInEveryCombination) {
  const auto& [device, form] = GetParam();
  std::vector<std::string> messages;
  ContextOptions options = validated_options(device);
  options.on_validation_message = [&messages](std::string_view m) { messages.emplace_back(m); };
  const Context ctx = Context::create(options);
  EXPECT_EQ(check_every_combination(ctx, form, fresh_seed()), 144u);
  for (const auto& m : messages) ADD_FAILURE() << "validation layer: " << m;
}

std::string form_param_name(const testing::TestParamInfo<FormParam>& info) {
  const testing::TestParamInfo<DeviceCase> device(std::get<0>(info.param), info.index);
  std::string form(to_string(std::get<1>(info.param)));
  for (char& ch : form)
    if (ch == '-') ch = '_';
  return case_name(device) + "_" + form;
}

INSTANTIATE_TEST_SUITE_P(Devices, RopeStreamsMatrixTest,
                         testing::Combine(testing::ValuesIn(device_cases()), testing::ValuesIn(kStreamForms)),
                         form_param_name);

using RopeStreamsTest = DeviceTest;

// The GPU kernel (rope_heads.comp) forced: each pair of a 4-pair unit reads its own stream.
TEST_P(RopeStreamsTest, HeadsKernelMatchesReference) {
  struct Reset {
    ~Reset() { detail::force_rope_variant(std::nullopt); }
  } reset;
  detail::force_rope_variant(detail::RopeVariant::Heads);
  std::mt19937 rng(seed());
  for (StreamForm form : kStreamForms)
    for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved})
      for (DType dtype : {DType::f32, DType::f16}) {
        RopeCase c;
        c.config = with_stream_form(rope_config(RopeScalingType::Yarn, layout, false), form);
        c.dtype = dtype;
        c.positions = PositionMode::PerBatch;
        c.max_position = 300000;
        const RopeResult r = run_rope_case(context(), c, rng);
        EXPECT_LE(r.max_abs_err, r.tolerance) << c.describe() << ": " << r.detail;
        if (!r.kernel.empty()) {
          EXPECT_EQ(r.kernel, "heads") << c.describe();
        }
      }
}

std::vector<float> rotate(const Context& ctx, const RopeConfig& config, const std::vector<float>& x,
                          std::vector<std::int64_t> positions) {
  const auto tokens = static_cast<std::int64_t>(x.size()) / config.head_dim;
  const Tensor t = Tensor::from_floats(ctx, DType::f32, {tokens, 1, config.head_dim}, x);
  rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, {std::move(positions), 0});
  return t.download();
}

// A text token in M-RoPE has one position in all three streams: the rotation is then plain
// RoPE's, bit for bit (the same angle table entries multiply).
TEST_P(RopeStreamsTest, EqualStreamsArePlainRope) {
  for (StreamForm form : {StreamForm::MRope, StreamForm::MRopeInterleaved}) {
    const RopeConfig plain = rope_config(RopeScalingType::Default, RopeLayout::Neox, false);
    const RopeConfig mrope = with_stream_form(plain, form);
    const std::vector<std::int64_t> p = {0, 7, 4096, 70000};
    std::vector<std::int64_t> streams;
    for (int s = 0; s < 3; ++s) streams.insert(streams.end(), p.begin(), p.end());
    const auto x = random_floats(4 * 64);
    EXPECT_EQ(rotate(context(), mrope, x, streams), rotate(context(), plain, x, p)) << to_string(form);
  }
}

double dot(const float* a, const float* b, std::int64_t n) {
  double s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// 2D RoPE's point: a query patch's score with a key patch depends on their offset (row and
// column) only, and on both of them.
TEST_P(RopeStreamsTest, VisionScoresDependOnThePatchOffsetOnly) {
  for (StreamForm form : {StreamForm::VisionQwen2VL, StreamForm::VisionPixtral}) {
    RopeConfig config = with_stream_form(rope_config(RopeScalingType::Default, RopeLayout::Neox, false), form);
    const auto q = random_floats(64), k = random_floats(64);
    std::vector<float> qs, ks;
    for (int i = 0; i < 3; ++i) {
      qs.insert(qs.end(), q.begin(), q.end());
      ks.insert(ks.end(), k.begin(), k.end());
    }
    // (row, column) of q and k: offsets (3, -2), (3, -2) shifted by (100, 40), then (3, -1).
    const auto rq = rotate(context(), config, qs, {5, 105, 5, /*columns*/ 1, 41, 1});
    const auto rk = rotate(context(), config, ks, {2, 102, 2, /*columns*/ 3, 43, 2});
    const double scale = std::sqrt(dot(q.data(), q.data(), 64) * dot(k.data(), k.data(), 64));
    const double s0 = dot(&rq[0], &rk[0], 64), s1 = dot(&rq[64], &rk[64], 64), s2 = dot(&rq[128], &rk[128], 64);
    EXPECT_NEAR(s1, s0, 1e-5 * scale) << to_string(form);
    EXPECT_GT(std::abs(s2 - s0), 1e-4 * scale) << to_string(form) << ": the column offset changed nothing";
  }
}

// The patch grid's positions drive a whole image through rope(): checked in double.
TEST_P(RopeStreamsTest, PatchGridPositionsRotateAsTheReference) {
  RopeConfig config;
  config.head_dim = 80;  // Qwen2-VL's vision head (1280 / 16)
  config.vision = RopeVision::Qwen2VL;
  const RopePositions grid = vision_grid_positions(4, 6, 2, 2);  // 2 frames of 4 x 6 patches
  const std::int64_t tokens = 48, heads = 2;
  const auto x = random_floats(static_cast<std::size_t>(tokens * heads * 80));
  const Tensor t = Tensor::from_floats(context(), DType::f32, {tokens, heads, 80}, x);
  rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, grid);
  const std::vector<double> xd(x.begin(), x.end());
  const auto ref = reference::rope(xd, 1, tokens, heads, config, grid.values);
  const CompareReport r = compare(t.download(), ref);
  EXPECT_LE(r.max_abs_err, 1e-6) << r.to_string();  // f32: 1e-6 of max |x| = 1
}

TEST_P(RopeStreamsTest, BadInputIsRefusedWithAClearError) {
  const Context& c = context();
  const Tensor q = Tensor::from_floats(c, DType::f32, {2, 3, 4, 64}, random_floats(2 * 3 * 4 * 64));
  const RopeTensors t{q, std::nullopt, std::nullopt, std::nullopt};
  RopeConfig mrope = with_stream_form(rope_config(RopeScalingType::Default, RopeLayout::Neox, false), StreamForm::MRope);
  // One stream's worth of positions where three are needed.
  expect_invalid_argument([&] { rope(mrope, t, {{0, 1, 2}, 0}); }, "3 position streams");
  RopeConfig bad = mrope;
  bad.mrope_section = {8, 12, 11};
  expect_invalid_argument([&] { rope(bad, t, {{}, 0}); }, "sums to 31");
  bad.mrope_section = {8, 24};
  expect_invalid_argument([&] { rope(bad, t, {{}, 0}); }, "three counts");
  bad.mrope_section.clear();
  bad.mrope_interleaved = true;
  expect_invalid_argument([&] { rope(bad, t, {{}, 0}); }, "without mrope_section");
  RopeConfig vision = rope_config(RopeScalingType::Default, RopeLayout::Neox, false);
  vision.rotary_dim = 22;  // 11 pairs: no even split into row and column
  vision.vision = RopeVision::Pixtral;
  expect_invalid_argument([&] { rope(vision, t, {{}, 0}); }, "multiple of 4");
  vision.rotary_dim = 0;
  vision.mrope_section = {8, 12, 12};
  expect_invalid_argument([&] { rope(vision, t, {{}, 0}); }, "expected one of them");
  // A position out of range in the third stream is named by its index.
  std::vector<std::int64_t> p(9, 1);
  p[8] = -4;
  expect_invalid_argument([&] { rope(mrope, t, {p, 0}); }, "position[8] = -4");
  // Attention's and the cache's RoPE positions: the stream count, a config that has
  // streams, keys rope() can read, a cache that rotates on append.
  const Tensor k = Tensor::from_floats(c, DType::f32, {2, 3, 2, 64}, random_floats(2 * 3 * 2 * 64));
  const Tensor out = Tensor::empty(c, DType::f32, {2, 3, 4, 64});
  AttentionConfig fused;
  fused.rope = mrope;
  fused.query_rope_positions = {0, 1, 2};
  fused.key_rope_positions = {0, 1, 2};
  expect_invalid_argument([&] { attention(fused, q, k, k, out); }, "expected 3 streams x Sq = 9");
  AttentionConfig text = fused;
  text.rope = rope_config(RopeScalingType::Default, RopeLayout::Neox, false);
  expect_invalid_argument([&] { attention(text, q, k, k, out); }, "several position streams");
  fused.query_rope_positions.assign(9, 1);
  fused.key_rope_positions.assign(9, 1);
  const Tensor k8 = Tensor::empty(c, DType::q8_0, {2, 3, 2, 64});
  expect_invalid_argument([&] { attention(fused, q, k8, k8, out); }, "expected f32 or f16 keys");
  KvCacheShape shape;
  shape.capacity = 16;
  shape.kv_heads = 2;
  shape.batch = 2;
  KvCache plain(c, shape);
  expect_invalid_argument([&] { plain.append(0, k, k, RopePositions{{}, 4}); }, "no rope config");
  shape.window = 8;
  KvCache ring(c, shape, mrope);
  expect_invalid_argument([&] { ring.append(0, k, k, RopePositions{{}, 4}); }, "a ring rotates keys");
  expect_rope_works(c, seed());
}

// Attention with M-RoPE or 2D vision RoPE at explicit position streams (q and k rotated by
// rope(), then attended) against the double reference; and without them, every stream at
// the token's position, the same bits as text RoPE. Tolerances: relative (L2) error 1e-5
// with f32 storage (float32 dot products and softmax), 2e-3 with f16 (one rounding of the
// output is 4.9e-4).
TEST_P(RopeStreamsTest, AttentionAtPositionStreamsMatchesReference) {
  std::mt19937 rng(seed());
  const std::int64_t B = 2, Sq = 5, Skv = 9, H = 4, Hkv = 2, D = 64;
  for (StreamForm form : kStreamForms)
    for (DType dtype : {DType::f32, DType::f16}) {
      AttentionConfig config;
      config.causal = true;
      config.rope = with_stream_form(rope_config(RopeScalingType::Yarn, RopeLayout::Neox, false), form);
      const std::int64_t streams = config.rope->position_streams();
      std::uniform_int_distribution<std::int64_t> pos(0, 3000);
      for (std::int64_t i = 0; i < streams * Sq; ++i) config.query_rope_positions.push_back(pos(rng));
      for (std::int64_t i = 0; i < streams * Skv; ++i) config.key_rope_positions.push_back(pos(rng));
      const auto qf = random_floats(std::size_t(B * Sq * H * D)), kf = random_floats(std::size_t(B * Skv * Hkv * D)),
                 vf = random_floats(std::size_t(B * Skv * Hkv * D));
      const Tensor q = Tensor::from_floats(context(), dtype, {B, Sq, H, D}, qf);
      const Tensor k = Tensor::from_floats(context(), dtype, {B, Skv, Hkv, D}, kf);
      const Tensor v = Tensor::from_floats(context(), dtype, {B, Skv, Hkv, D}, vf);
      const Tensor out = Tensor::empty(context(), dtype, {B, Sq, H, D});
      attention(config, q, k, v, out);
      const auto as_double = [](const Tensor& t) {
        const std::vector<float> f = t.download();
        return std::vector<double>(f.begin(), f.end());
      };
      const auto ref = reference::attention(as_double(q), as_double(k), as_double(v), B, Sq, Skv, H, Hkv, D, config);
      const CompareReport r = compare(out.download(), ref);
      EXPECT_LE(r.rel_err, dtype == DType::f32 ? 1e-5 : 2e-3) << to_string(form) << " " << to_string(dtype) << ": "
                                                               << r.to_string();
    }
  // No rope positions: an M-RoPE config rotates as text RoPE, in the kernel.
  const std::int64_t n = B * Skv * Hkv * D;
  const Tensor q = Tensor::from_floats(context(), DType::f32, {B, Sq, H, D}, random_floats(std::size_t(B * Sq * H * D)));
  const Tensor k = Tensor::from_floats(context(), DType::f32, {B, Skv, Hkv, D}, random_floats(std::size_t(n)));
  const Tensor out_text = Tensor::empty(context(), DType::f32, {B, Sq, H, D});
  const Tensor out_m = Tensor::empty(context(), DType::f32, {B, Sq, H, D});
  AttentionConfig text;
  text.causal = true;
  text.rope = rope_config(RopeScalingType::Default, RopeLayout::Neox, false);
  AttentionConfig m = text;
  m.rope = with_stream_form(*text.rope, StreamForm::MRopeInterleaved);
  attention(text, q, k, k, out_text);
  attention(m, q, k, k, out_m);
  EXPECT_EQ(out_m.download(), out_text.download());
}

// A KvCache with M-RoPE, as a Qwen2-VL decoder runs it: a prompt of image tokens at
// (t, h, w) grid positions appended with its position streams, then text tokens decoded
// one at a time at offset positions (rope_deltas) in all streams, each step attended at
// its query positions; every step against one causal reference over all tokens so far.
// Dense f32, dense f16 and paged f16 caches.
TEST_P(RopeStreamsTest, KvCacheAtPositionStreamsMatchesReference) {
  const std::int64_t Hkv = 2, H = 4, D = 64, prompt = 6, steps = 3, delta = 4;
  RopeConfig mrope = with_stream_form(rope_config(RopeScalingType::Default, RopeLayout::Neox, false), StreamForm::MRope);
  struct Layout {
    DType dtype;
    std::int64_t page_size;
  };
  for (const Layout layout : {Layout{DType::f32, 0}, Layout{DType::f16, 0}, Layout{DType::f16, 4}}) {
    KvCacheShape shape;
    shape.capacity = 16;
    shape.kv_heads = Hkv;
    shape.head_dim = D;
    shape.dtype = layout.dtype;
    shape.page_size = layout.page_size;
    shape.pages = layout.page_size ? 8 : 0;
    KvCache cache(context(), shape, mrope);
    // The prompt: one frame of a 2 x 3 image at t = 0 (stream-major: t, h, w).
    std::vector<std::int64_t> t_stream(prompt, 0), h_stream = {0, 0, 0, 1, 1, 1}, w_stream = {0, 1, 2, 0, 1, 2};
    std::vector<std::int64_t> key_streams[3] = {t_stream, h_stream, w_stream};
    const std::int64_t total = prompt + steps;
    const auto kf = random_floats(std::size_t(total * Hkv * D)), vf = random_floats(std::size_t(total * Hkv * D)),
               qf = random_floats(std::size_t(steps * H * D));
    const Tensor k = Tensor::from_floats(context(), DType::f32, {1, total, Hkv, D}, kf);
    const Tensor v = Tensor::from_floats(context(), DType::f32, {1, total, Hkv, D}, vf);
    const auto rows = [](const Tensor& x, std::int64_t first, std::int64_t count) {
      const std::int64_t heads = x.shape()[2], d = x.shape()[3];
      return x.view({1, count, heads, d}, x.strides(), x.offset() + first * heads * d);
    };
    std::vector<std::int64_t> prompt_positions;
    for (const auto& stream : key_streams) prompt_positions.insert(prompt_positions.end(), stream.begin(), stream.end());
    cache.append(0, rows(k, 0, prompt), rows(v, 0, prompt), RopePositions{prompt_positions, 0});
    for (std::int64_t step = 0; step < steps; ++step) {
      const std::int64_t token = prompt + step, position = token - delta;  // text after the image
      for (auto& stream : key_streams) stream.push_back(position);
      const Tensor q = Tensor::from_floats(context(), DType::f32, {1, 1, H, D},
                                           std::vector<float>(qf.begin() + step * H * D, qf.begin() + (step + 1) * H * D));
      const Tensor out = Tensor::empty(context(), DType::f32, {1, 1, H, D});
      Batch batch(context());
      cache.append(batch, 0, rows(k, token, 1), rows(v, token, 1), RopePositions{{}, position});
      cache.attend(batch, 0, {}, q, out, RopePositions{{}, position});
      batch.submit();
      // The reference over the tokens so far, keys and values as stored (f16 rounded).
      AttentionConfig config;
      config.causal = true;
      config.rope = mrope;
      config.query_rope_positions = {position, position, position};
      for (const auto& stream : key_streams) config.key_rope_positions.insert(config.key_rope_positions.end(), stream.begin(), stream.end());
      const auto stored = [&](const Tensor& x) {
        const std::vector<float> f =
            Tensor::from_floats(context(), layout.dtype, {1, token + 1, Hkv, D}, rows(x, 0, token + 1).download()).download();
        return std::vector<double>(f.begin(), f.end());
      };
      const std::vector<float> qv = q.download();
      const auto ref = reference::attention(std::vector<double>(qv.begin(), qv.end()), stored(k), stored(v), 1, 1,
                                            token + 1, H, Hkv, D, config);
      const CompareReport r = compare(out.download(), ref);
      // f32: 1e-5; f16 keys rotated and then rounded, where the reference rounds and then
      // rotates: 2e-3 (a few f16 roundings of the inputs).
      EXPECT_LE(r.rel_err, layout.dtype == DType::f32 ? 1e-5 : 2e-3)
          << to_string(layout.dtype) << " page " << layout.page_size << " step " << step << ": " << r.to_string();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, RopeStreamsTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
