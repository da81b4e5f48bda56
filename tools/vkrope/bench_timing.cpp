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

double copy_floor_ms(const Context& context, const BenchSettings& settings, double bytes) {
  const auto words = std::max<std::int64_t>(4, static_cast<std::int64_t>(bytes / 2 / 4) / 4 * 4);
  const Tensor src = Tensor::empty(context, DType::f32, {words});
  const Tensor dst = Tensor::empty(context, DType::f32, {words});
  src.fill_bytes(0x3c);
  return median_device_ms(context, settings, [&](Batch& b) { copy(b, src, dst); });
}

nlohmann::json to_json(const BenchResult& r) {
  return {{"op", r.op},           {"case", r.name},        {"dtype", r.dtype}, {"median_ms", r.median_ms},
          {"gbps", r.gbps},       {"floor", "copy"},       {"floor_ms", r.floor_ms},
          {"ratio_to_floor", r.ratio}};
}

}  // namespace vkrope::cli
