// Several positions per token: which stream each rotated pair reads (M-RoPE's sections,
// the vision forms' halves), the checks on those fields, and patch-grid positions.
#include "rope/position_streams.hpp"

#include <numeric>
#include <string>

#include "vkrope/error.hpp"

namespace vkrope {

namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::InvalidArgument, message); }

constexpr std::uint8_t kTemporal = 0, kHeight = 1, kWidth = 2;  // M-RoPE's streams
constexpr std::uint8_t kRow = 0, kColumn = 1;                   // vision's streams

}  // namespace

std::string_view to_string(RopeVision vision) noexcept {
  switch (vision) {
    case RopeVision::None: return "none";
    case RopeVision::Qwen2VL: return "qwen2vl";
    case RopeVision::Pixtral: return "pixtral";
  }
  return "none";
}

std::int64_t RopeConfig::position_streams() const noexcept {
  if (!mrope_section.empty()) return 3;
  return vision == RopeVision::None ? 1 : 2;
}

std::vector<std::uint8_t> RopeConfig::pair_streams() const {
  const auto half = static_cast<std::size_t>(effective_rotary_dim() / 2);
  std::vector<std::uint8_t> streams(half, 0);
  if (vision != RopeVision::None) {
    for (std::size_t i = half / 2; i < half; ++i) streams[i] = kColumn;
    return streams;
  }
  if (mrope_section.size() != 3) return streams;
  const auto t = static_cast<std::size_t>(mrope_section[0]);
  const auto h = static_cast<std::size_t>(mrope_section[1]);
  const auto w = static_cast<std::size_t>(mrope_section[2]);
  for (std::size_t i = 0; i < half; ++i) {
    if (mrope_interleaved) {
      // transformers' apply_interleaved_mrope: temporal everywhere, then height on
      // indices 1, 4, ... below 3h and width on 2, 5, ... below 3w.
      if (i % 3 == 1 && i < 3 * h) streams[i] = kHeight;
      else if (i % 3 == 2 && i < 3 * w) streams[i] = kWidth;
      else streams[i] = kTemporal;
    } else {
      streams[i] = i < t ? kTemporal : i < t + h ? kHeight : kWidth;
    }
  }
  return streams;
}

RopePositions vision_grid_positions(std::int64_t height, std::int64_t width, std::int64_t merge,
                                    std::int64_t frames) {
  const auto check = [](const char* name, std::int64_t value) {
    if (value < 1 || value > kMaxRopePosition)
      fail(std::string("vision_grid_positions: ") + name + " = " + std::to_string(value) +
           ": expected an integer in 1..2^24");
  };
  check("height", height);
  check("width", width);
  check("merge", merge);
  check("frames", frames);
  if (height % merge != 0 || width % merge != 0)
    fail("vision_grid_positions: a " + std::to_string(height) + " x " + std::to_string(width) +
         " grid does not split into " + std::to_string(merge) + " x " + std::to_string(merge) +
         " merge blocks: expected height and width multiples of merge");
  if (height * width * frames > (std::int64_t{1} << 28))
    fail("vision_grid_positions: " + std::to_string(frames) + " x " + std::to_string(height) + " x " +
         std::to_string(width) + " patches: expected at most 2^28");
  const std::int64_t patches = height * width;
  const std::int64_t tokens = patches * frames;
  RopePositions out;
  out.values.resize(static_cast<std::size_t>(2 * tokens));
  std::int64_t n = 0;
  for (std::int64_t block_row = 0; block_row < height / merge; ++block_row)
    for (std::int64_t block_col = 0; block_col < width / merge; ++block_col)
      for (std::int64_t r = 0; r < merge; ++r)
        for (std::int64_t c = 0; c < merge; ++c, ++n) {
          for (std::int64_t f = 0; f < frames; ++f) {
            out.values[static_cast<std::size_t>(f * patches + n)] = block_row * merge + r;
            out.values[static_cast<std::size_t>(tokens + f * patches + n)] = block_col * merge + c;
          }
        }
  return out;
}

namespace detail {

void validate_position_streams(const RopeConfig& config) {
  const std::int64_t half = config.effective_rotary_dim() / 2;
  if (!config.mrope_section.empty()) {
    const auto& s = config.mrope_section;
    const auto list = [&] {
      std::string text;
      for (std::size_t i = 0; i < s.size(); ++i) text += (i ? ", " : "") + std::to_string(s[i]);
      return "[" + text + "]";
    };
    if (s.size() != 3)
      fail("mrope_section = " + list() + ": expected three counts [temporal, height, width]");
    for (const std::int64_t count : s)
      if (count < 0 || count > half) fail("mrope_section = " + list() + ": expected counts in 0..rotary_dim / 2");
    if (std::accumulate(s.begin(), s.end(), std::int64_t{0}) != half)
      fail("mrope_section = " + list() + " sums to " + std::to_string(s[0] + s[1] + s[2]) +
           ": expected rotary_dim / 2 = " + std::to_string(half) + " (one stream per rotated pair)");
    if (config.vision != RopeVision::None)
      fail("vision = " + std::string(to_string(config.vision)) +
           " with mrope_section: expected one of them (2D vision RoPE or M-RoPE)");
  } else if (config.mrope_interleaved) {
    fail("mrope_interleaved = true without mrope_section: expected the [t, h, w] section it interleaves");
  }
  if (config.vision != RopeVision::None && half % 2 != 0)
    fail("vision = " + std::string(to_string(config.vision)) + " with rotary_dim = " +
         std::to_string(2 * half) + ": the row and column take half of the " + std::to_string(half) +
         " frequency pairs each (expected rotary_dim a multiple of 4)");
}

std::vector<double> vision_frequencies(const RopeConfig& config, std::vector<double> base) {
  if (config.vision == RopeVision::None) return base;
  const std::size_t quarter = base.size() / 2;
  const std::size_t column_shift = config.vision == RopeVision::Pixtral ? 1 : 0;
  std::vector<double> out(base.size());
  for (std::size_t i = 0; i < quarter; ++i) {
    out[i] = base[2 * i];
    out[quarter + i] = base[2 * i + column_shift];
  }
  return out;
}

}  // namespace detail

}  // namespace vkrope
