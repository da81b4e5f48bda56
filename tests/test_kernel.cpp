// vkrope::Kernel on every device: a caller's compute shader (tests/shaders/scale_add.comp)
// runs on vkrope tensors in a Batch, ordered with vkrope's own ops, and bad arguments are
// refused before anything is recorded.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "scale_add_spirv.h"
#include "support/device_matrix.hpp"
#include "vkrope/kernel.hpp"
#include "vkrope/roofline.hpp"  // copy()

namespace vkrope::test {
namespace {

using KernelTest = DeviceTest;

std::vector<std::uint32_t> scale_add_words() { return {std::begin(scale_add_spirv), std::end(scale_add_spirv)}; }

struct Push {
  float scale;
  std::uint32_t count;
};

TEST_P(KernelTest, CallersShaderRunsInABatchWithVkropesOps) {
  const std::uint32_t n = 1000;  // not a multiple of the workgroup
  const std::vector<float> a = random_floats(n), b = random_floats(n);
  const Tensor ta = Tensor::from_floats(context(), DType::f32, {n}, a);
  const Tensor tb = Tensor::from_floats(context(), DType::f32, {n}, b);
  const Tensor out = Tensor::empty(context(), DType::f32, {n});
  const Tensor copied = Tensor::empty(context(), DType::f32, {n});
  const Tensor counter = Tensor::empty(context(), DType::f32, {1});  // one uint32 word for the shader
  counter.fill_bytes(0);
  out.fill_bytes(0xff);
  const Kernel kernel(context(), "scale_add", scale_add_words(), 4, sizeof(Push), {64});
  Batch batch(context());
  const Push push{2.5f, n};
  const Kernel::Arg args[] = {{ta}, {tb}, {out, true}, {counter, true}};
  kernel.dispatch(batch, args, std::as_bytes(std::span(&push, 1)), {(n + 63) / 64, 1, 1});
  copy(batch, out, copied);  // reads what the kernel wrote: the batch orders it after
  batch.submit();
  const std::vector<float> got = copied.download();
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(got[i], a[i] * 2.5f + b[i]) << i;  // one fma-free multiply-add
  std::uint32_t count = 0;
  const auto raw = counter.download_raw();
  std::memcpy(&count, raw.data(), sizeof count);
  EXPECT_EQ(count, n);
}

TEST_P(KernelTest, BadArgumentsAreRefused) {
  const auto& expect_error = expect_invalid_argument;
  expect_error([&] { Kernel(context(), "k", {1, 2, 3, 4, 5}, 4); }, "not SPIR-V");
  expect_error([&] { Kernel(context(), "k", {}, 4); }, "not SPIR-V");
  expect_error([&] { Kernel(context(), "k", scale_add_words(), 0); }, "0 storage buffers");
  expect_error([&] { Kernel(context(), "k", scale_add_words(), 4, 132); }, "132 bytes of push constants");
  const Kernel kernel(context(), "scale_add", scale_add_words(), 4, sizeof(Push), {64});
  const Tensor t = Tensor::empty(context(), DType::f32, {64});
  const Push push{1.0f, 64};
  const auto bytes = std::as_bytes(std::span(&push, 1));
  Batch batch(context());
  const Kernel::Arg three[] = {{t}, {t}, {t, true}};
  expect_error([&] { kernel.dispatch(batch, three, bytes, {1, 1, 1}); }, "3 tensors given; the kernel binds 4");
  const Kernel::Arg four[] = {{t}, {t}, {t, true}, {t, true}};
  expect_error([&] { kernel.dispatch(batch, four, bytes.first(4), {1, 1, 1}); }, "4 bytes of push constants given");
  expect_error([&] { kernel.dispatch(batch, four, bytes, {0, 1, 1}); }, "workgroup count 0");
  expect_error([&] { kernel.dispatch(batch, four, bytes, {context().device().max_workgroup_count[0] + 1u, 1, 1}); },
               "workgroup count");
  batch.submit();  // nothing was recorded
}

INSTANTIATE_TEST_SUITE_P(Devices, KernelTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
