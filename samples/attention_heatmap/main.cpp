// attention_heatmap: what a query attends to in a structured sequence (a pattern of 6
// tokens repeated 8 times, causal), with content alone, with RoPE, and with ALiBi. The
// weights come from vkrope::attention itself (values = the identity, so each output row is
// the query's softmax weights), checked against the CPU reference; a compute shader of this
// sample (heatmap.comp, run through vkrope::Kernel) turns them into one image with three
// panels, labelled on the host. Writes attention_heatmap.png.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>

#include "common/sample.hpp"
#include "heatmap_spirv.h"
#include "plot/canvas.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/kernel.hpp"
#include "vkrope/reference.hpp"

using namespace vkrope;

namespace {

constexpr std::int64_t kSeq = 48, kHeads = 4, kPeriod = 6;  // head_dim = kSeq: v is the identity
constexpr std::uint32_t kCell = 8, kGap = 24, kPanels = 3, kTop = 70;

struct Push {
  std::uint32_t width, height, n, cell, gap, panels;
  float max_weight;
};

// The same colormap as heatmap.comp, to check the GPU's pixels.
std::uint32_t viridis(float t) {
  const float stops[5][3] = {{0.267f, 0.005f, 0.329f}, {0.229f, 0.322f, 0.545f}, {0.128f, 0.567f, 0.551f},
                             {0.369f, 0.789f, 0.383f}, {0.993f, 0.906f, 0.144f}};
  const float x = std::clamp(t, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(static_cast<int>(x), 3);
  std::uint32_t out = 255u << 24;
  for (int c = 0; c < 3; ++c) {
    const float v = stops[i][c] + (stops[i + 1][c] - stops[i][c]) * (x - static_cast<float>(i));
    out |= static_cast<std::uint32_t>(std::lround(v * 255.0f)) << (8 * c);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const sample::Options options = sample::parse(argc, argv, "attention_heatmap: attention weights with and without RoPE");
  try {
    const Context ctx = sample::make_context(options);
    std::printf("attention_heatmap on %s: %lld tokens, a pattern of %lld repeated, causal\n", ctx.device().name.c_str(),
                (long long)kSeq, (long long)kPeriod);
    // Token t has embedding e[t % period]: random directions with |e|^2 = 6 sqrt(D), so a
    // query meets its own token with logit ~6 and others with ~0.
    std::mt19937 rng(2026);
    std::normal_distribution<float> normal;
    std::vector<std::vector<float>> embedding(kPeriod, std::vector<float>(kSeq));
    for (auto& e : embedding) {
      double norm = 0;
      for (float& x : e) {
        x = normal(rng);
        norm += double(x) * x;
      }
      const double want = std::sqrt(6.0 * std::sqrt(double(kSeq)));
      for (float& x : e) x = static_cast<float>(x * want / std::sqrt(norm));
    }
    std::vector<float> qk, identity;
    for (std::int64_t t = 0; t < kSeq; ++t)
      for (std::int64_t h = 0; h < kHeads; ++h) {
        qk.insert(qk.end(), embedding[std::size_t(t % kPeriod)].begin(), embedding[std::size_t(t % kPeriod)].end());
        for (std::int64_t j = 0; j < kSeq; ++j) identity.push_back(j == t ? 1.0f : 0.0f);
      }
    const Shape shape{1, kSeq, kHeads, kSeq};
    const Tensor q = Tensor::from_floats(ctx, DType::f32, shape, qk), v = Tensor::from_floats(ctx, DType::f32, shape, identity);
    const Tensor out = Tensor::empty(ctx, DType::f32, shape);

    const char* titles[kPanels] = {"content only", "RoPE (neox, theta 1e4)", "ALiBi (head 0, slope 1/4)"};
    std::vector<float> weights;  // [panel][query][key], head 0
    double worst = 0;
    for (std::uint32_t panel = 0; panel < kPanels; ++panel) {
      AttentionConfig config;
      config.causal = true;
      if (panel == 1) config.rope = RopeConfig{.head_dim = kSeq};
      if (panel == 2) config.alibi = true;
      attention(config, q, q, v, out);
      const std::vector<float> got = out.download();
      const std::vector<double> qd(qk.begin(), qk.end()), vd(identity.begin(), identity.end());
      const std::vector<double> want = reference::attention(qd, qd, vd, 1, kSeq, kSeq, kHeads, kHeads, kSeq, config);
      double diff = 0, norm = 0;
      for (std::size_t i = 0; i < got.size(); ++i) diff += (got[i] - want[i]) * (got[i] - want[i]), norm += want[i] * want[i];
      worst = std::max(worst, std::sqrt(diff / norm));
      for (std::int64_t i = 0; i < kSeq; ++i)
        for (std::int64_t j = 0; j < kSeq; ++j) weights.push_back(got[std::size_t((i * kHeads + 0) * kSeq + j)]);
      // The last query's weight on the same token one period back and seven periods back.
      const std::size_t last = std::size_t((panel * kSeq + kSeq - 1) * kSeq);
      std::printf("  %-26s last query: weight %.3f on its token 6 back, %.3f on 42 back\n", titles[panel],
                  weights[last + kSeq - 1 - kPeriod], weights[last + kSeq - 1 - 7 * kPeriod]);
    }
    char detail[64];
    std::snprintf(detail, sizeof detail, "worst relative error %.2g", worst);
    sample::check(worst < 1e-5, "weights against the CPU reference (f32: 1e-5)", detail);

    // The image, made on the GPU.
    const std::uint32_t side = kSeq * kCell, width = kGap + kPanels * (side + kGap), height = side + 2 * kGap;
    float max_weight = 0;
    for (float w : weights) max_weight = std::max(max_weight, w);
    const Tensor weight_tensor = Tensor::from_floats(ctx, DType::f32, {std::int64_t(weights.size())}, weights);
    const Tensor image = Tensor::empty(ctx, DType::f32, {std::int64_t(width) * height});  // one uint32 pixel per word
    const Kernel colormap(ctx, "heatmap", {std::begin(heatmap_spirv), std::end(heatmap_spirv)}, 2, sizeof(Push));
    const Push push{width, height, kSeq, kCell, kGap, kPanels, max_weight};
    Batch batch(ctx);
    const Kernel::Arg args[] = {{weight_tensor}, {image, true}};
    colormap.dispatch(batch, args, std::as_bytes(std::span(&push, 1)), {(width + 7) / 8, (height + 7) / 8, 1});
    batch.submit();
    const std::vector<std::byte> raw = image.download_raw();
    std::vector<std::uint32_t> pixels(std::size_t(width) * height);
    std::memcpy(pixels.data(), raw.data(), pixels.size() * sizeof(std::uint32_t));
    // Spot-check: the centre of every cell of the RoPE panel against the host colormap.
    int off = 0;
    for (std::uint32_t i = 0; i < kSeq; ++i)
      for (std::uint32_t j = 0; j < kSeq; ++j) {
        const std::uint32_t x = kGap + (side + kGap) + j * kCell + kCell / 2, y = kGap + i * kCell + kCell / 2;
        const std::uint32_t want = viridis(weights[std::size_t(kSeq + i) * std::size_t(kSeq) + j] / max_weight), got = pixels[y * width + x];
        for (int c = 0; c < 24; c += 8)
          off = std::max(off, std::abs(int((got >> c) & 255) - int((want >> c) & 255)));
      }
    sample::check(off <= 1, "GPU colormap pixels against the host colormap (within 1 level)");

    plot::Canvas canvas(int(width), int(height + kTop));
    canvas.blit(0, int(kTop), int(width), int(height), pixels.data());
    canvas.text(int(kGap), 12, "attention weights, query (down) x key (across), 6-token pattern x 8", {30, 30, 30}, 2);
    for (std::uint32_t p = 0; p < kPanels; ++p)
      canvas.text(int(kGap + p * (side + kGap)), int(kTop) - 24, titles[p], {30, 30, 30}, 2);
    const std::string png = sample::output_path(options, "attention_heatmap.png");
    canvas.write_png(png);
    std::printf("wrote %s (%u x %u)\n", png.c_str(), width, height + kTop);
  } catch (const Error& e) {
    std::fprintf(stderr, "attention_heatmap: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
