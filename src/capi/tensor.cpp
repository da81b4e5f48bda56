// C API: tensors (vkrope.h "Tensors").
#include <span>

#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "vkrope/vulkan_interop.hpp"

namespace vkrope::capi {

DType to_dtype(vkrope_dtype dtype, const char* name) {
  return enum_value<DType>(static_cast<int>(dtype), VKROPE_DTYPE_Q4_0, name);
}

vkrope_dtype from_dtype(DType dtype) noexcept { return static_cast<vkrope_dtype>(dtype); }

namespace {

// The C enum is declared in DType's order; a reordering of either would break this.
static_assert(static_cast<int>(DType::f32) == VKROPE_DTYPE_F32 && static_cast<int>(DType::f16) == VKROPE_DTYPE_F16 &&
              static_cast<int>(DType::bf16) == VKROPE_DTYPE_BF16 && static_cast<int>(DType::q8_0) == VKROPE_DTYPE_Q8_0 &&
              static_cast<int>(DType::q4_0) == VKROPE_DTYPE_Q4_0);

// rank is checked here, before `values` is read, so a wild rank cannot overrun the caller's array.
std::vector<std::int64_t> dims(const std::int64_t* values, std::uint32_t rank, const char* name) {
  if (rank < 1 || rank > VKROPE_MAX_RANK) invalid("rank " + std::to_string(rank) + " is outside 1..4");
  return array(&need(values, name), rank, name);
}

void check_count(std::size_t given, std::size_t expected, const char* what) {
  if (given != expected)
    invalid(std::string(what) + " of " + std::to_string(given) + " for a tensor of " + std::to_string(expected));
}

std::size_t raw_bytes(const Tensor& t) { return storage_bytes(t.dtype(), static_cast<std::uint64_t>(t.numel())); }

}  // namespace
}  // namespace vkrope::capi

using namespace vkrope;
using namespace vkrope::capi;

extern "C" {

vkrope_status vkrope_tensor_create(vkrope_context* context, vkrope_dtype dtype, const int64_t* shape, uint32_t rank,
                                   vkrope_tensor** out) {
  return guard(__func__, [&] {
    vkrope_tensor*& result = out_handle(out);
    const Context& c = need(context, "context").context;
    result = new vkrope_tensor{Tensor::empty(c, to_dtype(dtype, "dtype"), dims(shape, rank, "shape"))};
  });
}

vkrope_status vkrope_tensor_from_floats(vkrope_context* context, vkrope_dtype dtype, const int64_t* shape,
                                        uint32_t rank, const float* values, size_t count, vkrope_tensor** out) {
  return guard(__func__, [&] {
    vkrope_tensor*& result = out_handle(out);
    const Context& c = need(context, "context").context;
    const Shape s = dims(shape, rank, "shape");
    // The element count is checked by Tensor::from_floats; the pointer here.
    if (!values) invalid("values is NULL");
    result = new vkrope_tensor{Tensor::from_floats(c, to_dtype(dtype, "dtype"), s, std::span(values, count))};
  });
}

vkrope_status vkrope_tensor_view(const vkrope_tensor* tensor, const int64_t* shape, const int64_t* strides,
                                 uint32_t rank, int64_t offset, vkrope_tensor** out) {
  return guard(__func__, [&] {
    vkrope_tensor*& result = out_handle(out);
    const Tensor& t = need(tensor, "tensor").tensor;
    result = new vkrope_tensor{t.view(dims(shape, rank, "shape"), dims(strides, rank, "strides"), offset)};
  });
}

vkrope_status vkrope_tensor_wrap_buffer(vkrope_context* context, VkBuffer buffer, VkDeviceSize offset,
                                        VkDeviceSize range, vkrope_dtype dtype, const int64_t* shape, uint32_t rank,
                                        vkrope_tensor** out) {
  return guard(__func__, [&] {
    vkrope_tensor*& result = out_handle(out);
    const Context& c = need(context, "context").context;
    result = new vkrope_tensor{
        interop::wrap_buffer(c, buffer, offset, range, to_dtype(dtype, "dtype"), dims(shape, rank, "shape"))};
  });
}

void vkrope_tensor_destroy(vkrope_tensor* tensor) { delete tensor; }

vkrope_status vkrope_tensor_upload(vkrope_tensor* tensor, const float* values, size_t count) {
  return guard(__func__, [&] {
    const Tensor& t = need(tensor, "tensor").tensor;
    t.upload(std::span(&need(values, "values"), count));
  });
}

vkrope_status vkrope_tensor_upload_raw(vkrope_tensor* tensor, const void* data, size_t bytes) {
  return guard(__func__, [&] {
    const Tensor& t = need(tensor, "tensor").tensor;
    if (!data) invalid("data is NULL");
    t.upload_raw(std::span(static_cast<const std::byte*>(data), bytes));
  });
}

vkrope_status vkrope_tensor_download(const vkrope_tensor* tensor, float* values, size_t count) {
  return guard(__func__, [&] {
    const Tensor& t = need(tensor, "tensor").tensor;
    need(values, "values");
    check_count(count, static_cast<std::size_t>(t.numel()), "download");
    const std::vector<float> data = t.download();
    std::copy(data.begin(), data.end(), values);
  });
}

vkrope_status vkrope_tensor_download_raw(const vkrope_tensor* tensor, void* data, size_t bytes) {
  return guard(__func__, [&] {
    const Tensor& t = need(tensor, "tensor").tensor;
    if (!data) invalid("data is NULL");
    check_count(bytes, raw_bytes(t), "raw download (bytes)");
    const std::vector<std::byte> raw = t.download_raw();
    std::memcpy(data, raw.data(), raw.size());
  });
}

vkrope_status vkrope_tensor_fill_bytes(vkrope_tensor* tensor, uint8_t value) {
  return guard(__func__, [&] { need(tensor, "tensor").tensor.fill_bytes(value); });
}

vkrope_status vkrope_tensor_shape(const vkrope_tensor* tensor, int64_t* shape, int64_t* strides, uint32_t* rank,
                                  int64_t* offset) {
  return guard(__func__, [&] {
    const Tensor& t = need(tensor, "tensor").tensor;
    if (shape) std::copy(t.shape().begin(), t.shape().end(), shape);
    if (strides) std::copy(t.strides().begin(), t.strides().end(), strides);
    if (rank) *rank = static_cast<std::uint32_t>(t.rank());
    if (offset) *offset = t.offset();
  });
}

vkrope_status vkrope_tensor_dtype(const vkrope_tensor* tensor, vkrope_dtype* dtype) {
  return guard(__func__, [&] { need(dtype, "dtype") = from_dtype(need(tensor, "tensor").tensor.dtype()); });
}

vkrope_status vkrope_tensor_numel(const vkrope_tensor* tensor, int64_t* numel) {
  return guard(__func__, [&] { need(numel, "numel") = need(tensor, "tensor").tensor.numel(); });
}

vkrope_status vkrope_tensor_raw_bytes(const vkrope_tensor* tensor, size_t* bytes) {
  return guard(__func__, [&] { need(bytes, "bytes") = raw_bytes(need(tensor, "tensor").tensor); });
}

vkrope_status vkrope_tensor_vk_buffer(const vkrope_tensor* tensor, VkBuffer* buffer, VkDeviceSize* offset) {
  return guard(__func__, [&] {
    const Tensor& t = need(tensor, "tensor").tensor;
    VkBuffer& b = need(buffer, "buffer");
    VkDeviceSize& o = need(offset, "offset");
    b = interop::buffer(t);
    o = interop::buffer_offset(t);
  });
}

}  // extern "C"
