// The small buffers kernels read beside their tensors, bound the way each one's life asks:
// per-call inputs (positions, sinks) go into the batch's upload arena; what depends only on
// a shape (ALiBi slopes) or on nothing (the placeholder) is made once per Context.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/batch_state.hpp"

namespace vkrope::detail {

// `values` as a per-call input of the batch.
template <typename T>
Binding side_buffer(BatchState& state, const std::vector<T>& values) {
  return state.upload(std::as_bytes(std::span(values)));
}
// The standard ALiBi slopes of `heads` heads as float32, cached per head count.
Binding alibi_buffer(BatchState& state, std::int64_t heads);
// Bound where a variant reads nothing (every binding needs a buffer): 16 zero bytes, cached.
Binding placeholder_buffer(BatchState& state);

}  // namespace vkrope::detail
