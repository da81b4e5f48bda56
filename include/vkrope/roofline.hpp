// The floors the benchmark measures ops against: a wide shader copy and the driver's own
// copy, vkCmdCopyBuffer (memory bandwidth; on a CPU driver the second is a memcpy and can be
// many times faster than any shader load path), and long chains of independent float32 FMAs
// (arithmetic rate).
#pragma once

#include <cstdint>

#include "vkrope/batch.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

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

// Read bandwidth: a kernel summing `bytes` of a buffer into one vec4 per invocation, so
// nearly all its traffic is loads (what an attention kernel reading K and V pays). Through
// a storage buffer, or through a uniform texel buffer of RGBA32F, the path a CPU driver may
// vectorize where it makes a storage load one scalar load per lane (lavapipe). The texel
// path is capped at the device's maxTexelBufferElements texels (65,536 on SwiftShader:
// 1 MiB). `bytes` is rounded down to whole texels (16 bytes).
enum class LoadPath { Storage, Texel };
const char* to_string(LoadPath path) noexcept;  // "storage", "texel"
struct ReadFloor {
  LoadPath path = LoadPath::Storage;
  std::uint64_t bytes = 0;  // bytes read per run
  double median_ms = 0.0;
  double gbps = 0.0;        // bytes read / time, 1e9 bytes per second
};
ReadFloor measure_read(const Context& context, std::uint64_t bytes, LoadPath path, RooflineOptions options = {});

struct PeakFloor {
  double flops = 0.0;           // floating-point operations per run (an FMA counts 2)
  double median_ms = 0.0;
  double gflops = 0.0;
};
PeakFloor measure_peak(const Context& context, RooflineOptions options = {});

}  // namespace vkrope

VKROPE_PUBLIC_END
