#include "ops/copy.hpp"

#include <algorithm>
#include <cstddef>

#include "ops/dispatch_size.hpp"
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

std::uint64_t byte_offset(const Tensor& t) { return storage_bytes(t.dtype(), static_cast<std::uint64_t>(t.offset())); }

// The checks both copies share; returns the byte count.
std::uint64_t checked_copy_bytes(Batch& batch, const Tensor& src, const Tensor& dst) {
  if (!src.is_contiguous() || !dst.is_contiguous())
    throw Error(ErrorKind::InvalidArgument, "copy: source and destination must be contiguous");
  if (src.dtype() != dst.dtype() || src.numel() != dst.numel())
    throw Error(ErrorKind::InvalidArgument,
                "copy: source " + std::string(to_string(src.dtype())) + shape_to_string(src.shape()) +
                    " and destination " + std::string(to_string(dst.dtype())) + shape_to_string(dst.shape()) +
                    " differ in dtype or element count");
  if (src.storage()->context != batch.state().context.state() || dst.storage()->context != batch.state().context.state())
    throw Error(ErrorKind::InvalidArgument, "copy: tensors belong to another Context than the batch");
  const std::uint64_t bytes = storage_bytes(src.dtype(), static_cast<std::uint64_t>(src.numel()));
  if (bytes % 4 || byte_offset(src) % 4 || byte_offset(dst) % 4)
    throw Error(ErrorKind::InvalidArgument,
                "copy: byte sizes and offsets must be multiples of 4 (got " + std::to_string(bytes) + " bytes)");
  return bytes;
}

}  // namespace

void record_copy(Batch& batch, const Tensor& src, const Tensor& dst, std::string_view shader) {
  const std::uint64_t bytes = checked_copy_bytes(batch, src, dst);

  BatchState& state = batch.state();
  const DeviceInfo& info = state.ctx.effective;
  const std::uint32_t wg = default_workgroup_size(info);
  const ComputePipeline& pipeline = state.ctx.pipelines->get({shader, 2, sizeof(CopyPush), {wg}});
  const CopyPush push{static_cast<std::uint32_t>(byte_offset(src) / 4), static_cast<std::uint32_t>(byte_offset(dst) / 4),
                      static_cast<std::uint32_t>(bytes / 4)};
  const auto groups = grid_groups(info, bytes / 16 + 1, wg);
  const Binding bindings[] = {reads(src), writes(dst)};
  state.dispatch(pipeline, bindings, &push, {groups, 1, 1}, "copy " + std::to_string(bytes) + " B");
}

}  // namespace detail

void copy(Batch& batch, const Tensor& src, const Tensor& dst) { detail::record_copy(batch, src, dst); }

void transfer_copy(Batch& batch, const Tensor& src, const Tensor& dst) {
  const std::uint64_t bytes = detail::checked_copy_bytes(batch, src, dst);
  const detail::Binding from = detail::reads(src), to = detail::writes(dst);
  batch.state().transfer_copy(from, to, bytes, "vkCmdCopyBuffer " + std::to_string(bytes) + " B");
}

void copy(const Tensor& src, const Tensor& dst) {
  Batch batch(src.context());
  copy(batch, src, dst);
  batch.submit();
}

}  // namespace vkrope
