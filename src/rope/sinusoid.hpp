// The sinusoidal absolute position embedding's frequencies, as RoPE frequencies, so the
// embedding shares RoPE's exact-angle tables (angle_table.hpp).
#pragma once

#include <cstdint>

#include "vkrope/position_embedding.hpp"
#include "vkrope/rope.hpp"

namespace vkrope::detail {

// w_i = base^(-2i/d) for i < d / 2, in double, attention factor 1: the angle table's
// (cos, sin)(p w_i) are then the embedding's (PE(p, 2i + 1), PE(p, 2i)). d must be even.
RopeFrequencies sinusoid_frequencies(double base, std::int64_t d);

}  // namespace vkrope::detail
