// vkrope's version and the git revision it was configured from ("unknown" outside a
// checkout), for reports a user attaches to a bug.
#pragma once

#include <string_view>

namespace vkrope {

std::string_view version() noexcept;
std::string_view git_revision() noexcept;

}  // namespace vkrope
