// Linear attention with RoPE on every device against the double-precision reference
// (RoFormer eq. 19, evaluated term by term): shapes, GQA, both feature maps, RoPE layouts
// and scalings, f16 storage, strided views, chunked causal == quadratic == step-by-step
// decode state, many segments, zero normalizers, and bad input.
//
// Tolerances (linear_attention_tolerance): relative L2 error 1e-5 for f32 storage (float32
// sums of at most a few hundred products per output here; ~1e-6 seen), 2e-3 for f16 (the
// output's rounding to 11 significant bits is 4.9e-4 of it; f16 inputs are read back as
// stored, so the reference sees the same values).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "ops/linear_attention_plan.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/linear_attention.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

struct Shape6 {
  std::int64_t batch = 1, sq = 1, skv = 1, heads = 1, kv_heads = 1, dim = 64, value_dim = 64;
  std::string describe() const {
    return "B" + std::to_string(batch) + " Sq" + std::to_string(sq) + " Skv" + std::to_string(skv) + " H" +
           std::to_string(heads) + " Hkv" + std::to_string(kv_heads) + " D" + std::to_string(dim) + " Dv" +
           std::to_string(value_dim);
  }
};

struct Inputs {
  std::vector<float> q, k, v;
};

Inputs random_inputs(const Shape6& s, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Inputs in;
  in.q.resize(static_cast<std::size_t>(s.batch * s.sq * s.heads * s.dim));
  in.k.resize(static_cast<std::size_t>(s.batch * s.skv * s.kv_heads * s.dim));
  in.v.resize(static_cast<std::size_t>(s.batch * s.skv * s.kv_heads * s.value_dim));
  for (auto* a : {&in.q, &in.k, &in.v})
    for (float& x : *a) x = u(rng);
  return in;
}

std::vector<double> to_double(const std::vector<float>& x) { return {x.begin(), x.end()}; }

// Runs one call (tensors in `dtype`) and compares with the reference on the values as
// stored. Returns the report.
CompareReport run_case(const Context& ctx, const Shape6& s, const LinearAttentionConfig& config, DType dtype,
                       std::mt19937& rng) {
  const Inputs in = random_inputs(s, rng);
  const Tensor q = Tensor::from_floats(ctx, dtype, {s.batch, s.sq, s.heads, s.dim}, in.q);
  const Tensor k = Tensor::from_floats(ctx, dtype, {s.batch, s.skv, s.kv_heads, s.dim}, in.k);
  const Tensor v = Tensor::from_floats(ctx, dtype, {s.batch, s.skv, s.kv_heads, s.value_dim}, in.v);
  const Tensor out = Tensor::empty(ctx, dtype, {s.batch, s.sq, s.heads, s.value_dim});
  linear_attention(config, q, k, v, out);
  const auto expected = reference::linear_attention(to_double(q.download()), to_double(k.download()),
                                                    to_double(v.download()), s.batch, s.sq, s.skv, s.heads,
                                                    s.kv_heads, s.dim, s.value_dim, config);
  return compare(out.download(), expected);
}

std::string describe(const LinearAttentionConfig& c) {
  std::string s = std::string(c.causal ? "causal " : "") + std::string(to_string(c.feature));
  if (c.rope) s += " rope " + std::string(to_string(c.rope->layout)) + " " + std::string(to_string(c.rope->scaling.type));
  if (c.chunk) s += " chunk " + std::to_string(c.chunk);
  return s;
}

RopeConfig rope_for(std::int64_t dim, RopeLayout layout = RopeLayout::Neox) {
  RopeConfig r;
  r.head_dim = dim;
  r.layout = layout;
  return r;
}

using LinearAttentionTest = DeviceTest;

