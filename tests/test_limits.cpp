// Device limits: grids past maxComputeWorkGroupCount are split into several dispatches,
// tensors past maxStorageBufferRange and allocations past the device's memory are refused
// with a clear error, and Contexts created and destroyed in a loop leave nothing behind.
// Small shapes reach the limits through ContextOptions::limits (LimitCaps); one case hits
// the real workgroup-count limit.
#include <gtest/gtest.h>

#include "conformance/attention_case.hpp"
#include "conformance/rope_case.hpp"
#include "ops/attention_plan.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/error.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/live_objects.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::test {
namespace {

using conformance::AttentionCase;
using conformance::attention_case_tolerance;
using conformance::run_attention_case;

class LimitsTest : public DeviceTest {
 protected:
  // Runs `c` on `ctx` and expects the reference within the case's tolerance (f32: 1e-5,
  // see attention_check.hpp) with every output element written and no byte outside it.
  void expect_attention_matches(const Context& ctx, const AttentionCase& c) {
    std::mt19937 rng(seed());
    const conformance::AttentionResult r = run_attention_case(ctx, c, rng);
    EXPECT_LE(r.report.rel_err, attention_case_tolerance(c)) << c.describe() << ": " << r.report.to_string();
    EXPECT_TRUE(r.guard_intact) << c.describe() << ": bytes written outside the output";
  }
};

// With at most 3 workgroups per dimension every attention grid below is cut into several
// dispatches: query rows (x), kv heads (y), batch x key ranges (z) and the combine pass. (An
// unsplit grid would throw: the batch refuses counts past the effective limit.) Both flash
// kernels, whichever this device would pick: the team kernel's split is what a GPU runs.
TEST_P(LimitsTest, AttentionGridsPastTheWorkgroupCountAreSplit) {
  const Context ctx = capped_context({.max_workgroup_count = 3});
  ASSERT_EQ(ctx.device().max_workgroup_count[0], 3u);
  struct Reset {
    ~Reset() { detail::force_flash_variant(std::nullopt); }
  } reset;

  AttentionCase prefill;  // x: 600 query rows per kv head (5+ workgroups); y: 4 kv heads; f32 tolerance 1e-5
  prefill.batch = 2;
  prefill.sq = 300;
  prefill.skv = 300;
  prefill.heads = 8;
  prefill.kv_heads = 4;
  prefill.config.causal = true;

  AttentionCase decode;  // z: 4 sequences x 4 key ranges; combine: 256 rows of 64 lanes
  decode.batch = 4;
  decode.skv = 200;
  decode.heads = 64;
  decode.kv_heads = 8;
  decode.config.key_splits = 4;

  for (detail::FlashVariant variant : {detail::FlashVariant::Team, detail::FlashVariant::Rows}) {
    SCOPED_TRACE(variant == detail::FlashVariant::Team ? "team kernel" : "rows kernel");
    detail::force_flash_variant(variant);
    expect_attention_matches(ctx, prefill);
    expect_attention_matches(ctx, decode);
  }
}

// The real limit: one sequence per workgroup along z, one more sequence than it allows.
TEST_P(LimitsTest, AttentionBatchPastTheRealWorkgroupCount) {
  AttentionCase c;
  c.batch = static_cast<std::int64_t>(context().device().max_workgroup_count[2]) + 1;
  c.skv = 2;
  c.heads = c.kv_heads = 1;
  c.head_dim = 8;
  expect_attention_matches(context(), c);
}

// Fused RoPE in attention takes positions up to 2^24 inclusive (RoPE alone: test_rope_gpu).
TEST_P(LimitsTest, FusedRopeAttentionTakesPositionsUpTo2To24) {
  constexpr std::int64_t kMax = kMaxRopePosition;
  AttentionCase c;  // f32, tolerance 1e-5: the angles are exact at every position
  c.sq = 2;
  c.skv = 4;
  c.heads = c.kv_heads = 2;
  c.config.causal = true;
  c.config.rope = conformance::rope_config(RopeScalingType::Default, RopeLayout::Neox, false);
  c.config.query_positions = {kMax - 1, kMax};
  c.config.key_positions = {0, 1 << 20, kMax - 1, kMax};
  expect_attention_matches(context(), c);
  c.config.query_positions[1] = kMax + 1;
  std::mt19937 rng(seed());
  expect_invalid_argument([&] { run_attention_case(context(), c, rng); }, "outside [0, 16777216]");
}

// The 1-D kernels (RoPE, KV append) loop over their elements: one workgroup is enough.
TEST_P(LimitsTest, RopeRunsWithOneWorkgroup) {
  const Context ctx = capped_context({.max_workgroup_count = 1});
  expect_rope_works(ctx, seed());
}

// Every tensor is bound as one storage buffer, so none may pass maxStorageBufferRange: the
// API refuses it. Attention's own scratch stays within it by running in query chunks.
TEST_P(LimitsTest, StorageBufferRangeRefusesTensorsAndChunksScratch) {
  const std::uint32_t range = 1u << 20;
  const Context ctx = capped_context({.max_storage_buffer_range = range});
  expect_invalid_argument([&] { Tensor::empty(ctx, DType::f32, {range / 4 + 1}); }, "maxStorageBufferRange");
  expect_invalid_argument([&] { KvCache(ctx, {.capacity = 8193, .kv_heads = 1, .head_dim = 64, .dtype = DType::f16}); },
                          "maxStorageBufferRange");
  const Tensor fits = Tensor::empty(ctx, DType::f32, {range / 4});  // exactly the range
  EXPECT_EQ(fits.span_bytes(), range);

  AttentionCase c;  // 64 key ranges x 100 rows x 8 heads x 68 floats = 13.9 MB of partials unchunked
  c.sq = 100;
  c.skv = 512;
  c.config.key_splits = 64;
  expect_attention_matches(ctx, c);
  EXPECT_LE(ctx.memory_stats().peak_bytes, 6u * range);  // 4 tensors of 200 KB-1 MB + one chunk's scratch
  expect_rope_works(ctx, seed());
}

// Allocations that would take a Context past the device's memory are refused before the
// driver is asked; freeing tensors makes room again.
TEST_P(LimitsTest, AllocationsPastDeviceMemoryAreRefused) {
  const std::uint64_t memory = 4u << 20;
  const Context ctx = capped_context({.device_memory = memory});
  const Shape mib = {1 << 18};  // 1 MiB of f32
  std::vector<Tensor> held;
  for (int i = 0; i < 3; ++i) held.push_back(Tensor::empty(ctx, DType::f32, mib));
  try {
    Tensor::empty(ctx, DType::f32, {2 << 18});
    ADD_FAILURE() << "no error for 5 MiB on a 4 MiB device";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory) << e.what();
    EXPECT_NE(std::string(e.what()).find("past the 4194304 bytes of device-local memory"), std::string::npos)
        << e.what();
  }
  held.clear();
  EXPECT_EQ(ctx.memory_stats().live_bytes, 0u);
  expect_rope_works(ctx, seed());
}

// Contexts made and dropped in a loop, each running RoPE, attention and a KV cache: no
// vkrope object outlives its Context. (LeakSanitizer runs this test in sanitized builds:
// tests/CMakeLists.txt.)
TEST_P(LimitsTest, ContextsMadeAndDroppedInALoopLeaveNothing) {
  const LiveObjects before = live_objects();
  for (int i = 0; i < 5; ++i) {
    {
      const Context ctx = capped_context({});
      expect_rope_works(ctx, seed());
      AttentionCase c;
      c.sq = 3;
      c.skv = 40;
      c.config.causal = true;
      expect_attention_matches(ctx, c);
      KvCache cache(ctx, {.capacity = 16, .kv_heads = 2, .head_dim = 64});
      const Tensor kv = Tensor::from_floats(ctx, DType::f32, {1, 4, 2, 64}, random_floats(512));
      cache.append(0, kv, kv);
      EXPECT_EQ(cache.length(0), 4);
      EXPECT_GT(live_objects().contexts, before.contexts);
    }
    EXPECT_EQ(live_objects(), before) << "iteration " << i << ": " << to_string(live_objects()) << " vs "
                                      << to_string(before);
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, LimitsTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
