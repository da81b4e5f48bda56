#include "vkrope/error.hpp"

namespace vkrope {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "invalid argument";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::OutOfMemory: return "out of memory";
    case ErrorKind::DeviceLost: return "device lost";
    case ErrorKind::Mismatch: return "mismatch";
    case ErrorKind::Io: return "i/o error";
    case ErrorKind::Internal: return "internal error";
  }
  return "unknown error";
}

Error::Error(ErrorKind kind, const std::string& message, std::int32_t vk_result)
    : std::runtime_error(message), kind_(kind), vk_result_(vk_result) {}

}  // namespace vkrope
