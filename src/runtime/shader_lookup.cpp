#include <algorithm>

#include "runtime/shader_table.hpp"

namespace vkrope::detail {

const ShaderEntry* find_shader(std::string_view name) {
  const auto table = shader_table();
  const auto it = std::lower_bound(table.begin(), table.end(), name,
                                   [](const ShaderEntry& e, std::string_view n) { return e.name < n; });
  return it != table.end() && it->name == name ? &*it : nullptr;
}

}  // namespace vkrope::detail
