// The host path of a decode step on every device, natively and under baseline + discrete
// emulation (the staging, recorded-upload and fence paths): after warm-up a step recorded
// into a Batch creates nothing, submits nothing and waits for nothing before
// Batch::submit; the overloads without a Batch reuse the Context's batch resources; a Batch
// of 1,000 attention dispatches stays within its descriptor pools; batches run
// asynchronously, two in flight, dependent or not.
#include <gtest/gtest.h>

#include "runtime/arena.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/live_objects.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/roofline.hpp"
#include "vkrope/vulkan_interop.hpp"

namespace vkrope::test {
namespace {

using HostPathTest = DeviceTest;

std::vector<double> doubles(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// A view of token t of a [1, T, heads, d] tensor.
Tensor token(const Tensor& x, std::int64_t t) {
  const Shape& s = x.shape();
  return x.view({1, 1, s[2], s[3]}, x.strides(), t * s[2] * s[3]);
}

// RoPE of one token's q and k, in place, at an explicit position (a per-call upload).
void rope_in_place(Batch& batch, const RopeConfig& config, std::int64_t position, const Tensor& q, const Tensor& k) {
  rope(batch, config, {q, std::nullopt, k, std::nullopt}, {{position}, 0});
}

// The calls made between two counts, printed on failure.
void expect_no_calls(const VulkanCalls& made, const std::string& what) {
  EXPECT_EQ(made, VulkanCalls{}) << what << ": " << to_string(made);
}

// Decode steps through one reused Batch: from the fourth step on, recording a step (RoPE on
// the new token, KV append, attention) makes no Vulkan call at all, and submit() makes one
// submit and one wait. Both step forms are checked against one causal prefill with fused
// RoPE over the same tokens:
//  - "cache": a KvCache rotating its keys, attend() rotating q, ALiBi (a cached table);
//  - "explicit": rope() of q and k in place at explicit positions (a per-call upload), a
//    plain cache, attention with sinks (a per-call upload) and split-KV (scratch).
TEST_P(HostPathTest, SteadyDecodeStepsCallNothingBeforeSubmit) {
  const std::int64_t steps = 24, warmup = 3, h = 4, hkv = 2, d = 64;
  RopeConfig rope;
  rope.head_dim = d;
  for (DType dtype : {DType::f32, DType::f16})
    for (bool explicit_rope : {false, true}) {
      const std::string form = std::string(explicit_rope ? "explicit" : "cache") + " " + std::string(to_string(dtype));
      const auto n_q = static_cast<std::size_t>(steps * h * d), n_kv = static_cast<std::size_t>(steps * hkv * d);
      const Tensor q = Tensor::from_floats(context(), DType::f32, {1, steps, h, d}, random_floats(n_q));
      const Tensor k = Tensor::from_floats(context(), DType::f32, {1, steps, hkv, d}, random_floats(n_kv));
      const Tensor v = Tensor::from_floats(context(), DType::f32, {1, steps, hkv, d}, random_floats(n_kv));
      const std::vector<float> sinks = random_floats(static_cast<std::size_t>(h));

      // The expected rows: one prefill over the inputs as the cache stores them (f16 rounds
      // keys and values), before the explicit form rotates q and k in place.
      AttentionConfig prefill;
      prefill.causal = true;
      prefill.rope = rope;
      if (explicit_rope) prefill.sinks = sinks;
      else prefill.alibi = true;
      const Tensor k_in = Tensor::from_floats(context(), dtype, k.shape(), k.download());
      const Tensor v_in = Tensor::from_floats(context(), dtype, v.shape(), v.download());
      const Tensor expected = Tensor::empty(context(), DType::f32, {1, steps, h, d});
      attention(prefill, q, k_in, v_in, expected);

      KvCache cache(context(), {1, 1, steps, hkv, d, dtype}, explicit_rope ? std::nullopt : std::optional(rope));
      const Tensor out = Tensor::empty(context(), DType::f32, {1, steps, h, d});
      AttentionConfig step;
      step.causal = true;
      if (explicit_rope) step.sinks = sinks;
      else step.alibi = true;
      Batch batch(context());
      for (std::int64_t t = 0; t < steps; ++t) {
        const VulkanCalls before = vulkan_calls();
        if (explicit_rope) rope_in_place(batch, rope, t, token(q, t), token(k, t));
        cache.append(batch, 0, token(k, t), token(v, t));
        cache.attend(batch, 0, step, token(q, t), token(out, t));
        const VulkanCalls recorded = vulkan_calls();
        batch.submit();
        const VulkanCalls submitted = vulkan_calls() - recorded;
        if (t < warmup) continue;
        expect_no_calls(recorded - before, form + ", step " + std::to_string(t) + " recorded");
        EXPECT_EQ(submitted.creations(), 0) << form << ", step " << t << ": " << to_string(submitted);
        EXPECT_EQ(submitted.queue_submit, 1) << form << ", step " << t;
        EXPECT_EQ(submitted.wait, 1) << form << ", step " << t;
      }
      const CompareReport r = compare(out.download(), doubles(expected.download()));
      // f32 cache: float32 both ways, reordered sums: 1e-5. f16 cache: the decode path
      // rounds the rotated keys to f16, the prefill the un-rotated ones: 2e-3.
      EXPECT_LE(r.rel_err, dtype == DType::f32 ? 1e-5 : 2e-3) << form << ": " << r.to_string();
    }
}

// The overloads without a Batch take the Context's idle batch resources: after warm-up a
// call creates nothing and makes exactly one submit and one wait.
TEST_P(HostPathTest, BlockingCallsReuseTheContextsBatchResources) {
  const std::int64_t h = 4, hkv = 2, d = 64, cached = 40;
  RopeConfig rope;
  rope.head_dim = d;
  const Tensor q = Tensor::from_floats(context(), DType::f32, {1, 1, h, d}, random_floats(static_cast<std::size_t>(h * d)));
  const Tensor k = Tensor::from_floats(context(), DType::f32, {1, 1, hkv, d}, random_floats(static_cast<std::size_t>(hkv * d)));
  const Tensor keys = Tensor::from_floats(context(), DType::f16, {1, cached, hkv, d},
                                          random_floats(static_cast<std::size_t>(cached * hkv * d)));
  const Tensor out = Tensor::empty(context(), DType::f32, {1, 1, h, d});
  KvCache cache(context(), {1, 1, 64, hkv, d, DType::f16}, rope);
  AttentionConfig config;
  config.causal = true;
  config.sinks = random_floats(static_cast<std::size_t>(h));
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"rope, positions", [&] { vkrope::rope(rope, {q, std::nullopt, k, std::nullopt}, {{7}, 0}); }},
      {"attention, split-KV with sinks", [&] { attention(config, q, keys, keys, out); }},
      {"kv append", [&] {
         if (cache.length(0) == 64) cache.clear();
         cache.append(0, k, k);
       }},
  };
  for (const auto& [name, call] : calls) {
    for (int i = 0; i < 3; ++i) call();
    for (int i = 0; i < 3; ++i) {
      const VulkanCalls before = vulkan_calls();
      call();
      const VulkanCalls made = vulkan_calls() - before;
      EXPECT_EQ(made.creations(), 0) << name << ": " << to_string(made);
      EXPECT_EQ(made.queue_submit, 1) << name;
      EXPECT_EQ(made.wait, 1) << name;
    }
  }
}

// 1,000 attention dispatches (9 bindings each) in one Batch: descriptor pools are sized by
// descriptors as well as sets, so none overflows on a driver that enforces pool sizes
// (SwiftShader does); every output row is checked. Recording the same again into the same
// Batch creates no pool.
TEST_P(HostPathTest, ThousandAttentionDispatchesInOneBatch) {
  const std::int64_t calls = 1000, skv = 12, h = 2, d = 8;
  const Tensor q = Tensor::from_floats(context(), DType::f32, {calls, 1, h, d},
                                       random_floats(static_cast<std::size_t>(calls * h * d)));
  const Tensor k = Tensor::from_floats(context(), DType::f32, {1, skv, h, d}, random_floats(static_cast<std::size_t>(skv * h * d)));
  const Tensor v = Tensor::from_floats(context(), DType::f32, {1, skv, h, d}, random_floats(static_cast<std::size_t>(skv * h * d)));
  const Tensor out = Tensor::empty(context(), DType::f32, {calls, 1, h, d});
  AttentionConfig config;
  config.key_splits = 1;  // one flash dispatch per call
  Batch batch(context());
  for (int round = 0; round < 2; ++round) {
    out.fill_bytes(0xff);  // NaN: a call that did not run leaves its row failing
    const VulkanCalls before = vulkan_calls();
    for (std::int64_t i = 0; i < calls; ++i) {
      const auto row = [&](const Tensor& x) { return x.view({1, 1, h, d}, x.strides(), i * h * d); };
      attention(batch, config, row(q), k, v, row(out));
    }
    EXPECT_EQ(batch.dispatch_count(), static_cast<std::size_t>(calls));
    const VulkanCalls made = vulkan_calls() - before;
    if (round == 1) {
      EXPECT_EQ(made.create_descriptor_pool, 0) << to_string(made);
    }
    batch.submit();
    const std::vector<double> want = reference::attention(doubles(q.download()), doubles(k.download()),
                                                          doubles(v.download()), 1, calls, skv, h, h, d, [&] {
                                                            AttentionConfig c = config;
                                                            c.query_positions.assign(static_cast<std::size_t>(calls), skv - 1);
                                                            for (std::int64_t j = 0; j < skv; ++j) c.key_positions.push_back(j);
                                                            return c;
                                                          }());
    const CompareReport r = compare(out.download(), want);
    EXPECT_LE(r.rel_err, 1e-5) << "round " << round << ": " << r.to_string();  // f32: 1e-5
  }
}

// Two batches in flight at once: A rotates x into y, B (submitted without waiting for A)
// rotates y back into z; B sees A's writes (the queue orders them), and z = x. Meanwhile
// recording into A again waits for A first. A Submission outlives its Batch.
TEST_P(HostPathTest, TwoBatchesInFlight) {
  const std::int64_t s = 33, heads = 4, d = 32;
  RopeConfig rope;
  rope.head_dim = d;
  const std::vector<float> values = random_floats(static_cast<std::size_t>(s * heads * d));
  const Tensor x = Tensor::from_floats(context(), DType::f32, {1, s, heads, d}, values);
  const Tensor y = Tensor::empty(context(), DType::f32, x.shape());
  const Tensor z = Tensor::empty(context(), DType::f32, x.shape());
  const Tensor w = Tensor::empty(context(), DType::f32, x.shape());
  Submission kept;
  {
    Batch a(context()), b(context());
    vkrope::rope(a, rope, {x, y, std::nullopt, std::nullopt}, {{}, 1000});
    const Submission sa = a.submit_async();
    vkrope::rope(b, rope, {y, z, std::nullopt, std::nullopt}, {{}, 1000}, /*inverse=*/true);
    const Submission sb = b.submit_async();
    // Recording into A again waits for its first submission, then records afresh.
    copy(a, x, w);
    EXPECT_TRUE(sa.ready());
    kept = a.submit_async();
    sb.wait();
    EXPECT_TRUE(sb.ready());
  }  // the batches wait for their work as they go
  EXPECT_TRUE(kept.ready());
  kept.wait();
  const std::vector<double> want(values.begin(), values.end());
  // f32: forward then inverse RoPE, two roundings of each element: 2e-6 of max |x|.
  EXPECT_LE(compare(z.download(), want).max_abs_err, 2e-6);
  EXPECT_EQ(compare(w.download(), want).max_abs_err, 0.0);
  EXPECT_TRUE(Submission{}.ready());
  if (context().device().timeline_semaphore) {
    EXPECT_NE(interop::timeline_semaphore(context()), VK_NULL_HANDLE);
    EXPECT_GT(interop::timeline_value(kept), 0u);
  } else {
    EXPECT_EQ(interop::timeline_semaphore(context()), VK_NULL_HANDLE);
  }
}

// The arenas behind scratch and per-call inputs: ranges never overlap within a recording;
// a chain merges into one buffer at reset and the same requests then allocate nothing;
// scratch past what an arena keeps starts again at the front; an upload arena that outgrew
// it gives its memory back.
TEST_P(HostPathTest, ArenasReuseMergeWrapAndRelease) {
  detail::ContextState& ctx = *context().state();
  const DeviceInfo& info = context().device();
  const std::uint64_t align = std::max<std::uint64_t>(4, info.min_storage_buffer_offset_alignment);
  detail::DeviceArena arena(detail::MemoryUse::Tensor, 1u << 20);
  const auto overlap = [](const detail::DeviceArena::Range& a, const detail::DeviceArena::Range& b) {
    return a.storage == b.storage && a.offset < b.offset + b.size && b.offset < a.offset + a.size;
  };
  // One recording: 3 ranges, the last past the first buffer (sized to the first request).
  std::vector<detail::DeviceArena::Range> first;
  for (std::uint64_t bytes : {1000u, 6u, 50000u}) first.push_back(arena.allocate(ctx, bytes));
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].offset % align, 0u) << i;
    for (std::size_t j = 0; j < i; ++j) EXPECT_FALSE(overlap(first[i], first[j])) << i << " " << j;
  }
  EXPECT_EQ(first[1].size, 8u) << "rounded up to whole words";
  EXPECT_NE(first[2].storage, first[0].storage) << "a chained buffer";
  arena.reset(info);
  EXPECT_EQ(arena.capacity(), 0u) << "a chain is merged at the next allocate";
  const VulkanCalls before = vulkan_calls();
  std::vector<detail::DeviceArena::Range> again;
  for (std::uint64_t bytes : {1000u, 6u, 50000u}) again.push_back(arena.allocate(ctx, bytes));
  EXPECT_EQ((vulkan_calls() - before).allocate_memory, 1) << "one merged buffer";
  EXPECT_EQ(again[0].storage, again[2].storage);
  arena.reset(info);
  const VulkanCalls steady = vulkan_calls();
  for (std::uint64_t bytes : {1000u, 6u, 50000u}) arena.allocate(ctx, bytes);
  EXPECT_EQ(vulkan_calls() - steady, VulkanCalls{});
  arena.reset(info);

  // Scratch past the arena's 1 MiB starts again at the first buffer that holds the range:
  // (the merged one is too small, so a is chained), and the next reset merges to 1 MiB.
  const auto a = arena.allocate(ctx, 600u << 10), b = arena.allocate(ctx, 600u << 10);
  EXPECT_EQ(b.storage, a.storage);
  EXPECT_EQ(b.offset, 0u);
  arena.reset(info);
  const auto c = arena.allocate(ctx, 600u << 10);
  EXPECT_EQ(arena.capacity(), 1u << 20);
  const VulkanCalls wrapped = vulkan_calls();
  const auto d = arena.allocate(ctx, 600u << 10);
  EXPECT_EQ(vulkan_calls() - wrapped, VulkanCalls{});
  EXPECT_TRUE(d.storage == c.storage && d.offset == 0u);
  arena.reset(info);

  // An upload arena that outgrew what it keeps (64 KiB here) gives it back.
  detail::DeviceArena uploads(detail::MemoryUse::Upload, 64u << 10);
  uploads.allocate(ctx, 100u << 10);
  EXPECT_GE(uploads.capacity(), 100u << 10);
  uploads.reset(info);
  EXPECT_EQ(uploads.capacity(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Devices, HostPathTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
