// RoPE on every device against the double-precision reference: every layout and scaling
// type, f32/f16, partial rotary, the three position forms, strided views, in place and
// inverse; then properties of the GPU output, far positions, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "ops/rope_check.hpp"
#include "ops/rope_variants.hpp"
#include "support/device_matrix.hpp"
#include "conformance/rope_case.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

using namespace vkrope::conformance;

using ScalingParam = std::tuple<DeviceCase, RopeScalingType>;

class RopeMatrixTest : public testing::TestWithParam<ScalingParam> {};

// Every combination but the scaling type (192): layout x dtype x partial rotary x position
// form x strided x in place x inverse, each run on ctx against the reference and checked;
// returns the results (each detail replaced by its case's description). Short and long
// contexts (dynamic and longrope switch tables at 2048 and 1024), positions past 2^16 so
// every digit of the angle tables is used, ragged sequence lengths.
std::vector<RopeResult> check_every_combination(const Context& ctx, RopeScalingType type, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<RopeResult> results;
  for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved})
    for (DType dtype : {DType::f32, DType::f16})
      for (bool partial : {false, true})
        for (PositionMode mode : {PositionMode::Shared, PositionMode::PerBatch, PositionMode::Offset})
          for (bool strided : {false, true})
            for (bool in_place : {false, true})
              for (bool inverse : {false, true}) {
                RopeCase c;
                c.config = rope_config(type, layout, partial);
                c.dtype = dtype;
                c.positions = mode;
                c.strided = strided;
                c.in_place = in_place;
                c.inverse = inverse;
                static constexpr std::int64_t kMaxPositions[] = {500, 5000, 300000};
                const std::size_t index = results.size();
                c.max_position = kMaxPositions[index % 3];
                c.seq = static_cast<std::int64_t>(3 + (index + 1) % 5);
                RopeResult r = run_rope_case(ctx, c, rng);
                EXPECT_LE(r.max_abs_err, r.tolerance) << c.describe() << ": " << r.detail << " (seed " << seed << ")";
                EXPECT_TRUE(r.guard_intact) << c.describe() << ": wrote outside its output (seed " << seed << ")";
                r.detail = c.describe();
                results.push_back(std::move(r));
              }
  return results;
}

// One test per (device, scaling type), looping over the other 192 combinations so each
// CTest process amortizes its context creation.
TEST_P(RopeMatrixTest, MatchesReferenceInEveryCombination) {
  const auto& [device, type] = GetParam();
  std::vector<std::string> messages;
  ContextOptions options = validated_options(device);
  options.on_validation_message = [&messages](std::string_view m) { messages.emplace_back(m); };
  const Context ctx = Context::create(options);
  EXPECT_EQ(check_every_combination(ctx, type, fresh_seed()).size(), 192u);
  for (const auto& m : messages) ADD_FAILURE() << "validation layer: " << m;
}

