// Tensor: shape and stride bookkeeping, and strided host <-> device transfers.
#include "vkrope/tensor.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "runtime/memory.hpp"

namespace vkrope {

namespace {

void check_shape(const Shape& shape, const char* what) {
  if (shape.empty() || shape.size() > 4)
    throw Error(ErrorKind::InvalidArgument, std::string(what) + " has rank " + std::to_string(shape.size()) +
                                                "; expected 1 to 4 dimensions");
  for (std::int64_t d : shape)
    if (d <= 0)
      throw Error(ErrorKind::InvalidArgument,
                  std::string(what) + " " + shape_to_string(shape) + " has a dimension <= 0; expected positive sizes");
}

// Number of elements, or an error when it does not fit in 63 bits of bytes.
std::uint64_t checked_numel(const Shape& shape) {
  std::uint64_t n = 1;
  const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / 4;
  for (std::int64_t d : shape) {
    if (n > limit / static_cast<std::uint64_t>(d))
      throw Error(ErrorKind::InvalidArgument,
                  "shape " + shape_to_string(shape) + " overflows: its byte size does not fit in 64 bits");
    n *= static_cast<std::uint64_t>(d);
  }
  return n;
}

// Calls f(linear_index, element_offset) for every element of the view in row-major order.
template <typename F>
void for_each_element(const Shape& shape, const Strides& strides, std::int64_t offset, F&& f) {
  const std::size_t rank = shape.size();
  std::int64_t index[4] = {0, 0, 0, 0};
  std::int64_t total = 1;
  for (std::int64_t d : shape) total *= d;
  for (std::int64_t linear = 0; linear < total; ++linear) {
    std::int64_t element = offset;
    for (std::size_t i = 0; i < rank; ++i) element += index[i] * strides[i];
    f(linear, element);
    for (std::size_t i = rank; i-- > 0;) {
      if (++index[i] < shape[i]) break;
      index[i] = 0;
    }
  }
}

// The storage units of a view (elements, or 32-element blocks of a block format): the shape,
// strides and offset in units, and the bytes of one. Views of block formats keep whole
// blocks (checked by Tensor::view and Tensor::empty), so this is exact.
struct Units {
  Shape shape;
  Strides strides;
  std::int64_t offset;
  std::size_t bytes;
};
Units units_of(const Shape& shape, const Strides& strides, std::int64_t offset, DType dtype) {
  const std::int64_t n = block_elements(dtype);
  Units u{shape, strides, offset / n, block_bytes(dtype)};
  if (n == 1) return u;
  u.shape.back() /= n;
  for (std::size_t i = 0; i + 1 < u.strides.size(); ++i) u.strides[i] /= n;
  return u;
}

// A block format's view must address whole blocks: its rows (the last dimension, stride 1)
// a multiple of 32 values, its offset and other strides multiples of 32.
void check_blocks(const Shape& shape, const Strides& strides, std::int64_t offset, DType dtype, const char* what) {
  const std::int64_t n = block_elements(dtype);
  if (n == 1) return;
  const std::string name = std::string(what) + " " + shape_to_string(shape) + " of " + std::string(to_string(dtype));
  if (shape.back() % n != 0)
    throw Error(ErrorKind::InvalidArgument, name + " has a last dimension of " + std::to_string(shape.back()) +
                                                "; expected a multiple of " + std::to_string(n) + " (whole blocks)");
  if (strides.back() != 1)
    throw Error(ErrorKind::InvalidArgument, name + " has a last stride of " + std::to_string(strides.back()) +
                                                "; expected 1 (a block's values are contiguous)");
  for (std::size_t i = 0; i + 1 < strides.size(); ++i)
    if (strides[i] % n != 0)
      throw Error(ErrorKind::InvalidArgument, name + " has stride " + std::to_string(strides[i]) +
                                                  "; expected multiples of " + std::to_string(n) + " (whole blocks)");
  if (offset % n != 0)
    throw Error(ErrorKind::InvalidArgument, name + " starts at element " + std::to_string(offset) +
                                                "; expected a multiple of " + std::to_string(n) + " (a block's start)");
}

}  // namespace

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(Context context, std::shared_ptr<detail::BufferStorage> storage, DType dtype, Shape shape,
               Strides strides, std::int64_t offset)
    : context_(std::move(context)), storage_(std::move(storage)), dtype_(dtype), shape_(std::move(shape)),
      strides_(std::move(strides)), offset_(offset) {}

Tensor Tensor::empty(const Context& context, DType dtype, const Shape& shape) {
  check_shape(shape, "tensor shape");
  check_blocks(shape, contiguous_strides(shape), 0, dtype, "tensor");
  const std::uint64_t bytes = storage_bytes(dtype, checked_numel(shape));
  // Round up to 4 bytes: an odd number of f16 elements still binds as whole 32-bit words.
  auto storage = detail::allocate_storage(context.state(), (bytes + 3) / 4 * 4);
  return Tensor(context, std::move(storage), dtype, shape, contiguous_strides(shape), 0);
}

Tensor Tensor::from_floats(const Context& context, DType dtype, const Shape& shape, std::span<const float> values) {
  Tensor t = empty(context, dtype, shape);
  t.upload(values);
  return t;
}

Tensor Tensor::view(const Shape& shape, const Strides& strides, std::int64_t offset) const {
  check_shape(shape, "view shape");
  if (strides.size() != shape.size())
    throw Error(ErrorKind::InvalidArgument, "view has " + std::to_string(strides.size()) + " strides for " +
                                                std::to_string(shape.size()) + " dimensions");
  if (offset < 0) throw Error(ErrorKind::InvalidArgument, "view offset " + std::to_string(offset) + " is negative");
  // The last element addressed must lie inside the buffer; compute it without overflow.
  check_blocks(shape, strides, offset, dtype_, "view");
  const std::uint64_t capacity = storage_->size / block_bytes(dtype_) * static_cast<std::uint64_t>(block_elements(dtype_));
  std::uint64_t last = static_cast<std::uint64_t>(offset);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (strides[i] < 0)
      throw Error(ErrorKind::InvalidArgument, "view stride " + std::to_string(strides[i]) + " is negative");
    const auto extent = static_cast<std::uint64_t>(shape[i] - 1);
    const auto stride = static_cast<std::uint64_t>(strides[i]);
    if (stride && extent > (capacity - std::min(last, capacity)) / stride)
      throw Error(ErrorKind::InvalidArgument, "view " + shape_to_string(shape) + " with offset " +
                                                  std::to_string(offset) + " addresses elements past the " +
                                                  std::to_string(capacity) + " in its buffer");
    last += extent * stride;
  }
  if (last >= capacity)
    throw Error(ErrorKind::InvalidArgument, "view offset " + std::to_string(offset) + " is past the " +
                                                std::to_string(capacity) + " elements of its buffer");
  return Tensor(context_, storage_, dtype_, shape, strides, offset);
}

