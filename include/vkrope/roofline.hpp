// The floors the benchmark measures ops against: a wide shader copy and the driver's own
// copy, vkCmdCopyBuffer (memory bandwidth; on a CPU driver the second is a memcpy and can be
// many times faster than any shader load path), and long chains of independent float32 FMAs
// (arithmetic rate).
#pragma once

#include <cstdint>

#include "vkrope/batch.hpp"
#include "vkrope/tensor.hpp"

namespace vkrope {

// dst = src, byte for byte. Both contiguous, the same dtype and element count.
void copy(Batch& batch, const Tensor& src, const Tensor& dst);
void copy(const Tensor& src, const Tensor& dst);
// dst = src by vkCmdCopyBuffer (no shader). The same arguments as copy().
void transfer_copy(Batch& batch, const Tensor& src, const Tensor& dst);

struct RooflineOptions {
  int warmup = 2;        // runs discarded before timing
  int repetitions = 7;   // timed runs; the median is reported
};

// Device-time medians from timestamp queries. Throws Unsupported when the device cannot
// write timestamps on its compute queue.
struct CopyFloor {
  std::uint64_t bytes = 0;      // bytes copied per run (read + written = 2 * bytes)
  double median_ms = 0.0;
  double gbps = 0.0;            // (read + written) bytes / time, 1e9 bytes per second
};
CopyFloor measure_copy(const Context& context, std::uint64_t bytes, RooflineOptions options = {});
// The same bytes through vkCmdCopyBuffer.
CopyFloor measure_transfer_copy(const Context& context, std::uint64_t bytes, RooflineOptions options = {});

struct PeakFloor {
  double flops = 0.0;           // floating-point operations per run (an FMA counts 2)
  double median_ms = 0.0;
  double gflops = 0.0;
};
PeakFloor measure_peak(const Context& context, RooflineOptions options = {});

}  // namespace vkrope
