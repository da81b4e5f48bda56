// The embedded shader table: sorted, every entry valid SPIR-V, optimized variants paired
// with their unoptimized originals.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/shader_table.hpp"

namespace vkrope::detail {
namespace {

TEST(ShaderTable, SortedByNameAndEveryEntryIsSpirv) {
  const auto table = shader_table();
  ASSERT_FALSE(table.empty());
  EXPECT_TRUE(std::is_sorted(table.begin(), table.end(),
                             [](const ShaderEntry& a, const ShaderEntry& b) { return a.name < b.name; }));
  for (const ShaderEntry& e : table) {
    ASSERT_GE(e.word_count, 5u) << e.name;
    EXPECT_EQ(e.words[0], 0x07230203u) << e.name << ": not SPIR-V (magic number)";
    EXPECT_LE(e.words[1], 0x00010300u) << e.name << ": SPIR-V newer than 1.3 (Vulkan 1.1)";
  }
}

TEST(ShaderTable, LookupFindsKernelsAndRejectsUnknownNames) {
  for (const char* name : {"copy", "copy.unoptimized", "peak"}) {
    const ShaderEntry* e = find_shader(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->name, name);
  }
  EXPECT_EQ(find_shader("cop"), nullptr);
  EXPECT_EQ(find_shader("no_such_kernel"), nullptr);
}

}  // namespace
}  // namespace vkrope::detail
