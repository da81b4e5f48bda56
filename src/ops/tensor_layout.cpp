#include "ops/tensor_layout.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "vkrope/error.hpp"

namespace vkrope::detail {

Layout4 layout4(const Tensor& t, std::string_view op, std::string_view name) {
  const Shape& s = t.shape();
  const Strides& st = t.strides();
  const std::string who = std::string(op) + ": " + std::string(name);
  if (s.size() != 3 && s.size() != 4)
    throw Error(ErrorKind::InvalidArgument, who + " has shape " + shape_to_string(s) +
                                                "; expected [batch, seq, heads, head_dim] or [seq, heads, head_dim]");
  if (st.back() != 1)
    throw Error(ErrorKind::InvalidArgument,
                who + "'s last dimension has stride " + std::to_string(st.back()) + "; expected 1");
  const bool four = s.size() == 4;
  return {four ? s[0] : 1,   s[four ? 1 : 0], s[four ? 2 : 1], s[four ? 3 : 2],
          t.offset(),        four ? st[0] : 0, st[four ? 1 : 0], st[four ? 2 : 1]};
}

std::uint32_t to_u32(std::int64_t value, std::string_view op, std::string_view what) {
  if (value < 0 || value > std::numeric_limits<std::uint32_t>::max())
    throw Error(ErrorKind::InvalidArgument,
                std::string(op) + ": " + std::string(what) + " " + std::to_string(value) + " exceeds 32 bits");
  return static_cast<std::uint32_t>(value);
}

void fill_strides(std::uint32_t out[4], const Layout4& l, std::string_view op) {
  out[0] = to_u32(l.offset, op, "offset");
  out[1] = to_u32(l.batch_stride, op, "batch stride");
  out[2] = to_u32(l.seq_stride, op, "seq stride");
  out[3] = to_u32(l.head_stride, op, "head stride");
}

bool is_word_aligned(const Layout4& l) {
  return l.offset % 2 == 0 && l.batch_stride % 2 == 0 && l.seq_stride % 2 == 0 && l.head_stride % 2 == 0;
}

bool is_vec4_aligned(const Layout4& l) {
  return l.offset % 4 == 0 && l.batch_stride % 4 == 0 && l.seq_stride % 4 == 0 && l.head_stride % 4 == 0;
}

namespace {

std::size_t first_byte(const Tensor& t) {
  return static_cast<std::size_t>(storage_bytes(t.dtype(), static_cast<std::uint64_t>(t.offset())));
}

// The byte ranges a view covers: one per run of its last dimension (one per element when
// that dimension is strided), sorted.
std::vector<std::pair<std::size_t, std::size_t>> byte_runs(const Tensor& t) {
  const Shape& shape = t.shape();
  const Strides& strides = t.strides();
  // Block formats: the last dimension is always contiguous whole blocks (Tensor::view).
  const std::size_t last = shape.size() - 1;
  const bool contiguous_last = strides[last] == 1;
  const auto bytes_of = [&](std::int64_t elements) {
    return static_cast<std::size_t>(storage_bytes(t.dtype(), static_cast<std::uint64_t>(elements)));
  };
  const std::size_t run_bytes = contiguous_last ? bytes_of(shape[last]) : bytes_of(1);
  const std::size_t outer_dims = contiguous_last ? last : shape.size();
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  std::vector<std::int64_t> index(outer_dims, 0);
  for (;;) {
    std::int64_t start = t.offset();
    for (std::size_t i = 0; i < outer_dims; ++i) start += index[i] * strides[i];
    const auto begin = bytes_of(start);
    runs.emplace_back(begin, begin + run_bytes);
    std::size_t i = outer_dims;  // next index, last dimension fastest
    while (i > 0 && ++index[i - 1] == shape[i - 1]) index[--i] = 0;
    if (i == 0) break;
  }
  std::sort(runs.begin(), runs.end());
  return runs;
}

}  // namespace

bool views_overlap(const Tensor& a, const Tensor& b) {
  if (a.storage() != b.storage() || first_byte(a) >= b.span_bytes() || first_byte(b) >= a.span_bytes()) return false;
  // The ranges meet: compare run by run (only interleaved views, e.g. fused QKV, get here).
  const auto ra = byte_runs(a), rb = byte_runs(b);
  for (std::size_t i = 0, j = 0; i < ra.size() && j < rb.size();) {
    if (ra[i].first < rb[j].second && rb[j].first < ra[i].second) return true;
    if (ra[i].second <= rb[j].second) ++i; else ++j;
  }
  return false;
}

bool same_view(const Tensor& a, const Tensor& b) {
  return a.storage() == b.storage() && a.offset() == b.offset() && a.shape() == b.shape() &&
         a.strides() == b.strides() && a.dtype() == b.dtype();
}

std::string byte_range(const Tensor& t) {
  return "bytes " + std::to_string(first_byte(t)) + ".." + std::to_string(t.span_bytes());
}

}  // namespace vkrope::detail
