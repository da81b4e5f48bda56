// vkrope's version and the git revision it was configured from ("unknown" outside a
// checkout), for reports a user attaches to a bug.
#pragma once

#include <string_view>

#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

std::string_view version() noexcept;
std::string_view git_revision() noexcept;

// Whether this build holds the cooperative-matrix attention kernel: its glslang knew
// GL_KHR_cooperative_matrix (glslang 15 does; Debian 12's glslang 12 does not). Without it,
// attention never uses cooperative matrices, whatever the device offers.
bool has_cooperative_matrix_kernel() noexcept;

}  // namespace vkrope

VKROPE_PUBLIC_END
