// main() of every test binary: GoogleTest plus a leak check around each test. A test that
// leaves more (or fewer) vkrope objects alive than it found fails, naming the counts.
#include <gtest/gtest.h>

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

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  testing::UnitTest::GetInstance()->listeners().Append(new LiveObjectCheck);
  return RUN_ALL_TESTS();
}
