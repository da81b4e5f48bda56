#include <algorithm>

#include "bench.hpp"
#include "vkrope/roofline.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope::cli {

double median_device_ms(const Context& context, const BenchSettings& settings,
                        const std::function<void(Batch&)>& record) {
  if (!context.device().timestamps)
    throw Error(ErrorKind::Unsupported, context.device().name + " cannot write timestamps; no device times");
  std::vector<double> times;
  for (int r = 0; r < settings.warmup + settings.repetitions; ++r) {
    Batch batch(context, {.profile = true});
    record(batch);
    batch.submit();
    double ms = 0;
    for (const auto& t : batch.profile()) ms += t.milliseconds;
    if (r >= settings.warmup) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  const std::size_t n = times.size();
  return n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
}

namespace {

// Median device time of copying bytes / 2 with `copy_fn` (the shader copy or the transfer),
// cut into equal pieces where one tensor would pass maxStorageBufferRange.
template <typename CopyFn>
double floor_ms(const Context& context, const BenchSettings& settings, double bytes, CopyFn&& copy_fn) {
  const auto words = std::max<std::int64_t>(4, static_cast<std::int64_t>(bytes / 2 / 4) / 4 * 4);
  const std::int64_t max_words = static_cast<std::int64_t>(context.device().max_storage_buffer_range / 4) / 4 * 4;
  const std::int64_t pieces = (words + max_words - 1) / max_words;
  const std::int64_t piece_words = (words / pieces + 3) / 4 * 4;
  const Tensor src = Tensor::empty(context, DType::f32, {piece_words});
  const Tensor dst = Tensor::empty(context, DType::f32, {piece_words});
  src.fill_bytes(0x3c);
  return median_device_ms(context, settings, [&](Batch& b) {
    for (std::int64_t i = 0; i < pieces; ++i) copy_fn(b, src, dst);
  });
}

}  // namespace

double copy_floor_ms(const Context& context, const BenchSettings& settings, double bytes) {
  return floor_ms(context, settings, bytes, [](Batch& b, const Tensor& s, const Tensor& d) { copy(b, s, d); });
}

double transfer_floor_ms(const Context& context, const BenchSettings& settings, double bytes) {
  return floor_ms(context, settings, bytes, [](Batch& b, const Tensor& s, const Tensor& d) { transfer_copy(b, s, d); });
}

void measure_memory_floors(const Context& context, const BenchSettings& settings, BenchResult& r) {
  r.floor_ms = copy_floor_ms(context, settings, r.bytes);
  r.ratio = r.floor_ms / r.median_ms;
  r.transfer_floor_ms = transfer_floor_ms(context, settings, r.bytes);
  r.transfer_ratio = r.transfer_floor_ms / r.median_ms;
}

nlohmann::json to_json(const BenchResult& r) {
  nlohmann::json j = {{"op", r.op},         {"case", r.name},   {"dtype", r.dtype},
                      {"median_ms", r.median_ms}, {"floor", r.floor}, {"ratio_to_floor", r.ratio}};
  if (r.floor == "peak") {
    j["flops"] = r.flops;
    j["gflops"] = r.gflops;
    j["floor_gflops"] = r.floor_gflops;
  } else {
    j["bytes"] = r.bytes;
    j["gbps"] = r.gbps;
    j["floor_ms"] = r.floor_ms;
    j["transfer_floor_ms"] = r.transfer_floor_ms;
    j["ratio_to_transfer"] = r.transfer_ratio;
  }
  if (r.target > 0) j["target_ratio"] = r.target;
  if (r.skv > 0) {
    j["skv"] = r.skv;
    j["series"] = r.series;
  }
  if (!r.note.empty()) j["note"] = r.note;
  return j;
}

}  // namespace vkrope::cli
