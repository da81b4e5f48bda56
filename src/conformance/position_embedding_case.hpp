// Building blocks of the position-embedding GPU tests and of `vkrope conformance`: one call
// on random inputs, checked against the double-precision reference, with outputs poisoned
// and every byte around the views checked.
#pragma once

#include <random>
#include <string>

#include "conformance/rope_case.hpp"
#include "vkrope/position_embedding.hpp"

namespace vkrope::conformance {

struct PositionEmbeddingCase {
  PositionEmbeddingKind kind = PositionEmbeddingKind::Sinusoidal;
  DType x_dtype = DType::f32;      // x and out
  DType table_dtype = DType::f32;  // learned only
  bool three_dim = true;           // x [batch, seq, d], else [seq, d]
  PositionMode positions = PositionMode::Shared;
  bool strided = false;  // x and out rows padded (row stride d + 6), table rows padded (d + 4)
  bool in_place = false;
  bool scale = false;    // x_scale = sqrt(d), as the original transformer
  bool clamp = false;    // learned: positions up to table_rows + 20, past rows clamped
  std::int64_t batch = 2, seq = 5, dim = 64, table_rows = 48;
  // Sinusoidal: positions drawn from [0, max_position] (offset: offset + seq - 1 within it).
  std::int64_t max_position = 5000;
  double base = 10000.0;
  std::string describe() const;
  PositionEmbeddingConfig config() const;
};

struct PositionEmbeddingResult {
  double rel_err = 0.0;
  double max_abs_err = 0.0;
  double max_abs_ref = 0.0;
  double max_abs_tolerance = 0.0;  // allowed max_abs_err (position_embedding_check.hpp)
  double rel_tolerance = 0.0;      // allowed rel_err
  bool untouched = true;           // no byte outside out changed (guards, gaps, x when out of place, table)
  std::string detail;
  bool passed() const { return max_abs_err <= max_abs_tolerance && rel_err <= rel_tolerance && untouched; }
};

// Runs the case on `context` with random inputs from `rng` (never zeros).
PositionEmbeddingResult run_position_embedding_case(const Context& context, const PositionEmbeddingCase& c,
                                                    std::mt19937& rng);

}  // namespace vkrope::conformance
