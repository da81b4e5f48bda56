#include "conformance/guarded.hpp"

namespace vkrope::conformance {

namespace {
constexpr std::uint8_t kGuard = 0xa5;
constexpr std::uint8_t kPoison = 0xff;  // NaN in f32 and f16
}  // namespace

Guarded guarded_output(const Context& c, DType dtype, const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  const std::int64_t guard = 8;  // a multiple of 4: views stay word- and vec4-aligned (packed f16, 16-byte kernels)
  Tensor arena = Tensor::empty(c, dtype, {n + 2 * guard});
  arena.fill_bytes(kGuard);
  Tensor view = arena.view(shape, contiguous_strides(shape), guard);
  view.fill_bytes(kPoison);
  return {arena, view, guard};
}

bool guard_intact(const Guarded& g) {
  const auto raw = g.arena.download_raw();
  const std::size_t bytes = static_cast<std::size_t>(storage_bytes(g.arena.dtype(), static_cast<std::uint64_t>(g.guard)));
  for (std::size_t i = 0; i < bytes; ++i)
    if (static_cast<std::uint8_t>(raw[i]) != kGuard || static_cast<std::uint8_t>(raw[raw.size() - 1 - i]) != kGuard)
      return false;
  return true;
}

}  // namespace vkrope::conformance
