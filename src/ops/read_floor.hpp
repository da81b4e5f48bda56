// Host side of read.comp, the benchmark's load floors (internal: the public entry point is
// vkrope::measure_read in roofline.hpp; tests check the sums through record_read).
#pragma once

#include "runtime/batch_state.hpp"
#include "vkrope/roofline.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::detail {

// The uniform texel-buffer view (RGBA32F) of a contiguous f32 tensor's buffer
// (texel_view.hpp), the tensor starting at first_texel and holding a multiple of 4 elements.
// Throws InvalidArgument when the buffer cannot be one view (more than the device's
// maxTexelBufferElements texels) or the tensor does not start on a texel.
class TexelView {
 public:
  explicit TexelView(const Tensor& tensor);
  Binding binding() const;  // reads the tensor through the view
  std::uint32_t first_texel() const { return first_texel_; }
  std::uint32_t texels() const { return texels_; }

 private:
  Tensor tensor_;
  VkBufferView view_ = VK_NULL_HANDLE;  // owned by the tensor's storage
  std::uint32_t first_texel_ = 0;
  std::uint32_t texels_ = 0;
};

// Records sums[g] = the sum of the vec4s the invocation g of read.comp takes from src (a
// grid-stride loop), through a storage buffer (view == nullptr) or through `view` of src.
// `sums` holds 4 floats per invocation: read_invocations(batch's device) of them.
void record_read(Batch& batch, const Tensor& src, const Tensor& sums, const TexelView* view);
std::uint32_t read_invocations(const Context& context);

}  // namespace vkrope::detail