TEST_P(LinearAttentionTest, MatchesReferenceAcrossShapes) {
  std::mt19937 rng(seed());
  double worst = 0.0;
  const Shape6 shapes[] = {
      {1, 1, 1, 4, 4, 64, 64},   {2, 37, 37, 6, 2, 64, 48}, {1, 100, 100, 8, 1, 32, 32},
      {1, 13, 77, 4, 2, 16, 24}, {3, 5, 5, 2, 2, 8, 3},
  };
  for (const Shape6& s : shapes)
    for (bool causal : {false, true}) {
      if (causal && s.sq != s.skv) continue;
      for (LinearFeature feature : {LinearFeature::Elu1, LinearFeature::Relu})
        for (bool rope : {false, true}) {
          LinearAttentionConfig c;
          c.causal = causal;
          c.feature = feature;
          if (rope) c.rope = rope_for(s.dim);
          const CompareReport r = run_case(context(), s, c, DType::f32, rng);
          EXPECT_LE(r.rel_err, 1e-5) << s.describe() << " " << describe(c) << ": " << r.to_string();
          worst = std::max(worst, r.rel_err);
        }
    }
  std::printf("[worst] linear attention f32 shapes: rel_err %.3g\n", worst);
}

TEST_P(LinearAttentionTest, EveryRopeLayoutAndScaling) {
  std::mt19937 rng(seed());
  double worst = 0.0;
  const Shape6 s{2, 40, 40, 4, 2, 64, 32};
  std::vector<RopeConfig> ropes;
  for (RopeLayout layout : {RopeLayout::Neox, RopeLayout::Interleaved}) {
    RopeConfig r = rope_for(64, layout);
    ropes.push_back(r);
    r.rotary_dim = 32;  // partial rotary
    ropes.push_back(r);
  }
  for (RopeScalingType type : {RopeScalingType::Linear, RopeScalingType::Dynamic, RopeScalingType::Yarn,
                               RopeScalingType::Llama3}) {
    RopeConfig r = rope_for(64);
    r.scaling.type = type;
    r.scaling.factor = 4.0;
    r.max_position_embeddings = 64;
    if (type == RopeScalingType::Llama3 || type == RopeScalingType::Yarn) r.scaling.original_max_position_embeddings = 16;
    ropes.push_back(r);
  }
  for (const RopeConfig& rope : ropes)
    for (bool causal : {false, true}) {
      LinearAttentionConfig c;
      c.causal = causal;
      c.rope = rope;
      // Explicit positions past the trained length (dynamic scaling then rescales).
      std::uniform_int_distribution<std::int64_t> pos(0, 300);
      c.query_positions.resize(static_cast<std::size_t>(s.sq));
      c.key_positions.resize(static_cast<std::size_t>(s.skv));
      for (auto& p : c.query_positions) p = pos(rng);
      c.key_positions = causal ? c.query_positions : c.key_positions;
      for (auto& p : c.key_positions)
        if (!causal) p = pos(rng);
      const CompareReport r = run_case(context(), s, c, DType::f32, rng);
      EXPECT_LE(r.rel_err, 1e-5) << s.describe() << " " << describe(c) << ": " << r.to_string();
      worst = std::max(worst, r.rel_err);
    }
  std::printf("[worst] linear attention RoPE layouts and scalings: rel_err %.3g\n", worst);
}

TEST_P(LinearAttentionTest, F16Storage) {
  std::mt19937 rng(seed());
  double worst = 0.0;
  for (const Shape6& s : {Shape6{2, 33, 33, 4, 2, 64, 64}, Shape6{1, 20, 9, 2, 1, 32, 16}})
    for (bool causal : {false, true}) {
      if (causal && s.sq != s.skv) continue;
      LinearAttentionConfig c;
      c.causal = causal;
      c.rope = rope_for(s.dim);
      const CompareReport r = run_case(context(), s, c, DType::f16, rng);
      EXPECT_LE(r.rel_err, 2e-3) << s.describe() << " " << describe(c) << ": " << r.to_string();
      worst = std::max(worst, r.rel_err);
    }
  // An odd value_dim: native 16-bit storage where the device has it, a clear refusal where not.
  const Shape6 odd{1, 9, 9, 2, 2, 16, 5};
  LinearAttentionConfig c;
  c.causal = true;
  if (context().device().storage_16bit) {
    const CompareReport r = run_case(context(), odd, c, DType::f16, rng);
    EXPECT_LE(r.rel_err, 2e-3) << odd.describe() << ": " << r.to_string();
    worst = std::max(worst, r.rel_err);
  } else {
    try {
      run_case(context(), odd, c, DType::f16, rng);
      ADD_FAILURE() << "an odd f16 value_dim without 16-bit storage was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
      EXPECT_NE(std::string(e.what()).find("16-bit storage"), std::string::npos) << e.what();
    }
  }
  std::printf("[worst] linear attention f16: rel_err %.3g\n", worst);
}

