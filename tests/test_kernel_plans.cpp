// The kernels' plans for GPU classes this machine does not have (no Vulkan device is
// created): the flash variant each picks, the decode kernel's team and workgroup within the
// device's subgroups, registers and shared memory (16, 32, 48 and 64 KiB; subgroups of 4 to
// 128 lanes), the split-KV grid sized from the compute units, and RoPE's variant.
#include <gtest/gtest.h>

#include <bit>
#include <numeric>
#include <string>

#include "ops/attention_plan.hpp"
#include "vkrope/version.hpp"
#include "ops/rope_variants.hpp"

namespace vkrope::test {
namespace {

using detail::FlashRequest;
using detail::FlashShape;
using detail::FlashVariant;

struct GpuClass {
  const char* name;
  std::uint32_t min_subgroup, max_subgroup, shared_kib, compute_units;
};

// Subgroup sizes and shared memory as the drivers report them (VK_EXT_subgroup_size_control
// ranges); compute units as VK_NV_shader_sm_builtins / VK_AMD_shader_core_properties /
// VK_ARM_shader_core_builtins give them, 0 where no extension tells.
constexpr GpuClass kGpuClasses[] = {
    {"NVIDIA H200 (32 lanes, 48 KiB, 132 SMs)", 32, 32, 48, 132},
    {"AMD RDNA3 (wave32-64, 64 KiB, 96 CUs)", 32, 64, 64, 96},
    {"AMD GCN (wave64, 32 KiB)", 64, 64, 32, 60},
    {"Intel Arc (SIMD8-32, 64 KiB)", 8, 32, 64, 0},
    {"Arm Mali (16 lanes, 32 KiB, 10 cores)", 16, 16, 32, 10},
    {"Qualcomm Adreno (64-128, 32 KiB)", 64, 128, 32, 0},
    {"Vulkan 1.1 minimum shared memory (32 lanes, 16 KiB)", 32, 32, 16, 0},
    {"a 4-lane subgroup (SwiftShader-like, as a GPU)", 4, 4, 32, 0},
};

DeviceInfo gpu(const GpuClass& g) {
  DeviceInfo info;
  info.name = g.name;
  info.type = DeviceType::DiscreteGpu;
  info.subgroup_size = g.max_subgroup;
  info.min_subgroup_size = g.min_subgroup;
  info.max_subgroup_size = g.max_subgroup;
  info.subgroup_operations = subgroup_ops::basic | subgroup_ops::shuffle | subgroup_ops::arithmetic;
  info.shared_memory_bytes = g.shared_kib * 1024;
  info.max_workgroup_invocations = 1024;
  info.max_workgroup_size = {1024, 1024, 64};
  info.max_workgroup_count = {65535, 65535, 65535};
  info.max_storage_buffer_range = 1u << 30;
  info.compute_units = g.compute_units;
  return info;
}

// Every decode plan keeps the kernel's rules: teams of a power of two lanes within the
// smallest subgroup, covering head_dim in at most 4 vec4s per lane; workgroups of whole
// largest subgroups; shared memory within 24 KiB and the device; registers near 40 vec4s.
TEST(KernelPlan, DecodePlansKeepTheKernelsRulesOnEveryGpuClass) {
  for (const GpuClass& g : kGpuClasses) {
    const DeviceInfo info = gpu(g);
    for (std::int64_t d : {64, 80, 96, 128, 256})
      for (std::int64_t sq : {1, 2, 4, 8})
        for (std::int64_t group : {1, 2, 4, 8}) {
          const FlashShape f = detail::flash_shape(info, {.head_dim = d, .sq = sq, .group = group});
          const std::string what = std::string(g.name) + " D" + std::to_string(d) + " Sq" + std::to_string(sq) +
                                   " G" + std::to_string(group);
          if (sq * group > 16) {
            EXPECT_EQ(f.variant, FlashVariant::Team) << what << ": too many rows for registers";
            continue;
          }
          if (f.variant != FlashVariant::Decode) {
            // A head dim no team covers in <= 4 vec4s per lane, or a merge tile past the
            // shared memory: the team kernel (the next test pins the common shapes).
            EXPECT_EQ(f.variant, FlashVariant::Team) << what;
            continue;
          }
          const std::uint32_t quads = static_cast<std::uint32_t>(d / 4);
          EXPECT_TRUE(std::has_single_bit(f.team)) << what;
          EXPECT_GE(f.team, 2u) << what;
          EXPECT_LE(f.team, g.min_subgroup) << what;
          EXPECT_EQ(quads % f.team, 0u) << what;
          EXPECT_EQ(f.slice * f.team, d) << what;
          EXPECT_LE(quads / f.team, 4u) << what;
          EXPECT_EQ(f.workgroup % g.max_subgroup, 0u) << what;
          EXPECT_LE(f.workgroup, 256u) << what;
          EXPECT_EQ(f.decode_rows, sq * group) << what;
          EXPECT_EQ(f.key_tile, 4 * (f.workgroup / f.team)) << what;
          EXPECT_LE(f.shared_bytes, std::min<std::uint64_t>(24576, g.shared_kib * 1024)) << what;
          // Registers: q and acc per row and K and V of 4 keys, in vec4s; over 40 only where
          // the subgroup is too small for a longer team.
          const std::uint64_t registers = 2ull * (quads / f.team) * (f.decode_rows + 4);
          if (f.team < std::min<std::uint32_t>(g.min_subgroup, quads & (~quads + 1))) {
            EXPECT_LE(registers, 40u) << what;
          }
        }
  }
}

// The common decode shapes take the decode kernel on every GPU class, and the team kernel's
// tiles fit 16 KiB and 48 KiB of shared memory.
TEST(KernelPlan, GpusPickTheDecodeKernelForDecodeAndTheTeamKernelForPrefill) {
  for (const GpuClass& g : kGpuClasses) {
    const DeviceInfo info = gpu(g);
    for (std::int64_t d : {64, 128}) {
      // Decode (up to 8 rows: Sq 1-2, GQA groups up to 8) wherever a team within the subgroup
      // covers the head dim in <= 4 vec4s per lane (not D = 128 on 4 lanes). (16 rows at
      // D = 128 may not: their q and merge tiles pass 24 KiB on 64-lane subgroups.)
      const bool team_fits = d / 4 / std::min<std::int64_t>(g.min_subgroup, d / 4) <= 4;
      for (std::int64_t sq : {1, 2})
        for (std::int64_t group : {1, 4, 8}) {
          if (sq * group > 8) continue;
          EXPECT_EQ(detail::flash_shape(info, {.head_dim = d, .sq = sq, .group = group}).variant,
                    team_fits ? FlashVariant::Decode : FlashVariant::Team)
              << g.name << " D" << d << " Sq" << sq << " G" << group;
        }
      const FlashShape prefill = detail::flash_shape(info, {.head_dim = d, .sq = 512, .group = 4});
      EXPECT_EQ(prefill.variant, FlashVariant::Team) << g.name;
      EXPECT_LE(prefill.shared_bytes, g.shared_kib * 1024u) << g.name;
      // Team sums through shuffles where the workgroup is whole subgroups, with teams of
      // D / 32 lanes; 128-invocation workgroups where the tiles still hold 16 keys, two rows
      // per team where they hold 8.
      EXPECT_EQ(prefill.subgroup_sums, prefill.workgroup % g.max_subgroup == 0 && prefill.team <= g.min_subgroup)
          << g.name << " D" << d;
      EXPECT_TRUE(prefill.workgroup == 64 || prefill.workgroup == 128) << g.name << " D" << d;
      if (g.shared_kib >= 48) {
        EXPECT_EQ(prefill.workgroup, 128u) << g.name << " D" << d;
      }
      EXPECT_EQ(prefill.lane_rows, prefill.key_tile >= 8 ? 2u : 1u) << g.name << " D" << d;
      // The next tile staged in registers: at most 8 vec4s of K (and of V) per invocation.
      EXPECT_LE(prefill.key_tile * static_cast<std::uint64_t>(d / 4), 8ull * prefill.workgroup) << g.name << " D" << d;
      EXPECT_EQ(prefill.rows_per_workgroup(), prefill.workgroup / prefill.team * prefill.lane_rows) << g.name;
      DeviceInfo baseline = info;
      baseline.subgroup_operations = subgroup_ops::basic;
      EXPECT_FALSE(detail::flash_shape(baseline, {.head_dim = d, .sq = 512, .group = 4}).subgroup_sums) << g.name;
    }
    // Not the decode kernel: keys rotated on read, K/V views not in whole vec4s, no shuffles.
    EXPECT_EQ(detail::flash_shape(info, {.head_dim = 128, .sq = 1, .group = 4, .rope_keys = true, .rope_half = 64})
                  .variant,
              FlashVariant::Team);
    EXPECT_EQ(detail::flash_shape(info, {.head_dim = 128, .sq = 1, .group = 4, .kv_vec4_aligned = false}).variant,
              FlashVariant::Team);
    DeviceInfo no_shuffle = info;
    no_shuffle.subgroup_operations = subgroup_ops::basic;
    EXPECT_EQ(detail::flash_shape(no_shuffle, {.head_dim = 128, .sq = 1, .group = 4}).variant, FlashVariant::Team);
  }
  // CPU drivers keep the rows kernel.
  DeviceInfo cpu = gpu(kGpuClasses[0]);
  cpu.type = DeviceType::Cpu;
  EXPECT_EQ(detail::flash_shape(cpu, {.head_dim = 128, .sq = 1, .group = 4}).variant, FlashVariant::Rows);
}

// The rows kernel reads K and V through texel views on a CPU driver with large texel
// buffers (lavapipe's 2^27), when the call's buffers fit one view each and its offsets and
// strides are whole texels; SwiftShader's 65,536 texels and baseline emulation (capped to
// the Vulkan minimum, 65,536) keep storage loads; a forced rows keeps them too.
TEST(KernelPlan, RowsKernelReadsThroughTexelsWhereTheDriverGathersThem) {
  DeviceInfo lavapipe = gpu(kGpuClasses[0]);
  lavapipe.type = DeviceType::Cpu;
  lavapipe.max_texel_buffer_elements = 1u << 27;
  for (std::int64_t sq : {1, 512}) {
    EXPECT_EQ(detail::flash_shape(lavapipe, {.head_dim = 128, .sq = sq, .group = 4, .kv_texel_viewable = true}).variant,
              FlashVariant::RowsTexel);
    EXPECT_EQ(detail::flash_shape(lavapipe, {.head_dim = 128, .sq = sq, .group = 4}).variant, FlashVariant::Rows);
    EXPECT_EQ(detail::flash_shape(lavapipe, {.head_dim = 128, .sq = sq, .group = 4, .kv_texel_viewable = true,
                                             .kv_vec4_aligned = false})
                  .variant,
              FlashVariant::Rows);
    DeviceInfo swiftshader = lavapipe;
    swiftshader.max_texel_buffer_elements = 65536;
    EXPECT_EQ(
        detail::flash_shape(swiftshader, {.head_dim = 128, .sq = sq, .group = 4, .kv_texel_viewable = true}).variant,
        FlashVariant::Rows);
    const DeviceInfo baseline = apply_emulation(lavapipe, Emulation::Baseline, {});
    EXPECT_EQ(baseline.max_texel_buffer_elements, 65536u);
    EXPECT_EQ(detail::flash_shape(baseline, {.head_dim = 128, .sq = sq, .group = 4, .kv_texel_viewable = true}).variant,
              FlashVariant::Rows);
  }
  struct Reset {
    ~Reset() { detail::force_flash_variant(std::nullopt); }
  } reset;
  detail::force_flash_variant(FlashVariant::Rows);
  EXPECT_EQ(detail::flash_shape(lavapipe, {.head_dim = 128, .sq = 1, .group = 4, .kv_texel_viewable = true}).variant,
            FlashVariant::Rows);
  detail::force_flash_variant(FlashVariant::RowsTexel);  // on a GPU too, where the call allows
  EXPECT_EQ(detail::flash_shape(gpu(kGpuClasses[0]), {.head_dim = 128, .sq = 512, .group = 4, .kv_texel_viewable = true})
                .variant,
            FlashVariant::RowsTexel);
}

// rows_texel unrolls its head-dim loops for calls over 512 keys or more (the compile time
// pays back), never with rotated keys (read from shared memory), and keeps the P V loop
// rolled for f16 K and V in prefill, where unrolled measured slower. Other variants never.
TEST(KernelPlan, RowsTexelUnrollsTheHeadDimLoopsForLongCalls) {
  DeviceInfo lavapipe = gpu(kGpuClasses[0]);
  lavapipe.type = DeviceType::Cpu;
  lavapipe.max_texel_buffer_elements = 1u << 27;
  const auto shape = [&](std::int64_t sq, std::int64_t skv, bool kv_f16, bool rope_keys = false) {
    return detail::flash_shape(lavapipe, {.head_dim = 128, .sq = sq, .skv = skv, .group = 4, .rope_keys = rope_keys,
                                          .kv_texel_viewable = true, .kv_f16 = kv_f16});
  };
  for (bool kv_f16 : {false, true}) {
    for (std::int64_t sq : {1, 512}) {
      EXPECT_FALSE(shape(sq, 511, kv_f16).unroll_logits);
      EXPECT_FALSE(shape(sq, 511, kv_f16).unroll_values);
      EXPECT_TRUE(shape(sq, 512, kv_f16).unroll_logits);
      EXPECT_EQ(shape(sq, 512, kv_f16).unroll_values, !(kv_f16 && sq > 8)) << "Sq " << sq << " f16 " << kv_f16;
      EXPECT_FALSE(shape(sq, 4096, kv_f16, true).unroll_logits);
      EXPECT_FALSE(shape(sq, 4096, kv_f16, true).unroll_values);
    }
  }
  const FlashShape storage = detail::flash_shape(lavapipe, {.head_dim = 128, .sq = 1, .skv = 4096, .group = 4});
  EXPECT_EQ(storage.variant, FlashVariant::Rows);
  EXPECT_FALSE(storage.unroll_logits || storage.unroll_values);
}

// Prefill of f16 q, k and v takes the cooperative-matrix kernel where the build has it and
// the device reports a KHR f16 x f16 + f32 -> f32 shape dividing head_dim: NVIDIA's and
// AMD's 16x16x16, Intel Arc's 8x8x16, lavapipe's 8x8x8. The plan keeps the kernel's rules:
// key tiles of whole N and K steps up to 64 keys, a subgroup (at the largest size) per row
// block of M rows, shared memory within 48 KiB and the device.
TEST(KernelPlan, F16PrefillTakesCooperativeMatricesWhereTheDeviceHasThem) {
  struct Case {
    std::size_t gpu_class;
    std::uint32_t m, n, k;
  };
  for (const Case& c : {Case{0, 16, 16, 16}, Case{1, 16, 16, 16}, Case{3, 8, 8, 16}, Case{6, 16, 16, 16},
                        Case{7, 8, 8, 8}}) {
    const GpuClass& g = kGpuClasses[c.gpu_class];
    DeviceInfo info = gpu(g);
    info.float16 = true;
    info.cooperative_matrix = {{c.m, c.n, c.k, "f16", "f16", "f16", "f16", "KHR"},  // not this one: f16 sums
                               {c.m, c.n, c.k, "f16", "f16", "f32", "f32", "KHR"}};
    for (std::int64_t d : {64, 72, 128, 256}) {
      const std::string what = std::string(g.name) + " " + std::to_string(c.m) + "x" + std::to_string(c.n) + "x" +
                               std::to_string(c.k) + " D" + std::to_string(d);
      const FlashRequest prefill{.head_dim = d, .sq = 512, .group = 4, .kv_f16 = true, .q_f16 = true};
      const FlashShape f = detail::flash_shape(info, prefill);
      // Even one row block with one step of keys may not fit: its q, K and V tiles alone
      // (D 256 in 16 KiB).
      const std::uint64_t budget = std::min<std::uint64_t>(49152, g.shared_kib * 1024u);
      const bool fits = (c.m + 2ull * std::lcm(c.n, c.k)) * static_cast<std::uint64_t>(d + 8) * 2 <= budget;
      if (!has_cooperative_matrix_kernel() || d % c.n != 0 || d % c.k != 0 || !fits) {
        EXPECT_EQ(f.variant, FlashVariant::Team) << what;
        continue;
      }
      ASSERT_EQ(f.variant, FlashVariant::CoopMat) << what;
      EXPECT_EQ(f.cm_m, c.m) << what;
      EXPECT_EQ(f.cm_n, c.n) << what;
      EXPECT_EQ(f.cm_k, c.k) << what;
      EXPECT_EQ(f.key_tile % std::lcm(c.n, c.k), 0u) << what;
      EXPECT_LE(f.key_tile, 64u) << what;
      EXPECT_EQ(f.workgroup, f.row_blocks * g.max_subgroup) << what;
      EXPECT_LE(f.workgroup, 256u) << what;
      EXPECT_EQ(f.rows_per_workgroup(), f.row_blocks * c.m) << what;
      EXPECT_LE(f.shared_bytes, budget) << what;
      // Not for f32 inputs, keys rotated on read, or decode (the decode kernel's).
      FlashRequest r = prefill;
      r.q_f16 = false;
      EXPECT_EQ(detail::flash_shape(info, r).variant, FlashVariant::Team) << what << " f32 q";
      r = prefill;
      r.rope_keys = true;
      r.rope_half = d / 2;
      EXPECT_EQ(detail::flash_shape(info, r).variant, FlashVariant::Team) << what << " keys rotated on read";
      r = prefill;
      r.sq = 1;
      EXPECT_NE(detail::flash_shape(info, r).variant, FlashVariant::CoopMat) << what << " decode";
    }
  }
}

// Split-KV decode fills the device: 4 workgroups per compute unit where the device tells its
// count (at most 64 key ranges), 512 where it does not.
TEST(KernelPlan, DecodeSplitsComeFromTheComputeUnits) {
  for (const GpuClass& g : kGpuClasses) {
    const DeviceInfo info = gpu(g);
    detail::AttentionCall call;
    call.q = {1, 1, 32, 128, 0, 0, 0, 0};
    call.k = {1, 32768, 8, 128, 0, 0, 0, 0};
    call.group = 4;
    const FlashShape f = detail::flash_shape(info, {.head_dim = 128, .sq = 1, .group = 4});
    const detail::KeySplit split = detail::choose_key_split(info, call, f, 0);
    const std::uint64_t wanted = g.compute_units ? 4ull * g.compute_units : 512;
    const std::uint64_t groups = 8ull * split.splits;  // one workgroup per kv head and key range
    // (Whole key tiles per range round the count down by a little.)
    EXPECT_GE(groups, std::min<std::uint64_t>(wanted, 8 * 64) * 9 / 10) << g.name;
    EXPECT_LT(groups, wanted + 8) << g.name << ": more ranges than wanted";
  }
}

// RoPE: GPUs take the heads kernel wherever its 16-byte accesses fit the views; CPU drivers
// and every other layout keep the tokens kernel.
TEST(KernelPlan, RopeHeadsKernelOnGpusWhereTheViewsAllowIt) {
  using detail::RopeVariant;
  for (const GpuClass& g : kGpuClasses) {
    const DeviceInfo info = gpu(g);
    const detail::RopeRequest plain{.half_rot = 64, .head_dim = 128, .heads = 40};
    EXPECT_EQ(detail::rope_variant(info, plain), RopeVariant::Heads) << g.name;
    detail::RopeRequest r = plain;
    r.f32 = false;
    r.packed_f16 = true;
    EXPECT_EQ(detail::rope_variant(info, r), RopeVariant::Heads) << g.name << ": f16 words";
    r.packed_f16 = false;
    EXPECT_EQ(detail::rope_variant(info, r), RopeVariant::Tokens) << g.name << ": native f16 (odd views)";
    r = plain;
    r.vec4_aligned = false;
    EXPECT_EQ(detail::rope_variant(info, r), RopeVariant::Tokens) << g.name << ": views off 16 bytes";
    r = plain;
    r.half_rot = 10;  // rotary_dim 20 (not a multiple of 8)
    EXPECT_EQ(detail::rope_variant(info, r), RopeVariant::Tokens) << g.name << ": rotary_dim 20";
    DeviceInfo few = info;
    few.max_workgroup_count[1] = 3;
    EXPECT_EQ(detail::rope_variant(few, plain), RopeVariant::Tokens) << g.name << ": heads past the y count";
  }
  DeviceInfo cpu = gpu(kGpuClasses[0]);
  cpu.type = DeviceType::Cpu;
  EXPECT_EQ(detail::rope_variant(cpu, {.half_rot = 64, .head_dim = 128, .heads = 40}), RopeVariant::Tokens);
}

}  // namespace
}  // namespace vkrope::test
