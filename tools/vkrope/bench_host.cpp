// The host path of a decode step: what recording and submitting one call costs on the host
// (wall time minus device time) and what it asks of the driver (objects created, submits,
// waits), for RoPE of one token, a KV-cache append, decode attention and the whole step.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "bench.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/live_objects.hpp"

namespace vkrope::cli {

namespace {

// A Llama-3-8B-like layer at decode: 32 query heads over 8 kv heads of 128, f32 queries
// over an f16 cache holding 1024 tokens.
constexpr std::int64_t kHeads = 32, kKvHeads = 8, kHeadDim = 128, kCached = 1024, kCapacity = 4096;

struct HostCase {
  std::string name;
  std::function<void(Batch&)> record;  // one call recorded into a caller's Batch
  std::function<void()> call;          // the same call through the overload that submits itself
};

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Runs `run` `calls` times after `warmup`; returns the Vulkan calls made per call and the
// median wall time of `timed` (ms), which `run` fills per call.
VulkanCalls counted_runs(const std::function<void()>& run, int warmup, int calls) {
  for (int i = 0; i < warmup; ++i) run();
  const VulkanCalls before = vulkan_calls();
  for (int i = 0; i < calls; ++i) run();
  return vulkan_calls() - before;
}

void fill_counts(HostResult& r, const VulkanCalls& made, int calls) {
  r.calls = calls;
  r.creations = static_cast<double>(made.creations()) / calls;
  r.submits = static_cast<double>(made.queue_submit) / calls;
  r.waits = static_cast<double>(made.wait) / calls;
}

// A call recorded into one reused Batch. Unprofiled runs give the Vulkan calls, the
// recording time and the wall time; profiled runs give each call's device time, and the
// host time is the median of (wall - device) call by call, so the device's own variation
// (large on a CPU driver, which shares the cores) does not land in it.
HostResult measure_batch(const Context& context, const HostCase& c, int warmup, int calls) {
  HostResult r;
  r.name = c.name;
  r.mode = "batch";
  Batch batch(context);
  std::vector<double> record_ms, wall_ms;
  const VulkanCalls made = counted_runs(
      [&] {
        const double t0 = now_ms();
        c.record(batch);
        const double t1 = now_ms();
        batch.submit();
        record_ms.push_back(t1 - t0);
        wall_ms.push_back(now_ms() - t0);
      },
      warmup, calls);
  fill_counts(r, made, calls);
  r.record_us = median(record_ms) * 1000.0;
  r.wall_ms = median(wall_ms);
  Batch profiled(context, {.profile = true});
  std::vector<double> device_ms, host_ms;
  for (int i = 0; i < warmup + calls; ++i) {
    const double t0 = now_ms();
    c.record(profiled);
    profiled.submit();
    const double wall = now_ms() - t0;
    double device = 0;
    for (const DispatchTiming& t : profiled.profile()) device += t.milliseconds;
    if (i < warmup) continue;
    device_ms.push_back(device);
    host_ms.push_back(wall - device);
  }
  r.device_ms = median(device_ms);
  r.host_us = std::max(0.0, median(host_ms) * 1000.0);
  return r;
}

// The same call through the overload that submits itself: its Vulkan calls and wall time.
// It has no timestamps, and a CPU driver's device time varies by more than the host's
// share of a long call, so no host time is derived for it (host_us stays negative).
HostResult measure_call(const HostCase& c, const HostResult& batch_mode, int warmup, int calls) {
  HostResult r;
  r.name = c.name;
  r.mode = "call";
  std::vector<double> wall_ms;
  const VulkanCalls made = counted_runs(
      [&] {
        const double t0 = now_ms();
        c.call();
        wall_ms.push_back(now_ms() - t0);
      },
      warmup, calls);
  fill_counts(r, made, calls);
  wall_ms.erase(wall_ms.begin(), wall_ms.begin() + warmup);
  r.wall_ms = median(wall_ms);
  r.device_ms = batch_mode.device_ms;
  r.host_us = -1.0;
  return r;
}

}  // namespace

std::vector<HostResult> bench_host(const Context& context, const BenchSettings& settings,
                                   const std::function<void(const HostResult&)>& on_result) {
  RopeConfig rope_config;
  rope_config.head_dim = kHeadDim;
  rope_config.theta = 500000.0;
  const auto filled = [&](DType dtype, const Shape& shape) {
    const Tensor t = Tensor::empty(context, dtype, shape);
    t.fill_bytes(0x3c);  // finite values (0x3c3c...); the data does not change the timing
    return t;
  };
  const Tensor q = filled(DType::f32, {1, 1, kHeads, kHeadDim});
  const Tensor k = filled(DType::f32, {1, 1, kKvHeads, kHeadDim});
  const Tensor v = filled(DType::f32, {1, 1, kKvHeads, kHeadDim});
  const Tensor out = filled(DType::f32, {1, 1, kHeads, kHeadDim});
  const Tensor prompt = filled(DType::f32, {1, kCached, kKvHeads, kHeadDim});
  // Two caches: one rotating its keys (append + attend is a whole step), one holding keys
  // that rope() rotated before the append.
  const KvCacheShape shape{.layers = 1, .capacity = kCapacity, .kv_heads = kKvHeads, .head_dim = kHeadDim,
                           .dtype = DType::f16};
  KvCache rotating(context, shape, rope_config);
  KvCache plain(context, shape);
  // Appends go on from kCached tokens; a full cache starts again there.
  const auto refill = [&](KvCache& cache) {
    if (cache.length(0) > 0 && cache.length(0) < kCapacity) return;
    cache.clear();
    cache.append(0, prompt, prompt);
  };
  refill(rotating);
  refill(plain);
  std::int64_t position = kCached;
  std::vector<float> sinks(kHeads, 0.5f);
  AttentionConfig causal;
  causal.causal = true;
  AttentionConfig with_sinks = causal;
  with_sinks.sinks = sinks;

  std::vector<HostCase> cases;
  const std::string layer = fmt::format("H{} Hkv{} D{}", kHeads, kKvHeads, kHeadDim);
  cases.push_back({"rope decode B1 " + layer + " f32, offset",
                   [&](Batch& b) { rope(b, rope_config, {q, std::nullopt, k, std::nullopt}, {{}, position}); },
                   [&] { rope(rope_config, {q, std::nullopt, k, std::nullopt}, {{}, position}); }});
  cases.push_back({"rope decode B1 " + layer + " f32, positions",
                   [&](Batch& b) { rope(b, rope_config, {q, std::nullopt, k, std::nullopt}, {{position}, 0}); },
                   [&] { rope(rope_config, {q, std::nullopt, k, std::nullopt}, {{position}, 0}); }});
  cases.push_back({"kv append 1 token Hkv8 D128 f32->f16, RoPE",
                   [&](Batch& b) {
                     refill(rotating);
                     rotating.append(b, 0, k, v);
                   },
                   [&] {
                     refill(rotating);
                     rotating.append(0, k, v);
                   }});
  cases.push_back({"decode attention Skv" + std::to_string(kCached) + " " + layer + " f32/f16",
                   [&](Batch& b) { plain.attend(b, 0, causal, q, out); }, [&] { plain.attend(0, causal, q, out); }});
  cases.push_back({"decode attention Skv" + std::to_string(kCached) + " " + layer + " f32/f16, sinks",
                   [&](Batch& b) { plain.attend(b, 0, with_sinks, q, out); },
                   [&] { plain.attend(0, with_sinks, q, out); }});
  // The whole step: RoPE on the new token's q and k, the append, attention.
  cases.push_back({"decode step: rope + append + attention",
                   [&](Batch& b) {
                     refill(plain);
                     rope(b, rope_config, {q, std::nullopt, k, std::nullopt}, {{}, plain.length(0)});
                     plain.append(b, 0, k, v);
                     plain.attend(b, 0, causal, q, out);
                   },
                   {}});

  constexpr int kWarmup = 5;
  const int calls = std::max(settings.repetitions, 1) * 10;
  std::vector<HostResult> results;
  for (const HostCase& c : cases) {
    if (!selected(settings, c.name, "")) continue;
    results.push_back(measure_batch(context, c, kWarmup, calls));
    if (on_result) on_result(results.back());
    if (c.call) {
      results.push_back(measure_call(c, results.back(), kWarmup, calls));
      if (on_result) on_result(results.back());
    }
    ++position;
  }
  return results;
}

nlohmann::json to_json(const HostResult& r) {
  nlohmann::json j = {{"case", r.name},
                      {"mode", r.mode},
                      {"calls", r.calls},
                      {"device_ms", r.device_ms},
                      {"wall_ms", r.wall_ms},
                      {"creations_per_call", r.creations},
                      {"submits_per_call", r.submits},
                      {"waits_per_call", r.waits}};
  if (r.mode == "batch") {
    j["host_us"] = r.host_us;
    j["record_us"] = r.record_us;
  }
  return j;
}

}  // namespace vkrope::cli
