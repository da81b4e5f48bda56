// bench linear: linear attention with RoPE beside softmax (flash) attention on the same
// shapes as the sequence grows (time against length; the crossover, where linear attention
// becomes the faster), and the decode-state step beside a KV-cache decode step.
#include <fmt/format.h>

#include <algorithm>

#include "bench.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/linear_attention.hpp"

namespace vkrope::cli {

namespace {

// The sweep's shape: one layer of a small model, causal, RoPE on q and k.
constexpr std::int64_t kHeads = 8, kKvHeads = 8, kDim = 64;
// Softmax runs at the sweep's first length, then at each next one only if it ran at half of
// it within this budget (quadratic: 4x as long now). So once a run takes longer, longer
// lengths skip it, and a --filter that skips the shorter lengths never starts a softmax run
// of many minutes on a CPU driver. Linear attention runs at every length.
constexpr double kSoftmaxBudgetMs = 8000.0;

Tensor filled(const Context& context, DType dtype, const Shape& shape) {
  const Tensor t = Tensor::empty(context, dtype, shape);
  t.fill_bytes(0x3c);  // finite values (0x3c3c...); the data does not change the timing
  return t;
}

RopeConfig rope() {
  RopeConfig r;
  r.head_dim = kDim;
  return r;
}

// Flops counted per causal call, multiply-adds as 2. Softmax: q k^T and p v over half the
// square. Linear: per token and head, phi(k) v^T into the state (D * Dv) and the query
// against it (D * Dv), plus the chunk's own scores (chunk / 2 keys, D + Dv each).
double softmax_flops(std::int64_t s) { return 4.0 * static_cast<double>(s * s * kDim * kHeads) / 2.0; }
double linear_flops(std::int64_t s) {
  const double chunk = 32.0;
  return 2.0 * static_cast<double>(s * kHeads) * (2.0 * kDim * kDim + chunk / 2.0 * 2.0 * kDim);
}

BenchResult timed(const Context& context, const BenchSettings& settings, const PeakFloor& peak, std::string op,
                  std::string name, std::int64_t s, double flops, const std::function<void(Batch&)>& record) {
  BenchResult r;
  r.op = std::move(op);
  r.name = std::move(name);
  r.dtype = "f32";
  r.skv = s;
  r.series = r.op;
  r.median_ms = median_device_ms(context, settings, record);
  r.floor = "peak";
  r.flops = flops;
  r.gflops = flops / (r.median_ms * 1e6);
  r.floor_gflops = peak.gflops;
  r.ratio = r.gflops / peak.gflops;
  return r;
}

}  // namespace

std::vector<BenchResult> bench_linear(const Context& context, const BenchSettings& settings, const PeakFloor& peak,
                                      const std::function<void(const BenchResult&)>& on_result) {
  std::vector<BenchResult> results;
  const auto report = [&](const BenchResult& r) {
    if (on_result) on_result(r);
    results.push_back(r);
  };
  bool softmax_ran_fast = false;  // at the previous length, within kSoftmaxBudgetMs
  for (std::int64_t s = 256; s <= 65536; s *= 2) {
    const bool run_softmax = s == 256 || softmax_ran_fast;
    softmax_ran_fast = false;
    const std::string shape = fmt::format("causal B1 S{} H{} D{} rope", s, kHeads, kDim);
    if (!selected(settings, shape, "f32")) continue;
    const Tensor q = filled(context, DType::f32, {1, s, kHeads, kDim});
    const Tensor k = filled(context, DType::f32, {1, s, kKvHeads, kDim});
    const Tensor v = filled(context, DType::f32, {1, s, kKvHeads, kDim});
    const Tensor out = Tensor::empty(context, DType::f32, {1, s, kHeads, kDim});
    LinearAttentionConfig linear;
    linear.causal = true;
    linear.rope = rope();
    report(timed(context, settings, peak, "linear attention", shape, s, linear_flops(s),
                 [&](Batch& b) { linear_attention(b, linear, q, k, v, out); }));
    if (!run_softmax) continue;
    AttentionConfig softmax;
    softmax.causal = true;
    softmax.rope = rope();
    BenchResult r = timed(context, settings, peak, "softmax attention", shape, s, softmax_flops(s),
                          [&](Batch& b) { attention(b, softmax, q, k, v, out); });
    r.note = fmt::format("linear is {:.2f}x faster", r.median_ms / results.back().median_ms);
    softmax_ran_fast = r.median_ms <= kSoftmaxBudgetMs;
    if (!softmax_ran_fast)
      r.note += fmt::format("; longer lengths skip softmax ({:.0f} s per run)", r.median_ms / 1000.0);
    report(r);
  }

  // Decode: one token through a LinearAttentionState (constant in the context length)
  // against one token's attention over a KV cache of Skv keys (f32 q over f16 K/V).
  const std::int64_t h = 32, hkv = 8, d = 128;
  const Tensor q1 = filled(context, DType::f32, {1, 1, h, d});
  const Tensor out1 = Tensor::empty(context, DType::f32, {1, 1, h, d});
  for (std::int64_t skv : {1024, 8192, 65536}) {
    const std::string shape = fmt::format("decode B1 Skv{} H{} Hkv{} D{}", skv, h, hkv, d);
    if (!selected(settings, shape, "f32")) continue;
    const Tensor k1 = filled(context, DType::f32, {1, 1, hkv, d});
    const Tensor v1 = filled(context, DType::f32, {1, 1, hkv, d});
    LinearAttentionState state(context, 1, hkv, d, d);
    LinearAttentionConfig linear;
    linear.causal = true;
    linear.rope = RopeConfig{};
    linear.rope->head_dim = d;
    linear.query_positions = linear.key_positions = {skv};
    const double step_flops = 2.0 * static_cast<double>(h * d * d + hkv * d * d);
    BenchResult lr = timed(context, settings, peak, "linear decode step", shape, skv, step_flops,
                           [&](Batch& b) { linear_attention(b, linear, q1, k1, v1, out1, &state); });
    lr.note = fmt::format("state {:.1f} MiB, whatever Skv", static_cast<double>(state.bytes()) / (1 << 20));
    report(lr);
    const Tensor keys = filled(context, DType::f16, {1, skv, hkv, d});
    const Tensor values = filled(context, DType::f16, {1, skv, hkv, d});
    AttentionConfig softmax;
    BenchResult sr = timed(context, settings, peak, "KV-cache decode step", shape, skv,
                           4.0 * static_cast<double>(skv * h * d),
                           [&](Batch& b) { attention(b, softmax, q1, keys, values, out1); });
    sr.note = fmt::format("K/V {:.1f} MiB; linear step {:.2f}x faster", static_cast<double>(2 * keys.span_bytes()) / (1 << 20),
                          sr.median_ms / lr.median_ms);
    report(sr);
  }
  return results;
}

}  // namespace vkrope::cli
