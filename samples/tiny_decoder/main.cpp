// tiny_decoder: how an engine drives vkrope. A small decoder (embedding, 2 layers of
// RMSNorm, fused q/k/v projection, RoPE and GQA attention through the KvCache, SwiGLU MLP,
// logits) with deterministic random weights runs a prefill of 8 tokens and then greedy
// token-by-token decode on the GPU. Attention is vkrope's; RMSNorm, the matrix multiplies and
// SwiGLU are the sample's own simple shaders (vkrope::Kernel). Each step's logits are
// checked against the same model in double on the CPU (reference::attention for attention),
// fed the same tokens; prints tokens per second for prefill and decode.
#include <chrono>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "common/sample.hpp"
#include "matmul_spirv.h"
#include "rmsnorm_spirv.h"
#include "swiglu_spirv.h"
#include "vkrope/kernel.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/reference.hpp"

using namespace vkrope;

namespace {

constexpr std::int64_t kVocab = 64, kModel = 128, kLayers = 2, kHeads = 4, kKvHeads = 2, kHeadDim = 32, kFfn = 256;
constexpr std::int64_t kQkv = (kHeads + 2 * kKvHeads) * kHeadDim, kPrompt = 8, kNew = 24;
using Matrix = std::vector<float>;  // row-major

struct Weights {
  Matrix embed;  // [vocab, model]
  struct Layer { Matrix norm1, qkv, out, norm2, up, down; };  // up: [model, 2 ffn] (gate | up)
  std::vector<Layer> layers;
  Matrix norm, logits;  // [model], [model, vocab]
};

Matrix random_matrix(std::mt19937& rng, std::int64_t rows, std::int64_t cols) {
  std::normal_distribution<float> normal(0.0f, 1.0f / std::sqrt(float(rows)));
  Matrix m(std::size_t(rows * cols));
  for (float& x : m) x = normal(rng);
  return m;
}

Weights make_weights() {
  std::mt19937 rng(42);
  Weights w{random_matrix(rng, kVocab, kModel), {}, Matrix(kModel, 1.0f), random_matrix(rng, kModel, kVocab)};
  for (int l = 0; l < kLayers; ++l)
    w.layers.push_back({Matrix(kModel, 1.0f), random_matrix(rng, kModel, kQkv), random_matrix(rng, kHeads * kHeadDim, kModel),
                        Matrix(kModel, 1.0f), random_matrix(rng, kModel, 2 * kFfn), random_matrix(rng, kFfn, kModel)});
  return w;
}

RopeConfig rope() { return RopeConfig{.head_dim = kHeadDim}; }

// --- The CPU model, in double ------------------------------------------------------------

using Doubles = std::vector<double>;
Doubles rmsnorm(const Doubles& x, const Matrix& g, std::int64_t rows) {
  Doubles y(x.size());
  for (std::int64_t t = 0; t < rows; ++t) {
    double s = 0;
    for (std::int64_t i = 0; i < kModel; ++i) s += x[std::size_t(t * kModel + i)] * x[std::size_t(t * kModel + i)];
    const double scale = 1.0 / std::sqrt(s / kModel + 1e-6);
    for (std::int64_t i = 0; i < kModel; ++i) y[std::size_t(t * kModel + i)] = x[std::size_t(t * kModel + i)] * scale * g[std::size_t(i)];
  }
  return y;
}
Doubles matmul(const Doubles& x, const Matrix& w, std::int64_t rows, std::int64_t k, std::int64_t n) {
  Doubles y(std::size_t(rows * n), 0.0);
  for (std::int64_t t = 0; t < rows; ++t)
    for (std::int64_t j = 0; j < k; ++j)
      for (std::int64_t c = 0; c < n; ++c) y[std::size_t(t * n + c)] += x[std::size_t(t * k + j)] * w[std::size_t(j * n + c)];
  return y;
}

// Logits of the last token, the whole prefix recomputed (the reference needs no cache).
Doubles cpu_logits(const Weights& w, const std::vector<int>& tokens) {
  const auto t = std::int64_t(tokens.size());
  Doubles x;
  for (int token : tokens) x.insert(x.end(), w.embed.begin() + token * kModel, w.embed.begin() + (token + 1) * kModel);
  AttentionConfig config{.causal = true, .rope = rope()};
  for (const auto& layer : w.layers) {
    const Doubles qkv = matmul(rmsnorm(x, layer.norm1, t), layer.qkv, t, kModel, kQkv);
    Doubles q, k, v;
    for (std::int64_t r = 0; r < t; ++r) {
      const auto row = qkv.begin() + r * kQkv;
      q.insert(q.end(), row, row + kHeads * kHeadDim);
      k.insert(k.end(), row + kHeads * kHeadDim, row + (kHeads + kKvHeads) * kHeadDim);
      v.insert(v.end(), row + (kHeads + kKvHeads) * kHeadDim, row + kQkv);
    }
    const Doubles attn = reference::attention(q, k, v, 1, t, t, kHeads, kKvHeads, kHeadDim, config);
    const Doubles o = matmul(attn, layer.out, t, kHeads * kHeadDim, kModel);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    const Doubles u = matmul(rmsnorm(x, layer.norm2, t), layer.up, t, kModel, 2 * kFfn);
    Doubles h(std::size_t(t * kFfn));
    for (std::int64_t r = 0; r < t; ++r)
      for (std::int64_t c = 0; c < kFfn; ++c) {
        const double gate = u[std::size_t(r * 2 * kFfn + c)];
        h[std::size_t(r * kFfn + c)] = gate / (1.0 + std::exp(-gate)) * u[std::size_t(r * 2 * kFfn + kFfn + c)];
      }
    const Doubles d = matmul(h, layer.down, t, kFfn, kModel);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += d[i];
  }
  const Doubles last(x.end() - kModel, x.end());
  return matmul(rmsnorm(last, w.norm, 1), w.logits, 1, kModel, kVocab);
}

// --- The GPU model -----------------------------------------------------------------------

struct Gpu {
  Context ctx;
  Kernel norm{ctx, "rmsnorm", {std::begin(rmsnorm_spirv), std::end(rmsnorm_spirv)}, 3, 8};
  Kernel mm{ctx, "matmul", {std::begin(matmul_spirv), std::end(matmul_spirv)}, 4, 16};
  Kernel swiglu{ctx, "swiglu", {std::begin(swiglu_spirv), std::end(swiglu_spirv)}, 2, 8};
  std::vector<std::vector<Tensor>> layers;  // norm1, qkv, out, norm2, up, down
  Tensor norm_gain, logits_w;
  KvCache cache{ctx, {kLayers, 1, kPrompt + kNew, kKvHeads, kHeadDim, DType::f32}, rope()};

