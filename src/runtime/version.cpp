#include "vkrope/version.hpp"

#include "runtime/shader_table.hpp"

namespace vkrope {

std::string_view version() noexcept { return VKROPE_VERSION; }
std::string_view git_revision() noexcept { return VKROPE_GIT_REVISION; }
bool has_cooperative_matrix_kernel() noexcept { return detail::find_shader("flash_cm_qf16_kvf16") != nullptr; }

}  // namespace vkrope
