// The CPU reference of RoPE: plain loops in double precision, written for obviousness, since
// the GPU kernel is checked against it.
#include <algorithm>
#include <cmath>
#include <string>

#include "vkrope/error.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::reference {

namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::InvalidArgument, message); }

std::size_t checked_size(std::int64_t batch, std::int64_t seq, std::int64_t heads, std::int64_t head_dim) {
  if (batch < 0 || seq < 0 || heads < 0) {
    fail("reference::rope: batch = " + std::to_string(batch) + ", seq = " + std::to_string(seq) +
         ", heads = " + std::to_string(heads) + ": expected sizes >= 0");
  }
  return static_cast<std::size_t>(batch * seq * heads * head_dim);
}

}  // namespace

std::vector<double> rope(std::span<const double> x, std::int64_t batch, std::int64_t seq, std::int64_t heads,
                         const RopeConfig& config, std::span<const std::int64_t> positions, bool inverse) {
  std::int64_t max_position = 0;
  for (const std::int64_t p : positions) max_position = std::max(max_position, p);
  return rope(x, batch, seq, heads, config, rope_frequencies(config, max_position), positions, inverse);
}

// Pair i of each head is rotated by angle = position * inv_freq[i] and scaled:
//   (x, y) -> (x cos - y sin, x sin + y cos) * attention_factor
// `inverse` rotates by -angle with the same attention_factor, because that is what the GPU
// kernel does (it multiplies cos and sin by attention_factor in both directions). That is the
// transpose of the forward map, hence exactly the backward pass (the gradient of the forward
// output with respect to x); it undoes the forward only when attention_factor == 1, and
// otherwise inverse(forward(x)) = attention_factor^2 * x.
std::vector<double> rope(std::span<const double> x, std::int64_t batch, std::int64_t seq, std::int64_t heads,
                         const RopeConfig& config, const RopeFrequencies& frequencies,
                         std::span<const std::int64_t> positions, bool inverse) {
  config.validate();
  const std::int64_t head_dim = config.head_dim;
  const std::int64_t rotary_dim = config.effective_rotary_dim();
  const auto half = static_cast<std::size_t>(rotary_dim / 2);
  const std::size_t size = checked_size(batch, seq, heads, head_dim);
  if (x.size() != size) {
    fail("reference::rope: x has " + std::to_string(x.size()) + " values: expected batch * seq * heads * head_dim = " +
         std::to_string(size));
  }
  if (positions.size() != static_cast<std::size_t>(batch * seq)) {
    fail("reference::rope: positions has " + std::to_string(positions.size()) +
         " entries: expected batch * seq = " + std::to_string(batch * seq));
  }
  if (frequencies.inv_freq.size() != half) {
    fail("reference::rope: frequencies.inv_freq has " + std::to_string(frequencies.inv_freq.size()) +
         " entries: expected rotary_dim / 2 = " + std::to_string(half));
  }

  // Element offsets of pair i's two members within a head.
  const bool neox = config.layout == RopeLayout::Neox;
  const auto first = [&](std::size_t i) { return neox ? i : 2 * i; };
  const auto second = [&](std::size_t i) { return neox ? i + half : 2 * i + 1; };
  const double scale = frequencies.attention_factor;
  const double direction = inverse ? -1.0 : 1.0;

  std::vector<double> out(x.begin(), x.end());  // dimensions past rotary_dim pass through
  const auto dim = static_cast<std::size_t>(head_dim);
  for (std::size_t token = 0; token < positions.size(); ++token) {
    const std::int64_t position = positions[token];
    if (position < 0) {
      fail("reference::rope: positions[" + std::to_string(token) + "] = " + std::to_string(position) +
           ": expected a position >= 0");
    }
    for (std::size_t h = 0; h < static_cast<std::size_t>(heads); ++h) {
      const std::size_t base = (token * static_cast<std::size_t>(heads) + h) * dim;
      for (std::size_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(position) * frequencies.inv_freq[i];
        const double c = std::cos(angle);
        const double s = direction * std::sin(angle);
        const double a = x[base + first(i)];
        const double b = x[base + second(i)];
        out[base + first(i)] = (a * c - b * s) * scale;
        out[base + second(i)] = (a * s + b * c) * scale;
      }
    }
  }
  return out;
}

}  // namespace vkrope::reference