  Gpu(const Context& context, const Weights& w)
      : ctx(context), norm_gain(upload(w.norm)), logits_w(upload(w.logits)) {
    for (const auto& L : w.layers)
      layers.push_back({upload(L.norm1), upload(L.qkv), upload(L.out), upload(L.norm2), upload(L.up), upload(L.down)});
  }
  Tensor upload(const Matrix& m) { return Tensor::from_floats(ctx, DType::f32, {std::int64_t(m.size())}, m); }
  Tensor empty(std::int64_t n) { return Tensor::empty(ctx, DType::f32, {n}); }
  static std::uint32_t groups(std::int64_t n) { return std::uint32_t((n + 63) / 64); }
  template <typename P> static std::span<const std::byte> bytes(const P& p) { return std::as_bytes(std::span(&p, 1)); }

  void rms(Batch& b, const Tensor& x, const Tensor& g, const Tensor& y, std::int64_t rows) {
    const std::uint32_t p[2] = {std::uint32_t(rows), kModel};
    const Kernel::Arg args[] = {{x}, {g}, {y, true}};
    norm.dispatch(b, args, bytes(p), {groups(rows), 1, 1});
  }
  // y = x W (+ r when r is given)
  void matmul(Batch& b, const Tensor& x, const Tensor& w, const Tensor* r, const Tensor& y, std::int64_t rows,
              std::int64_t k, std::int64_t n) {
    const std::uint32_t p[4] = {std::uint32_t(rows), std::uint32_t(k), std::uint32_t(n), r ? 1u : 0u};
    const Kernel::Arg args[] = {{x}, {w}, {r ? *r : w}, {y, true}};
    mm.dispatch(b, args, bytes(p), {groups(rows * n), 1, 1});
  }

