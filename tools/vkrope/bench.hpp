// The benchmark: ops timed with timestamp queries (device time), medians after warm-up,
// each beside its floor (the copy kernel over the same bytes, or the peak FMA rate)
// measured in the same run on the same device.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vkrope/batch.hpp"
#include "vkrope/context.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::cli {

struct BenchSettings {
  int warmup = 2;
  int repetitions = 5;
  std::string filter;  // run only the cases whose "shape dtype" contains this; empty: all
  bool decode_only = false;  // attention: skip the prefill shapes (bench --op decode)
};

// Whether a case named `name` with storage `dtype` passes the settings' filter.
inline bool selected(const BenchSettings& settings, const std::string& name, const std::string& dtype) {
  return settings.filter.empty() || (name + " " + dtype).find(settings.filter) != std::string::npos;
}

// Attention's prefill shapes take seconds per run on CPU drivers: fewer runs by default.
inline const BenchSettings kAttentionBenchSettings{.warmup = 1, .repetitions = 3};
// A case whose first run takes longer than this is still run, and says so.
inline constexpr double kSlowRunMs = 10000.0;

struct BenchResult {
  std::string op;       // "rope", "attention"
  std::string name;     // the shape, e.g. "prefill B1 S512 Hq32 Hk8 D128"
  std::string dtype;    // attention: "q/kv", e.g. "f32/f16"
  double median_ms = 0;
  double bytes = 0;     // bytes that must move (read + written); attention decode: K/V read
  double gbps = 0;
  std::string floor = "copy";  // "copy": ratio = floor_ms / median_ms; "peak": gflops / floor_gflops
  double floor_ms = 0;  // the copy kernel moving the same bytes
  double transfer_floor_ms = 0;  // vkCmdCopyBuffer moving the same bytes (the driver's memcpy)
  double transfer_ratio = 0;     // transfer_floor_ms / median_ms
  double flops = 0;     // floor "peak": floating-point operations counted per run
  double gflops = 0;
  double floor_gflops = 0;  // the peak FMA kernel's rate, measured in the same run
  double ratio = 0;     // 1 = as fast as the floor
  double target = 0;    // the ratio the issue asks for (reported, not asserted); 0: none
  std::string note;     // e.g. "slow: 42 s per run", "2 dispatches of B4 (K/V > maxStorageBufferRange)"
  // Attention decode: the context length and the rest of the shape, for the time-against-
  // context chart.
  std::int64_t skv = 0;
  std::string series;
};

// Median device time of the dispatches `record` adds to a batch.
double median_device_ms(const Context& context, const BenchSettings& settings,
                        const std::function<void(Batch&)>& record);
// Median device time of copying bytes / 2 (reading and writing `bytes` in all). Beyond
// maxStorageBufferRange the copy is cut into equal dispatches in one batch, timed together.
double copy_floor_ms(const Context& context, const BenchSettings& settings, double bytes);
// The same bytes through vkCmdCopyBuffer.
double transfer_floor_ms(const Context& context, const BenchSettings& settings, double bytes);
// Sets r.floor_ms, r.transfer_floor_ms and both ratios for a memory-bound result (r.bytes and
// r.median_ms set).
void measure_memory_floors(const Context& context, const BenchSettings& settings, BenchResult& r);

std::vector<BenchResult> bench_rope(const Context& context, const BenchSettings& settings);

