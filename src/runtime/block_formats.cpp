// The storage formats' names, bf16 conversion, and the host codecs of every format: the
// reference the device kernels (shaders/common/kv_formats.glsl, quantize.comp) match bit
// for bit, and what Tensor::upload / download use.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "vkrope/dtype.hpp"
#include "vkrope/error.hpp"

namespace vkrope {

namespace {

constexpr std::array<std::pair<DType, std::string_view>, 5> kNames = {
    {{DType::f32, "f32"}, {DType::f16, "f16"}, {DType::bf16, "bf16"}, {DType::q8_0, "q8_0"}, {DType::q4_0, "q4_0"}}};

std::uint16_t load_u16(const std::byte* p) {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void store_u16(std::byte* p, std::uint16_t v) { std::memcpy(p, &v, 2); }

// ggml's q8_0: the scale from the largest magnitude, values rounded half away from zero
// (roundf). The multiplier is 1/d in float32, d itself (not its f16) as ggml does.
void encode_q8_0(const float* x, std::byte* block) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_u16(block, float_to_half(d));
  for (int j = 0; j < 32; ++j) block[2 + j] = static_cast<std::byte>(static_cast<std::int8_t>(std::roundf(x[j] * id)));
}

// ggml's q4_0: the scale from the signed value of largest magnitude (the first on ties),
// so that value maps to -8 exactly; the rest truncate after + 8.5.
void encode_q4_0(const float* x, std::byte* block) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < 32; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  const float d = max / -8.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_u16(block, float_to_half(d));
  const auto nibble = [&](float v) {
    return std::min(15, static_cast<int>(static_cast<std::int8_t>(v * id + 8.5f)));
  };
  for (int j = 0; j < 16; ++j)
    block[2 + j] = static_cast<std::byte>(nibble(x[j]) | (nibble(x[16 + j]) << 4));
}

void decode_q8_0(const std::byte* block, float* out) {
  const float d = half_to_float(load_u16(block));
  for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(static_cast<std::int8_t>(block[2 + j])) * d;
}

void decode_q4_0(const std::byte* block, float* out) {
  const float d = half_to_float(load_u16(block));
  for (int j = 0; j < 16; ++j) {
    const int byte = std::to_integer<int>(block[2 + j]);
    out[j] = static_cast<float>((byte & 0xf) - 8) * d;
    out[16 + j] = static_cast<float>((byte >> 4) - 8) * d;
  }
}

void check_sizes(DType dtype, std::size_t values, std::size_t bytes, const char* what) {
  const auto block = static_cast<std::size_t>(block_elements(dtype));
  if (values % block != 0 || bytes != storage_bytes(dtype, values))
    throw Error(ErrorKind::InvalidArgument,
                std::string(what) + " of " + std::to_string(values) + " " + std::string(to_string(dtype)) +
                    " values with " + std::to_string(bytes) + " bytes; expected a multiple of " +
                    std::to_string(block) + " values and " + std::to_string(storage_bytes(dtype, values - values % block)) +
                    " bytes");
}

}  // namespace

std::string_view to_string(DType dtype) noexcept {
  for (const auto& [d, name] : kNames)
    if (d == dtype) return name;
  return "?";
}

bool parse_dtype(std::string_view text, DType& out) noexcept {
  for (const auto& [d, name] : kNames)
    if (name == text) {
      out = d;
      return true;
    }
  return false;
}

std::uint16_t float_to_bf16(float value) noexcept {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  if ((f & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((f >> 16) | 0x40u);  // quiet NaN
  return static_cast<std::uint16_t>((f + 0x7fffu + ((f >> 16) & 1u)) >> 16);
}

float bf16_to_float(std::uint16_t bits) noexcept { return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16); }

void encode(DType dtype, std::span<const float> values, std::span<std::byte> out) {
  check_sizes(dtype, values.size(), out.size(), "encode");
  const std::size_t n = values.size();
  switch (dtype) {
    case DType::f32: std::memcpy(out.data(), values.data(), n * 4); return;
    case DType::f16:
      for (std::size_t i = 0; i < n; ++i) store_u16(&out[2 * i], float_to_half(values[i]));
      return;
    case DType::bf16:
      for (std::size_t i = 0; i < n; ++i) store_u16(&out[2 * i], float_to_bf16(values[i]));
      return;
    case DType::q8_0:
      for (std::size_t b = 0; b < n / 32; ++b) encode_q8_0(&values[32 * b], &out[34 * b]);
      return;
    case DType::q4_0:
      for (std::size_t b = 0; b < n / 32; ++b) encode_q4_0(&values[32 * b], &out[18 * b]);
      return;
  }
}

void decode(DType dtype, std::span<const std::byte> bytes, std::span<float> out) {
  check_sizes(dtype, out.size(), bytes.size(), "decode");
  const std::size_t n = out.size();
  switch (dtype) {
    case DType::f32: std::memcpy(out.data(), bytes.data(), n * 4); return;
    case DType::f16:
      for (std::size_t i = 0; i < n; ++i) out[i] = half_to_float(load_u16(&bytes[2 * i]));
      return;
    case DType::bf16:
      for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_float(load_u16(&bytes[2 * i]));
      return;
    case DType::q8_0:
      for (std::size_t b = 0; b < n / 32; ++b) decode_q8_0(&bytes[34 * b], &out[32 * b]);
      return;
    case DType::q4_0:
      for (std::size_t b = 0; b < n / 32; ++b) decode_q4_0(&bytes[18 * b], &out[32 * b]);
      return;
  }
}

}  // namespace vkrope
