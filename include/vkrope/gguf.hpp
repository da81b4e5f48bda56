// GGUF model files (llama.cpp's format, versions 2 and 3): the RoPE and attention shape of a
// model, read from its metadata the way llama.cpp reads them. Only the header, the metadata
// and the tensor-info table are parsed, plus the small rope_freqs tensor when there is one;
// the weights are never read. docs/gguf.md lists the keys and the layout per architecture.
#pragma once

#include <cstdint>
#include <string>

#include "vkrope/rope.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

// What vkrope reads of a GGUF model: its RoPE and its attention shape.
struct GgufModel {
  std::string architecture;  // general.architecture
  // theta, head_dim, rotary_dim, layout (from the architecture, as llama.cpp's
  // llama_model_rope_type), scaling, max_position_embeddings (= context_length),
  // freq_factors (the rope_freqs tensor), mrope_section / mrope_interleaved. Validated.
  RopeConfig rope;
  // <arch>.attention.head_count and .head_count_kv (default: head_count). Some models
  // store them per layer (an array); the largest entry is taken, which is the attention
  // layers' count in hybrid models whose recurrent layers list 0.
  std::int64_t heads = 0, kv_heads = 0;
  // <arch>.attention.key_length; default <arch>.embedding_length / head_count.
  std::int64_t head_dim = 0;
  std::int64_t context_length = 0;  // <arch>.context_length (0: absent)
  std::int64_t sliding_window = 0;  // <arch>.attention.sliding_window (0: none)
};

// Throws Error(Io) when the file cannot be opened or read, and Error(InvalidArgument) when
// it is not a GGUF v2/v3 file (naming the byte offset and key where it goes wrong), lacks a
// required key (general.architecture, <arch>.attention.head_count, the head size), names an
// architecture vkrope has no RoPE layout for (the message lists those it has), or describes
// a RoPE that RopeConfig::validate() refuses.
GgufModel read_gguf_model(const std::string& path);

}  // namespace vkrope

VKROPE_PUBLIC_END
