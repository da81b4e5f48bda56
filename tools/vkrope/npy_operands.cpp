#include "npy_operands.hpp"

namespace vkrope::cli {

io::NpyArray read_operand(const std::string& flag, const std::string& path) {
  io::NpyArray a = io::read_npy(path);
  if (a.type != io::NpyType::f32 && a.type != io::NpyType::f16)
    throw Error(ErrorKind::InvalidArgument, flag + " " + path + ": dtype " + std::string(io::to_string(a.type)) +
                                                "; expected float32 or float16");
  if (a.shape.size() != 3 && a.shape.size() != 4)
    throw Error(ErrorKind::InvalidArgument, flag + " " + path + ": shape " + shape_to_string(a.shape) +
                                                "; expected [batch, seq, heads, head_dim] or [seq, heads, head_dim]");
  return a;
}

DType dtype_of(io::NpyType type) { return type == io::NpyType::f16 ? DType::f16 : DType::f32; }

Tensor upload(const Context& context, const io::NpyArray& a) {
  const Tensor t = Tensor::empty(context, dtype_of(a.type), a.shape);
  t.upload_raw(a.data);
  return t;
}

}  // namespace vkrope::cli
