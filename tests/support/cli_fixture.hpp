// Running the vkrope CLI from a test as a user would: a fresh directory per test, the exit
// code, stdout and stderr. The binary's path comes from CMake (VKROPE_CLI_PATH).
#pragma once

#include <gtest/gtest.h>
#include <stb_image.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/device_matrix.hpp"

namespace vkrope::test {

namespace fs = std::filesystem;

struct CliRun {
  int code = -1;
  std::string out, err;
};

// Width and height of a PNG as decoded by stb_image; {0, 0} when it does not decode.
inline std::pair<int, int> png_size(const std::string& path) {
  int w = 0, h = 0, channels = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &w, &h, &channels, 3);
  if (!pixels) return {0, 0};
  stbi_image_free(pixels);
  return {w, h};
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

#ifdef VKROPE_CLI_PATH
// The vkrope CLI, run in a fresh directory per test.
class CliTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vkrope-cli-" + std::to_string(fresh_seed()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun run(const std::string& args) {
    const std::string cmd = std::string(VKROPE_CLI_PATH) + " " + args + " >" + (dir_ / "out").string() + " 2>" +
                            (dir_ / "err").string();
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir_ / "out"), slurp(dir_ / "err")};
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Expects exit 2 with exactly one line on stderr and no output file.
  void expect_usage_error(const std::string& args, const std::string& needle, const std::string& output = "") {
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
    if (!output.empty()) {
      EXPECT_FALSE(fs::exists(output)) << args << " created " << output;
    }
  }

  fs::path dir_;
};
#endif  // VKROPE_CLI_PATH

}  // namespace vkrope::test
