// Storage types of tensors, IEEE binary16 / bfloat16 conversion on the host, and the
// ggml block formats (q8_0, q4_0) encoded and decoded on the host exactly as the kernels do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

// How a tensor's elements are stored on the device. Arithmetic is float32 whatever the
// storage. bf16 is the top half of a float32 (round to nearest even). q8_0 and q4_0 are
// ggml's (GGUF's) 32-value blocks: an f16 scale d, then 32 int8 values (34 bytes), or 16
// bytes of 4-bit values, value j in the low nibble of byte j and value j + 16 in the high
// one, each stored as q + 8 (18 bytes); value = q * d.
enum class DType { f32, f16, bf16, q8_0, q4_0 };

// The unit of storage: one element, or one block of 32 for the block formats. A block
// format's tensor has a last dimension, offsets and outer strides in whole blocks.
constexpr std::int64_t block_elements(DType dtype) noexcept {
  return dtype == DType::q8_0 || dtype == DType::q4_0 ? 32 : 1;
}
constexpr std::size_t block_bytes(DType dtype) noexcept {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f16: case DType::bf16: return 2;
    case DType::q8_0: return 34;
    case DType::q4_0: return 18;
  }
  return 0;
}
constexpr bool is_block_format(DType dtype) noexcept { return block_elements(dtype) > 1; }
// Bytes of `elements` values (a multiple of block_elements(dtype)).
constexpr std::uint64_t storage_bytes(DType dtype, std::uint64_t elements) noexcept {
  return elements / static_cast<std::uint64_t>(block_elements(dtype)) * block_bytes(dtype);
}
// Bytes per element of the element formats (f32, f16, bf16); a block format's average.
constexpr double bytes_per_element(DType dtype) noexcept {
  return static_cast<double>(block_bytes(dtype)) / static_cast<double>(block_elements(dtype));
}
std::string_view to_string(DType dtype) noexcept;
// "f32", "f16", "bf16", "q8_0", "q4_0"; false for anything else.
bool parse_dtype(std::string_view text, DType& out) noexcept;

// f16 on the host is the raw IEEE 754 binary16 bit pattern in a uint16_t.
// float_to_half rounds to nearest, ties to even; overflow gives +-inf; NaN stays NaN
// (quiet, sign kept); subnormals are produced and read exactly.
std::uint16_t float_to_half(float value) noexcept;
float half_to_float(std::uint16_t bits) noexcept;

// bf16 as ggml makes it: round to nearest even on the float32 bits (subnormals kept, an
// overflow rounds to inf), NaN made quiet with its sign and top payload bits kept.
std::uint16_t float_to_bf16(float value) noexcept;
float bf16_to_float(std::uint16_t bits) noexcept;

// Host encode / decode of `values` (a multiple of block_elements(dtype)) to and from the
// storage bytes (storage_bytes(dtype, values.size()) of them), bit for bit what the device
// kernels write and read. The block formats follow ggml's reference quantizers:
//   q8_0: d = max|x| / 127 (float32, rounded), q = round-half-away(x * (1 / d)), d stored f16;
//   q4_0: m = the value of largest magnitude (the first one on ties), d = m / -8,
//         q = min(15, trunc(x * (1 / d) + 8.5)), d stored f16;
// decoding multiplies q (q - 8 for q4_0) by the stored f16 d in float32.
void encode(DType dtype, std::span<const float> values, std::span<std::byte> out);
void decode(DType dtype, std::span<const std::byte> bytes, std::span<float> out);

}  // namespace vkrope

VKROPE_PUBLIC_END
