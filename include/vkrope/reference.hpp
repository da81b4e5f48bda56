// CPU references of vkrope's ops, in double precision. Slow and simple on purpose: they
// are what the GPU results are checked against.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "vkrope/attention.hpp"
#include "vkrope/linear_attention.hpp"
#include "vkrope/position_embedding.hpp"
#include "vkrope/rope.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope::reference {

// RoPE of x, a contiguous row-major [batch, seq, heads, head_dim] array. `positions` has
// batch * seq entries (token (b, s) at positions[b * seq + s]), or streams * batch * seq
// stream-major for a config with several position streams (M-RoPE, 2D vision). The
// frequencies come from rope_frequencies(config, max over positions). Returns the rotated
// array.
std::vector<double> rope(std::span<const double> x, std::int64_t batch, std::int64_t seq, std::int64_t heads,
                         const RopeConfig& config, std::span<const std::int64_t> positions, bool inverse = false);

// The same with given frequencies (so q and k of one call share them).
std::vector<double> rope(std::span<const double> x, std::int64_t batch, std::int64_t seq, std::int64_t heads,
                         const RopeConfig& config, const RopeFrequencies& frequencies,
                         std::span<const std::int64_t> positions, bool inverse = false);

}  // namespace vkrope::reference

namespace vkrope::reference {

// Attention in double precision, every option of AttentionConfig (fused RoPE rotates q and
// k at their positions first). q [batch, sq, heads, head_dim], k and v [batch, skv,
// kv_heads, head_dim], contiguous row-major. Returns [batch, sq, heads, head_dim].
std::vector<double> attention(std::span<const double> q, std::span<const double> k, std::span<const double> v,
                              std::int64_t batch, std::int64_t sq, std::int64_t skv, std::int64_t heads,
                              std::int64_t kv_heads, std::int64_t head_dim, const AttentionConfig& config);

}  // namespace vkrope::reference

namespace vkrope::reference {

// Linear attention in double precision, straight from RoFormer's eq. 19, quadratic on
// purpose (no state, no chunks): out_m = sum_n (R_m phi(q_m)) . (R_n phi(k_n)) v_n /
// sum_n phi(q_m) . phi(k_n) over every key n (n <= m when causal), zeros where the
// normalizer is zero. q [batch, sq, heads, head_dim], k [batch, skv, kv_heads, head_dim],
// v [batch, skv, kv_heads, value_dim], contiguous row-major. RoPE (config.rope) at
// config's positions, or at position_offset + index; frequencies at the largest position of
// q and k. Returns [batch, sq, heads, value_dim].
std::vector<double> linear_attention(std::span<const double> q, std::span<const double> k, std::span<const double> v,
                                     std::int64_t batch, std::int64_t sq, std::int64_t skv, std::int64_t heads,
                                     std::int64_t kv_heads, std::int64_t head_dim, std::int64_t value_dim,
                                     const LinearAttentionConfig& config, std::int64_t position_offset = 0);

}  // namespace vkrope::reference

namespace vkrope::reference {

// Absolute position embeddings in double precision, from the formula (sin / cos of
// p / base^(2i/d) evaluated in double, or the table's row p): out = x * x_scale + PE.
// x [batch, seq, d] contiguous row-major; positions has batch * seq entries (token (b, s)
// at positions[b * seq + s]); table [max_positions, d] row-major for Learned (clamp takes
// its last row for positions past it), empty for Sinusoidal. Returns [batch, seq, d].
std::vector<double> position_embedding(std::span<const double> x, std::int64_t batch, std::int64_t seq,
                                       std::int64_t d, const PositionEmbeddingConfig& config,
                                       std::span<const std::int64_t> positions,
                                       std::span<const double> table = {});

}  // namespace vkrope::reference

VKROPE_PUBLIC_END
