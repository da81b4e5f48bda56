// Building blocks of the RoPE GPU tests and of `vkrope conformance`: configurations of every scaling type and a runner
// that checks one call against the double-precision reference.
#pragma once

#include <random>
#include <string>

#include "vkrope/rope.hpp"

namespace vkrope::conformance {

// A small but complete configuration of each scaling type (head_dim 64 unless `partial`,
// where rotary_dim is 24: not a multiple of 16, and 12 pairs for interleaved/neox both).
RopeConfig rope_config(RopeScalingType type, RopeLayout layout, bool partial);

enum class PositionMode { Shared, PerBatch, Offset };

// How many positions a token has and how its pairs take them (RopeConfig's M-RoPE and
// vision fields).
enum class StreamForm { Text, MRope, MRopeInterleaved, VisionQwen2VL, VisionPixtral };
inline constexpr StreamForm kStreamForms[] = {StreamForm::MRope, StreamForm::MRopeInterleaved,
                                              StreamForm::VisionQwen2VL, StreamForm::VisionPixtral};
std::string_view to_string(StreamForm form) noexcept;  // text, mrope, mrope-interleaved, vision-qwen2vl, ...
// `config` with the form's fields set for its rotary_dim: M-RoPE sections in the
// proportions of Qwen2-VL ([16, 24, 24] of 64 pairs) and Qwen3-VL ([24, 20, 20]).
RopeConfig with_stream_form(RopeConfig config, StreamForm form);

struct RopeCase {
  RopeConfig config;
  DType dtype = DType::f32;
  PositionMode positions = PositionMode::Shared;
  bool strided = false;   // q and k are slices of a fused [B, S, (Hq + 2 Hk) * D] QKV buffer
  bool in_place = false;
  bool inverse = false;
  std::int64_t batch = 2, seq = 5, q_heads = 4, k_heads = 2;
  std::int64_t max_position = 5000;  // positions drawn from [0, max_position]
  std::string describe() const;
};

struct RopeResult {
  double rel_err = 0.0;         // worst L2 relative error over q and k
  double max_abs_err = 0.0;     // worst over q and k, against the reference
  double max_abs_input = 0.0;
  double tolerance = 0.0;       // allowed max_abs_err
  bool guard_intact = true;     // bytes outside the outputs untouched
  std::string detail;
  std::string kernel;           // "tokens" or "heads" (empty without timestamps)
};

// Runs the case on `context` with random inputs from `rng`; poisons outputs first.
RopeResult run_rope_case(const Context& context, const RopeCase& c, std::mt19937& rng);

}  // namespace vkrope::conformance