// Causal: any chunk size, the quadratic reference, and token-by-token decode through a
// state agree; so does a prefill continued by decode steps.
TEST_P(LinearAttentionTest, ChunkedEqualsQuadraticEqualsDecodeState) {
  std::mt19937 rng(seed());
  const Shape6 s{2, 45, 45, 4, 2, 32, 24};
  const Inputs in = random_inputs(s, rng);
  const Context& ctx = context();
  const Tensor q = Tensor::from_floats(ctx, DType::f32, {s.batch, s.sq, s.heads, s.dim}, in.q);
  const Tensor k = Tensor::from_floats(ctx, DType::f32, {s.batch, s.skv, s.kv_heads, s.dim}, in.k);
  const Tensor v = Tensor::from_floats(ctx, DType::f32, {s.batch, s.skv, s.kv_heads, s.value_dim}, in.v);
  LinearAttentionConfig c;
  c.causal = true;
  c.rope = rope_for(s.dim, RopeLayout::Interleaved);
  const auto expected = reference::linear_attention(to_double(in.q), to_double(in.k), to_double(in.v), s.batch, s.sq,
                                                    s.skv, s.heads, s.kv_heads, s.dim, s.value_dim, c);
  for (std::int64_t chunk : {1, 7, 32}) {
    c.chunk = chunk;
    const Tensor out = Tensor::empty(ctx, DType::f32, {s.batch, s.sq, s.heads, s.value_dim});
    linear_attention(c, q, k, v, out);
    const CompareReport r = compare(out.download(), expected);
    EXPECT_LE(r.rel_err, 1e-5) << "chunk " << chunk << ": " << r.to_string();
  }
  c.chunk = 0;

  // Decode: a prefill of the first `first` tokens, then one token per call.
  for (std::int64_t first : {0, 20}) {
    LinearAttentionState state(ctx, s.batch, s.kv_heads, s.dim, s.value_dim);
    const Tensor out = Tensor::empty(ctx, DType::f32, {s.batch, s.sq, s.heads, s.value_dim});
    const auto tokens = [](const Tensor& t, std::int64_t t0, std::int64_t n) {
      std::vector<std::int64_t> shape = t.shape();
      shape[1] = n;
      return t.view(shape, t.strides(), t.offset() + t0 * t.strides()[1]);
    };
    if (first > 0) linear_attention(c, tokens(q, 0, first), tokens(k, 0, first), tokens(v, 0, first), tokens(out, 0, first), &state);
    for (std::int64_t t = first; t < s.sq; ++t) {
      Batch batch(ctx);
      linear_attention(batch, c, tokens(q, t, 1), tokens(k, t, 1), tokens(v, t, 1), tokens(out, t, 1), &state);
      batch.submit();
    }
    EXPECT_EQ(state.tokens(), s.sq);
    const CompareReport r = compare(out.download(), expected);
    EXPECT_LE(r.rel_err, 1e-5) << "decode after a prefill of " << first << ": " << r.to_string();
    std::printf("[worst] linear attention decode state after a prefill of %ld: rel_err %.3g\n",
                static_cast<long>(first), r.rel_err);

    // The state holds S = sum_n (R_n phi(k_n)) v_n^T and z = sum_n phi(k_n).
    if (first == 0) {
      const std::vector<float> z = state.z().download();
      double worst_z = 0.0;
      for (std::int64_t b = 0; b < s.batch; ++b)
        for (std::int64_t g = 0; g < s.kv_heads; ++g)
          for (std::int64_t d = 0; d < s.dim; ++d) {
            double sum = 0.0;
            for (std::int64_t n = 0; n < s.skv; ++n) {
              const double x = in.k[static_cast<std::size_t>(((b * s.skv + n) * s.kv_heads + g) * s.dim + d)];
              sum += x > 0.0 ? x + 1.0 : std::exp(x);
            }
            const double got = z[static_cast<std::size_t>((b * s.kv_heads + g) * s.dim + d)];
            worst_z = std::max(worst_z, std::abs(got - sum) / sum);
          }
      EXPECT_LE(worst_z, 1e-5) << "z";
    }
  }
}

