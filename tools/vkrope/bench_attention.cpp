// Attention benchmark shapes (issue "Attention", the benchmark item): causal prefill against
// the peak FMA rate, decode against the copy kernel moving the K/V bytes it reads.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "bench.hpp"
#include "vkrope/attention.hpp"

namespace vkrope::cli {

namespace {

constexpr double kPrefillTarget = 0.3;  // of peak
constexpr double kDecodeTarget = 0.7;   // of copy

std::string shape_name(const AttentionBenchShape& s) {
  std::string name = fmt::format("{}{} B{} ", s.custom ? "shape: " : "", s.is_prefill() ? "prefill" : "decode", s.batch);
  if (s.is_prefill()) name += s.sq == s.skv ? fmt::format("S{}", s.sq) : fmt::format("Sq{} Skv{}", s.sq, s.skv);
  else name += s.sq == 1 ? fmt::format("Skv{}", s.skv) : fmt::format("Sq{} Skv{}", s.sq, s.skv);
  name += fmt::format(" H{} Hkv{} D{}", s.heads, s.kv_heads, s.head_dim);
  return name + (s.is_prefill() ? (s.causal ? " causal" : " full") : "");
}

// One attention call's tensors. K and V larger than the device's maxStorageBufferRange
// cannot be bound: the batch is then cut into calls of fewer sequences, all recorded into
// one Batch and timed together (the same work and the same bytes).
struct Operands {
  std::vector<Tensor> q, k, v, out;
};

Operands make_operands(const Context& context, const AttentionBenchShape& s, std::int64_t per_call) {
  Operands o;
  for (std::int64_t done = 0; done < s.batch; done += per_call) {
    const std::int64_t b = std::min(per_call, s.batch - done);
    o.q.push_back(Tensor::empty(context, s.q_dtype, {b, s.sq, s.heads, s.head_dim}));
    o.out.push_back(Tensor::empty(context, s.q_dtype, {b, s.sq, s.heads, s.head_dim}));
    o.k.push_back(Tensor::empty(context, s.kv_dtype, {b, s.skv, s.kv_heads, s.head_dim}));
    o.v.push_back(Tensor::empty(context, s.kv_dtype, {b, s.skv, s.kv_heads, s.head_dim}));
    // Finite values (0x3c3c...); the data does not change the timing.
    for (const Tensor* t : {&o.q.back(), &o.k.back(), &o.v.back()}) t->fill_bytes(0x3c);
  }
  return o;
}

}  // namespace

std::vector<AttentionBenchShape> default_attention_shapes() {
  std::vector<AttentionBenchShape> list;
  const auto shape = [](std::int64_t b, std::int64_t sq, std::int64_t skv, std::int64_t h, std::int64_t hkv,
                        std::int64_t d, DType q, DType kv, bool causal = true) {
    return AttentionBenchShape{b, sq, skv, h, hkv, d, q, kv, causal};
  };
  for (std::int64_t s : {512, 2048})
    for (DType t : {DType::f32, DType::f16}) list.push_back(shape(1, s, s, 32, 8, 128, t, t));
  for (std::int64_t b : {1, 8})
    for (std::int64_t skv : {1024, 8192})
      for (DType t : {DType::f32, DType::f16}) list.push_back(shape(b, 1, skv, 32, 8, 128, t, t));
  // f32 queries over an f16 KV cache: the usual decode of an inference app.
  for (std::int64_t h : {8, 32})
    for (std::int64_t d : {64, 128})
      for (std::int64_t skv : {4096, 8192, 16384}) list.push_back(shape(1, 1, skv, h, 8, d, DType::f32, DType::f16));
  // The same decode over caches of the other formats (issue 17): bytes read per format, and
  // each step's time against the f16 cache's above.
  for (std::int64_t skv : {4096, 16384})
    for (DType kv : {DType::bf16, DType::q8_0, DType::q4_0}) list.push_back(shape(1, 1, skv, 32, 8, 128, DType::f32, kv));
  // The peer's shapes (../shared/PEERS.md) not already above: a vision model's unmasked
  // prefill (about 150 GFLOP: minutes per run on a CPU driver; select it with --filter).
  list.push_back(shape(1, 5776, 5776, 16, 16, 72, DType::f32, DType::f16, false));
  return list;
}

std::vector<BenchResult> bench_attention(const Context& context, const BenchSettings& settings, const PeakFloor& peak,
                                         const std::vector<AttentionBenchShape>& shapes,
                                         const std::function<void(const BenchResult&)>& on_result,
                                         const std::function<void(const std::string&)>& on_slow) {
  std::vector<BenchResult> results;
  for (const AttentionBenchShape& s : shapes) {
    const std::string dtype = fmt::format("{}/{}", to_string(s.q_dtype), to_string(s.kv_dtype));
    const bool prefill = s.is_prefill();
    if (!s.custom) {
      if (!selected(settings, shape_name(s), dtype) || (prefill && settings.decode_only)) continue;
      // By default the long unmasked peer prefill runs only when the filter names it.
      if (!s.causal && prefill && settings.filter.empty()) continue;
    }
    const double kv_elements = static_cast<double>(s.batch * s.skv * s.kv_heads * s.head_dim);
    const double kv_bytes = 2.0 * kv_elements * bytes_per_element(s.kv_dtype);
    const auto range = static_cast<double>(context.device().max_storage_buffer_range);
    const double per_sequence = kv_bytes / 2.0 / static_cast<double>(s.batch);  // one of K, V
    const auto per_call = std::clamp<std::int64_t>(static_cast<std::int64_t>(range / per_sequence), 1, s.batch);
    const Operands o = make_operands(context, s, per_call);
    AttentionConfig config;
    config.causal = s.causal;  // decode (Sq = 1, bottom-right aligned) sees every key either way
    const auto record = [&](Batch& b) {
      for (std::size_t i = 0; i < o.q.size(); ++i) attention(b, config, o.q[i], o.k[i], o.v[i], o.out[i]);
    };

    BenchResult r;
    r.op = "attention";
    r.name = shape_name(s);
    r.dtype = dtype;
    r.skv = s.skv;
    r.series = fmt::format("B{} Sq{} H{} Hkv{} D{} {}", s.batch, s.sq, s.heads, s.kv_heads, s.head_dim, dtype);
    if (o.q.size() > 1)
      r.note = fmt::format("{} calls of B{}: K, V over maxStorageBufferRange", o.q.size(), per_call);
    // The first warm-up run says how long the rest will take (it also pays for pipeline
    // compilation on drivers that compile at first dispatch, so only the median decides
    // the "slow" note).
    const double first_ms = median_device_ms(context, {.warmup = 0, .repetitions = 1}, record);
    if (first_ms > kSlowRunMs && on_slow)
      on_slow(fmt::format("attention {} {} took {:.0f} s in its first run on {}; {} more runs", r.name, r.dtype,
                          first_ms / 1000.0, context.device().name, settings.warmup - 1 + settings.repetitions));
    r.median_ms = median_device_ms(context, {.warmup = std::max(settings.warmup - 1, 0), .repetitions = settings.repetitions},
                                   record);
    if (r.median_ms > kSlowRunMs)
      r.note += fmt::format("{}slow: {:.0f} s per run", r.note.empty() ? "" : "; ", r.median_ms / 1000.0);
    if (prefill) {
      // q k^T and p v: 2 * Sq * Skv * D FMAs per head, 2 flops each; causal sees half.
      r.floor = "peak";
      r.flops = 4.0 * static_cast<double>(s.batch * s.sq * s.skv * s.head_dim * s.heads) / (s.causal ? 2.0 : 1.0);
      r.gflops = r.flops / (r.median_ms * 1e6);
      r.floor_gflops = peak.gflops;
      r.ratio = r.gflops / peak.gflops;
      r.target = kPrefillTarget;
    } else {
      r.bytes = kv_bytes;
      r.gbps = r.bytes / (r.median_ms * 1e6);
      measure_memory_floors(context, settings, r);
      r.target = kDecodeTarget;
    }
    // A cache format's decode step against the f16 cache's at the same shape, when both ran.
    if (!prefill && s.kv_dtype != DType::f16)
      for (const BenchResult& f16 : results)
        if (f16.name == r.name && f16.dtype == fmt::format("{}/f16", to_string(s.q_dtype)))
          r.note += fmt::format("{}step {:.2f}x f16's time", r.note.empty() ? "" : "; ", r.median_ms / f16.median_ms);
    if (on_result) on_result(r);
    results.push_back(r);
  }
  return results;
}

}  // namespace vkrope::cli
