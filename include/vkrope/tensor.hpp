// Tensor: a typed, shaped, strided view of a device buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vkrope/context.hpp"
#include "vkrope/dtype.hpp"
#include "vkrope/visibility.hpp"

// State behind the handles, defined in src/. Declared outside VKROPE_PUBLIC_BEGIN so it
// stays hidden: its members are not part of the exported API.
namespace vkrope::detail {
struct BufferStorage;
}  // namespace vkrope::detail

VKROPE_PUBLIC_BEGIN

namespace vkrope {

// Up to 4 dimensions, outermost first; strides are in elements (not bytes).
using Shape = std::vector<std::int64_t>;
using Strides = std::vector<std::int64_t>;

// Row-major strides of a contiguous tensor of this shape.
Strides contiguous_strides(const Shape& shape);
std::string shape_to_string(const Shape& shape);

class Tensor {
 public:
  // A new contiguous tensor; contents undefined. Throws InvalidArgument for a rank outside
  // 1..4, a zero or negative dimension, a byte size that overflows, or one larger than the
  // device's maxStorageBufferRange (the kernels bind a tensor as one storage buffer);
  // OutOfMemory when the allocation fails.
  static Tensor empty(const Context& context, DType dtype, const Shape& shape);
  // A new contiguous tensor holding `values` (converted to dtype; row-major order).
  static Tensor from_floats(const Context& context, DType dtype, const Shape& shape,
                            std::span<const float> values);

  // A view of the same memory: another shape and element strides, starting `offset`
  // elements in. Throws InvalidArgument if any element it addresses lies outside the
  // buffer, or a stride is negative.
  Tensor view(const Shape& shape, const Strides& strides, std::int64_t offset = 0) const;

  DType dtype() const noexcept { return dtype_; }
  const Shape& shape() const noexcept { return shape_; }
  const Strides& strides() const noexcept { return strides_; }
  std::int64_t offset() const noexcept { return offset_; }
  std::int64_t numel() const noexcept;
  std::size_t rank() const noexcept { return shape_.size(); }
  bool is_contiguous() const noexcept;
  // Bytes of the underlying buffer this view can address (offset to last element + 1).
  std::size_t span_bytes() const noexcept;
  const Context& context() const noexcept { return context_; }

  // Host -> device: values in row-major order of this view's shape, converted to dtype,
  // written to the elements the view addresses (others in the buffer are untouched).
  void upload(std::span<const float> values) const;
  // Raw storage elements (f32 values or f16 bits as uint16_t), row-major.
  void upload_raw(std::span<const std::byte> elements) const;
  // Device -> host, row-major order of this view's shape, converted to float.
  std::vector<float> download() const;
  std::vector<std::byte> download_raw() const;
  // Sets every byte of the view's span to `value` (e.g. 0xFF, a NaN pattern, to poison).
  void fill_bytes(std::uint8_t value) const;

  // Internal: the storage behind the view.
  const std::shared_ptr<detail::BufferStorage>& storage() const noexcept { return storage_; }
  Tensor(Context context, std::shared_ptr<detail::BufferStorage> storage, DType dtype,
         Shape shape, Strides strides, std::int64_t offset);

 private:
  Context context_;
  std::shared_ptr<detail::BufferStorage> storage_;
  DType dtype_;
  Shape shape_;
  Strides strides_;
  std::int64_t offset_ = 0;
};

}  // namespace vkrope

VKROPE_PUBLIC_END
