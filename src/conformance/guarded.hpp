// Outputs in the middle of a guarded arena: the output is poisoned (NaN in f32 and f16) so an
// element the kernel forgets shows up, and guard bands on both sides are checked byte for
// byte afterwards, so a write past either end shows up too.
#pragma once

#include "vkrope/tensor.hpp"

namespace vkrope::conformance {

struct Guarded {
  Tensor arena;
  Tensor view;         // the output, `guard` elements in
  std::int64_t guard;  // elements of guard band on each side
};

Guarded guarded_output(const Context& context, DType dtype, const Shape& shape);

// Every guard byte still holds its pattern.
bool guard_intact(const Guarded& guarded);

}  // namespace vkrope::conformance
