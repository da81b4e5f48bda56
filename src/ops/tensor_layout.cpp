#include "ops/tensor_layout.hpp"

#include <limits>
#include <string>

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

}  // namespace vkrope::detail
