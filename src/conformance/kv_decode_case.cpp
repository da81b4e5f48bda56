#include "conformance/kv_decode_case.hpp"

#include "conformance/guarded.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::conformance {

std::string KvDecodeCase::describe() const {
  return std::to_string(steps) + " steps H" + std::to_string(heads) + "/" + std::to_string(kv_heads) + " D" +
         std::to_string(head_dim) + " cache " + std::string(to_string(cache_dtype)) + " rope " +
         std::string(to_string(layout));
}

namespace {
// Formats the reference reads back from the cache (KvDecodeCase::value_dtype's comment).
bool reads_stored(const KvDecodeCase& c) {
  const bool element = c.cache_dtype == DType::f32 || c.cache_dtype == DType::f16;
  return !element || c.value_dtype.value_or(c.cache_dtype) != c.cache_dtype;
}
}  // namespace

double kv_decode_tolerance(const KvDecodeCase& c) {
  return c.cache_dtype == DType::f32 || reads_stored(c) ? 1e-5 : 2e-3;
}

KvDecodeResult run_kv_decode_case(const Context& ctx, const KvDecodeCase& c, std::mt19937& rng) {
  const std::int64_t t = c.steps, h = c.heads, hkv = c.kv_heads, d = c.head_dim;
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const auto random = [&](std::int64_t n) {
    std::vector<float> x(static_cast<std::size_t>(n));
    for (float& e : x) e = dist(rng);
    return x;
  };
  const std::vector<float> q_in = random(t * h * d), k_in = random(t * hkv * d), v_in = random(t * hkv * d);
  const Tensor q = Tensor::from_floats(ctx, DType::f32, {1, t, h, d}, q_in);
  const Tensor k = Tensor::from_floats(ctx, DType::f32, {1, t, hkv, d}, k_in);
  const Tensor v = Tensor::from_floats(ctx, DType::f32, {1, t, hkv, d}, v_in);
  // Poisoned, between guard bands: a step that writes nothing, or past its row, shows.
  const Guarded out = guarded_output(ctx, DType::f32, {1, t, h, d});

  RopeConfig rope;
  rope.head_dim = d;
  rope.layout = c.layout;
  KvCacheShape shape{1, 1, t, hkv, d, c.cache_dtype};
  shape.value_dtype = c.value_dtype;
  KvCache cache(ctx, shape, rope);
  AttentionConfig step;
  step.causal = true;
  const auto token = [&](const Tensor& x, std::int64_t heads, std::int64_t i) {
    return x.view({1, 1, heads, d}, x.strides(), x.offset() + i * heads * d);
  };
  for (std::int64_t i = 0; i < t; ++i) {
    Batch batch(ctx);
    cache.append(batch, 0, token(k, hkv, i), token(v, hkv, i));
    cache.attend(batch, 0, step, token(q, h, i), token(out.view, h, i));
    batch.submit();
  }

  AttentionConfig whole;
  whole.causal = true;
  if (reads_stored(c)) {  // over the stored (rotated, quantized) keys and values
    std::vector<std::int64_t> positions(static_cast<std::size_t>(t));
    for (std::int64_t i = 0; i < t; ++i) positions[static_cast<std::size_t>(i)] = i;
    const std::vector<double> q_rotated =
        reference::rope(std::vector<double>(q_in.begin(), q_in.end()), 1, t, h, rope, positions);
    const std::vector<float> ks = cache.keys(0).download(), vs = cache.values(0).download();
    const std::vector<double> expected = reference::attention(q_rotated, std::vector<double>(ks.begin(), ks.end()),
                                                              std::vector<double>(vs.begin(), vs.end()), 1, t, t, h,
                                                              hkv, d, whole);
    return {compare(out.view.download(), expected), guard_intact(out)};
  }
  whole.rope = rope;
  const std::vector<double> expected =
      reference::attention(std::vector<double>(q_in.begin(), q_in.end()), std::vector<double>(k_in.begin(), k_in.end()),
                           std::vector<double>(v_in.begin(), v_in.end()), 1, t, t, h, hkv, d, whole);
  return {compare(out.view.download(), expected), guard_intact(out)};
}

}  // namespace vkrope::conformance
