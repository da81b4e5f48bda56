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

// Per rotated pair, which of the token's position streams it takes, written the way
// transformers computes it (independently of RopeConfig::pair_streams, which the kernels
// use): M-RoPE splits the cos/sin rows (rotate_half: the pairs' angles twice over) into
// chunks mrope_section * 2 and chunk c takes stream c % 3 (Qwen2-VL), or interleaves
// (apply_interleaved_mrope: height at indices 1, 4, ... < 3h, width at 2, 5, ... < 3w);
// 2D vision concatenates the row's angles and then the column's.
std::vector<std::size_t> pair_stream_table(const RopeConfig& config, std::size_t half) {
  std::vector<std::size_t> stream(half, 0);
  if (config.vision != RopeVision::None) {
    for (std::size_t i = half / 2; i < half; ++i) stream[i] = 1;
  } else if (!config.mrope_section.empty() && config.mrope_interleaved) {
    for (std::size_t dim = 1; dim <= 2; ++dim)
      for (std::size_t i = dim; i < static_cast<std::size_t>(config.mrope_section[dim]) * 3 && i < half; i += 3)
        stream[i] = dim;
  } else if (!config.mrope_section.empty()) {
    std::vector<std::size_t> chunks;  // mrope_section * 2, as a Python list repeats
    for (int twice = 0; twice < 2; ++twice)
      for (const std::int64_t n : config.mrope_section) chunks.push_back(static_cast<std::size_t>(n));
    std::size_t element = 0;
    for (std::size_t c = 0; c < chunks.size(); ++c)
      for (std::size_t e = 0; e < chunks[c]; ++e, ++element)
        if (element < half) stream[element] = c % 3;  // the first half's elements are the pairs
  }
  return stream;
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
  const auto tokens = static_cast<std::size_t>(batch * seq);
  const auto streams = static_cast<std::size_t>(config.position_streams());
  if (positions.size() != streams * tokens) {
    fail("reference::rope: positions has " + std::to_string(positions.size()) + " entries: expected " +
         (streams == 1 ? "" : std::to_string(streams) + " streams x ") + "batch * seq = " +
         std::to_string(streams * tokens));
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

  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (positions[i] < 0) {
      fail("reference::rope: positions[" + std::to_string(i) + "] = " + std::to_string(positions[i]) +
           ": expected a position >= 0");
    }
  }
  const std::vector<std::size_t> stream = pair_stream_table(config, half);

  std::vector<double> out(x.begin(), x.end());  // dimensions past rotary_dim pass through
  const auto dim = static_cast<std::size_t>(head_dim);
  for (std::size_t token = 0; token < tokens; ++token) {
    for (std::size_t h = 0; h < static_cast<std::size_t>(heads); ++h) {
      const std::size_t base = (token * static_cast<std::size_t>(heads) + h) * dim;
      for (std::size_t i = 0; i < half; ++i) {
        const std::int64_t position = positions[stream[i] * tokens + token];
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
