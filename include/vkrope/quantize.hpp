// Converting tensors between storage formats on the device: quantize (f32 / f16 into any
// format: bf16, q8_0, q4_0, f16, f32) and dequantize (any format into f32 / f16). The device
// rounds exactly as vkrope::encode does on the host (dtype.hpp), which for q8_0 and q4_0 is
// ggml's reference quantizer: the bytes equal ggml's for the same float32 input.
#pragma once

#include "vkrope/batch.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

// src: f32 or f16, any strided view of 1 to 4 dimensions; dst: the same shape, contiguous,
// any dtype (a block format's last dimension a multiple of 32). Throws InvalidArgument for
// other shapes or dtypes, tensors of another Context, or dst overlapping src.
void quantize(Batch& batch, const Tensor& src, const Tensor& dst);
void quantize(const Tensor& src, const Tensor& dst);

// src: any dtype, contiguous; dst: f32 or f16, the same shape, contiguous. Each value is
// what the attention kernels read for it.
void dequantize(Batch& batch, const Tensor& src, const Tensor& dst);
void dequantize(const Tensor& src, const Tensor& dst);

}  // namespace vkrope

VKROPE_PUBLIC_END
