// Linear attention with RoPE (RoFormer, Su et al. 2021, section 3.3, eq. 19):
//
//   out_m = sum_n (R_m phi(q_m))^T (R_n phi(k_n)) v_n  /  sum_n phi(q_m)^T phi(k_n)
//
// phi is a non-negative feature map (elu(x) + 1 by default, or relu), R_p the RoPE rotation
// at position p. The rotation applies to the features in the numerator only; the
// normalizer uses the unrotated features, exactly as the paper writes it (rotating both
// could make it change sign). Without RoPE, R is the identity: plain linear attention
// (Katharopoulos et al. 2020). A row whose normalizer is zero (possible with relu) outputs
// zeros.
//
// Cost is linear in the sequence length: the keys are summed into a state per kv head,
//   S = sum_n (R_n phi(k_n)) v_n^T   [head_dim x value_dim],   z = sum_n phi(k_n)   [head_dim],
// and each query reads it: out_m = (R_m phi(q_m))^T S / (phi(q_m)^T z).
// - Non-causal: every query sees every key (Sq and Skv may differ).
// - Causal (Sq == Skv, query m sees keys n <= m): the tokens go in chunks of `chunk`; inside
//   a chunk the scores are computed directly (quadratic in the chunk only), between chunks
//   a running state carries the sums, so cost grows linearly with length.
// - Decode: a LinearAttentionState holds S and z (f32) across calls; each causal call
//   continues from it and leaves the sums of its tokens in it. Memory is independent of
//   length: B * Hkv * head_dim * (value_dim + 1) floats.
// Scratch: bounded (kMaxLinearAttentionScratch) whatever the length: long calls run as
// segments of tokens that share it, in order.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "vkrope/batch.hpp"
#include "vkrope/context.hpp"
#include "vkrope/rope.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

enum class LinearFeature {
  Elu1,  // elu(x) + 1: x + 1 for x > 0, exp(x) otherwise; always > 0
  Relu,  // max(x, 0); a query or key of non-positive values has zero features
};
std::string_view to_string(LinearFeature feature) noexcept;  // "elu1", "relu"

// The most temporary memory one linear_attention() call allocates (features, rotated
// features and chunk sums of one segment of tokens), whatever the sequence length.
inline constexpr std::uint64_t kMaxLinearAttentionScratch = std::uint64_t{48} << 20;

struct LinearAttentionConfig {
  LinearFeature feature = LinearFeature::Elu1;
  bool causal = false;
  std::optional<RopeConfig> rope;  // RoPE of phi(q) and phi(k); every layout and scaling rope() has
  // Explicit positions for RoPE: [Sq] and [Skv], shared by the batch, given together.
  // Empty: token i of q and of k sits at offset + i, offset = the state's tokens() (0
  // without a state). Positions move only the rotation; causality follows token order.
  std::vector<std::int64_t> query_positions;
  std::vector<std::int64_t> key_positions;
  // Tokens per chunk of the causal form, 1..32; 0: the default (32). The result does not
  // depend on it beyond rounding.
  std::int64_t chunk = 0;
};

// The running sums of a causal linear attention, per batch row and kv head, f32.
class LinearAttentionState {
 public:
  // Zeroed: no tokens yet. Throws InvalidArgument for sizes < 1 or a state over the
  // device's storage-buffer range.
  LinearAttentionState(const Context& context, std::int64_t batch, std::int64_t kv_heads, std::int64_t head_dim,
                       std::int64_t value_dim);

  std::int64_t batch() const noexcept { return batch_; }
  std::int64_t kv_heads() const noexcept { return kv_heads_; }
  std::int64_t head_dim() const noexcept { return head_dim_; }
  std::int64_t value_dim() const noexcept { return value_dim_; }
  // Tokens summed so far: the default position of the next call's first token.
  std::int64_t tokens() const noexcept { return tokens_; }
  std::uint64_t bytes() const noexcept;

  // All of the state, f32: S [B, Hkv, head_dim, value_dim] followed by z [B, Hkv, head_dim].
  const Tensor& sums() const noexcept { return sums_; }
  Tensor s() const;  // [B, Hkv, head_dim, value_dim] (a view of sums())
  Tensor z() const;  // [B, Hkv, head_dim] (a view of sums())

  // Back to no tokens (submitted and waited for).
  void reset();

 private:
  friend void linear_attention(Batch&, const LinearAttentionConfig&, const Tensor&, const Tensor&, const Tensor&,
                               const Tensor&, LinearAttentionState*);
  std::int64_t batch_, kv_heads_, head_dim_, value_dim_;
  std::int64_t tokens_ = 0;
  Tensor sums_;
};

// q [B, Sq, H, D] or [Sq, H, D]; k [B, Skv, Hkv, D]; v [B, Skv, Hkv, Dv]; out [B, Sq, H, Dv]
// (rank as q). H a multiple of Hkv (GQA, MQA). q, k, v and out share one dtype, f32 or f16
// (arithmetic in f32); last dimensions contiguous, other strides free. A state needs causal,
// and its batch, kv heads, D and Dv must match; the call then adds Skv tokens to it (at
// recording). Throws InvalidArgument naming the problem (shapes, Dv of v and out that
// differ, H not a multiple of Hkv, causal with Sq != Skv, positions of the wrong length or
// out of [0, 2^24], positions without RoPE, a chunk outside 1..32).
void linear_attention(Batch& batch, const LinearAttentionConfig& config, const Tensor& q, const Tensor& k,
                      const Tensor& v, const Tensor& out, LinearAttentionState* state = nullptr);
// Same, submitted and waited for; in checked mode (without a state), compared with the
// CPU reference.
void linear_attention(const LinearAttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
                      const Tensor& out, LinearAttentionState* state = nullptr);

}  // namespace vkrope

VKROPE_PUBLIC_END
