#include <cmath>
#include <cstdio>
#include <limits>

#include "vkrope/check.hpp"
#include "vkrope/error.hpp"

namespace vkrope {

CompareReport compare(std::span<const float> got, std::span<const double> expected) {
  if (got.size() != expected.size())
    throw Error(ErrorKind::InvalidArgument, "compare: " + std::to_string(got.size()) + " values against " +
                                                std::to_string(expected.size()));
  CompareReport r;
  double diff2 = 0.0, ref2 = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], e = expected[i];
    double err;
    if (std::isnan(e) || std::isnan(g)) {
      err = (std::isnan(e) && std::isnan(g)) ? 0.0 : std::numeric_limits<double>::infinity();
    } else {
      err = std::abs(g - e);
      diff2 += err * err;
      ref2 += e * e;
      r.max_abs_ref = std::max(r.max_abs_ref, std::abs(e));
    }
    if (err > r.max_abs_err || (i == 0 && err == 0.0)) {
      r.max_abs_err = err;
      r.worst = i;
      r.worst_got = g;
      r.worst_expected = e;
    }
  }
  r.rel_err = ref2 > 0.0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  if (std::isinf(r.max_abs_err)) r.rel_err = std::numeric_limits<double>::infinity();
  return r;
}

std::string CompareReport::to_string() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "rel_err %.3g, max_abs_err %.3g at element %zu (got %.9g, expected %.9g)", rel_err,
                max_abs_err, worst, worst_got, worst_expected);
  return buf;
}

}  // namespace vkrope
