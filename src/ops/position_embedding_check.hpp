// What a position-embedding call resolves to (shapes, positions, table rows), shared by the
// dispatch and by checked mode, which replays the call on the CPU reference.
#pragma once

#include <cstdint>
#include <vector>

#include "vkrope/position_embedding.hpp"

namespace vkrope::detail {

struct PositionEmbeddingCall {
  std::int64_t batch = 1, seq = 0, dim = 0;
  std::int64_t table_rows = 0;          // learned: max_positions
  std::int64_t max_position = 0;
  std::vector<std::int64_t> positions;  // [batch * seq], expanded
};

// Validates config, tensors and positions; throws InvalidArgument naming what is wrong and
// what was expected (position_embedding.hpp lists the cases).
PositionEmbeddingCall prepare_position_embedding(const PositionEmbeddingConfig& config,
                                                 const PositionEmbeddingTensors& tensors,
                                                 const RopePositions& positions);

// Tolerances of the output against the double reference, by the output's storage:
//  - max abs error over max |reference|: f32 2e-6 (the sinusoid's exact-angle tables are
//    within a few float32 ulps of 1, and x * x_scale + PE rounds once or twice more:
//    ~2e-7 in practice); f16 2^-11 + 2e-6 (one rounding of the f32 result to 11
//    significant bits is at most half an ulp, 2^-11 of the value, plus the f32 error);
//  - L2 relative error: f32 1e-6, f16 5e-4 (the same half ulp, 4.9e-4, bounds it).
// The reference sees the stored inputs (f16 rounded), so input rounding costs nothing.
double position_embedding_max_abs_tolerance(DType out_dtype);
double position_embedding_rel_tolerance(DType out_dtype);

// The input as it was before an in-place call overwrote it.
struct PositionEmbeddingSnapshot {
  std::vector<float> x;
};
PositionEmbeddingSnapshot snapshot_position_embedding_input(const PositionEmbeddingTensors& tensors);

// Checked mode: runs the reference on the snapshot and throws Mismatch when the output is
// off by more than the tolerances.
void check_position_embedding(const PositionEmbeddingConfig& config, const PositionEmbeddingTensors& tensors,
                              const RopePositions& positions, const PositionEmbeddingSnapshot& before);

}  // namespace vkrope::detail
