#include "ops/copy.hpp"

#include <algorithm>
#include <cstddef>

#include "runtime/batch_state.hpp"

namespace vkrope {

namespace detail {

namespace {

// Mirrors CopyPush in shaders/copy.comp.
struct CopyPush {
  std::uint32_t src_offset;
  std::uint32_t dst_offset;
  std::uint32_t n_words;
};
static_assert(sizeof(CopyPush) == 12 && sizeof(CopyPush) <= 128);
static_assert(offsetof(CopyPush, src_offset) == 0 && offsetof(CopyPush, dst_offset) == 4 &&
              offsetof(CopyPush, n_words) == 8);

std::uint64_t byte_offset(const Tensor& t) { return static_cast<std::uint64_t>(t.offset()) * size_of(t.dtype()); }

}  // namespace

std::uint32_t default_workgroup_size(const DeviceInfo& info) {
  return std::min({256u, info.max_workgroup_invocations, info.max_workgroup_size[0]});
}

void record_copy(Batch& batch, const Tensor& src, const Tensor& dst, std::string_view shader) {
  if (!src.is_contiguous() || !dst.is_contiguous())
    throw Error(ErrorKind::InvalidArgument, "copy: source and destination must be contiguous");
  if (src.dtype() != dst.dtype() || src.numel() != dst.numel())
    throw Error(ErrorKind::InvalidArgument,
                "copy: source " + std::string(to_string(src.dtype())) + shape_to_string(src.shape()) +
                    " and destination " + std::string(to_string(dst.dtype())) + shape_to_string(dst.shape()) +
                    " differ in dtype or element count");
  if (src.storage()->context != batch.state().context.state() || dst.storage()->context != batch.state().context.state())
    throw Error(ErrorKind::InvalidArgument, "copy: tensors belong to another Context than the batch");
  const std::uint64_t bytes = static_cast<std::uint64_t>(src.numel()) * size_of(src.dtype());
  if (bytes % 4 || byte_offset(src) % 4 || byte_offset(dst) % 4)
    throw Error(ErrorKind::InvalidArgument,
                "copy: byte sizes and offsets must be multiples of 4 (got " + std::to_string(bytes) + " bytes)");

  BatchState& state = batch.state();
  const DeviceInfo& info = state.ctx.effective;
  const std::uint32_t wg = default_workgroup_size(info);
  const ComputePipeline& pipeline = state.ctx.pipelines->get({shader, 2, sizeof(CopyPush), {wg}});
  const CopyPush push{static_cast<std::uint32_t>(byte_offset(src) / 4), static_cast<std::uint32_t>(byte_offset(dst) / 4),
                      static_cast<std::uint32_t>(bytes / 4)};
  // Enough workgroups for one vec4 per invocation, capped: the grid-stride loop covers the
  // rest. CPU drivers pay a fixed cost per workgroup (SwiftShader copies 64 MiB at 1.3 GB/s
  // with 16,384 groups and 2.7-3.1 GB/s with 16-64), so they get few, long-running groups.
  const std::uint32_t cap = info.type == DeviceType::Cpu ? 64u : 65535u;
  const std::uint64_t vec4s = (bytes / 16) + 1;
  const auto groups = static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>((vec4s + wg - 1) / wg, 1, std::min(info.max_workgroup_count[0], cap)));
  const Binding bindings[] = {reads(src), writes(dst)};
  state.dispatch(pipeline, bindings, &push, {groups, 1, 1}, "copy " + std::to_string(bytes) + " B");
}

}  // namespace detail

void copy(Batch& batch, const Tensor& src, const Tensor& dst) { detail::record_copy(batch, src, dst); }

void copy(const Tensor& src, const Tensor& dst) {
  Batch batch(src.context());
  copy(batch, src, dst);
  batch.submit();
}

}  // namespace vkrope
