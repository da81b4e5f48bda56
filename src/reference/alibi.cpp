// ALiBi slopes (Press et al., "Train Short, Test Long"). The GPU op and the CPU reference both
// take them from here, so a model's head count maps to one set of slopes everywhere.
#include <cmath>
#include <string>

#include "vkrope/attention.hpp"
#include "vkrope/error.hpp"

namespace vkrope {

namespace {

// Slope i (0-based) of a power-of-two head count n: 2^(-8 (i + 1) / n), a geometric series
// from 2^(-8/n) down to 2^-8. exp2 of the exponent, rather than repeated multiplication, keeps
// every slope within one rounding of the exact value (and exact for n <= 8).
double power_of_two_slope(std::int64_t n, std::int64_t i) {
  return std::exp2(-8.0 * static_cast<double>(i + 1) / static_cast<double>(n));
}

}  // namespace

// For a head count n that is not a power of two, the paper's recipe keeps all m slopes of
// the largest power of two m < n, then fills the remaining n - m heads with the slopes of 2m
// at even indices 0, 2, 4, ...: those are the ones that interleave between the first m (the
// odd indices of the 2m series are exactly the m series), so the extra heads get new slopes.
std::vector<double> alibi_slopes(std::int64_t heads) {
  if (heads <= 0) {
    throw Error(ErrorKind::InvalidArgument,
                "alibi_slopes: heads = " + std::to_string(heads) + ": expected a head count > 0");
  }
  std::int64_t m = 1;
  while (m * 2 <= heads) m *= 2;

  std::vector<double> slopes;
  slopes.reserve(static_cast<std::size_t>(heads));
  for (std::int64_t i = 0; i < m; ++i) slopes.push_back(power_of_two_slope(m, i));
  for (std::int64_t i = 0; i < heads - m; ++i) slopes.push_back(power_of_two_slope(2 * m, 2 * i));
  return slopes;
}

}  // namespace vkrope
