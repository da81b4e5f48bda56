// The CPU reference of absolute position embeddings: plain loops in double precision,
// written for obviousness (the paper's formula, not the kernel's tables), since the GPU
// kernel is checked against it.
#include <algorithm>
#include <cmath>
#include <string>

#include "vkrope/error.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::reference {

namespace {

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorKind::InvalidArgument, "reference::position_embedding: " + message);
}

}  // namespace

std::vector<double> position_embedding(std::span<const double> x, std::int64_t batch, std::int64_t seq,
                                       std::int64_t d, const PositionEmbeddingConfig& config,
                                       std::span<const std::int64_t> positions, std::span<const double> table) {
  config.validate();
  if (batch < 0 || seq < 0 || d < 1)
    fail("batch = " + std::to_string(batch) + ", seq = " + std::to_string(seq) + ", d = " + std::to_string(d) +
         ": expected batch, seq >= 0 and d >= 1");
  const auto tokens = static_cast<std::size_t>(batch * seq);
  const auto width = static_cast<std::size_t>(d);
  if (x.size() != tokens * width)
    fail("x has " + std::to_string(x.size()) + " values; expected batch * seq * d = " + std::to_string(tokens * width));
  if (positions.size() != tokens)
    fail(std::to_string(positions.size()) + " positions; expected batch * seq = " + std::to_string(tokens));
  const bool learned = config.kind == PositionEmbeddingKind::Learned;
  if (!learned && d % 2 != 0) fail("d = " + std::to_string(d) + " is odd; sinusoidal embeddings need pairs");
  if (learned && (table.empty() || table.size() % width != 0))
    fail("the table has " + std::to_string(table.size()) + " values; expected max_positions * d with d = " +
         std::to_string(d));
  const std::size_t rows = learned ? table.size() / width : 0;

  std::vector<double> out(x.size());
  for (std::size_t t = 0; t < tokens; ++t) {
    const std::int64_t p = positions[t];
    if (p < 0) fail("position " + std::to_string(p) + " is negative");
    std::size_t row = static_cast<std::size_t>(p);
    if (learned && row >= rows) {
      if (!config.clamp)
        fail("position " + std::to_string(p) + " is past the table's " + std::to_string(rows) + " rows");
      row = rows - 1;
    }
    for (std::size_t e = 0; e < width; ++e) {
      double pe = 0.0;
      if (learned) {
        pe = table[row * width + e];
      } else {
        // PE(p, 2i) = sin(p / base^(2i/d)), PE(p, 2i + 1) = cos(p / base^(2i/d)).
        const auto two_i = static_cast<double>(e - e % 2);
        const double angle = static_cast<double>(p) / std::pow(config.base, two_i / static_cast<double>(d));
        pe = e % 2 == 0 ? std::sin(angle) : std::cos(angle);
      }
      out[t * width + e] = x[t * width + e] * config.x_scale + pe;
    }
  }
  return out;
}

}  // namespace vkrope::reference