std::string scaling_param_name(const testing::TestParamInfo<ScalingParam>& info) {
  const testing::TestParamInfo<DeviceCase> device(std::get<0>(info.param), info.index);
  return case_name(device) + "_" + std::string(to_string(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Devices, RopeMatrixTest,
                         testing::Combine(testing::ValuesIn(device_cases()),
                                          testing::Values(RopeScalingType::Default, RopeScalingType::Linear,
                                                          RopeScalingType::Dynamic, RopeScalingType::Yarn,
                                                          RopeScalingType::Llama3, RopeScalingType::LongRope)),
                         scaling_param_name);

// --- Properties of the GPU output ---------------------------------------------------------

using RopePropertyTest = DeviceTest;

// The GPU kernel (rope_heads.comp, an invocation per token, 4 pairs and head) forced on
// every device over the same combinations, for the plain and the YaRN tables (YaRN's
// attention factor scales the cosines and sines); every one of them can take it (f32 or f16
// words, views in whole vec4s, rotary dims of 64 and 24). CPU drivers run the tokens
// kernel by themselves, which the matrix above checks.
TEST_P(RopePropertyTest, HeadsKernelMatchesReferenceInEveryCombination) {
  struct Reset {
    ~Reset() { detail::force_rope_variant(std::nullopt); }
  } reset;
  detail::force_rope_variant(detail::RopeVariant::Heads);
  for (RopeScalingType type : {RopeScalingType::Default, RopeScalingType::Yarn}) {
    const std::vector<RopeResult> results = check_every_combination(context(), type, seed());
    EXPECT_EQ(results.size(), 192u);
    for (const RopeResult& r : results) {
      if (!r.kernel.empty()) {
        EXPECT_EQ(r.kernel, "heads") << r.detail;
      }
    }
  }
}


RopeConfig plain_config(RopeLayout layout = RopeLayout::Neox) {
  RopeConfig c;
  c.head_dim = 64;
  c.layout = layout;
  return c;
}

// Rotates rows of x ([tokens, 1, 64]) at the given positions on the GPU.
std::vector<float> gpu_rope(const Context& ctx, const RopeConfig& config, const std::vector<float>& x,
                            std::vector<std::int64_t> positions, bool inverse = false) {
  const auto tokens = static_cast<std::int64_t>(positions.size());
  const Tensor t = Tensor::from_floats(ctx, DType::f32, {tokens, 1, config.head_dim}, x);
  rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, {std::move(positions), 0}, inverse);
  return t.download();
}

double dot(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

TEST_P(RopePropertyTest, ScoreDependsOnlyOnRelativePosition) {
  for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved}) {
    const RopeConfig config = plain_config(layout);
    const auto q = random_floats(64), k = random_floats(64);
    std::vector<float> qs, ks;
    for (int i = 0; i < 3; ++i) {
      qs.insert(qs.end(), q.begin(), q.end());
      ks.insert(ks.end(), k.begin(), k.end());
    }
    const auto rq = gpu_rope(context(), config, qs, {5, 105, 100005});
    const auto rk = gpu_rope(context(), config, ks, {2, 102, 100002});
    const double s0 = dot(&rq[0], &rk[0], 64), s1 = dot(&rq[64], &rk[64], 64), s2 = dot(&rq[128], &rk[128], 64);
    const double scale = std::sqrt(dot(q.data(), q.data(), 64) * dot(k.data(), k.data(), 64));
    // Each score is a sum of 64 float32 products of rotated values: 1e-5 of |q||k| is ample.
    EXPECT_NEAR(s1, s0, 1e-5 * scale) << to_string(layout);
    EXPECT_NEAR(s2, s0, 1e-5 * scale) << to_string(layout);
    // And it does depend on the offset: (5, 2) differs from (5, 4).
    const auto rk4 = gpu_rope(context(), config, k, {4});
    EXPECT_GT(std::abs(dot(&rq[0], &rk4[0], 64) - s0), 1e-4 * scale);
  }
}

TEST_P(RopePropertyTest, NormsArePreservedAndInverseUndoesForward) {
  const RopeConfig config = plain_config();
  const auto x = random_floats(64 * 6);
  const std::vector<std::int64_t> positions = {0, 1, 4096, 65535, 1 << 20, 1 << 24};
  const auto y = gpu_rope(context(), config, x, positions);
  for (std::size_t t = 0; t < positions.size(); ++t) {
    const double nx = std::sqrt(dot(&x[t * 64], &x[t * 64], 64)), ny = std::sqrt(dot(&y[t * 64], &y[t * 64], 64));
    EXPECT_NEAR(ny, nx, 1e-6 * nx) << "position " << positions[t];
  }
  const auto back = gpu_rope(context(), config, y, positions, /*inverse=*/true);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(back[i], x[i], 2e-6) << i;
}

TEST_P(RopePropertyTest, InterleavedEqualsNeoxUnderThePairPermutation) {
  const auto neox_in = random_floats(64 * 3);
  std::vector<float> inter_in(neox_in.size());
  for (int t = 0; t < 3; ++t)
    for (int i = 0; i < 32; ++i) {
      inter_in[static_cast<std::size_t>(t * 64 + 2 * i)] = neox_in[static_cast<std::size_t>(t * 64 + i)];
      inter_in[static_cast<std::size_t>(t * 64 + 2 * i + 1)] = neox_in[static_cast<std::size_t>(t * 64 + i + 32)];
    }
  const std::vector<std::int64_t> positions = {3, 777, 123456};
  const auto neox = gpu_rope(context(), plain_config(RopeLayout::Neox), neox_in, positions);
  const auto inter = gpu_rope(context(), plain_config(RopeLayout::Interleaved), inter_in, positions);
  for (int t = 0; t < 3; ++t)
    for (int i = 0; i < 32; ++i) {
      EXPECT_EQ(inter[static_cast<std::size_t>(t * 64 + 2 * i)], neox[static_cast<std::size_t>(t * 64 + i)]);
      EXPECT_EQ(inter[static_cast<std::size_t>(t * 64 + 2 * i + 1)], neox[static_cast<std::size_t>(t * 64 + i + 32)]);
    }
}

