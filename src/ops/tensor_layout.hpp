// A tensor argument as the kernels see it: [batch, seq, heads, head_dim] with element
// strides that must fit their 32-bit index arithmetic. Shared by the RoPE and attention ops.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vkrope/tensor.hpp"

namespace vkrope::detail {

struct Layout4 {
  std::int64_t batch, seq, heads, dim;
  std::int64_t offset, batch_stride, seq_stride, head_stride;
};

// `t` as [batch, seq, heads, head_dim] (a 3-dim tensor has batch 1). Throws InvalidArgument,
// prefixed "<op>: <name>", for another rank or a last dimension that is not contiguous.
Layout4 layout4(const Tensor& t, std::string_view op, std::string_view name);

// `value` as a kernel's uint; InvalidArgument when it does not fit 32 bits.
std::uint32_t to_u32(std::int64_t value, std::string_view op, std::string_view what);

// offset, batch, seq and head strides, for a push-constant block.
void fill_strides(std::uint32_t out[4], const Layout4& l, std::string_view op);

// Even offset and strides: every element pair starts a 32-bit word (packed f16 access).
bool is_word_aligned(const Layout4& l);

// Offset and strides in multiples of 4 elements: every head vector's vec4s are 16-byte
// aligned within its binding (the decode kernel's vec4 loads).
bool is_vec4_aligned(const Layout4& l);

// Whether a and b share a byte of one buffer. Views whose ranges interleave (q, k and v
// slices of one fused QKV buffer) are compared run by run of their last dimension.
bool views_overlap(const Tensor& a, const Tensor& b);

// One buffer, offset, shape, strides and dtype: the same elements.
bool same_view(const Tensor& a, const Tensor& b);

// "bytes 0..4096" of a view, for messages.
std::string byte_range(const Tensor& t);

}  // namespace vkrope::detail