// One attention benchmark shape. Prefill (Sq > 8) is measured in GFLOP/s against the peak
// FMA rate; decode (Sq <= 8) in GB/s of K and V read against the copy kernel.
struct AttentionBenchShape {
  std::int64_t batch = 1, sq = 1, skv = 1, heads = 32, kv_heads = 8, head_dim = 128;
  DType q_dtype = DType::f32, kv_dtype = DType::f32;
  bool causal = true;
  bool custom = false;  // from --shape: always runs, whatever the filter
  bool is_prefill() const { return sq > 8; }
};
// The shapes of the attention issue's benchmark item and the peer's (../shared/PEERS.md).
std::vector<AttentionBenchShape> default_attention_shapes();
// --shape SPEC: comma-separated key=value pairs, e.g. "b=1,sq=1,skv=8192,h=32,hkv=8,d=128,
// q=f32,kv=f16,causal=1". Keys: b (default 1), sq (required), skv (default sq), h
// (required), hkv (default h), d (default 128), q and kv (f32 or f16; dtype=X sets both;
// default f32), causal (0 or 1, default 1). Throws InvalidArgument naming the bad part.
AttentionBenchShape parse_attention_shape(const std::string& spec);

// Attention prefill (GFLOP/s against `peak`) and decode (K/V GB/s against the copy kernel)
// shapes. `on_result` sees each result as soon as it is measured (the whole set takes
// minutes on CPU drivers); `on_slow` hears before the remaining runs of a case whose first
// run took longer than kSlowRunMs.
std::vector<BenchResult> bench_attention(const Context& context, const BenchSettings& settings,
                                         const PeakFloor& peak, const std::vector<AttentionBenchShape>& shapes,
                                         const std::function<void(const BenchResult&)>& on_result = {},
                                         const std::function<void(const std::string&)>& on_slow = {});

// Linear attention with RoPE beside softmax attention (causal, B1 H8 D64, f32, RoPE) at S =
// 256..65536, softmax dropped once a run takes over 8 s (and run at a length only if it ran
// at half of it, so a filtered long length runs linear attention only); then the LinearAttentionState
// decode step beside a KV-cache decode step (H32 Hkv8 D128, f16 cache) at Skv 1k, 8k, 64k.
// Flops against `peak`; the notes give the speed-ups.
std::vector<BenchResult> bench_linear(const Context& context, const BenchSettings& settings, const PeakFloor& peak,
                                      const std::function<void(const BenchResult&)>& on_result = {});

struct AngleError {
  std::int64_t position;
  double vkrope_max_abs_err;   // GPU kernel, relative to max |x|
  double float32_recipe_max_abs_err;  // cos(float(p) * f) in float32, same data
};
std::vector<AngleError> rope_angle_errors(const Context& context);

nlohmann::json to_json(const BenchResult& r);

// One case of the host-path benchmark: a call recorded into a reused Batch and submitted
// ("batch"), or the overload that submits itself ("call").
struct HostResult {
  std::string name;
  std::string mode;        // "batch" or "call"
  int calls = 0;           // timed calls, after warm-up
  double device_ms = 0;    // device time of one call (timestamps, median)
  double wall_ms = 0;      // wall time of one call: recording, submit and wait (median)
  double host_us = 0;      // batch mode: wall - device, call by call (median): what the host adds
  double record_us = 0;    // batch mode: recording alone, before submit (median)
  double creations = 0;    // Vulkan objects created and memory allocated per call
  double submits = 0;      // vkQueueSubmit per call
  double waits = 0;        // fence / semaphore / idle waits per call
};
// Decode-step calls on a Llama-3-8B-like layer (H 32, Hkv 8, D 128, f32 q over an f16 cache
// of 1024 tokens): RoPE of one token (offset, explicit positions), a KV append with RoPE,
// decode attention (plain, with sinks) and the whole step in one Batch; each 10 x
// settings.repetitions times after warm-up.
std::vector<HostResult> bench_host(const Context& context, const BenchSettings& settings,
                                   const std::function<void(const HostResult&)>& on_result = {});
nlohmann::json to_json(const HostResult& r);

// Writes ratio_to_floor.png, decode_time.png (when the report has decode cases at two or
// more context lengths) and rope_angle_error.png into `dir` from a bench report; returns
// the paths written.
std::vector<std::string> write_bench_plots(const std::string& dir, const nlohmann::json& report);

}  // namespace vkrope::cli
