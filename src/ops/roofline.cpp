// Floors for the benchmark: copy bandwidth and FMA rate, timed with timestamp queries.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ops/copy.hpp"
#include "ops/dispatch_size.hpp"
#include "ops/read_floor.hpp"
#include "runtime/batch_state.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope {

namespace {

// Mirrors PeakPush in shaders/peak.comp.
struct PeakPush {
  float a;
  float b;
  std::uint32_t iterations;
};
static_assert(sizeof(PeakPush) == 12 && sizeof(PeakPush) <= 128);
static_assert(offsetof(PeakPush, a) == 0 && offsetof(PeakPush, b) == 4 && offsetof(PeakPush, iterations) == 8);

constexpr double kChains = 8;  // x0..x7 in peak.comp
constexpr double kLanes = 4;   // vec4

void require_timestamps(const Context& context) {
  if (!context.device().timestamps)
    throw Error(ErrorKind::Unsupported, context.device().name + " cannot write timestamps on its compute queue");
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Runs `record` warmup + repetitions times, one batch each, and returns the median
// device time of its dispatches.
template <typename Record>
double median_ms(const Context& context, const RooflineOptions& options, Record&& record) {
  std::vector<double> times;
  for (int r = 0; r < options.warmup + std::max(1, options.repetitions); ++r) {
    Batch batch(context, {.profile = true});
    record(batch);
    batch.submit();
    double ms = 0.0;
    for (const auto& t : batch.profile()) ms += t.milliseconds;
    if (r >= options.warmup) times.push_back(ms);
  }
  return median(times);
}

// Times `copy_fn` (shader or transfer) over `bytes` between two fresh tensors.
template <typename CopyFn>
CopyFloor measure_copy_floor(const Context& context, std::uint64_t bytes, const RooflineOptions& options,
                             const char* what, CopyFn&& copy_fn) {
  require_timestamps(context);
  bytes = std::min<std::uint64_t>(bytes, context.device().max_storage_buffer_range) / 16 * 16;
  if (bytes == 0) throw Error(ErrorKind::InvalidArgument, std::string(what) + ": bytes must be at least 16");
  const Shape shape{static_cast<std::int64_t>(bytes / 4)};
  const Tensor src = Tensor::empty(context, DType::f32, shape);
  const Tensor dst = Tensor::empty(context, DType::f32, shape);
  src.fill_bytes(0x3c);
  CopyFloor floor;
  floor.bytes = bytes;
  floor.median_ms = median_ms(context, options, [&](Batch& b) { copy_fn(b, src, dst); });
  floor.gbps = 2.0 * static_cast<double>(bytes) / (floor.median_ms * 1e6);
  return floor;
}

}  // namespace

CopyFloor measure_copy(const Context& context, std::uint64_t bytes, RooflineOptions options) {
  return measure_copy_floor(context, bytes, options, "measure_copy",
                            [](Batch& b, const Tensor& src, const Tensor& dst) { copy(b, src, dst); });
}

CopyFloor measure_transfer_copy(const Context& context, std::uint64_t bytes, RooflineOptions options) {
  return measure_copy_floor(context, bytes, options, "measure_transfer_copy",
                            [](Batch& b, const Tensor& src, const Tensor& dst) { transfer_copy(b, src, dst); });
}

const char* to_string(LoadPath path) noexcept { return path == LoadPath::Texel ? "texel" : "storage"; }

ReadFloor measure_read(const Context& context, std::uint64_t bytes, LoadPath path, RooflineOptions options) {
  require_timestamps(context);
  std::uint64_t cap = context.device().max_storage_buffer_range;
  if (path == LoadPath::Texel)
    cap = std::min<std::uint64_t>(cap, static_cast<std::uint64_t>(context.device().max_texel_buffer_elements) * 16);
  bytes = std::min(bytes, cap) / 16 * 16;
  if (bytes == 0) throw Error(ErrorKind::InvalidArgument, "measure_read: bytes must be at least 16");
  const Tensor src = Tensor::empty(context, DType::f32, {static_cast<std::int64_t>(bytes / 4)});
  src.fill_bytes(0x3c);
  const Tensor sums = Tensor::empty(context, DType::f32, {static_cast<std::int64_t>(detail::read_invocations(context)) * 4});
  std::optional<detail::TexelView> view;
  if (path == LoadPath::Texel) view.emplace(src);
  ReadFloor floor;
  floor.path = path;
  floor.bytes = bytes;
  floor.median_ms = median_ms(context, options, [&](Batch& b) { detail::record_read(b, src, sums, view ? &*view : nullptr); });
  floor.gbps = static_cast<double>(bytes) / (floor.median_ms * 1e6);
  return floor;
}

PeakFloor measure_peak(const Context& context, RooflineOptions options) {
  require_timestamps(context);
  const DeviceInfo& info = context.device();
  const std::uint32_t wg = detail::default_workgroup_size(info);
  const std::uint32_t iterations = 256;
  const PeakPush push{0.999999f, 1.0e-7f, iterations};
  auto& state = *context.state();
  const auto& pipeline = state.pipelines->get({"peak", 1, sizeof(PeakPush), {wg}});

  // Grow the grid until one run takes long enough to time well (>= 5 ms) or the grid is large.
  std::uint32_t groups = 64;
  for (;;) {
    const Tensor out = Tensor::empty(context, DType::f32, {static_cast<std::int64_t>(groups) * wg * 4});
    const double ms = median_ms(context, options, [&](Batch& b) {
      const detail::Binding bindings[] = {detail::writes(out)};
      b.state().dispatch(pipeline, bindings, &push, {groups, 1, 1}, "peak");
    });
    // The output buffer (16 bytes per invocation) must fit one storage-buffer binding.
    const std::uint32_t cap = std::min<std::uint32_t>(
        {info.max_workgroup_count[0], 65535u, info.max_storage_buffer_range / (wg * 16u)});
    if (ms >= 5.0 || groups * 2 > cap) {
      PeakFloor floor;
      floor.flops = static_cast<double>(groups) * wg * iterations * kChains * kLanes * 2.0;
      floor.median_ms = ms;
      floor.gflops = floor.flops / (ms * 1e6);
      return floor;
    }
    groups *= ms > 0.5 ? std::max<std::uint32_t>(2, static_cast<std::uint32_t>(5.0 / ms) + 1) : 8;
    groups = std::min(groups, cap);
  }
}

}  // namespace vkrope
