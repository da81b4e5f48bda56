#include "ops/position_embedding_check.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::detail {

double position_embedding_max_abs_tolerance(DType out_dtype) {
  return out_dtype == DType::f32 ? 2e-6 : std::ldexp(1.0, -11) + 2e-6;
}

double position_embedding_rel_tolerance(DType out_dtype) { return out_dtype == DType::f32 ? 1e-6 : 5e-4; }

PositionEmbeddingSnapshot snapshot_position_embedding_input(const PositionEmbeddingTensors& t) {
  return {t.x.download()};
}

void check_position_embedding(const PositionEmbeddingConfig& config, const PositionEmbeddingTensors& t,
                              const RopePositions& positions, const PositionEmbeddingSnapshot& before) {
  const PositionEmbeddingCall call = prepare_position_embedding(config, t, positions);
  const std::vector<double> x(before.x.begin(), before.x.end());
  std::vector<double> table;
  if (t.table) {
    const std::vector<float> stored = t.table->download();
    table.assign(stored.begin(), stored.end());
  }
  const std::vector<double> expected =
      reference::position_embedding(x, call.batch, call.seq, call.dim, config, call.positions, table);
  const Tensor& out = t.out ? *t.out : t.x;
  const CompareReport r = compare(out.download(), expected);
  const double max_abs = position_embedding_max_abs_tolerance(out.dtype()) * r.max_abs_ref;
  const double rel = position_embedding_rel_tolerance(out.dtype());
  if (!(r.max_abs_err <= max_abs) || !(r.rel_err <= rel))
    throw Error(ErrorKind::Mismatch, "position_embedding: checked mode: out differs from the CPU reference: " +
                                         r.to_string() + "; tolerance max abs " + std::to_string(max_abs) +
                                         ", relative " + std::to_string(rel));
}

}  // namespace vkrope::detail
