// The copy kernel end to end, and the runtime pieces it exercises: batches and their
// barriers, timestamps, the pipeline table, on every device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/copy.hpp"
#include "ops/read_floor.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/fault_injection.hpp"
#include "vkrope/live_objects.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::test {
namespace {

constexpr std::uint8_t kGuard = 0xa5;   // bytes around the output that must stay untouched
constexpr std::uint8_t kPoison = 0xff;  // NaN: an element the kernel skips cannot pass

using CopyTest = DeviceTest;

// Copies n floats into the middle of a guarded buffer with `shader` and checks every byte.
void check_copy(const Context& c, const std::vector<float>& values, std::string_view shader) {
  const auto n = static_cast<std::int64_t>(values.size());
  const std::int64_t guard = 67;  // elements each side; odd so the view is not vec4-aligned
  const Tensor src = Tensor::from_floats(c, DType::f32, {n}, values);
  const Tensor arena = Tensor::empty(c, DType::f32, {n + 2 * guard});
  arena.fill_bytes(kGuard);
  const Tensor dst = arena.view({n}, {1}, guard);
  dst.fill_bytes(kPoison);

  Batch batch(c);
  detail::record_copy(batch, src, dst, shader);
  batch.submit();

  const auto out = dst.download();
  EXPECT_EQ(std::memcmp(out.data(), values.data(), values.size() * 4), 0) << shader << " n=" << n;
  const auto raw = arena.download_raw();
  for (std::size_t i = 0; i < static_cast<std::size_t>(guard) * 4; ++i) {
    ASSERT_EQ(static_cast<std::uint8_t>(raw[i]), kGuard) << shader << ": write before the output at byte " << i;
    ASSERT_EQ(static_cast<std::uint8_t>(raw[raw.size() - 1 - i]), kGuard) << shader << ": write past the output";
  }
}

TEST_P(CopyTest, OptimizedAndUnoptimizedShadersCopyRandomDataExactly) {
  // spirv-opt's output is embedded only because this test proves it equal to the original.
  for (std::size_t n : {1u, 5u, 255u, 4099u, 262147u}) {
    const auto values = random_floats(n, -1e6f, 1e6f);
    check_copy(context(), values, "copy");
    check_copy(context(), values, "copy.unoptimized");
  }
}

TEST_P(CopyTest, AlignedCopyUsesTheWholeBuffer) {
  const auto values = random_floats(1u << 16);
  const Tensor src = Tensor::from_floats(context(), DType::f32, {1 << 16}, values);
  const Tensor dst = Tensor::empty(context(), DType::f32, {1 << 16});
  dst.fill_bytes(kPoison);
  copy(src, dst);
  EXPECT_EQ(dst.download(), values);
}

TEST_P(CopyTest, MismatchedOrMisalignedTensorsAreRefused) {
  const Tensor a = Tensor::empty(context(), DType::f32, {8});
  const Tensor b = Tensor::empty(context(), DType::f16, {8});
  const Tensor c = Tensor::empty(context(), DType::f32, {9});
  const Tensor odd = Tensor::empty(context(), DType::f16, {3});
  for (auto [src, dst] : {std::pair{&a, &b}, std::pair{&a, &c}, std::pair{&odd, &odd}}) {
    try {
      copy(*src, *dst);
      ADD_FAILURE() << "copy accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    }
  }
}

TEST_P(CopyTest, DependentDispatchesGetBarriersAndIndependentOnesDoNot) {
  const std::int64_t n = 10007;
  const auto values = random_floats(static_cast<std::size_t>(n));
  const Tensor a = Tensor::from_floats(context(), DType::f32, {n}, values);
  const Tensor b = Tensor::empty(context(), DType::f32, {n});
  const Tensor c = Tensor::empty(context(), DType::f32, {n});
  const Tensor d = Tensor::empty(context(), DType::f32, {n});
  for (const Tensor* t : {&b, &c, &d}) t->fill_bytes(kPoison);

  // a -> b -> c -> d: each reads what the previous wrote, so two barriers, and the data
  // arriving in d proves they work.
  Batch chain(context());
  copy(chain, a, b);
  copy(chain, b, c);
  copy(chain, c, d);
  EXPECT_EQ(chain.dispatch_count(), 3u);
  EXPECT_EQ(chain.barrier_count(), 2u);
  chain.submit();
  EXPECT_EQ(d.download(), values);

  // a -> b, a -> c, a -> d: reads of one buffer and writes of three others: no barrier.
  Batch fan(context());
  copy(fan, a, b);
  copy(fan, a, c);
  copy(fan, a, d);
  EXPECT_EQ(fan.barrier_count(), 0u);
  fan.submit();
  EXPECT_EQ(c.download(), values);

  // Then write a: write-after-read needs one barrier.
  Batch war(context());
  copy(war, a, b);
  copy(war, c, a);
  EXPECT_EQ(war.barrier_count(), 1u);
  war.submit();
}

TEST_P(CopyTest, BatchIsReusableAfterSubmit) {
  const auto values = random_floats(333);
  const Tensor a = Tensor::from_floats(context(), DType::f32, {333}, values);
  const Tensor b = Tensor::empty(context(), DType::f32, {333});
  Batch batch(context());
  batch.submit();  // empty: nothing to do
  for (int round = 0; round < 3; ++round) {
    b.fill_bytes(kPoison);
    copy(batch, a, b);
    batch.submit();
    EXPECT_EQ(batch.dispatch_count(), 0u);
    EXPECT_EQ(b.download(), values) << "round " << round;
  }
}

TEST_P(CopyTest, TimestampProfileHasOneEntryPerDispatch) {
  if (!context().device().timestamps) GTEST_SKIP() << context().device().name << " has no compute timestamps";
  const Tensor a = Tensor::from_floats(context(), DType::f32, {4096}, random_floats(4096));
  const Tensor b = Tensor::empty(context(), DType::f32, {4096});
  Batch batch(context(), {.profile = true});
  for (int i = 0; i < 5; ++i) copy(batch, a, b);
  batch.submit();
  ASSERT_EQ(batch.profile().size(), 5u);
  for (const auto& t : batch.profile()) {
    EXPECT_GE(t.milliseconds, 0.0);
    EXPECT_LT(t.milliseconds, 10'000.0);
    EXPECT_NE(t.label.find("copy"), std::string::npos);
  }
  Batch unprofiled(context());
  copy(unprofiled, a, b);
  unprofiled.submit();
  EXPECT_TRUE(unprofiled.profile().empty());
}

TEST_P(CopyTest, PipelinesAreBuiltOnceAndReused) {
  const Tensor a = Tensor::from_floats(context(), DType::f32, {64}, random_floats(64));
  const Tensor b = Tensor::empty(context(), DType::f32, {64});
  const PipelineStats before = context().pipeline_stats();
  for (int i = 0; i < 4; ++i) copy(a, b);
  const PipelineStats after = context().pipeline_stats();
  EXPECT_EQ(after.created - before.created, before.created == 0 ? 1u : 0u);
  EXPECT_GE(after.reused - before.reused, 3u);
}

TEST_P(CopyTest, RooflineFloorsArePositive) {
  if (!context().device().timestamps) GTEST_SKIP() << context().device().name << " has no compute timestamps";
  for (const CopyFloor& c : {measure_copy(context(), 1u << 20, {.warmup = 1, .repetitions = 3}),
                             measure_transfer_copy(context(), 1u << 20, {.warmup = 1, .repetitions = 3})}) {
    EXPECT_EQ(c.bytes, 1u << 20);
    EXPECT_GT(c.gbps, 0.0);
    EXPECT_GT(c.median_ms, 0.0);
  }
  for (LoadPath path : {LoadPath::Storage, LoadPath::Texel}) {
    const ReadFloor r = measure_read(context(), 1u << 20, path, {.warmup = 1, .repetitions = 3});
    EXPECT_EQ(r.path, path);
    EXPECT_EQ(r.bytes, 1u << 20);  // within every device's texel limit (65,536 texels)
    EXPECT_GT(r.gbps, 0.0);
  }
}

// The load floors read what they claim: each invocation's sum of its grid-stride vec4s
// equals the double-precision sum, through a storage buffer and through a texel view whose
// tensor starts 5 texels into its storage (first_texel). At most 4 terms per invocation
// in f32 on values in [-1, 1): absolute error <= 4 * 2^-23 * 4, so 1e-5 holds with margin.
TEST_P(CopyTest, ReadFloorSumsEveryVec4OnBothLoadPaths) {
  const std::int64_t invocations = detail::read_invocations(context());
  // Whole strides and a partial one, within every device's 65,536 texels (SwiftShader runs
  // 32,768 invocations: one whole stride there, three on lavapipe).
  const std::int64_t n_vec4 = std::min<std::int64_t>(3 * invocations + 5, 65536 - 16);
  const auto values = random_floats(static_cast<std::size_t>(4 * n_vec4));
  const Tensor arena = Tensor::empty(context(), DType::f32, {4 * n_vec4 + 40});
  arena.fill_bytes(kPoison);
  const Tensor src = arena.view({4 * n_vec4}, {1}, 20);  // 80 bytes in
  src.upload(values);
  std::vector<double> expected(static_cast<std::size_t>(4 * invocations), 0.0);
  for (std::int64_t v = 0; v < n_vec4; ++v)
    for (std::int64_t e = 0; e < 4; ++e)
      expected[static_cast<std::size_t>(4 * (v % invocations) + e)] += values[static_cast<std::size_t>(4 * v + e)];
  const detail::TexelView view(src);
  EXPECT_EQ(view.texels(), n_vec4);
  for (const detail::TexelView* path : {static_cast<const detail::TexelView*>(nullptr), &view}) {
    const Tensor sums = Tensor::empty(context(), DType::f32, {4 * invocations});
    sums.fill_bytes(kPoison);
    Batch batch(context());
    detail::record_read(batch, src, sums, path);
    batch.submit();
    const auto out = sums.download();
    double worst = 0.0;
    for (std::size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::abs(out[i] - expected[i]));
    EXPECT_LE(worst, 1e-5) << (path ? "texel" : "storage") << " path";
  }
}

// A refused vkCreateBufferView on the load floor's path (test_fault_injection reaches the
// call through rows_texel attention on lavapipe only): OutOfMemory naming the call, nothing
// left behind, and the next measurement works. measure_read needs timestamps, which every
// device here has; a device without them skips, saying so.
TEST_P(CopyTest, TexelFloorSurvivesARefusedBufferView) {
  if (!context().device().timestamps) GTEST_SKIP() << context().device().name << " has no compute timestamps";
  const RooflineOptions quick{.warmup = 0, .repetitions = 1};
  measure_read(context(), 4096, LoadPath::Texel, quick);  // pipelines built before counting
  const LiveObjects start = live_objects();
  fault::arm({fault::Point::CreateBufferView, 1, VK_ERROR_OUT_OF_DEVICE_MEMORY});
  try {
    measure_read(context(), 4096, LoadPath::Texel, quick);
    ADD_FAILURE() << "no error from a refused vkCreateBufferView";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory) << e.what();
    EXPECT_NE(std::string(e.what()).find("vkCreateBufferView"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fault::fired());
  fault::disarm();
  EXPECT_EQ(live_objects(), start);
  EXPECT_GT(measure_read(context(), 4096, LoadPath::Texel, quick).gbps, 0.0);
}

// vkCmdCopyBuffer between dispatches of one batch, on views at offsets: shader copy a -> b,
// transfer b -> c, shader copy c -> d; each step reads what the one before wrote.
TEST_P(CopyTest, TransferCopyIsOrderedWithTheDispatchesAroundIt) {
  const std::int64_t n = 4099;
  const auto values = random_floats(static_cast<std::size_t>(n));
  const Tensor a = Tensor::from_floats(context(), DType::f32, {n}, values);
  const Tensor b = Tensor::empty(context(), DType::f32, {n});
  const Tensor arena = Tensor::empty(context(), DType::f32, {n + 8});
  const Tensor c = arena.view({n}, {1}, 4);  // 16 bytes in, guards on both sides
  const Tensor d = Tensor::empty(context(), DType::f32, {n});
  arena.fill_bytes(kGuard);
  d.fill_bytes(kPoison);
  Batch batch(context(), {.profile = true});
  copy(batch, a, b);
  transfer_copy(batch, b, c);
  copy(batch, c, d);
  batch.submit();
  EXPECT_EQ(d.download(), values);
  const auto raw = arena.download_raw();
  for (std::size_t i = 0; i < 16; ++i) {
    ASSERT_EQ(static_cast<std::uint8_t>(raw[i]), kGuard) << "write before the view at byte " << i;
    ASSERT_EQ(static_cast<std::uint8_t>(raw[raw.size() - 1 - i]), kGuard) << "write past the view";
  }
  if (context().device().timestamps) {
    EXPECT_EQ(batch.profile().size(), 3u);
  }
  const Tensor other = Tensor::empty(context(), DType::f16, {n});
  expect_invalid_argument([&] { transfer_copy(batch, a, other); }, "differ in dtype or element count");
}

INSTANTIATE_TEST_SUITE_P(Devices, CopyTest, testing::ValuesIn(device_cases()), case_name);

// The peak kernel is slow on SwiftShader; once per device, natively, is enough.
using PeakTest = DeviceTest;
TEST_P(PeakTest, PeakKernelReportsAPositiveRate) {
  if (!context().device().timestamps) GTEST_SKIP() << context().device().name << " has no compute timestamps";
  const PeakFloor p = measure_peak(context(), {.warmup = 0, .repetitions = 1});
  EXPECT_GT(p.flops, 0.0);
  EXPECT_GT(p.gflops, 0.0);
}
INSTANTIATE_TEST_SUITE_P(Devices, PeakTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
