// What a RoPE call resolves to (shapes, positions, frequencies), shared by the dispatch and
// by checked mode, which replays the call on the CPU reference.
#pragma once

#include <optional>
#include <vector>

#include "vkrope/rope.hpp"

namespace vkrope::detail {

struct RopeCall {
  std::int64_t batch = 1, seq = 0, q_heads = 0, k_heads = 0;
  std::int64_t max_position = 0;
  std::int64_t streams = 1;             // positions per token (RopeConfig::position_streams)
  std::vector<std::int64_t> positions;  // [streams][batch * seq], expanded
  RopeFrequencies frequencies;
};

// Validates config, tensors and positions; throws InvalidArgument naming what is wrong.
// The frequencies are taken at the call's largest position, or at `frequency_position`
// when given (a caller rotating q and k in two calls that must share one table).
RopeCall prepare_rope(const RopeConfig& config, const RopeTensors& tensors, const RopePositions& positions,
                      std::optional<std::int64_t> frequency_position = std::nullopt);

// rope(batch, ...) with the frequencies at `frequency_position` (see prepare_rope).
void record_rope(Batch& batch, const RopeConfig& config, const RopeTensors& tensors, const RopePositions& positions,
                 bool inverse, std::optional<std::int64_t> frequency_position);

// The inputs as they were before an in-place call overwrote them.
struct RopeSnapshot {
  std::vector<float> q, k;
};
RopeSnapshot snapshot_rope_inputs(const RopeTensors& tensors);

// Tolerance of RoPE output against the double reference, as max abs error relative to
// max |x| * attention_factor: f32 storage 2e-6 (the kernel's angles are within a few
// float32 ulps, and one rotation adds 2 more: ~6e-7 in practice, bounded by the issue's
// 1e-6 * max|x| at every position up to 2^20 in tests); f16 storage 1e-3 (one rounding of
// the output to 11 significant bits is 4.9e-4 of it).
double rope_tolerance(DType dtype);

// Checked mode: runs the reference on the snapshot and throws Mismatch when any output
// element is off by more than the tolerance.
void check_rope(const RopeConfig& config, const RopeTensors& tensors, const RopePositions& positions, bool inverse,
                const RopeSnapshot& before);

}  // namespace vkrope::detail
