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

namespace vkrope::cli {

struct BenchSettings {
  int warmup = 2;
  int repetitions = 5;
};

struct BenchResult {
  std::string op;       // "rope"
  std::string name;     // the shape, e.g. "prefill B1 S512 Hq32 Hk8 D128"
  std::string dtype;
  double median_ms = 0;
  double bytes = 0;     // bytes that must move (read + written)
  double gbps = 0;
  double floor_ms = 0;  // the copy kernel moving the same bytes
  double ratio = 0;     // floor_ms / median_ms: 1 = as fast as a copy
};

// Median device time of the dispatches `record` adds to a batch.
double median_device_ms(const Context& context, const BenchSettings& settings,
                        const std::function<void(Batch&)>& record);
// Median device time of copying bytes / 2 (reading and writing `bytes` in all).
double copy_floor_ms(const Context& context, const BenchSettings& settings, double bytes);

std::vector<BenchResult> bench_rope(const Context& context, const BenchSettings& settings);

struct AngleError {
  std::int64_t position;
  double vkrope_max_abs_err;   // GPU kernel, relative to max |x|
  double float32_recipe_max_abs_err;  // cos(float(p) * f) in float32, same data
};
std::vector<AngleError> rope_angle_errors(const Context& context);

nlohmann::json to_json(const BenchResult& r);

}  // namespace vkrope::cli
