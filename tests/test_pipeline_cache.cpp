// The persisted pipeline cache: written per device, read back only when its header
// matches the device, ignored (not fatal) when corrupt.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/context_state.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::test {
namespace {

class PipelineCacheTest : public testing::TestWithParam<DeviceCase> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vkrope-cache-test-" + std::to_string(fresh_seed()) + "-" + std::to_string(GetParam().index));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_P(PipelineCacheTest, SavedOnDestructionAndReloaded) {
  ContextOptions options = validated_options(GetParam());
  options.pipeline_cache_dir = dir_.string();
  std::string path;
  {
    const Context context = Context::create(options);
    path = detail::pipeline_cache_path(dir_.string(), context.state()->physical);
    const Tensor a = Tensor::from_floats(context, DType::f32, {16}, std::vector<float>(16, 1.5f));
    const Tensor b = Tensor::empty(context, DType::f32, {16});
    copy(a, b);
    EXPECT_TRUE(context.validation_messages().empty());
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  // At least the 32-byte VkPipelineCacheHeaderVersionOne (lavapipe and SwiftShader store
  // nothing after it; GPU drivers store the compiled pipelines).
  EXPECT_GE(std::filesystem::file_size(path), 32u);

  const Context again = Context::create(options);
  EXPECT_FALSE(detail::read_pipeline_cache(path, again.state()->physical).empty());

  // A corrupt file is ignored: the header no longer matches, and creation still works.
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << "not a pipeline cache, just text"; }
  EXPECT_TRUE(detail::read_pipeline_cache(path, again.state()->physical).empty());
  const Context third = Context::create(options);
  const Tensor a = Tensor::from_floats(third, DType::f32, {4}, std::vector<float>{1, 2, 3, 4});
  const Tensor b = Tensor::empty(third, DType::f32, {4});
  copy(a, b);
  EXPECT_EQ(b.download(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_TRUE(third.validation_messages().empty());
}

TEST_P(PipelineCacheTest, UnwritableDirectoryIsNotAnError) {
  ContextOptions options = validated_options(GetParam());
  options.pipeline_cache_dir = "/proc/vkrope-cannot-write-here";
  const Context context = Context::create(options);
  context.save_pipeline_cache();  // silently skipped
  EXPECT_TRUE(context.validation_messages().empty());
}

INSTANTIATE_TEST_SUITE_P(Devices, PipelineCacheTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
