#include "ops/rope_check.hpp"

#include <algorithm>
#include <cmath>

#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::detail {

RopeSnapshot snapshot_rope_inputs(const RopeTensors& t) {
  RopeSnapshot s;
  s.q = t.q.download();
  if (t.k) s.k = t.k->download();
  return s;
}

double rope_tolerance(DType dtype) { return dtype == DType::f32 ? 2e-6 : 1e-3; }

namespace {

void check_one(const char* name, const RopeConfig& config, const RopeCall& call, std::int64_t heads,
               const std::vector<float>& input, const Tensor& output, bool inverse) {
  const std::vector<double> x(input.begin(), input.end());
  const std::vector<double> expected =
      reference::rope(x, call.batch, call.seq, heads, config, call.frequencies, call.positions, inverse);
  const CompareReport r = compare(output.download(), expected);
  double max_x = 0.0;
  for (double v : x)
    if (!std::isnan(v)) max_x = std::max(max_x, std::abs(v));
  const double tolerance = rope_tolerance(output.dtype()) * max_x * std::max(1.0, call.frequencies.attention_factor);
  if (!(r.max_abs_err <= tolerance))
    throw Error(ErrorKind::Mismatch, std::string("rope: checked mode: ") + name + " differs from the CPU reference: " +
                                         r.to_string() + "; tolerance " + std::to_string(tolerance));
}

}  // namespace

void check_rope(const RopeConfig& config, const RopeTensors& t, const RopePositions& positions, bool inverse,
                const RopeSnapshot& before) {
  const RopeCall call = prepare_rope(config, t, positions);
  check_one("q", config, call, call.q_heads, before.q, t.q_out ? *t.q_out : t.q, inverse);
  if (t.k) check_one("k", config, call, call.k_heads, before.k, t.k_out ? *t.k_out : *t.k, inverse);
}

}  // namespace vkrope::detail
