// Tensors from .npy files, as the op commands (attention, linear-attention) read them.
#pragma once

#include <string>

#include "io/npy.hpp"
#include "vkrope/context.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::cli {

// Q, K or V: a float .npy of rank 3 or 4 (anything else would only fail later, on the
// device, with a message that no longer names the file). Throws InvalidArgument naming
// the flag and file, Io for an unreadable file.
io::NpyArray read_operand(const std::string& flag, const std::string& path);

DType dtype_of(io::NpyType type);  // f16 for float16, else f32

// A device tensor holding the array's bytes as they are (its dtype and shape).
Tensor upload(const Context& context, const io::NpyArray& a);

}  // namespace vkrope::cli