// Long calls run as segments sharing one scratch; a tiny budget makes every chunk its own
// segment (causal: the running state crosses segments; non-causal: the total does).
TEST_P(LinearAttentionTest, ManySegmentsMatchOne) {
  std::mt19937 rng(seed());
  detail::set_linear_attention_scratch_limit(1);
  struct Reset {
    ~Reset() { detail::set_linear_attention_scratch_limit(0); }
  } reset;
  for (bool causal : {false, true}) {
    LinearAttentionConfig c;
    c.causal = causal;
    c.chunk = 8;
    c.rope = rope_for(32);
    const Shape6 s{2, 70, causal ? 70 : 53, 4, 2, 32, 16};
    const CompareReport r = run_case(context(), s, c, DType::f32, rng);
    EXPECT_LE(r.rel_err, 1e-5) << s.describe() << " " << describe(c) << ": " << r.to_string();
  }
}

// relu of an all-negative query is zero: its normalizer is zero and its row outputs zeros.
TEST_P(LinearAttentionTest, ZeroNormalizerGivesZeros) {
  const Context& ctx = context();
  const Shape6 s{1, 6, 6, 2, 1, 16, 8};
  std::mt19937 rng(seed());
  Inputs in = random_inputs(s, rng);
  for (std::size_t i = 0; i < static_cast<std::size_t>(s.heads * s.dim); ++i) in.q[i] = -std::abs(in.q[i]) - 0.1f;  // token 0
  const Tensor q = Tensor::from_floats(ctx, DType::f32, {s.batch, s.sq, s.heads, s.dim}, in.q);
  const Tensor k = Tensor::from_floats(ctx, DType::f32, {s.batch, s.skv, s.kv_heads, s.dim}, in.k);
  const Tensor v = Tensor::from_floats(ctx, DType::f32, {s.batch, s.skv, s.kv_heads, s.value_dim}, in.v);
  const Tensor out = Tensor::empty(ctx, DType::f32, {s.batch, s.sq, s.heads, s.value_dim});
  for (bool causal : {false, true}) {
    LinearAttentionConfig c;
    c.causal = causal;
    c.feature = LinearFeature::Relu;
    c.rope = rope_for(s.dim);
    out.fill_bytes(0xFF);  // NaN everywhere first
    linear_attention(c, q, k, v, out);
    const std::vector<float> got = out.download();
    for (std::size_t i = 0; i < static_cast<std::size_t>(s.heads * s.value_dim); ++i)
      ASSERT_EQ(got[i], 0.0f) << "token 0 element " << i;
    const auto expected = reference::linear_attention(to_double(in.q), to_double(in.k), to_double(in.v), s.batch,
                                                      s.sq, s.skv, s.heads, s.kv_heads, s.dim, s.value_dim, c);
    EXPECT_LE(compare(got, expected).rel_err, 1e-5);
  }
}

// q, k and v as slices of one fused [B, S, H + 2 Hkv, D] buffer; out a slice of a wider one.
TEST_P(LinearAttentionTest, StridedViews) {
  const Context& ctx = context();
  const std::int64_t B = 2, S = 19, H = 4, Hkv = 2, D = 32, W = H + 2 * Hkv;
  std::mt19937 rng(seed());
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> qkv(static_cast<std::size_t>(B * S * W * D));
  for (float& x : qkv) x = u(rng);
  for (DType dtype : {DType::f32, DType::f16}) {
    const Tensor fused = Tensor::from_floats(ctx, dtype, {B, S, W, D}, qkv);
    const Strides st = fused.strides();
    const Tensor q = fused.view({B, S, H, D}, st, 0);
    const Tensor k = fused.view({B, S, Hkv, D}, st, H * D);
    const Tensor v = fused.view({B, S, Hkv, D}, st, (H + Hkv) * D);
    const Tensor wide = Tensor::empty(ctx, dtype, {B, S, H + 1, D});
    const Tensor out = wide.view({B, S, H, D}, wide.strides(), D);
    LinearAttentionConfig c;
    c.causal = true;
    c.rope = rope_for(D);
    linear_attention(c, q, k, v, out);
    const auto expected = reference::linear_attention(to_double(q.download()), to_double(k.download()),
                                                      to_double(v.download()), B, S, S, H, Hkv, D, D, c);
    const CompareReport r = compare(out.download(), expected);
    EXPECT_LE(r.rel_err, dtype == DType::f32 ? 1e-5 : 2e-3) << to_string(dtype) << ": " << r.to_string();
  }
}

