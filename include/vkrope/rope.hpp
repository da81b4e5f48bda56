// Rotary position embedding (RoPE) of queries and keys.
//
// Pair i of a head vector at position p is rotated by the angle p * inv_freq[i]:
//   (x, y) -> (x cos - y sin, x sin + y cos) * attention_factor
// Pairs are (i, i + rotary_dim/2) in the neox layout (GPT-NeoX, Llama in transformers) and
// (2i, 2i + 1) in the interleaved layout (RoFormer, GPT-J). Dimensions from rotary_dim to
// head_dim pass through unchanged (partial rotary). inv_freq and attention_factor follow
// Hugging Face transformers' rope_type definitions exactly; they are computed on the host
// in double precision.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "vkrope/batch.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope {

enum class RopeLayout { Neox, Interleaved };
enum class RopeScalingType { Default, Linear, Dynamic, Yarn, Llama3, LongRope };

std::string_view to_string(RopeLayout layout) noexcept;
std::string_view to_string(RopeScalingType type) noexcept;  // transformers' rope_type names

// transformers' rope_scaling / rope_parameters. Which fields apply depends on `type`;
// optional fields left empty take transformers' defaults.
struct RopeScaling {
  RopeScalingType type = RopeScalingType::Default;
  // linear, dynamic, yarn, llama3, longrope. from_hf_config resolves a longrope factor the
  // config leaves out (max_position_embeddings / original); set by hand, it is used as is.
  double factor = 1.0;
  // yarn, llama3, longrope: the context length the model was trained for. Empty: the
  // config's max_position_embeddings.
  std::optional<std::int64_t> original_max_position_embeddings;
  // yarn
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  std::optional<double> mscale;          // DeepSeek form: with mscale_all_dim
  std::optional<double> mscale_all_dim;
  bool truncate = true;
  // yarn, longrope: multiplies cos and sin; empty: derived as transformers does
  std::optional<double> attention_factor;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  // longrope: one factor per rotated pair (rotary_dim / 2 each)
  std::vector<double> short_factor;
  std::vector<double> long_factor;

  // From a transformers rope_scaling JSON object ("rope_type", or the legacy "type").
  // Throws InvalidArgument naming the field: unknown rope_type, a missing required field, a
  // value of the wrong JSON type, a non-positive or non-finite factor.
  static RopeScaling from_json(const nlohmann::json& rope_scaling);
};

struct RopeConfig {
  std::int64_t head_dim = 0;
  std::int64_t rotary_dim = 0;  // 0: head_dim. Even, 2..head_dim.
  RopeLayout layout = RopeLayout::Neox;
  double theta = 10000.0;       // the base
  RopeScaling scaling;
  // The model's max_position_embeddings: dynamic scaling's threshold, and the default of
  // original_max_position_embeddings. 0: unset (an error for the types that need it).
  std::int64_t max_position_embeddings = 0;

  std::int64_t effective_rotary_dim() const noexcept { return rotary_dim ? rotary_dim : head_dim; }

  // Throws InvalidArgument saying what is wrong and what was expected: head_dim not even
  // and positive, rotary_dim odd or outside 2..head_dim, theta not finite and > 1, missing
  // or non-positive scaling fields, longrope tables not rotary_dim / 2 long.
  void validate() const;

  // From a Hugging Face config.json object: rope_theta, rope_scaling (rope_type or type) or
  // the newer rope_parameters, partial_rotary_factor, head_dim (or hidden_size /
  // num_attention_heads), max_position_embeddings, original_max_position_embeddings at top
  // level. Layout: neox (transformers' rotate_half). The result is validated.
  static RopeConfig from_hf_config(const nlohmann::json& config);
  // Reads and parses the file (Io when unreadable, InvalidArgument when malformed).
  static RopeConfig from_hf_config_file(const std::string& path);
};

// What a call rotates by: dynamic and longrope depend on the call's largest position.
struct RopeFrequencies {
  std::vector<double> inv_freq;   // rotary_dim / 2 values, pair i's angular frequency
  double attention_factor = 1.0;  // multiplies cos and sin
};

// inv_freq and attention_factor for a call whose largest position is `max_position`
// (transformers uses seq_len = max_position + 1). config must be valid.
RopeFrequencies rope_frequencies(const RopeConfig& config, std::int64_t max_position);

// Where each token sits. Either explicit positions ([seq], shared by the batch, or
// [batch * seq], row-major) or, when `values` is empty, offset + token index (decode with
// a KV cache: offset = tokens already cached). Positions must lie in [0, 2^24].
struct RopePositions {
  std::vector<std::int64_t> values;
  std::int64_t offset = 0;
};

inline constexpr std::int64_t kMaxRopePosition = std::int64_t{1} << 24;

// The tensors of one call. q: [batch, seq, q_heads, head_dim] or [seq, q_heads, head_dim];
// k likewise with its own head count (GQA); the last dimension contiguous, other strides
// free (slices of a fused QKV buffer work). An empty output means in place. Outputs have
// their input's shape and dtype. f32 and f16 storage; arithmetic in f32.
struct RopeTensors {
  Tensor q;
  std::optional<Tensor> q_out;
  std::optional<Tensor> k;
  std::optional<Tensor> k_out;
};

// Records RoPE of q (and k) in one dispatch. inverse: rotate by the negative angle (the
// backward pass, or to undo a rotation). Throws InvalidArgument for shapes that disagree
// with the config or each other, positions out of range or of the wrong length.
void rope(Batch& batch, const RopeConfig& config, const RopeTensors& tensors, const RopePositions& positions,
          bool inverse = false);
// Same, submitted and waited for; in checked mode, compared with the CPU reference.
void rope(const RopeConfig& config, const RopeTensors& tensors, const RopePositions& positions,
          bool inverse = false);

}  // namespace vkrope
