#include "conformance/attention_case.hpp"

#include <algorithm>
#include <cmath>

#include "conformance/guarded.hpp"
#include "ops/attention_check.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::conformance {

std::string AttentionCase::describe() const {
  std::string s = "B" + std::to_string(batch) + " Sq" + std::to_string(sq) + " Skv" + std::to_string(skv) + " H" +
                  std::to_string(heads) + "/" + std::to_string(kv_heads) + " D" + std::to_string(head_dim) + " q " +
                  std::string(to_string(q_dtype)) + " kv " + std::string(to_string(kv_dtype));
  if (three_dim) s += " 3-dim";
  if (fused_qkv) s += " fused-qkv";
  if (config.causal) s += " causal";
  if (config.window) s += " window " + std::to_string(*config.window);
  if (config.alibi) s += " alibi";
  if (config.softcap > 0) s += " softcap " + std::to_string(config.softcap);
  if (!config.sinks.empty()) s += " sinks";
  if (config.rope) s += " rope " + std::string(to_string(config.rope->layout));
  if (!config.query_positions.empty()) s += " explicit-positions";
  if (config.key_splits) s += " splits " + std::to_string(config.key_splits);
  if (input_scale != 1.0f) s += " inputs x" + std::to_string(input_scale);
  return s;
}

double attention_case_tolerance(const AttentionCase& c) {
  // Inputs larger than 1 make larger logits: one summed from D products of size ~a^2/4
  // carries an f32 rounding error of ~eps * sqrt(D) * a^2/4 (2e-4 at a = 30, D = 64), and
  // softmax turns an absolute logit error into the same relative error of the weights.
  const double a = std::max(1.0, static_cast<double>(c.input_scale));
  const double logit_error = a > 1.0 ? 1.2e-7 * std::sqrt(static_cast<double>(c.head_dim)) * a * a / 4.0 : 0.0;
  return detail::attention_tolerance(c.q_dtype) + logit_error;
}

namespace {

std::vector<float> random_values(std::size_t n, float scale, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

Shape shape_of(const AttentionCase& c, std::int64_t seq, std::int64_t heads) {
  if (c.three_dim) return {seq, heads, c.head_dim};
  return {c.batch, seq, heads, c.head_dim};
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// "attention[decode] f32[1, 1, 8, 64] kv ..." -> "decode"; "... combine[parallel]" ->
// "combine[parallel]".
std::string kernel_of(const std::string& label) {
  const std::size_t combine = label.find("combine[");
  if (combine != std::string::npos) return label.substr(combine);
  const std::size_t open = label.find('['), close = label.find(']');
  return open == std::string::npos || close < open ? label : label.substr(open + 1, close - open - 1);
}

}  // namespace

AttentionResult run_attention_case(const Context& ctx, const AttentionCase& c, std::mt19937& rng) {
  const Shape q_shape = shape_of(c, c.sq, c.heads), kv_shape = shape_of(c, c.skv, c.kv_heads);
  const auto numel = [](const Shape& s) {
    std::int64_t n = 1;
    for (auto d : s) n *= d;
    return static_cast<std::size_t>(n);
  };
  std::optional<Tensor> q, k, v;
  if (c.fused_qkv) {
    // One [B, S, H + 2 Hkv, D] buffer, as a fused QKV projection writes it; q, k and v are
    // views with the row stride of the whole buffer. Needs q and kv of one dtype.
    const std::int64_t width = c.heads + 2 * c.kv_heads;
    const Tensor qkv = Tensor::from_floats(ctx, c.kv_dtype, {c.batch, c.sq, width, c.head_dim},
                                           random_values(static_cast<std::size_t>(c.batch * c.sq * width * c.head_dim),
                                                         c.input_scale, rng));
    const Strides st = qkv.strides();
    q = qkv.view({c.batch, c.sq, c.heads, c.head_dim}, st, 0);
    k = qkv.view({c.batch, c.sq, c.kv_heads, c.head_dim}, st, c.heads * c.head_dim);
    v = qkv.view({c.batch, c.sq, c.kv_heads, c.head_dim}, st, (c.heads + c.kv_heads) * c.head_dim);
  } else {
    q = Tensor::from_floats(ctx, c.q_dtype, q_shape, random_values(numel(q_shape), c.input_scale, rng));
    k = Tensor::from_floats(ctx, c.kv_dtype, kv_shape, random_values(numel(kv_shape), c.input_scale, rng));
    v = Tensor::from_floats(ctx, c.kv_dtype, kv_shape, random_values(numel(kv_shape), 1.0f, rng));
  }
  // Poisoned output between guard bands: a forgotten element or a write past either end shows.
  const Guarded out = guarded_output(ctx, c.q_dtype, q->shape());
  // Profiled, so the result names the kernels that ran (their dispatch labels).
  AttentionResult r;
  Batch batch(ctx, {.profile = true});
  attention(batch, c.config, *q, *k, *v, out.view);
  batch.submit();
  for (const DispatchTiming& t : batch.profile()) r.kernels.push_back(kernel_of(t.label));

  r.out = out.view.download();
  r.guard_intact = guard_intact(out);
  r.expected = reference::attention(to_double(q->download()), to_double(k->download()), to_double(v->download()),
                                    c.three_dim ? 1 : c.batch, c.sq, c.skv, c.heads, c.kv_heads, c.head_dim, c.config);
  r.report = compare(r.out, r.expected);
  return r;
}

}  // namespace vkrope::conformance
