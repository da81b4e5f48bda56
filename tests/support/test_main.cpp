// main() of every test binary: GoogleTest plus a leak check around each test. A test that
// leaves more (or fewer) vkrope objects alive than it found fails, naming the counts.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "vkrope/live_objects.hpp"

namespace {

class LiveObjectCheck : public testing::EmptyTestEventListener {
  void OnTestStart(const testing::TestInfo&) override { before_ = vkrope::live_objects(); }
  // End events reach listeners in reverse order, so this runs before the result is printed
  // and a failure added here belongs to the test that just ended.
  void OnTestEnd(const testing::TestInfo&) override {
    const vkrope::LiveObjects after = vkrope::live_objects();
    if (!(after == before_))
      ADD_FAILURE() << "vkrope objects alive before the test: " << vkrope::to_string(before_)
                    << "; after: " << vkrope::to_string(after);
  }
  vkrope::LiveObjects before_;
};

// VKROPE_PIN_LIBRARIES (colon-separated paths): libraries loaded now and never unloaded.
// The leak check sets it to the Vulkan drivers, which the loader unloads with each
// instance: LeakSanitizer then names the drivers' own leaks (and their suppressions
// match) instead of reporting "<unknown module>".
void pin_libraries() {
  const char* list = std::getenv("VKROPE_PIN_LIBRARIES");
  if (!list) return;
  std::istringstream paths(list);
  for (std::string path; std::getline(paths, path, ':');)
    if (!path.empty() && !dlopen(path.c_str(), RTLD_NOW | RTLD_NODELETE))
      std::fprintf(stderr, "VKROPE_PIN_LIBRARIES: %s\n", dlerror());
}

}  // namespace

int main(int argc, char** argv) {
  pin_libraries();  // first: listing the device matrix already creates instances
  testing::InitGoogleTest(&argc, argv);
  testing::UnitTest::GetInstance()->listeners().Append(new LiveObjectCheck);
  return RUN_ALL_TESTS();
}
