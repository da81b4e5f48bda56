#include "conformance/linear_attention_case.hpp"

#include "conformance/guarded.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::conformance {

namespace {

std::vector<float> uniform(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = u(rng);
  return x;
}

// Tokens [t0, t0 + n) of a [B, S, H, D] view.
Tensor tokens(const Tensor& t, std::int64_t t0, std::int64_t n) {
  Shape shape = t.shape();
  shape[1] = n;
  return t.view(shape, t.strides(), t.offset() + t0 * t.strides()[1]);
}

}  // namespace

std::string LinearAttentionCase::describe() const {
  std::string s = "linear_attention B" + std::to_string(batch) + " Sq" + std::to_string(sq) + " Skv" +
                  std::to_string(skv) + " H" + std::to_string(heads) + "/" + std::to_string(kv_heads) + " D" +
                  std::to_string(dim) + " Dv" + std::to_string(value_dim) + " " + std::string(to_string(dtype)) + " " +
                  std::string(to_string(config.feature));
  if (config.causal) s += " causal";
  if (config.rope) s += " rope " + std::string(to_string(config.rope->layout));
  if (decode) s += " decode after " + std::to_string(prefill);
  return s;
}

double linear_attention_case_tolerance(const LinearAttentionCase& c) { return c.dtype == DType::f32 ? 1e-5 : 2e-3; }

LinearAttentionResult run_linear_attention_case(const Context& ctx, const LinearAttentionCase& c, std::mt19937& rng) {
  const Tensor q = Tensor::from_floats(ctx, c.dtype, {c.batch, c.sq, c.heads, c.dim},
                                       uniform(static_cast<std::size_t>(c.batch * c.sq * c.heads * c.dim), rng));
  const Tensor k = Tensor::from_floats(ctx, c.dtype, {c.batch, c.skv, c.kv_heads, c.dim},
                                       uniform(static_cast<std::size_t>(c.batch * c.skv * c.kv_heads * c.dim), rng));
  const Tensor v =
      Tensor::from_floats(ctx, c.dtype, {c.batch, c.skv, c.kv_heads, c.value_dim},
                          uniform(static_cast<std::size_t>(c.batch * c.skv * c.kv_heads * c.value_dim), rng));
  // Poisoned output between guard bands: a forgotten element or a write past either end shows.
  const Guarded out = guarded_output(ctx, c.dtype, {c.batch, c.sq, c.heads, c.value_dim});
  if (!c.decode) {
    linear_attention(c.config, q, k, v, out.view);
  } else {
    LinearAttentionState state(ctx, c.batch, c.kv_heads, c.dim, c.value_dim);
    if (c.prefill > 0)
      linear_attention(c.config, tokens(q, 0, c.prefill), tokens(k, 0, c.prefill), tokens(v, 0, c.prefill),
                       tokens(out.view, 0, c.prefill), &state);
    for (std::int64_t t = c.prefill; t < c.sq; ++t)
      linear_attention(c.config, tokens(q, t, 1), tokens(k, t, 1), tokens(v, t, 1), tokens(out.view, t, 1), &state);
  }
  const auto as_double = [](const Tensor& t) {
    const std::vector<float> x = t.download();
    return std::vector<double>(x.begin(), x.end());
  };
  const std::vector<double> expected =
      reference::linear_attention(as_double(q), as_double(k), as_double(v), c.batch, c.sq, c.skv, c.heads, c.kv_heads,
                                  c.dim, c.value_dim, c.config);
  LinearAttentionResult r;
  r.report = compare(out.view.download(), expected);
  r.guard_intact = guard_intact(out);
  return r;
}

}  // namespace vkrope::conformance
