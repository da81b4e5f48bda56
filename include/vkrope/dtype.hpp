// Storage types of tensors, and IEEE binary16 conversion on the host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vkrope {

// How a tensor's elements are stored on the device. Arithmetic is float32 either way.
enum class DType { f32, f16 };

constexpr std::size_t size_of(DType dtype) noexcept { return dtype == DType::f32 ? 4 : 2; }
std::string_view to_string(DType dtype) noexcept;

// f16 on the host is the raw IEEE 754 binary16 bit pattern in a uint16_t.
// float_to_half rounds to nearest, ties to even; overflow gives +-inf; NaN stays NaN
// (quiet, sign kept); subnormals are produced and read exactly.
std::uint16_t float_to_half(float value) noexcept;
float half_to_float(std::uint16_t bits) noexcept;

}  // namespace vkrope
