// The CPU reference of linear attention: RoFormer's eq. 19 evaluated term by term.
#include <algorithm>
#include <cmath>

#include "vkrope/reference.hpp"

namespace vkrope::reference {

namespace {

double phi(LinearFeature feature, double x) {
  if (feature == LinearFeature::Relu) return std::max(x, 0.0);
  return x > 0.0 ? x + 1.0 : std::exp(x);
}

std::vector<std::int64_t> positions_or(const std::vector<std::int64_t>& given, std::int64_t count, std::int64_t offset) {
  if (!given.empty()) return given;
  std::vector<std::int64_t> out(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) out[static_cast<std::size_t>(i)] = offset + i;
  return out;
}

// x's features, rotated when the config has RoPE: [batch, seq, heads, dim].
std::vector<double> rotated(const std::vector<double>& features, std::int64_t batch, std::int64_t seq,
                            std::int64_t heads, const LinearAttentionConfig& config, const RopeFrequencies& frequencies,
                            const std::vector<std::int64_t>& positions) {
  if (!config.rope) return features;
  // Every position stream at the token's position, for every batch row.
  std::vector<std::int64_t> expanded;
  for (std::int64_t s = 0; s < config.rope->position_streams(); ++s)
    for (std::int64_t b = 0; b < batch; ++b) expanded.insert(expanded.end(), positions.begin(), positions.end());
  return rope(features, batch, seq, heads, *config.rope, frequencies, expanded);
}

}  // namespace

std::vector<double> linear_attention(std::span<const double> q, std::span<const double> k, std::span<const double> v,
                                     std::int64_t batch, std::int64_t sq, std::int64_t skv, std::int64_t heads,
                                     std::int64_t kv_heads, std::int64_t head_dim, std::int64_t value_dim,
                                     const LinearAttentionConfig& config, std::int64_t position_offset) {
  std::vector<double> qf(q.begin(), q.end()), kf(k.begin(), k.end());
  for (double& x : qf) x = phi(config.feature, x);
  for (double& x : kf) x = phi(config.feature, x);
  const auto qpos = positions_or(config.query_positions, sq, position_offset);
  const auto kpos = positions_or(config.key_positions, skv, position_offset);
  RopeFrequencies frequencies;
  if (config.rope) {
    const std::int64_t max_position =
        std::max(*std::max_element(qpos.begin(), qpos.end()), *std::max_element(kpos.begin(), kpos.end()));
    frequencies = rope_frequencies(*config.rope, max_position);
  }
  const std::vector<double> qr = rotated(qf, batch, sq, heads, config, frequencies, qpos);
  const std::vector<double> kr = rotated(kf, batch, skv, kv_heads, config, frequencies, kpos);

  const std::int64_t group = heads / kv_heads;
  std::vector<double> out(static_cast<std::size_t>(batch * sq * heads * value_dim), 0.0);
  std::vector<double> num(static_cast<std::size_t>(value_dim));
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t m = 0; m < sq; ++m)
      for (std::int64_t h = 0; h < heads; ++h) {
        const std::int64_t g = h / group;
        const auto qi = static_cast<std::size_t>(((b * sq + m) * heads + h) * head_dim);
        std::fill(num.begin(), num.end(), 0.0);
        double den = 0.0;
        const std::int64_t last = config.causal ? m : skv - 1;
        for (std::int64_t n = 0; n <= last; ++n) {
          const auto ki = static_cast<std::size_t>(((b * skv + n) * kv_heads + g) * head_dim);
          const auto vi = static_cast<std::size_t>(((b * skv + n) * kv_heads + g) * value_dim);
          double score = 0.0, norm = 0.0;
          for (std::int64_t d = 0; d < head_dim; ++d) {
            const auto ds = static_cast<std::size_t>(d);
            score += qr[qi + ds] * kr[ki + ds];
            norm += qf[qi + ds] * kf[ki + ds];
          }
          for (std::int64_t e = 0; e < value_dim; ++e) num[static_cast<std::size_t>(e)] += score * v[vi + static_cast<std::size_t>(e)];
          den += norm;
        }
        const auto oi = static_cast<std::size_t>(((b * sq + m) * heads + h) * value_dim);
        if (den != 0.0)
          for (std::int64_t e = 0; e < value_dim; ++e) out[oi + static_cast<std::size_t>(e)] = num[static_cast<std::size_t>(e)] / den;
      }
  return out;
}

}  // namespace vkrope::reference
