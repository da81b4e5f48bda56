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
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

enum class RopeLayout { Neox, Interleaved };
enum class RopeScalingType { Default, Linear, Dynamic, Yarn, Llama3, LongRope };
// 2D RoPE of a vision encoder's patches, whose positions are (row, column). With q
// = rotary_dim / 4, pair i < q takes the row and pair q + i the column:
//  - Qwen2VL (Qwen2-VL / Qwen2.5-VL / Qwen3-VL vision towers): both at the frequency of
//    pair 2i (transformers' VisionRotaryEmbedding over rotary_dim / 2);
//  - Pixtral: the row at pair 2i's frequency, the column at pair 2i + 1's (even
//    frequencies from the row, odd from the column).
enum class RopeVision { None, Qwen2VL, Pixtral };

std::string_view to_string(RopeLayout layout) noexcept;
std::string_view to_string(RopeScalingType type) noexcept;  // transformers' rope_type names
std::string_view to_string(RopeVision vision) noexcept;     // none, qwen2vl, pixtral

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

// Which model of a config.json from_hf_config reads: the language model (top level, or
// text_config in VLM configs), its sliding-window (local) layers where they rotate
// differently (Gemma 3's rope_local_base_freq, a per-layer-type rope_parameters'
// sliding_attention; else the same as Text), or the vision tower's 2D RoPE (vision_config
// of Qwen2-VL, Qwen2.5-VL, Qwen3-VL, Pixtral / Mistral 3).
enum class HfConfigPart { Text, TextLocal, Vision };

struct RopeConfig {
  std::int64_t head_dim = 0;
  std::int64_t rotary_dim = 0;  // 0: head_dim. Even, 2..head_dim.
  RopeLayout layout = RopeLayout::Neox;
  double theta = 10000.0;       // the base
  RopeScaling scaling;
  // The model's max_position_embeddings: dynamic scaling's threshold, and the default of
  // original_max_position_embeddings. 0: unset (an error for the types that need it).
  std::int64_t max_position_embeddings = 0;
  // M-RoPE (Qwen2-VL, Qwen2.5-VL, Qwen3-VL language models): a token has three positions
  // (temporal, height, width), and mrope_section [t, h, w], summing to rotary_dim / 2, says
  // which frequency pairs take which. Contiguous (Qwen2-VL): pairs 0..t-1 the temporal
  // position, the next h the height, the last w the width. mrope_interleaved (Qwen3-VL):
  // pair i takes the height when i % 3 == 1 and i < 3h, the width when i % 3 == 2 and
  // i < 3w, the temporal position otherwise (transformers' formula; only the sum is
  // checked). Empty: one position per token.
  std::vector<std::int64_t> mrope_section;
  bool mrope_interleaved = false;
  // 2D vision RoPE (two positions per token: row, column); not with mrope_section.
  RopeVision vision = RopeVision::None;
  // Per-pair divisors of the frequencies, applied after the scaling type's (llama.cpp's
  // rope_freqs tensor in GGUF files: Llama 3's scaling precomputed). Empty: none; else
  // rotary_dim / 2 finite values > 0.
  std::vector<double> freq_factors;

  std::int64_t effective_rotary_dim() const noexcept { return rotary_dim ? rotary_dim : head_dim; }
  // Positions per token: 3 with mrope_section, 2 with a vision form, else 1.
  std::int64_t position_streams() const noexcept;
  // Per rotated pair (rotary_dim / 2 of them), the stream its position comes from. The
  // config must be valid.
  std::vector<std::uint8_t> pair_streams() const;

  // Throws InvalidArgument saying what is wrong and what was expected: head_dim not even
  // and positive, rotary_dim odd or outside 2..head_dim, theta not finite and > 1, missing
  // or non-positive scaling fields, longrope tables not rotary_dim / 2 long, an
  // mrope_section that is not three counts >= 0 summing to rotary_dim / 2, a vision form
  // on an odd number of pairs or together with M-RoPE.
  void validate() const;

  // From a Hugging Face config.json object: rope_theta, rope_scaling (rope_type or type) or
  // the newer rope_parameters (one object, or one per layer type), partial_rotary_factor,
  // head_dim (or hidden_size / num_attention_heads), max_position_embeddings,
  // original_max_position_embeddings at top level, mrope_section and mrope_interleaved (M-
  // RoPE; the legacy type "mrope" is unscaled M-RoPE). A config that nests its language
  // model under text_config is read from there. Layout: neox (transformers' rotate_half),
  // interleaved for DeepSeek-V2/V3. The result is validated.
  static RopeConfig from_hf_config(const nlohmann::json& config, HfConfigPart part = HfConfigPart::Text);
  // Reads and parses the file (Io when unreadable, InvalidArgument when malformed).
  static RopeConfig from_hf_config_file(const std::string& path, HfConfigPart part = HfConfigPart::Text);
  // From a GGUF (v2/v3) model file's metadata, the way llama.cpp reads it (the layout per
  // architecture, rope_freqs as freq_factors): vkrope/gguf.hpp's read_gguf_model(path).rope.
  static RopeConfig from_gguf(const std::string& path);
};

// What a call rotates by: dynamic and longrope depend on the call's largest position.
struct RopeFrequencies {
  // rotary_dim / 2 values, pair i's angular frequency (for a vision form, already the
  // row's or column's frequency that pair i takes)
  std::vector<double> inv_freq;
  double attention_factor = 1.0;  // multiplies cos and sin
};

// inv_freq and attention_factor for a call whose largest position is `max_position`
// (transformers uses seq_len = max_position + 1). config must be valid.
RopeFrequencies rope_frequencies(const RopeConfig& config, std::int64_t max_position);

// Where each token sits. Either explicit positions ([seq], shared by the batch, or
// [batch * seq], row-major) or, when `values` is empty, offset + token index (decode with
// a KV cache: offset = tokens already cached). Positions must lie in [0, 2^24].
// With several position streams (RopeConfig::position_streams(): M-RoPE's temporal,
// height, width; vision's row, column) the values are stream-major, [streams, seq] or
// [streams, batch, seq] as transformers' position_ids; an offset puts token s at
// offset + s in every stream (text tokens after an image in M-RoPE).
struct RopePositions {
  std::vector<std::int64_t> values;
  std::int64_t offset = 0;
};

inline constexpr std::int64_t kMaxRopePosition = std::int64_t{1} << 24;

// The (row, column) positions of a height x width grid of patches for 2D vision RoPE,
// stream-major: rows first, then columns ([2, height * width]), `frames` times over (a
// video's frames share the grid). Patches run row by row; with merge > 1, in Qwen2-VL's
// spatial-merge order instead: merge x merge blocks of neighbouring patches one after
// another (the order its patch merger expects), blocks row by row. height and width must
// be multiples of merge. Throws InvalidArgument for sizes < 1 or over 2^24.
RopePositions vision_grid_positions(std::int64_t height, std::int64_t width, std::int64_t merge = 1,
                                    std::int64_t frames = 1);

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

VKROPE_PUBLIC_END