TEST_P(LinearAttentionTest, CheckedModePasses) {
  ContextOptions options = validated_options(GetParam());
  options.checked = true;
  const Context ctx = Context::create(options);
  std::mt19937 rng(seed());
  LinearAttentionConfig c;
  c.causal = true;
  c.rope = rope_for(16);
  const Shape6 s{1, 10, 10, 2, 1, 16, 16};
  EXPECT_NO_THROW(run_case(ctx, s, c, DType::f32, rng));
}

TEST_P(LinearAttentionTest, RejectsBadInput) {
  const Context& ctx = context();
  const auto make = [&](std::int64_t s, std::int64_t h, std::int64_t d) {
    return Tensor::from_floats(ctx, DType::f32, {1, s, h, d}, random_floats(static_cast<std::size_t>(s * h * d)));
  };
  const Tensor q = make(8, 4, 16), k = make(8, 2, 16), v = make(8, 2, 12), out = make(8, 4, 12);
  const std::vector<float> before = out.download();
  LinearAttentionConfig c;
  expect_invalid_argument([&] { linear_attention(c, q, k, v, make(8, 4, 16)); }, "value_dim 12");
  expect_invalid_argument([&] { linear_attention(c, q, k, make(8, 2, 11), out); }, "value_dim");
  expect_invalid_argument([&] { linear_attention(c, make(8, 3, 16), k, v, make(8, 3, 12)); }, "multiple");
  expect_invalid_argument([&] { linear_attention(c, q, make(8, 2, 8), v, out); }, "head_dim");
  expect_invalid_argument([&] { linear_attention(c, q, make(9, 2, 16), v, out); }, "differ in length");
  c.causal = true;
  expect_invalid_argument([&] { linear_attention(c, q, make(9, 2, 16), make(9, 2, 12), out); }, "causal with 8 queries and 9 keys");
  c.causal = false;
  c.query_positions = {0, 1, 2, 3, 4, 5, 6, 7};
  c.key_positions = c.query_positions;
  expect_invalid_argument([&] { linear_attention(c, q, k, v, out); }, "without rope");
  c.rope = rope_for(16);
  c.key_positions = {0, 1, 2};
  expect_invalid_argument([&] { linear_attention(c, q, k, v, out); }, "key_positions has 3 entries; expected 8");
  c.key_positions = {0, 1, 2, 3, 4, 5, 6, std::int64_t{1} << 25};
  expect_invalid_argument([&] { linear_attention(c, q, k, v, out); }, "outside [0, 2^24]");
  c.key_positions.clear();
  expect_invalid_argument([&] { linear_attention(c, q, k, v, out); }, "go together");
  c = {};
  c.rope = rope_for(32);
  expect_invalid_argument([&] { linear_attention(c, q, k, v, out); }, "rope.head_dim is 32");
  c = {};
  c.chunk = 33;
  expect_invalid_argument([&] { linear_attention(c, q, k, v, out); }, "chunk 33; expected 1..32");
  c = {};
  LinearAttentionState state(ctx, 1, 2, 16, 12);
  expect_invalid_argument([&] { linear_attention(c, q, k, v, out, &state); }, "a state needs causal");
  c.causal = true;
  LinearAttentionState wrong(ctx, 1, 2, 16, 8);
  expect_invalid_argument([&] { linear_attention(c, q, k, v, out, &wrong); }, "the state is for batch 1, 2 kv heads, head_dim 16, value_dim 8");
  expect_invalid_argument([&] { linear_attention(c, q, k, v, q.view({1, 8, 4, 12}, q.strides())); }, "overlaps");
  const Tensor half = Tensor::from_floats(ctx, DType::f16, {1, 8, 2, 12}, random_floats(8 * 2 * 12));
  expect_invalid_argument([&] { linear_attention(c, q, k, half, out); }, "expected one dtype");
  expect_invalid_argument([&] { LinearAttentionState(ctx, 1, 0, 16, 16); }, "expected each >= 1");
  EXPECT_EQ(out.download(), before) << "a refused call wrote its output";
  EXPECT_EQ(state.tokens(), 0);
}

INSTANTIATE_TEST_SUITE_P(Devices, LinearAttentionTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