  // One forward pass over `tokens` (appended to the cache); returns the last row's logits.
  std::vector<float> forward(const Weights& w, const std::vector<int>& tokens) {
    const auto t = std::int64_t(tokens.size());
    Matrix rows;
    for (int token : tokens) rows.insert(rows.end(), w.embed.begin() + token * kModel, w.embed.begin() + (token + 1) * kModel);
    Tensor x = upload(rows);
    const Tensor h = empty(t * kModel), qkv = empty(t * kQkv), attn = empty(t * kHeads * kHeadDim);
    const Tensor u = empty(t * 2 * kFfn), s = empty(t * kFfn), logits = empty(t * kVocab);
    Batch b(ctx);
    for (std::int64_t l = 0; l < kLayers; ++l) {
      const auto& L = layers[std::size_t(l)];
      rms(b, x, L[0], h, t);
      matmul(b, h, L[1], nullptr, qkv, t, kModel, kQkv);
      // q, k and v are strided views of the fused projection: no copies.
      const auto view = [&](std::int64_t heads, std::int64_t first) {
        return qkv.view({1, t, heads, kHeadDim}, {t * kQkv, kQkv, kHeadDim, 1}, first * kHeadDim);
      };
      cache.append(b, l, view(kKvHeads, kHeads), view(kKvHeads, kHeads + kKvHeads));
      cache.attend(b, l, AttentionConfig{.causal = true}, view(kHeads, 0), attn.view({1, t, kHeads, kHeadDim}, {t * kHeads * kHeadDim, kHeads * kHeadDim, kHeadDim, 1}));
      const Tensor x2 = empty(t * kModel), x3 = empty(t * kModel);
      matmul(b, attn, L[2], &x, x2, t, kHeads * kHeadDim, kModel);
      rms(b, x2, L[3], h, t);
      matmul(b, h, L[4], nullptr, u, t, kModel, 2 * kFfn);
      const std::uint32_t p[2] = {std::uint32_t(t), kFfn};
      const Kernel::Arg args[] = {{u}, {s, true}};
      swiglu.dispatch(b, args, bytes(p), {groups(t * kFfn), 1, 1});
      matmul(b, s, L[5], &x2, x3, t, kFfn, kModel);
      x = x3;
    }
    // Logits of every row (a Kernel binding starts at its buffer's first element, so a view
    // of the last row would need its offset in the push constants); the host keeps the last.
    rms(b, x, norm_gain, h, t);
    matmul(b, h, logits_w, nullptr, logits, t, kModel, kVocab);
    b.submit();
    const std::vector<float> all = logits.download();
    return {all.end() - kVocab, all.end()};
  }
};

int argmax(const std::vector<float>& v) { return int(std::max_element(v.begin(), v.end()) - v.begin()); }

}  // namespace

int main(int argc, char** argv) {
  const sample::Options options = sample::parse(argc, argv, "tiny_decoder: a small decoder on vkrope, checked per step");
  try {
    const Weights w = make_weights();
    const Context ctx = sample::make_context(options);
    Gpu gpu(ctx, w);
    std::printf("tiny_decoder on %s: vocab %lld, d_model %lld, %lld layers, heads %lld/%lld x %lld, ffn %lld\n",
                ctx.device().name.c_str(), (long long)kVocab, (long long)kModel, (long long)kLayers, (long long)kHeads,
                (long long)kKvHeads, (long long)kHeadDim, (long long)kFfn);

    std::vector<int> tokens = {1, 7, 3, 9, 1, 7, 3, 9};
    double worst = 0;
    const auto check_step = [&](const std::vector<float>& logits) {
      const Doubles want = cpu_logits(w, tokens);
      double diff = 0, norm = 0;
      for (std::size_t i = 0; i < want.size(); ++i) diff += (logits[i] - want[i]) * (logits[i] - want[i]), norm += want[i] * want[i];
      worst = std::max(worst, std::sqrt(diff / norm));
    };
    auto t0 = std::chrono::steady_clock::now();
    std::vector<float> logits = gpu.forward(w, tokens);
    const double prefill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    check_step(logits);
    double decode_s = 0;
    for (int step = 0; step < kNew; ++step) {
      tokens.push_back(argmax(logits));
      t0 = std::chrono::steady_clock::now();
      logits = gpu.forward(w, {tokens.back()});
      decode_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      check_step(logits);
    }
    std::printf("tokens:");
    for (int token : tokens) std::printf(" %d", token);
    std::printf("\nprefill: %lld tokens in %.1f ms (%.0f tokens/s); decode: %lld tokens in %.1f ms (%.0f tokens/s)\n",
                (long long)kPrompt, prefill_s * 1e3, kPrompt / prefill_s, (long long)kNew, decode_s * 1e3, kNew / decode_s);
    char detail[64];
    std::snprintf(detail, sizeof detail, "worst relative error %.2g", worst);
    // float32 through 2 layers of dot products up to 256 long: ~1e-6 expected; 1e-4 allowed.
    sample::check(worst < 1e-4, "every step's logits against the double-precision model", detail);
  } catch (const Error& e) {
    std::fprintf(stderr, "tiny_decoder: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
