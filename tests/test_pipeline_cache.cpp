// The persisted pipeline cache: written per device in vkrope's checksummed wrapper, read
// back only when whole and made by this device and driver. A file that is truncated,
// corrupted, foreign or unwritable never fails a run: a warning, and the cache is rebuilt.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/context_state.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/fault_injection.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A copy on `context` checked: the Context works.
void expect_copy_works(const Context& context) {
  const std::vector<float> values{1.5f, -2.0f, 3.25f, 4.0f};
  const Tensor a = Tensor::from_floats(context, DType::f32, {4}, values);
  const Tensor b = Tensor::empty(context, DType::f32, {4});
  copy(a, b);
  EXPECT_EQ(b.download(), values);
}

class PipelineCacheTest : public testing::TestWithParam<DeviceCase> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vkrope-cache-test-" + std::to_string(fresh_seed()) + "-" + std::to_string(GetParam().index));
    options_ = validated_options(GetParam());
    options_.pipeline_cache_dir = dir_.string();
    options_.on_warning = [this](std::string_view line) { forwarded_.emplace_back(line); };
  }
  void TearDown() override {
    fault::disarm();
    fs::remove_all(dir_);
  }

  // Runs a copy in a fresh Context; returns the warnings it gave, saving the cache as it
  // went included (through ContextOptions::on_warning, which sees what warnings() keeps).
  std::vector<std::string> run_once() {
    forwarded_.clear();
    {
      const Context context = Context::create(options_);
      path_ = detail::pipeline_cache_path(dir_.string(), context.state()->physical);
      expect_copy_works(context);
      EXPECT_TRUE(context.validation_messages().empty());
      EXPECT_EQ(context.warnings(), forwarded_);
    }
    return forwarded_;
  }

  // The saved file is whole and this device's: the next Context loads it without a word.
  void expect_clean_reload() {
    ASSERT_TRUE(fs::exists(path_)) << path_;
    EXPECT_TRUE(run_once().empty());
  }

  fs::path dir_;
  ContextOptions options_;
  std::string path_;
  std::vector<std::string> forwarded_;
};

TEST_P(PipelineCacheTest, SavedOnDestructionAndReloaded) {
  EXPECT_TRUE(run_once().empty());  // no file yet: nothing to warn about
  ASSERT_TRUE(fs::exists(path_)) << path_;
  // vkrope's 32-byte header, then at least the 32-byte VkPipelineCacheHeaderVersionOne
  // (lavapipe and SwiftShader store nothing after it; GPU drivers store the pipelines).
  EXPECT_GE(fs::file_size(path_), 64u);
  const Context again = Context::create(options_);
  const detail::PipelineCacheFile read = detail::read_pipeline_cache(path_, again.state()->physical);
  EXPECT_FALSE(read.data.empty());
  EXPECT_TRUE(read.problem.empty()) << read.problem;
  EXPECT_TRUE(again.warnings().empty());
}

// Each way a file can be bad: ignored with one warning saying why, the run works, and the
// file is rewritten whole.
TEST_P(PipelineCacheTest, BadFilesAreIgnoredWithAWarningAndRebuilt) {
  run_once();
  const std::vector<std::uint8_t> good = file_bytes(path_);
  ASSERT_GE(good.size(), 64u);
  const std::vector<std::uint8_t> payload(good.begin() + 32, good.end());

  struct Bad {
    std::string what, expected_words;
    std::vector<std::uint8_t> bytes;
    bool via_writer = false;  // written with vkrope's writer (a valid wrapper around `bytes`)
  };
  std::vector<std::uint8_t> truncated(good.begin(), good.end() - 7);
  std::vector<std::uint8_t> flipped = good;
  flipped[40] ^= 0x5a;  // inside the payload: the checksum catches it
  std::vector<std::uint8_t> other_driver = payload;
  other_driver[16] ^= 0xff;  // the pipelineCacheUUID: another driver build
  std::vector<std::uint8_t> other_device = payload;
  other_device[12] ^= 0x01;  // the device id
  const std::string text = "not a pipeline cache, just text";
  const std::vector<Bad> cases{
      {"truncated", "truncated", truncated},
      {"corrupted", "checksum mismatch", flipped},
      {"another driver version", "another device or driver", other_driver, true},
      {"another device", "another device or driver", other_device, true},
      {"a foreign file", "not a vkrope pipeline cache", {text.begin(), text.end()}},
      {"an empty file", "not a vkrope pipeline cache", {}},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.what);
    if (bad.via_writer) {
      ASSERT_EQ(detail::write_pipeline_cache(path_, bad.bytes), "");
    } else {
      write_bytes(path_, bad.bytes);
    }
    const std::vector<std::string> warnings = run_once();
    ASSERT_EQ(warnings.size(), 1u) << testing::PrintToString(warnings);
    EXPECT_NE(warnings[0].find(bad.expected_words), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("rebuilt"), std::string::npos) << warnings[0];
    expect_clean_reload();
  }
}

TEST_P(PipelineCacheTest, UnwritableDirectoryIsAWarningNotAnError) {
  // A directory below a regular file cannot be created, by any user (root included).
  const fs::path blocker = dir_ / "a-file";
  fs::create_directories(dir_);
  write_bytes(blocker.string(), {1, 2, 3});
  options_.pipeline_cache_dir = (blocker / "cache").string();
  const Context context = Context::create(options_);
  expect_copy_works(context);
  context.save_pipeline_cache();
  const std::vector<std::string> warnings = context.warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("not saved"), std::string::npos) << warnings[0];
  EXPECT_TRUE(context.validation_messages().empty());
}

// The cache's own failure points: the file read and write, the driver's data query, and the
// driver refusing the saved bytes. None fails the run.
TEST_P(PipelineCacheTest, InjectedFailuresAreWarnings) {
  run_once();
  struct Case {
    fault::Point point;
    std::string expected_words;
  };
  const std::vector<Case> cases{
      {fault::Point::PipelineCacheFileRead, "cannot be read"},
      {fault::Point::PipelineCacheFileWrite, "not saved"},
      {fault::Point::GetPipelineCacheData, "vkGetPipelineCacheData failed"},
      {fault::Point::CreatePipelineCache, "refused by the driver"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(fault::name(c.point)));
    fault::arm({c.point, 1, fault::failure_results(c.point)[0]});
    const std::vector<std::string> warnings = run_once();
    EXPECT_TRUE(fault::fired());
    ASSERT_EQ(warnings.size(), 1u) << testing::PrintToString(warnings);
    EXPECT_NE(warnings[0].find(c.expected_words), std::string::npos) << warnings[0];
    fault::disarm();
    // Not saved, the earlier file is still there, whole; ignored or refused, it was rewritten.
    expect_clean_reload();
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, PipelineCacheTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
