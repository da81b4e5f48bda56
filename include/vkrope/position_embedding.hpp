// Absolute position embeddings added to token vectors (the original transformer's input
// layer, GPT-2 / BERT style learned tables):
//   out[b, s, e] = x[b, s, e] * x_scale + PE(p, e),   p = the position of token (b, s)
// Sinusoidal (Vaswani et al. 2017): PE(p, 2i) = sin(p * w_i), PE(p, 2i + 1) = cos(p * w_i)
// with w_i = base^(-2i / d). The angles are exact at every position up to 2^24: the same
// host-side double tables RoPE uses (README "Exact angles"), not float32 p * w_i, which is
// off by ~4e-2 at p = 2^20.
// Learned: PE(p, e) = table[p, e], a [max_positions, d] table; a position past the table
// is an error, or takes the last row with `clamp`.
// Storage f32 or f16 (x, out and the table independently), arithmetic in f32.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "vkrope/batch.hpp"
#include "vkrope/rope.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

enum class PositionEmbeddingKind { Sinusoidal, Learned };

std::string_view to_string(PositionEmbeddingKind kind) noexcept;  // "sinusoidal", "learned"

struct PositionEmbeddingConfig {
  PositionEmbeddingKind kind = PositionEmbeddingKind::Sinusoidal;
  // Sinusoidal only: the base of the wavelengths; finite and > 1. Default 10000 (the paper's).
  double base = 10000.0;
  // Learned only: a position at or past the table's rows takes its last row instead of
  // being refused. Default false (an error naming the position and the table's rows).
  bool clamp = false;
  // Multiplies x before the embedding is added; finite, within float32's range. Default 1.
  // The original transformer scales its token embeddings by sqrt(d): sqrt_dim_scale(d).
  double x_scale = 1.0;

  // Throws InvalidArgument for a base that is not finite and > 1 (sinusoidal), or an
  // x_scale that is not finite or past float32's range.
  void validate() const;
};

// sqrt(d), the original transformer's scale of the token embeddings (x_scale).
double sqrt_dim_scale(std::int64_t d);

// The tensors of one call. x: [batch, seq, d] or [seq, d], last dimension contiguous,
// other strides free. out: x's shape and dtype; empty means in place. table: Learned only,
// [max_positions, d] (f32 or f16, last dimension contiguous, row stride free).
struct PositionEmbeddingTensors {
  Tensor x;
  std::optional<Tensor> out;
  std::optional<Tensor> table;
};

// Positions are RoPE's (one stream): explicit per token ([seq], shared by the batch, or
// [batch * seq]) or, when `values` is empty, offset + token index; all in [0, 2^24].

// Records the op in one dispatch. Throws InvalidArgument naming what is wrong and what was
// expected: a bad config, an odd d with Sinusoidal, a table missing (Learned), given
// (Sinusoidal), of another width than d or another dtype than f32/f16, a position past the
// table without clamp, positions negative, past 2^24 or of the wrong count, out's shape or
// dtype unlike x's, out overlapping x (other than exactly in place) or the table, tensors of
// another Context. Unsupported: f16 views at odd offsets or strides (or an odd d) on a
// device without 16-bit storage.
void position_embedding(Batch& batch, const PositionEmbeddingConfig& config, const PositionEmbeddingTensors& tensors,
                        const RopePositions& positions);
// Same, submitted and waited for; in checked mode, compared with the CPU reference.
void position_embedding(const PositionEmbeddingConfig& config, const PositionEmbeddingTensors& tensors,
                        const RopePositions& positions);

}  // namespace vkrope

VKROPE_PUBLIC_END
