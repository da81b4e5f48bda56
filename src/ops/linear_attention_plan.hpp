// What a linear_attention() call resolves to before anything is recorded: shapes, storage
// builds, positions, and how its tokens split into segments and chunks. Shared by the
// dispatch code and by checked mode.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ops/tensor_layout.hpp"
#include "ops/variant_info.hpp"
#include "vkrope/device_info.hpp"
#include "vkrope/linear_attention.hpp"

namespace vkrope::detail {

// Linear attention has one kernel chain (features -> RoPE -> chunk sums -> scan -> output);
// only the storage of the caller's tensors varies, in the features and output kernels.
enum class LinearStorage { F32, F16Packed, F16 };

inline constexpr std::array<VariantInfo, 3> kLinearAttentionVariants = {{
    {"f32", "linear_attention_{features,output}.comp (STORAGE_F32)", "nothing", "f32 tensors"},
    {"f16_packed", "linear_attention_{features,output}.comp (STORAGE_F16_PACKED)",
     "even head_dim and value_dim, even offsets and strides in every view",
     "f16 tensors whose views allow it, on every device"},
    {"f16", "linear_attention_{features,output}.comp (STORAGE_F16)", "storageBuffer16BitAccess",
     "f16 tensors with an odd dimension, offset or stride"},
}};

// The default tokens per chunk of the causal form, and the most (the output kernel's shared
// scores are chunk x chunk floats, twice: 8 KB at 32, within Vulkan's 16 KB minimum).
inline constexpr std::int64_t kLinearDefaultChunk = 32;
inline constexpr std::int64_t kLinearMaxChunk = 32;

struct LinearAttentionPlan {
  Layout4 q{}, k{}, v{}, out{};
  std::int64_t batch = 1, sq = 0, skv = 0, heads = 0, kv_heads = 0, dim = 0, value_dim = 0;
  LinearStorage storage = LinearStorage::F32;
  std::int64_t chunk = kLinearDefaultChunk;
  std::int64_t segment = 0;  // tokens per segment, a multiple of chunk
  // Positions for RoPE (empty without it): [Sq] and [Skv].
  std::vector<std::int64_t> query_positions, key_positions;
  std::int64_t max_position = 0;
  // Floats of one state (S, then z): batch * kv_heads * dim * (value_dim + 1); and of one
  // chunk's sums, rounded up to a multiple of 4 (16-byte aligned chunks).
  std::uint64_t state_elements = 0;
  std::uint64_t chunk_stride = 0;
};

// Validates the call (throws InvalidArgument / Unsupported naming the problem) and plans
// it for `info`. offset: the state's tokens (0 without one).
LinearAttentionPlan plan_linear_attention(const DeviceInfo& info, const LinearAttentionConfig& config,
                                          const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                          const LinearAttentionState* state);

const char* to_string(LinearStorage storage) noexcept;

// Tests shrink the scratch budget (process-wide; 0: kMaxLinearAttentionScratch) so that
// small calls run as many segments.
void set_linear_attention_scratch_limit(std::uint64_t bytes);

// Tolerance of linear attention against the double reference, as relative L2 error: f32
// storage 1e-5 (sums of up to a few thousand float32 products per output, ~1e-6 in
// practice), f16 storage 2e-3 (the output rounded to 11 significant bits: 4.9e-4 of it).
double linear_attention_tolerance(DType dtype);

}  // namespace vkrope::detail
