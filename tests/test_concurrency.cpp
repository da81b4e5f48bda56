// Thread-safety contract (context.hpp): one Context shared by several threads, each with
// its own tensors and batches, all submitting at once. Every result is checked.
#include <gtest/gtest.h>

#include <thread>

#include "support/device_matrix.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::test {
namespace {

using ConcurrencyTest = DeviceTest;

TEST_P(ConcurrencyTest, ThreadsShareOneContext) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 8;
  std::vector<std::vector<float>> inputs;
  for (int t = 0; t < kThreads; ++t) inputs.push_back(random_floats(static_cast<std::size_t>(1000 + 37 * t)));
  std::vector<int> failures(kThreads, 0);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        const auto& values = inputs[static_cast<std::size_t>(t)];
        const auto n = static_cast<std::int64_t>(values.size());
        for (int r = 0; r < kRounds; ++r) {
          const Tensor a = Tensor::from_floats(context(), DType::f32, {n}, values);
          const Tensor b = Tensor::empty(context(), DType::f32, {n});
          const Tensor c = Tensor::empty(context(), DType::f32, {n});
          Batch batch(context());
          copy(batch, a, b);
          copy(batch, b, c);
          batch.submit();
          if (c.download() != values) ++failures[static_cast<std::size_t>(t)];
        }
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(t)] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[static_cast<std::size_t>(t)], 0) << "thread " << t;
    EXPECT_EQ(errors[static_cast<std::size_t>(t)], "") << "thread " << t;
  }
  EXPECT_EQ(context().pipeline_stats().created, 1u);  // built once, shared by all threads
}

INSTANTIATE_TEST_SUITE_P(Devices, ConcurrencyTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