// --- Far positions: the exactness bound -----------------------------------------------------

TEST_P(RopePropertyTest, ExactAtFarPositions) {
  // Positions spread up to 2^20 (and the extreme 2^24), head_dim 128 (the fastest pair
  // turns by 1 radian per position). Bound: max |out - float64 RoPE| <= 1e-6 * max |x|.
  RopeConfig config;
  config.head_dim = 128;
  std::vector<std::int64_t> positions = {4096, 32768, 131072, (1 << 20) - 1, 1 << 20, 1 << 24};
  std::mt19937 rng(seed());
  for (int i = 0; i < 58; ++i) positions.push_back(std::uniform_int_distribution<std::int64_t>(0, 1 << 20)(rng));
  const auto x = random_floats(positions.size() * 128);
  const Tensor t = Tensor::from_floats(context(), DType::f32, {static_cast<std::int64_t>(positions.size()), 1, 128}, x);
  rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, {positions, 0});
  const std::vector<double> xd(x.begin(), x.end());
  const auto ref = reference::rope(xd, 1, static_cast<std::int64_t>(positions.size()), 1, config, positions);
  double max_x = 0;
  for (float v : x) max_x = std::max<double>(max_x, std::abs(v));
  const CompareReport r = compare(t.download(), ref);
  EXPECT_LE(r.max_abs_err, 1e-6 * max_x) << r.to_string();
  RecordProperty("far_position_max_abs_err_over_max_x", std::to_string(r.max_abs_err / max_x));

  // The plain float32 recipe, cos(float(p) * inv_freq), on the same data fails the bound
  // by orders of magnitude: this is why the kernel uses exact angle tables.
  const RopeFrequencies f = rope_frequencies(config, 1 << 24);
  double naive_err = 0;
  for (std::size_t tok = 0; tok < positions.size(); ++tok)
    for (int i = 0; i < 64; ++i) {
      const float angle = static_cast<float>(positions[tok]) * static_cast<float>(f.inv_freq[static_cast<std::size_t>(i)]);
      const float c = std::cos(angle), s = std::sin(angle);
      const float a = x[tok * 128 + static_cast<std::size_t>(i)], b = x[tok * 128 + static_cast<std::size_t>(i) + 64];
      naive_err = std::max(naive_err, std::abs(static_cast<double>(a * c - b * s) - ref[tok * 128 + static_cast<std::size_t>(i)]));
    }
  EXPECT_GT(naive_err, 100 * 1e-6 * max_x) << "the float32 recipe unexpectedly met the bound";
}

// --- Bad input ----------------------------------------------------------------------------

void expect_error(ErrorKind kind, const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "accepted; expected an error mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST_P(RopePropertyTest, BadInputIsRefusedWithAClearError) {
  const Context& c = context();
  const Tensor q = Tensor::from_floats(c, DType::f32, {2, 3, 4, 64}, random_floats(2 * 3 * 4 * 64));
  const Tensor k = Tensor::from_floats(c, DType::f32, {2, 3, 2, 64}, random_floats(2 * 3 * 2 * 64));
  const Tensor k32 = Tensor::empty(c, DType::f32, {2, 3, 2, 32});
  const Tensor k_f16 = Tensor::empty(c, DType::f16, {2, 3, 2, 64});
  const Tensor k_seq = Tensor::empty(c, DType::f32, {2, 4, 2, 64});
  const RopeConfig good = plain_config();
  const RopeTensors qk{q, std::nullopt, k, std::nullopt};
  const RopePositions three{{0, 1, 2}, 0};
  auto with = [&](auto edit) {
    RopeConfig cfg = good;
    edit(cfg);
    return cfg;
  };
  const auto invalid = ErrorKind::InvalidArgument;
  expect_error(invalid, [&] { rope(with([](RopeConfig& x) { x.rotary_dim = 31; }), qk, three); }, "rotary");
  expect_error(invalid, [&] { rope(with([](RopeConfig& x) { x.rotary_dim = 66; }), qk, three); }, "rotary");
  expect_error(invalid, [&] { rope(with([](RopeConfig& x) { x.head_dim = 32; }), qk, three); }, "head_dim");
  expect_error(invalid, [&] { rope(good, {q, std::nullopt, k32, std::nullopt}, three); }, "head_dim");
  expect_error(invalid, [&] { rope(good, {q, std::nullopt, k_f16, std::nullopt}, three); }, "dtype");
  expect_error(invalid, [&] { rope(good, {q, std::nullopt, k_seq, std::nullopt}, three); }, "sequence");
  expect_error(invalid, [&] { rope(good, qk, {{0, -1, 2}, 0}); }, "position[1] = -1");
  expect_error(invalid, [&] { rope(good, qk, {{0, 1}, 0}); }, "2 positions");
  expect_error(invalid, [&] { rope(good, qk, {{0, 1, (1 << 24) + 1}, 0}); }, "2^24");
  expect_error(invalid, [&] { rope(good, qk, {{}, (1 << 24) - 1}); }, "offset");
  expect_error(invalid, [&] { rope(good, {q.view({2, 3, 4, 32}, {768, 256, 64, 2}), std::nullopt, std::nullopt, std::nullopt}, three); },
               "stride");
  expect_error(invalid, [&] { rope(good, {Tensor::empty(c, DType::f32, {64}), std::nullopt, std::nullopt, std::nullopt}, three); },
               "expected [batch");
  // Positions up to 2^24 inclusive are accepted.
  rope(good, qk, {{0, 1, 1 << 24}, 0});
}

