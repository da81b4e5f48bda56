// Attention's kernel variants, one table per pass: what each needs from a device, which
// calls a device gives it by itself, and how a test forces it. The choice itself is made in
// one place per pass (flash_shape in attention_plan.cpp, combine_variant below); the README's
// "Kernel variants" section prints these tables.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "ops/variant_info.hpp"
#include "vkrope/device_info.hpp"

namespace vkrope::detail {

enum class FlashVariant {
  Rows,    // flash_attention_rows.comp
  Team,    // flash_attention.comp
  Decode,  // flash_decode.comp
  CoopMat, // flash_attention_coopmat.comp
  RowsTexel,  // flash_attention_rows.comp built with KV_TEXEL
};
// The rows kernel, with K/V loads through storage or texel buffers.
constexpr bool is_rows(FlashVariant v) noexcept { return v == FlashVariant::Rows || v == FlashVariant::RowsTexel; }
// A CPU device takes rows_texel by default when its texel buffers may be this large
// (lavapipe: 2^27 texels); SwiftShader's 65,536 mark texel buffers as small data there, and
// it reads them no faster than storage buffers (README, Performance).
inline constexpr std::uint32_t kLargeTexelBuffers = 1u << 24;
enum class CombineVariant {
  Serial,    // attention_combine.comp
  Parallel,  // attention_combine_parallel.comp
};

inline constexpr std::array<VariantInfo, 5> kFlashVariants = {{
    {"rows", "flash_attention_rows.comp", "nothing (no subgroup operation, no shared memory but rotated-key tiles)",
     "CPU drivers (device type CPU), every call"},
    {"team", "flash_attention.comp (flash_sg_*: team sums by subgroup shuffles; flash_*: through shared memory)",
     "nothing (K/V tiles within the device's shared memory); the shuffle build: subgroup shuffles, a power-of-two "
     "team within the smallest subgroup, workgroups of whole subgroups, tiles of whole 4-key steps",
     "GPUs: prefill (Sq > 8), and decode the decode kernel cannot take"},
    {"decode", "flash_decode.comp",
     "subgroup basic and shuffle in compute shaders; a team (a power of two >= 2 lanes, within the smallest "
     "subgroup) covering head_dim in at most 4 vec4s per lane; Sq <= 8, Sq * H / Hkv <= 16 rows; no keys rotated "
     "on read; K/V offsets and strides in multiples of 4 elements; the q and merge tiles within min(24 KiB, "
     "shared memory)",
     "GPUs: Sq <= 8"},
    {"coopmat", "flash_attention_coopmat.comp (built only where glslang knows GL_KHR_cooperative_matrix)",
     "VK_KHR_cooperative_matrix with a subgroup f16 x f16 + f32 -> f32 shape whose N and K divide head_dim, "
     "shaderFloat16, subgroup basic; f16 q, k and v; no keys rotated on read; the tiles within the "
     "device's shared memory",
     "GPUs: prefill (Sq > 8) where the device has the shape; forced on Mesa 26.1 lavapipe in ./run.sh test-trixie"},
    {"rows_texel", "flash_attention_rows.comp with KV_TEXEL (flash_rows_texel_*): k and v through uniform texel "
     "buffers",
     "what rows needs; K/V offsets and strides in multiples of 4 elements; k's and v's buffers each one texel "
     "view (RGBA32F for f32, R32G32_UINT words of 4 halves for f16; R32_UINT words for bf16, q8_0, q4_0 and mixed formats, flash_rows_texel_*_kvany) "
     "within maxTexelBufferElements, starting on minTexelBufferOffsetAlignment",
     "CPU drivers whose texel buffers may hold 2^24 texels (lavapipe: 5-8x the storage-buffer load rate), where "
     "the call allows; else rows"},
}};

inline constexpr std::array<VariantInfo, 2> kCombineVariants = {{
    {"serial", "attention_combine.comp", "nothing", "CPU drivers (they pay per workgroup): one invocation per row"},
    {"parallel", "attention_combine_parallel.comp", "<= 512 partials", "GPUs: one workgroup per row"},
}};

const char* to_string(FlashVariant variant) noexcept;
const char* to_string(CombineVariant variant) noexcept;

// Tests force a variant on every call that can take it; a call that cannot (the decode
// kernel on a prefill, or on a device without subgroup shuffles) gets the device's own
// pick. nullopt: nothing forced. Process-wide; set from one thread between calls.
void force_flash_variant(std::optional<FlashVariant> variant);
void force_combine_variant(std::optional<CombineVariant> variant);
std::optional<FlashVariant> forced_flash_variant() noexcept;

// The combine pass for `partials` partials on this device.
CombineVariant combine_variant(const DeviceInfo& info, std::uint32_t partials);
inline constexpr std::uint32_t kMaxParallelCombinePartials = 512;

}  // namespace vkrope::detail
