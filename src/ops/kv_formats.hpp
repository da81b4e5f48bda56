// How the kernels are told the storage formats of K and V: the codes of
// shaders/common/kv_formats.glsl, and which calls need a KV_FORMATS build (*_kvany).
#pragma once

#include <cstdint>

#include "vkrope/dtype.hpp"

namespace vkrope::detail {

// FORMAT_F32 .. FORMAT_Q4_0 in kv_formats.glsl: DType's own order.
constexpr std::uint32_t format_code(DType dtype) noexcept { return static_cast<std::uint32_t>(dtype); }
static_assert(format_code(DType::f32) == 0 && format_code(DType::f16) == 1 && format_code(DType::bf16) == 2 &&
              format_code(DType::q8_0) == 3 && format_code(DType::q4_0) == 4);

// The f32 / f16 builds (*_kvf32, *_kvf16) take k and v of one of those two types; any
// other pair goes to the KV_FORMATS build (*_kvany), formats as specialization constants.
constexpr bool needs_kv_formats(DType k, DType v) noexcept {
  return k != v || (k != DType::f32 && k != DType::f16);
}

// Specialization constant ids of K_FORMAT and V_FORMAT in every kernel that reads or
// writes K/V in any format (kv_loads.glsl, quantize.comp).
inline constexpr std::uint32_t kKFormatConstant = 22, kVFormatConstant = 23;

}  // namespace vkrope::detail
