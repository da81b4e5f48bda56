// Tensors: round trips in f32 and f16, odd sizes, strided views, and the errors for bad
// shapes and sizes, on every device.
#include <gtest/gtest.h>

#include <cstring>

#include "support/device_matrix.hpp"
#include "vkrope/live_objects.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::test {
namespace {

using TensorTest = DeviceTest;

TEST_P(TensorTest, F32RoundTripIsExactForOddSizes) {
  for (std::int64_t n : {1, 3, 7, 1001, 65537}) {
    const auto values = random_floats(static_cast<std::size_t>(n));
    const Tensor t = Tensor::from_floats(context(), DType::f32, {n}, values);
    EXPECT_EQ(t.download(), values) << "n = " << n;
  }
}

TEST_P(TensorTest, F16RoundTripMatchesHostConversion) {
  // f16 storage keeps what float_to_half keeps: the comparison is exact, to the bit.
  const Shape shape{3, 5, 7};
  const auto values = random_floats(105, -70000.0f, 70000.0f);  // includes overflow to inf
  const Tensor t = Tensor::from_floats(context(), DType::f16, shape, values);
  const auto back = t.download();
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(float_to_half(back[i]), float_to_half(values[i])) << i;
  const auto raw = t.download_raw();
  ASSERT_EQ(raw.size(), 210u);
  std::uint16_t first;
  std::memcpy(&first, raw.data(), 2);
  EXPECT_EQ(first, float_to_half(values[0]));
}

TEST_P(TensorTest, StridedViewWritesOnlyItsElements) {
  // A [4, 6] buffer; the view is columns 1..3 of rows 0..3 (strides {6, 1}, offset 1).
  const auto base_values = random_floats(24);
  const Tensor base = Tensor::from_floats(context(), DType::f32, {4, 6}, base_values);
  const Tensor view = base.view({4, 3}, {6, 1}, 1);
  EXPECT_FALSE(view.is_contiguous());
  const auto view_values = random_floats(12);
  view.upload(view_values);
  EXPECT_EQ(view.download(), view_values);
  const auto all = base.download();
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 6; ++c) {
      const std::size_t i = static_cast<std::size_t>(r * 6 + c);
      const float expected = (c >= 1 && c <= 3) ? view_values[static_cast<std::size_t>(r * 3 + c - 1)] : base_values[i];
      EXPECT_EQ(all[i], expected) << "row " << r << " col " << c;
    }
}

TEST_P(TensorTest, F16StridedViewWithOddOffset) {
  const Tensor base = Tensor::empty(context(), DType::f16, {5, 3});
  base.fill_bytes(0);
  const Tensor column = base.view({5}, {3}, 1);
  const auto values = random_floats(5);
  column.upload(values);
  const auto all = base.download();
  for (int r = 0; r < 5; ++r) {
    EXPECT_EQ(all[static_cast<std::size_t>(r * 3)], 0.0f);
    EXPECT_EQ(float_to_half(all[static_cast<std::size_t>(r * 3 + 1)]), float_to_half(values[static_cast<std::size_t>(r)]));
    EXPECT_EQ(all[static_cast<std::size_t>(r * 3 + 2)], 0.0f);
  }
}

TEST_P(TensorTest, FillBytesPoisonsWithNaN) {
  const Tensor t = Tensor::empty(context(), DType::f32, {17});
  t.fill_bytes(0xff);
  for (float v : t.download()) EXPECT_TRUE(std::isnan(v));
}

const auto& expect_invalid = expect_invalid_argument;  // support/device_matrix.hpp

TEST_P(TensorTest, BadShapesAndSizesAreRefused) {
  const Context& c = context();
  expect_invalid([&] { Tensor::empty(c, DType::f32, {}); }, "rank 0");
  expect_invalid([&] { Tensor::empty(c, DType::f32, {1, 2, 3, 4, 5}); }, "rank 5");
  expect_invalid([&] { Tensor::empty(c, DType::f32, {4, 0}); }, "<= 0");
  expect_invalid([&] { Tensor::empty(c, DType::f32, {-3}); }, "<= 0");
  expect_invalid([&] { Tensor::empty(c, DType::f32, {1ll << 40, 1ll << 40}); }, "overflows");
  // One element past maxStorageBufferRange.
  const auto too_many = static_cast<std::int64_t>(c.device().max_storage_buffer_range / 4 + 1);
  expect_invalid([&] { Tensor::empty(c, DType::f32, {too_many}); }, "maxStorageBufferRange");
  const Tensor t = Tensor::empty(c, DType::f32, {10});
  expect_invalid([&] { t.view({11}, {1}); }, "past the 10");
  expect_invalid([&] { t.view({5}, {2}, 2); }, "past the 10");  // elements 2..10
  EXPECT_EQ(t.view({5}, {2}, 1).span_bytes(), 40u);               // elements 1..9: fits
  expect_invalid([&] { t.view({5}, {-1}); }, "negative");
  expect_invalid([&] { t.view({2}, {1, 1}); }, "strides");
  expect_invalid([&] { t.upload(std::vector<float>(9)); }, "upload of 9");
}

TEST_P(TensorTest, LargestAllowedBufferWorks) {
  // Exactly maxStorageBufferRange bytes is legal (capped at 16 MiB to keep the test small).
  const std::uint64_t bytes = std::min<std::uint64_t>(context().device().max_storage_buffer_range, 16u << 20);
  const Tensor t = Tensor::empty(context(), DType::f32, {static_cast<std::int64_t>(bytes / 4)});
  EXPECT_EQ(t.span_bytes(), bytes);
}

// Past the staging buffer's 8 MiB (discrete emulation: tensors unmapped), transfers go in
// chunks through one reused buffer: exact both ways, a view's neighbours untouched, and a
// second round trip allocates nothing (one submit and one wait per chunk, none mapped).
TEST_P(TensorTest, LargeTransfersRoundTripThroughReusedStaging) {
  const std::int64_t n = (9 << 20) / 4 + 3;  // 9 MiB and 12 bytes
  const auto values = random_floats(static_cast<std::size_t>(n));
  const Tensor t = Tensor::from_floats(context(), DType::f32, {n}, values);
  EXPECT_EQ(t.download(), values);
  const VulkanCalls before = vulkan_calls();
  const auto again = random_floats(static_cast<std::size_t>(n));
  t.upload(again);
  EXPECT_EQ(t.download(), again);
  const VulkanCalls made = vulkan_calls() - before;
  EXPECT_EQ(made.creations(), 0) << to_string(made);
  const bool staged = !context().device().unified_memory;
  EXPECT_EQ(made.queue_submit, staged ? 4 : 0) << "two transfers of two chunks each";
  // A strided view (every other element) goes through the same buffer, read-modify-write.
  const Tensor odd = t.view({n / 2}, {2}, 1);
  const auto half = random_floats(static_cast<std::size_t>(n / 2));
  odd.upload(half);
  const std::vector<float> all = t.download();
  for (std::int64_t i = 0; i < n; ++i) {
    const float want = i % 2 ? half[static_cast<std::size_t>(i / 2)] : again[static_cast<std::size_t>(i)];
    if (all[static_cast<std::size_t>(i)] != want) {
      ADD_FAILURE() << "element " << i << " is " << all[static_cast<std::size_t>(i)] << ", expected " << want;
      break;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, TensorTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
