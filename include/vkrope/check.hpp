// Comparing GPU output with a CPU reference: relative error and max abs error.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

struct CompareReport {
  double rel_err = 0.0;      // ||got - expected||_2 / ||expected||_2 (0 when both are zero)
  double max_abs_err = 0.0;  // max |got - expected|; infinity when a NaN appears on one side only
  double max_abs_ref = 0.0;  // max |expected|, to scale tolerances
  std::size_t worst = 0;     // index of the largest error
  double worst_got = 0.0;
  double worst_expected = 0.0;
  std::string to_string() const;
};

// NaN in both at the same index counts as equal (NaN inputs are data: they propagate).
// got and expected must have the same size.
CompareReport compare(std::span<const float> got, std::span<const double> expected);

}  // namespace vkrope

VKROPE_PUBLIC_END
