// Exact RoPE angles for the GPU: (cos, sin) tables of the three digits of a position.
#pragma once

#include <cstdint>
#include <vector>

#include "vkrope/rope.hpp"

namespace vkrope::detail {

// Digits of a position p < 2^25: p = d0 + 256 d1 + 65536 d2 with d0, d1 < 256 and d2 < 512.
inline constexpr std::uint32_t kAngleTableRows = 256 + 256 + 512;

// Row-major [kAngleTableRows][half_rot][2] floats: row r of level L (base 0, 256, 512)
// holds (cos, sin)(d * 256^L * inv_freq[i]), evaluated in double and rounded once to
// float; level 0 rows are multiplied by the attention factor. The product of the three
// unit complex numbers a shader looks up is then within a few float32 ulps of the exact
// rotation at every position.
std::vector<float> build_angle_table(const RopeFrequencies& frequencies);

}  // namespace vkrope::detail
