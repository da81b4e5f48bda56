// PositionEmbeddingConfig's own functions and the sinusoid's frequencies: host-side math
// of the absolute position embedding, below the op (src/ops/position_embedding.cpp) and
// the reference, which both use it.
#include "rope/sinusoid.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "vkrope/error.hpp"

namespace vkrope {

std::string_view to_string(PositionEmbeddingKind kind) noexcept {
  return kind == PositionEmbeddingKind::Learned ? "learned" : "sinusoidal";
}

void PositionEmbeddingConfig::validate() const {
  if (kind == PositionEmbeddingKind::Sinusoidal && !(std::isfinite(base) && base > 1.0))
    throw Error(ErrorKind::InvalidArgument,
                "position_embedding: base = " + std::to_string(base) + "; expected a finite number > 1");
  // The kernel multiplies in float32: a scale past its range would be infinite there.
  if (!(std::abs(x_scale) <= static_cast<double>(std::numeric_limits<float>::max())))
    throw Error(ErrorKind::InvalidArgument, "position_embedding: x_scale = " + std::to_string(x_scale) +
                                                "; expected a finite number within float32's range");
}

double sqrt_dim_scale(std::int64_t d) {
  if (d < 1) throw Error(ErrorKind::InvalidArgument, "sqrt_dim_scale: d = " + std::to_string(d) + "; expected >= 1");
  return std::sqrt(static_cast<double>(d));
}

namespace detail {

RopeFrequencies sinusoid_frequencies(double base, std::int64_t d) {
  RopeFrequencies f;
  f.inv_freq.resize(static_cast<std::size_t>(d / 2));
  for (std::size_t i = 0; i < f.inv_freq.size(); ++i)
    f.inv_freq[i] = 1.0 / std::pow(base, static_cast<double>(2 * i) / static_cast<double>(d));
  return f;
}

}  // namespace detail

}  // namespace vkrope
