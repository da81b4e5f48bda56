#include "rope/angle_table.hpp"

#include <cmath>

namespace vkrope::detail {

std::vector<float> build_angle_table(const RopeFrequencies& frequencies) {
  const std::size_t half = frequencies.inv_freq.size();
  std::vector<float> table(kAngleTableRows * half * 2);
  const std::uint32_t level_rows[3] = {256, 256, 512};
  const double level_scale[3] = {1.0, 256.0, 65536.0};
  std::size_t row = 0;
  for (int level = 0; level < 3; ++level) {
    const double amplitude = level == 0 ? frequencies.attention_factor : 1.0;
    for (std::uint32_t d = 0; d < level_rows[level]; ++d, ++row) {
      for (std::size_t i = 0; i < half; ++i) {
        // d * 256^level is an exact integer; the product with inv_freq is a correctly
        // rounded double, far below float32 resolution.
        const double angle = static_cast<double>(d) * level_scale[level] * frequencies.inv_freq[i];
        table[(row * half + i) * 2] = static_cast<float>(amplitude * std::cos(angle));
        table[(row * half + i) * 2 + 1] = static_cast<float>(amplitude * std::sin(angle));
      }
    }
  }
  return table;
}

}  // namespace vkrope::detail
