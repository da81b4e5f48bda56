// Thread-safety contract (context.hpp): one Context shared by several threads, each with
// its own tensors and batches, all submitting at once. Every result is checked.
#include <gtest/gtest.h>

#include <thread>

#include "conformance/attention_case.hpp"
#include "conformance/kv_decode_case.hpp"
#include "conformance/rope_case.hpp"
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

// Four threads each run RoPE (every layout, f32 and f16, yarn), attention (GQA prefill with
// fused RoPE, and split-KV decode over an f16 cache) and a KvCache decode loop on one shared
// Context at once; every output is checked against the CPU reference with its usual
// tolerance, and its guard bands byte for byte.
TEST_P(ConcurrencyTest, ThreadsRunRopeAndAttentionAtOnce) {
  using namespace vkrope::conformance;
  constexpr int kThreads = 4;
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string& failure = failures[static_cast<std::size_t>(t)];
      try {
        std::mt19937 rng(seed() + static_cast<std::uint32_t>(t));
        for (int round = 0; round < 2; ++round) {
          RopeCase rc;
          rc.config = rope_config(RopeScalingType::Yarn, t % 2 ? RopeLayout::Interleaved : RopeLayout::Neox, round == 1);
          rc.dtype = round == 0 ? DType::f32 : DType::f16;
          const RopeResult rr = run_rope_case(context(), rc, rng);
          if (rr.max_abs_err > rr.tolerance || !rr.guard_intact) failure += "rope " + rc.describe() + ": " + rr.detail + "; ";

          AttentionCase ac;
          ac.batch = 2;
          ac.heads = 6;
          ac.kv_heads = 2;
          ac.sq = round == 0 ? 33 : 1;
          ac.skv = round == 0 ? 33 : 500;
          ac.kv_dtype = round == 0 ? DType::f32 : DType::f16;
          ac.config.causal = true;
          if (round == 0) ac.config.rope = RopeConfig{.head_dim = 64};
          const AttentionResult ar = run_attention_case(context(), ac, rng);
          if (ar.report.rel_err > attention_case_tolerance(ac) || !ar.guard_intact)
            failure += "attention " + ac.describe() + ": " + ar.report.to_string() + "; ";
        }
        KvDecodeCase kc;
        kc.steps = 12;
        const KvDecodeResult kr = run_kv_decode_case(context(), kc, rng);
        if (kr.report.rel_err > kv_decode_tolerance(kc) || !kr.guard_intact)
          failure += "kv decode: " + kr.report.to_string();
      } catch (const std::exception& e) {
        failure += std::string("threw: ") + e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[static_cast<std::size_t>(t)], "") << "thread " << t;
}

INSTANTIATE_TEST_SUITE_P(Devices, ConcurrencyTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
