// RoPE benchmark shapes (issue "RoPE", item 8) and the peer's shapes (shared/PEERS.md),
// plus the angle-error table: vkrope's kernel against the plain float32 recipe.
#include <cmath>
#include <random>

#include "bench.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/rope.hpp"

namespace vkrope::cli {

namespace {

struct RopeShape {
  const char* label;
  std::int64_t batch, seq, q_heads, k_heads, head_dim;
  RopeLayout layout;
};

constexpr RopeShape kShapes[] = {
    {"decode", 1, 1, 32, 8, 128, RopeLayout::Neox},
    {"decode", 16, 1, 32, 8, 128, RopeLayout::Neox},
    {"prefill", 1, 512, 32, 8, 128, RopeLayout::Neox},
    {"prefill", 1, 512, 32, 8, 64, RopeLayout::Neox},
    {"prefill", 1, 2048, 32, 8, 128, RopeLayout::Neox},
    {"prefill", 1, 2048, 32, 8, 64, RopeLayout::Neox},
    {"peer: interleaved, q only", 1, 512, 32, 0, 128, RopeLayout::Interleaved},
    {"peer: neox, q only", 1, 512, 8, 0, 64, RopeLayout::Neox},
};

std::string shape_name(const RopeShape& s) {
  return std::string(s.label) + " B" + std::to_string(s.batch) + " S" + std::to_string(s.seq) + " Hq" +
         std::to_string(s.q_heads) + (s.k_heads ? " Hk" + std::to_string(s.k_heads) : "") + " D" +
         std::to_string(s.head_dim);
}

}  // namespace

std::vector<BenchResult> bench_rope(const Context& context, const BenchSettings& settings) {
  std::vector<BenchResult> results;
  for (const RopeShape& s : kShapes) {
    for (DType dtype : {DType::f32, DType::f16}) {
      if (!selected(settings, shape_name(s), std::string(to_string(dtype)))) continue;
      RopeConfig config;
      config.head_dim = s.head_dim;
      config.layout = s.layout;
      const Tensor q = Tensor::empty(context, dtype, {s.batch, s.seq, s.q_heads, s.head_dim});
      q.fill_bytes(0x3c);  // finite values (0x3c3c...); the data does not change the timing
      std::optional<Tensor> k;
      if (s.k_heads) {
        k = Tensor::empty(context, dtype, {s.batch, s.seq, s.k_heads, s.head_dim});
        k->fill_bytes(0x3c);
      }
      const RopeTensors tensors{q, std::nullopt, k, std::nullopt};
      const RopePositions positions{{}, s.seq == 1 ? 1000 : 0};  // decode: 1000 tokens cached
      BenchResult r;
      r.op = "rope";
      r.name = shape_name(s);
      r.dtype = std::string(to_string(dtype));
      // In place: q and k are read once and written once.
      r.bytes = 2.0 * static_cast<double>(s.batch * s.seq * (s.q_heads + s.k_heads) * s.head_dim) *
                bytes_per_element(dtype);
      r.median_ms = median_device_ms(context, settings, [&](Batch& b) { rope(b, config, tensors, positions); });
      r.gbps = r.bytes / (r.median_ms * 1e6);
      measure_memory_floors(context, settings, r);
      r.target = s.seq == 1 ? 0.7 : 0.8;  // the RoPE issue's targets: decode 0.7, prefill 0.8 of copy
      results.push_back(r);
    }
  }
  return results;
}

std::vector<AngleError> rope_angle_errors(const Context& context) {
  // head_dim 128, theta 10000: the fastest pair turns 1 radian per position.
  RopeConfig config;
  config.head_dim = 128;
  std::mt19937 rng(20261123);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<AngleError> table;
  for (std::int64_t p : {std::int64_t{4096}, std::int64_t{32768}, std::int64_t{131072}, std::int64_t{1} << 20}) {
    const std::int64_t tokens = 16;
    std::vector<float> x(static_cast<std::size_t>(tokens * 128));
    for (float& v : x) v = dist(rng);
    std::vector<std::int64_t> positions(static_cast<std::size_t>(tokens), p);
    const Tensor t = Tensor::from_floats(context, DType::f32, {tokens, 1, 128}, x);
    rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, {positions, 0});
    const std::vector<double> xd(x.begin(), x.end());
    const auto ref = reference::rope(xd, 1, tokens, 1, config, positions);
    double max_x = 0;
    for (float v : x) max_x = std::max<double>(max_x, std::abs(v));
    const double gpu = compare(t.download(), ref).max_abs_err / max_x;
    // The recipe most kernels use: the angle in float32, then float32 cos and sin.
    const RopeFrequencies f = rope_frequencies(config, p);
    double naive = 0;
    for (std::int64_t tok = 0; tok < tokens; ++tok)
      for (std::size_t i = 0; i < 64; ++i) {
        const float angle = static_cast<float>(p) * static_cast<float>(f.inv_freq[i]);
        const float c = std::cos(angle), s = std::sin(angle);
        const std::size_t base = static_cast<std::size_t>(tok) * 128;
        const float a = x[base + i], b = x[base + i + 64];
        naive = std::max(naive, std::abs(static_cast<double>(a * c - b * s) - ref[base + i]) / max_x);
        naive = std::max(naive, std::abs(static_cast<double>(a * s + b * c) - ref[base + i + 64]) / max_x);
      }
    table.push_back({p, gpu, naive});
  }
  return table;
}

}  // namespace vkrope::cli
