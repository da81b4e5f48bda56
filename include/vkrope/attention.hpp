// Attention: softmax(q k^T * scale + bias) v, tiled with an online softmax so memory stays
// linear in sequence length (no Sq x Skv buffer anywhere).
//
// Positions: by default causal attention is bottom-right aligned: query i of Sq sits at
// position Skv - Sq + i and key j at position j; a query sees keys at positions <= its own.
// Explicit positions replace both. A key is visible to a query when
//   (!causal || p_k <= p_q) && (!window || |p_q - p_k| < W)
// so with causal a query at p sees keys in (p - W, p]; without causal W - 1 keys either side.
// Logit of a visible key: s = (q . k) * scale, then softcap c: s = c * tanh(s / c), then
// ALiBi: s -= slope_h * |p_q - p_k|. Sinks add one extra logit per query head to the softmax
// denominator (as in gpt-oss), attending to nothing. A query that sees no key (and has no
// sink) outputs zeros.
//
// Scratch: a one-pass call uses none beyond the output. A call split over keys (decode, or
// any call on llvmpipe whose keys exceed what its loop guard lets one pass cover, ~14k at
// D = 128) uses
//   min(partials * B * Sq * H * (D + 4) * 4 bytes, kMaxAttentionScratch)
// partials = key ranges (<= 64, or Skv / keys-per-pass) x lane phases (<= 8; > 1 only on
// CPU drivers, whose SIMD lanes share a query row when a kv head has fewer rows than
// lanes): past the cap the queries run in chunks that share one buffer (plus each chunk's
// explicit positions, 4 bytes per query and key). key_splits = 1
// forces one pass and no scratch where the device allows it. Never Sq x Skv.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "vkrope/batch.hpp"
#include "vkrope/rope.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

// The most split-KV scratch one attention call allocates (see the formula above).
inline constexpr std::uint64_t kMaxAttentionScratch = std::uint64_t{64} << 20;

struct AttentionConfig {
  std::optional<double> scale;  // default 1 / sqrt(head_dim); must be finite
  bool causal = false;
  std::optional<std::int64_t> window;  // sliding window W >= 1, or none
  bool alibi = false;           // standard ALiBi slopes for the query head count
  double softcap = 0.0;         // logit softcap c > 0, or 0 for none
  std::vector<float> sinks;     // one logit per query head, or empty for none
  std::optional<RopeConfig> rope;  // fused RoPE of q and k at their positions
  // Explicit positions: [Sq] and [Skv] (shared by the batch). Empty: bottom-right aligned.
  std::vector<std::int64_t> query_positions;
  std::vector<std::int64_t> key_positions;
  // Fused RoPE with several positions per token (rope->position_streams() > 1: M-RoPE, 2D
  // vision): each token's positions, stream-major [streams, Sq] and [streams, Skv], shared
  // by the batch; given together. They move only the rotation (masks keep the positions
  // above): q and k are rotated by rope() into temporaries, at frequencies taken at the
  // largest position of both, then attended. Empty: every stream at the token's position,
  // which rotates exactly as one position does (in the kernel, as for text RoPE).
  std::vector<std::int64_t> query_rope_positions;
  std::vector<std::int64_t> key_rope_positions;
  // Split-KV: 0 lets the device decide (keys split across workgroups when the queries alone
  // cannot fill it, e.g. decode); 1 forces one pass; n > 1 asks for n key ranges (capped at
  // 64 and at one range per key tile).
  std::int64_t key_splits = 0;
};

// The standard ALiBi slopes for `heads` heads (Press et al.; for a non-power-of-two count,
// the slopes of the nearest lower power of two followed by every other slope of the next).
std::vector<double> alibi_slopes(std::int64_t heads);

// q [B, Sq, H, D] or [Sq, H, D]; k, v [B, Skv, Hkv, D] or [Skv, Hkv, D]; out like q.
// H a multiple of Hkv (GQA, MQA); k and v share a dtype; q and out may be f32 over f16 k/v.
// Throws InvalidArgument naming the problem (H not a multiple of Hkv, head dims or lengths
// that differ, causal with Sq > Skv and no explicit positions, window <= 0, non-finite scale
// or softcap, sinks of the wrong length).
void attention(Batch& batch, const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& out);
void attention(const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out);

// The naive GPU path, to cross-check the flash kernels: materializes all B * H * Sq * Skv
// scores in a scratch buffer, then one softmax-weighted sum per output element; fused
// RoPE runs as rope() into temporaries first (each position list with its own frequency
// table, which differs from attention() only for dynamic or longrope scaling with
// explicit positions). Small sizes only: at most kMaxNaiveScores scores and
// kMaxNaiveKeys keys, else InvalidArgument. Submits and waits.
inline constexpr std::int64_t kMaxNaiveScores = std::int64_t{1} << 22;
inline constexpr std::int64_t kMaxNaiveKeys = 4096;
void attention_naive(const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
                     const Tensor& out);

}  // namespace vkrope

VKROPE_PUBLIC_END
