#include "ops/read_floor.hpp"

#include <algorithm>
#include <cstddef>
#include <string>

#include "ops/dispatch_size.hpp"
#include "runtime/texel_view.hpp"

namespace vkrope::detail {

namespace {

// Mirrors ReadPush in shaders/read.comp.
struct ReadPush {
  std::uint32_t first;
  std::uint32_t n_vec4;
};
static_assert(sizeof(ReadPush) == 8 && offsetof(ReadPush, first) == 0 && offsetof(ReadPush, n_vec4) == 4);

constexpr std::uint32_t kReadGroups = 256;  // enough workgroups for every core of a CPU driver

void check_source(const Tensor& src) {
  if (src.dtype() != DType::f32 || !src.is_contiguous() || src.numel() % 4 != 0)
    throw Error(ErrorKind::InvalidArgument, "read floor: the source must be contiguous f32 with a multiple of 4 "
                                            "elements, got " + std::string(to_string(src.dtype())) +
                                                shape_to_string(src.shape()));
}

}  // namespace

TexelView::TexelView(const Tensor& tensor) : tensor_(tensor) {
  check_source(tensor);
  ContextState& ctx = *tensor.context().state();
  BufferStorage& storage = *tensor.storage();
  if (!texel_viewable(ctx.effective, storage, 16) || tensor.offset() % 4 != 0)
    throw Error(ErrorKind::InvalidArgument,
                "read floor: the tensor's buffer cannot be one RGBA32F texel view (" + std::to_string(storage.size / 16) +
                    " texels, the device allows " + std::to_string(ctx.effective.max_texel_buffer_elements) +
                    "), or the tensor does not start on a texel");
  view_ = texel_view(ctx, storage, VK_FORMAT_R32G32B32A32_SFLOAT, 16);  // uniform texel use required for it
  first_texel_ = static_cast<std::uint32_t>(tensor.offset() / 4);
  texels_ = static_cast<std::uint32_t>(tensor.numel() / 4);
}

Binding TexelView::binding() const {
  Binding b = reads(tensor_);
  b.texel_view = view_;
  return b;
}

std::uint32_t read_invocations(const Context& context) {
  return kReadGroups * default_workgroup_size(context.device());
}

void record_read(Batch& batch, const Tensor& src, const Tensor& sums, const TexelView* view) {
  check_source(src);
  BatchState& state = batch.state();
  const std::uint32_t wg = default_workgroup_size(state.ctx.effective);
  if (sums.dtype() != DType::f32 || !sums.is_contiguous() ||
      sums.numel() != static_cast<std::int64_t>(kReadGroups) * wg * 4)
    throw Error(ErrorKind::InvalidArgument, "read floor: sums must be contiguous f32 of 4 per invocation");
  const ComputePipeline& pipeline =
      state.ctx.pipelines->get({view ? "read_texel" : "read_storage", 2, sizeof(ReadPush), {wg}, {}, view ? 1u : 0u});
  const ReadPush push{view ? view->first_texel() : static_cast<std::uint32_t>(src.offset() / 4),
                      static_cast<std::uint32_t>(src.numel() / 4)};
  if (!view && src.offset() % 4)
    throw Error(ErrorKind::InvalidArgument, "read floor: the source must start on a 16-byte boundary");
  const Binding bindings[] = {view ? view->binding() : reads(src), writes(sums)};
  state.dispatch(pipeline, bindings, &push, {kReadGroups, 1, 1}, [&] {
    return std::string(view ? "read (texel) " : "read (storage) ") + std::to_string(src.numel() * 4) + " B";
  });
}

}  // namespace vkrope::detail
