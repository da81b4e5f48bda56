// The SPIR-V of every kernel variant, embedded at build time (cmake/VkropeShaders.cmake).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace vkrope::detail {

struct ShaderEntry {
  std::string_view name;  // e.g. "copy", "copy.unoptimized"
  const std::uint32_t* words;
  std::size_t word_count;
};

// Sorted by name (generated file build/.../shaders/shader_table.cpp).
const std::span<const ShaderEntry> shader_table();

// The entry called `name`, or nullptr.
const ShaderEntry* find_shader(std::string_view name);

}  // namespace vkrope::detail