std::int64_t Tensor::numel() const noexcept {
  std::int64_t n = 1;
  for (std::int64_t d : shape_) n *= d;
  return n;
}

bool Tensor::is_contiguous() const noexcept { return strides_ == contiguous_strides(shape_); }

std::size_t Tensor::span_bytes() const noexcept {
  std::int64_t last = offset_;
  for (std::size_t i = 0; i < shape_.size(); ++i) last += (shape_[i] - 1) * strides_[i];
  return static_cast<std::size_t>(storage_bytes(dtype_, static_cast<std::uint64_t>(last + 1)));
}

void Tensor::upload(std::span<const float> values) const {
  if (static_cast<std::int64_t>(values.size()) != numel())
    throw Error(ErrorKind::InvalidArgument, "upload of " + std::to_string(values.size()) + " values into a tensor of " +
                                                shape_to_string(shape_) + " = " + std::to_string(numel()) + " elements");
  std::vector<std::byte> raw(storage_bytes(dtype_, values.size()));
  encode(dtype_, values, raw);
  upload_raw(raw);
}

void Tensor::upload_raw(std::span<const std::byte> elements) const {
  const Units u = units_of(shape_, strides_, offset_, dtype_);
  const std::size_t esize = u.bytes;
  const std::uint64_t expected = storage_bytes(dtype_, static_cast<std::uint64_t>(numel()));
  if (elements.size() != expected)
    throw Error(ErrorKind::InvalidArgument, "raw upload of " + std::to_string(elements.size()) +
                                                " bytes into a tensor of " + std::to_string(expected));
  const std::uint64_t base = static_cast<std::uint64_t>(u.offset) * esize;
  if (is_contiguous()) {
    detail::write_storage(*storage_->context, *storage_, base, elements);
    return;
  }
  // Strided: read the span, scatter into it, write it back, so elements between the
  // view's elements (another view's data) are preserved.
  std::vector<std::byte> span(span_bytes() - base);
  detail::read_storage(*storage_->context, *storage_, base, span);
  for_each_element(u.shape, u.strides, 0, [&](std::int64_t linear, std::int64_t element) {
    std::memcpy(&span[static_cast<std::size_t>(element) * esize], &elements[static_cast<std::size_t>(linear) * esize], esize);
  });
  detail::write_storage(*storage_->context, *storage_, base, span);
}

std::vector<std::byte> Tensor::download_raw() const {
  const Units u = units_of(shape_, strides_, offset_, dtype_);
  const std::size_t esize = u.bytes;
  const std::uint64_t base = static_cast<std::uint64_t>(u.offset) * esize;
  std::vector<std::byte> out(storage_bytes(dtype_, static_cast<std::uint64_t>(numel())));
  if (is_contiguous()) {
    detail::read_storage(*storage_->context, *storage_, base, out);
    return out;
  }
  std::vector<std::byte> span(span_bytes() - base);
  detail::read_storage(*storage_->context, *storage_, base, span);
  for_each_element(u.shape, u.strides, 0, [&](std::int64_t linear, std::int64_t element) {
    std::memcpy(&out[static_cast<std::size_t>(linear) * esize], &span[static_cast<std::size_t>(element) * esize], esize);
  });
  return out;
}

std::vector<float> Tensor::download() const {
  const std::vector<std::byte> raw = download_raw();
  std::vector<float> values(static_cast<std::size_t>(numel()));
  decode(dtype_, raw, values);
  return values;
}

void Tensor::fill_bytes(std::uint8_t value) const {
  const std::uint64_t base = storage_bytes(dtype_, static_cast<std::uint64_t>(offset_));
  std::vector<std::byte> bytes(span_bytes() - base, static_cast<std::byte>(value));
  detail::write_storage(*storage_->context, *storage_, base, bytes);
}

}  // namespace vkrope
