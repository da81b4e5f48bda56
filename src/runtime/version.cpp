#include "vkrope/version.hpp"

namespace vkrope {

std::string_view version() noexcept { return VKROPE_VERSION; }
std::string_view git_revision() noexcept { return VKROPE_GIT_REVISION; }

}  // namespace vkrope
