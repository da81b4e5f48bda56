// vkrope::quantize (quantize.comp through dispatch_store) and vkrope::dequantize
// (dequantize.comp).
#include "vkrope/quantize.hpp"

#include <string>
#include <vector>

#include "ops/dispatch_size.hpp"
#include "ops/kv_formats.hpp"
#include "ops/kv_store.hpp"
#include "ops/tensor_layout.hpp"
#include "runtime/batch_state.hpp"
#include "runtime/context_state.hpp"
#include "runtime/memory.hpp"

namespace vkrope {

namespace {

std::string describe(const Tensor& t) { return std::string(to_string(t.dtype())) + shape_to_string(t.shape()); }

void check_pair(const char* op, Batch& batch, const Tensor& src, const Tensor& dst) {
  const auto fail = [&](const std::string& m) { throw Error(ErrorKind::InvalidArgument, std::string(op) + ": " + m); };
  if (src.storage()->context != batch.state().context.state() || dst.storage()->context != src.storage()->context)
    fail("tensors belong to another Context than the batch");
  if (src.shape() != dst.shape()) fail("src is " + describe(src) + " and dst " + describe(dst) + "; expected one shape");
  if (!dst.is_contiguous()) fail("dst " + describe(dst) + " is a strided view; expected a contiguous tensor");
  if (detail::views_overlap(src, dst))
    fail("dst overlaps src in their buffer (" + detail::byte_range(dst) + " and " + detail::byte_range(src) +
         "); expected separate tensors");
  if (src.shape().back() % 2 != 0)
    fail("the last dimension of " + describe(src) + " is odd; expected an even one (values travel in pairs)");
  // The kernels index elements with 32-bit integers.
  for (const Tensor* t : {&src, &dst}) {
    std::int64_t last = t->offset();
    for (std::size_t i = 0; i < t->rank(); ++i) last += (t->shape()[i] - 1) * t->strides()[i];
    (void)detail::to_u32(last + 1, op, "element index");
  }
}

// src as the store kernel's [B, T, H, D]: the outer dimensions padded with 1s in front.
detail::Layout4 as_rows(const Tensor& t) {
  const Shape& s = t.shape();
  const Strides& st = t.strides();
  const std::size_t r = s.size();
  const auto dim = [&](std::size_t from_end) { return from_end < r ? s[r - 1 - from_end] : 1; };
  const auto stride = [&](std::size_t from_end) { return from_end < r ? st[r - 1 - from_end] : 0; };
  return {dim(3), dim(2), dim(1), dim(0), t.offset(), stride(3), stride(2), stride(1)};
}

}  // namespace

void quantize(Batch& batch, const Tensor& src, const Tensor& dst) {
  check_pair("quantize", batch, src, dst);
  if (src.dtype() != DType::f32 && src.dtype() != DType::f16)
    throw Error(ErrorKind::InvalidArgument, "quantize: src is " + describe(src) + "; expected f32 or f16 values");
  if (src.strides().back() != 1)
    throw Error(ErrorKind::InvalidArgument, "quantize: src's last dimension is strided; expected it contiguous");
  const detail::Layout4 rows = as_rows(src);
  if (src.dtype() == DType::f16 && !detail::is_word_aligned(rows))
    throw Error(ErrorKind::InvalidArgument, "quantize: f16 src has an odd offset or stride; expected even ones");
  if (rows.dim % 8 != 0 && !is_block_format(dst.dtype()))
    throw Error(ErrorKind::InvalidArgument, "quantize: the last dimension of " + describe(src) +
                                                " is not a multiple of 8; expected one (the kernel writes 8 values at a time)");
  detail::StoreRequest r;
  r.k_src = &src;
  r.k_layout = rows;
  r.k_dst = &dst;
  r.capacity = rows.seq;
  r.label = "quantize " + describe(src) + " -> " + std::string(to_string(dst.dtype()));
  detail::dispatch_store(batch.state(), r);
}

void quantize(const Tensor& src, const Tensor& dst) {
  Batch batch(src.context());
  quantize(batch, src, dst);
  batch.submit();
}

void dequantize(Batch& batch, const Tensor& src, const Tensor& dst) {
  check_pair("dequantize", batch, src, dst);
  if (dst.dtype() != DType::f32 && dst.dtype() != DType::f16)
    throw Error(ErrorKind::InvalidArgument, "dequantize: dst is " + describe(dst) + "; expected f32 or f16");
  if (!src.is_contiguous())
    throw Error(ErrorKind::InvalidArgument, "dequantize: src " + describe(src) + " is a strided view; expected a contiguous tensor");
  detail::BatchState& state = batch.state();
  const DeviceInfo& info = state.ctx.effective;
  const std::uint32_t wg = detail::default_workgroup_size(info);
  std::vector<std::uint32_t> constants(24, 0u);
  constants[0] = wg;
  constants[detail::kKFormatConstant] = detail::format_code(src.dtype());
  constants[detail::kVFormatConstant] = detail::format_code(src.dtype());
  const std::string shader = std::string("dequantize_to_") + std::string(to_string(dst.dtype()));
  if ((src.dtype() == DType::f16 || src.dtype() == DType::bf16) && src.offset() % 2 != 0)
    throw Error(ErrorKind::InvalidArgument, "dequantize: src starts at an odd element; expected an even one");
  if (dst.dtype() == DType::f16 && dst.offset() % 2 != 0)
    throw Error(ErrorKind::InvalidArgument, "dequantize: f16 dst starts at an odd element; expected an even one");
  struct {
    std::uint32_t pairs, src_offset, dst_offset;  // mirrors DequantizePush
  } push{detail::to_u32(src.numel() / 2, "dequantize", "pairs"), static_cast<std::uint32_t>(src.offset()),
         static_cast<std::uint32_t>(dst.offset())};
  const detail::ComputePipeline& pipeline = state.ctx.pipelines->get({shader, 3, sizeof(push), constants});
  const detail::Binding in = detail::reads(src);
  const detail::Binding bindings[] = {in, in, detail::writes(dst)};
  state.dispatch(pipeline, bindings, &push, {detail::grid_groups(info, push.pairs, wg), 1, 1},
                 [&] { return "dequantize " + describe(src) + " -> " + std::string(to_string(dst.dtype())); });
}

void dequantize(const Tensor& src, const Tensor& dst) {
  Batch batch(src.context());
  dequantize(batch, src, dst);
  batch.submit();
}

}  // namespace vkrope
