// Host side of copy.comp (internal: the public entry point is vkrope::copy in roofline.hpp).
#pragma once

#include <string_view>

#include "vkrope/batch.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::detail {

// Records dst = src with the named variant of the copy shader ("copy", or
// "copy.unoptimized" for the test that proves spirv-opt kept it right).
void record_copy(Batch& batch, const Tensor& src, const Tensor& dst, std::string_view shader = "copy");

}  // namespace vkrope::detail
