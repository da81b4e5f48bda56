// RoPE with several positions per token (M-RoPE, 2D vision RoPE): validation of the
// config's stream fields, and the vision forms' frequency map.
#pragma once

#include <vector>

#include "vkrope/rope.hpp"

namespace vkrope::detail {

// Throws InvalidArgument for mrope_section / mrope_interleaved / vision fields that do not
// fit the config (called by RopeConfig::validate).
void validate_position_streams(const RopeConfig& config);

// A vision form's per-pair frequencies from the model's rotary_dim / 2 frequencies: pair i
// < q = rotary_dim / 4 (the row) takes base[2i]; pair q + i (the column) takes base[2i]
// (Qwen2VL) or base[2i + 1] (Pixtral). Other configs: base unchanged.
std::vector<double> vision_frequencies(const RopeConfig& config, std::vector<double> base);

}  // namespace vkrope::detail
