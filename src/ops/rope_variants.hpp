// RoPE's kernel variants: what each needs from the device and the call, which calls a
// device gives it by itself, and how a test forces it. The choice is made here
// (rope_variant) and nowhere else; the README's "Kernel variants" section prints the table.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "ops/variant_info.hpp"
#include "vkrope/device_info.hpp"

namespace vkrope::detail {

enum class RopeVariant {
  Tokens,  // rope.comp: an invocation per (token, 2 pairs), looping over every head
  Heads,   // rope_heads.comp: an invocation per (token, 4 pairs, head), 16-byte accesses
};

inline constexpr std::array<VariantInfo, 2> kRopeVariants = {{
    {"tokens", "rope.comp", "nothing (every layout, dtype and storage)",
     "CPU drivers, every call; GPUs, the calls the heads kernel cannot take"},
    {"heads", "rope_heads.comp",
     "f32, or f16 as packed words; offsets and strides in multiples of 4 elements; rotary_dim and head_dim "
     "multiples of 8 and 4; q + k heads within the y workgroup count",
     "GPUs"},
}};

const char* to_string(RopeVariant variant) noexcept;

// What the choice depends on in a call.
struct RopeRequest {
  bool f32 = true;             // else f16
  bool packed_f16 = false;     // f16 processed as words of two halves
  bool vec4_aligned = true;    // every view's offset and strides in multiples of 4 elements
  std::int64_t half_rot = 32;  // rotary_dim / 2
  std::int64_t head_dim = 64;
  std::int64_t heads = 1;      // q heads + k heads
};

// The forced variant where the call can take it, else the device's pick.
RopeVariant rope_variant(const DeviceInfo& info, const RopeRequest& request);

// Tests force a variant on every call that can take it (process-wide; nullopt: none).
void force_rope_variant(std::optional<RopeVariant> variant);

}  // namespace vkrope::detail