// f16 views that do not fall on 32-bit words (an odd offset, or neox with an odd number of
// pairs) need native 16-bit storage: computed there, refused with Unsupported elsewhere.
TEST_P(RopePropertyTest, F16ViewsOffWordBoundariesNeedNative16BitStorage) {
  const bool native = context().device().storage_16bit;
  struct Odd {
    std::int64_t offset, rotary_dim;
  };
  for (const Odd odd : {Odd{1, 0}, Odd{0, 6}, Odd{3, 10}}) {
    RopeConfig config = plain_config();
    config.rotary_dim = odd.rotary_dim;
    const std::int64_t S = 3, H = 2, D = 64;
    const auto x = random_floats(static_cast<std::size_t>(S * H * D));
    const Tensor base = Tensor::empty(context(), DType::f16, {odd.offset + S * H * D});
    const Tensor q = base.view({S, H, D}, {H * D, D, 1}, odd.offset);
    q.upload(x);
    const std::vector<float> stored = q.download();
    const RopePositions positions{{5, 6000, 70000}, 0};
    const RopeTensors t{q, std::nullopt, std::nullopt, std::nullopt};
    if (!native) {
      expect_error(ErrorKind::Unsupported, [&] { rope(config, t, positions); }, "16-bit storage");
      continue;
    }
    rope(config, t, positions);
    const std::vector<double> xd(stored.begin(), stored.end());
    const auto ref = reference::rope(xd, 1, S, H, config, positions.values);
    const CompareReport r = compare(q.download(), ref);
    EXPECT_LE(r.max_abs_err, 1e-3 * 1.0) << "offset " << odd.offset << " rotary " << odd.rotary_dim << ": "
                                         << r.to_string();
  }
}

TEST_P(RopePropertyTest, CheckedModeCatchesAWrongResult) {
  const RopeConfig config = plain_config();
  const Tensor q = Tensor::from_floats(context(), DType::f32, {4, 2, 64}, random_floats(4 * 2 * 64));
  const RopeTensors t{q, std::nullopt, std::nullopt, std::nullopt};
  const RopePositions p{{10, 20, 30, 40}, 0};
  const detail::RopeSnapshot before = detail::snapshot_rope_inputs(t);
  Batch batch(context());
  rope(batch, config, t, p);
  batch.submit();
  detail::check_rope(config, t, p, false, before);  // the right answer passes
  auto values = q.download();
  values[77] += 1e-3f;  // one element off by far more than the tolerance
  q.upload(values);
  try {
    detail::check_rope(config, t, p, false, before);
    FAIL() << "a corrupted result passed the check";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Mismatch);
    EXPECT_NE(std::string(e.what()).find("element 77"), std::string::npos) << e.what();
  }
}

TEST_P(RopePropertyTest, CheckedContextRunsTheReference) {
  ContextOptions options = validated_options(GetParam());
  options.checked = true;
  const Context checked = Context::create(options);
  RopeConfig config = rope_config(RopeScalingType::Yarn, RopeLayout::Neox, true);
  const Tensor q = Tensor::from_floats(checked, DType::f16, {3, 4, 64}, random_floats(3 * 4 * 64));
  rope(config, {q, std::nullopt, std::nullopt, std::nullopt}, {{}, 4000});  // passes the check
  EXPECT_TRUE(checked.validation_messages().empty());
}

INSTANTIATE_TEST_SUITE_P(Devices, RopePropertyTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
