// Context: one Vulkan device chosen for compute, with its queue, pipelines and options.
//
// Thread safety: a Context is a cheap, copyable handle to shared state. One Context may be
// used from any number of threads at once: creating tensors, building pipelines (the
// pipeline table is locked) and submitting batches (submissions to its single queue are
// serialized by a mutex) are all safe concurrently. A Batch and a Tensor are not internally
// locked: one thread records a given Batch, and a Tensor must not be read or written by the
// host while a batch that writes it is in flight on another thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vkrope/device_info.hpp"
#include "vkrope/error.hpp"
#include "vkrope/visibility.hpp"

// State behind the handles, defined in src/. Declared outside VKROPE_PUBLIC_BEGIN so it
// stays hidden: its members are not part of the exported API.
namespace vkrope::detail {
struct ContextState;
}  // namespace vkrope::detail

VKROPE_PUBLIC_BEGIN

namespace vkrope {

struct ContextOptions {
  // Enable the Khronos validation layer (VK_LAYER_KHRONOS_validation) with a debug
  // messenger. Every warning or error it reports is kept (Context::validation_messages())
  // and passed to on_validation_message. Default: false; VKROPE_VALIDATION=1 turns it on.
  // Fails with ErrorKind::Unsupported when the layer is not installed
  // (Debian package vulkan-validationlayers).
  bool validation = false;

  // Which device to use. Empty (the default): the best by rank, discrete GPU > integrated
  // GPU > virtual GPU > other > CPU; among equals the highest Vulkan version, then the
  // first in enumeration order. Otherwise a
  // device index ("1") or a case-insensitive substring of the device name ("swiftshader").
  // When nothing matches, Context::create throws InvalidArgument listing every device and
  // why it was rejected. Environment: VKROPE_DEVICE.
  std::string device;

  // Emulation::Baseline hides optional features and caps limits so the portable kernel
  // paths run on any device. Default: None. Environment: VKROPE_EMULATE=baseline.
  Emulation emulation = Emulation::None;

  // Lower limits than the device's (see LimitCaps), applied after `emulation`. For tests of
  // what happens on a smaller device. Default: none.
  LimitCaps limits;

  // Directory where the VkPipelineCache is persisted between runs, one file per device
  // UUID and driver version. Empty (the default): the cache lives in memory only.
  // Environment: VKROPE_PIPELINE_CACHE_DIR. An unwritable directory is not an error: the
  // cache is simply not saved.
  std::string pipeline_cache_dir;

  // Checked mode: ops run without a caller's Batch (the overloads that submit themselves)
  // also run the CPU reference on the same inputs and throw ErrorKind::Mismatch naming
  // the worst element when the GPU result is outside the op's documented tolerance.
  // Slow; for debugging and conformance. Default: false. Environment: VKROPE_CHECKED=1.
  bool checked = false;

  // Called for every validation message, from whichever thread triggered it. Default: none.
  std::function<void(std::string_view)> on_validation_message;

  // Called for every warning: a problem vkrope worked around and the run goes on (a pipeline
  // cache file that was truncated, corrupted, made by another driver, or could not be
  // written: ignored and rebuilt). Also kept in Context::warnings(). Default: none; the CLI
  // prints each as a "vkrope: warning: ..." line on stderr.
  std::function<void(std::string_view)> on_warning;

  // Options with the environment variables above applied over the defaults. The
  // environment is read here and only here. Throws InvalidArgument on a malformed value
  // (e.g. VKROPE_EMULATE=fast, VKROPE_VALIDATION=maybe).
  static ContextOptions from_environment();
  // Same, reading variables through `lookup` (returns nullptr when unset); for tests.
  static ContextOptions from_environment(const std::function<const char*(const char*)>& lookup);
};

// The user's cache directory for vkrope ($XDG_CACHE_HOME/vkrope or ~/.cache/vkrope), or
// empty when neither variable is set.
std::string default_pipeline_cache_dir();

// Every Vulkan device the loader reports, with its (unemulated) capabilities.
// Throws Unsupported when no Vulkan loader is installed.
std::vector<DeviceInfo> enumerate_devices(bool validation = false);

// Index into `devices` that `selector` picks (rules as ContextOptions::device). Throws
// InvalidArgument naming every device and why it was rejected when nothing matches.
std::size_t select_device(const std::vector<DeviceInfo>& devices, std::string_view selector);

struct PipelineStats {
  std::uint64_t created = 0;  // pipelines built (cache misses)
  std::uint64_t reused = 0;   // lookups served from the in-process table
};

// Bytes of device memory held by a Context's buffers (tensors, kernel scratch, cached
// tables; not the transient staging of uploads and downloads).
struct MemoryStats {
  std::uint64_t live_bytes = 0;  // held now
  std::uint64_t peak_bytes = 0;  // most held at once since creation or reset_peak_memory()
};

class Context {
 public:
  // Creates the instance, chooses the device, creates the logical device and its compute
  // queue. Throws vkrope::Error (Unsupported: no loader, no layer, no compute device;
  // InvalidArgument: a selector that matches nothing).
  static Context create(const ContextOptions& options = ContextOptions::from_environment());

  // Effective capabilities (after emulation); kernels choose variants from these.
  const DeviceInfo& device() const;
  // What the hardware reports, ignoring emulation.
  const DeviceInfo& hardware() const;
  const ContextOptions& options() const;

  // Validation-layer messages seen since creation or the last clear (warnings and errors).
  std::vector<std::string> validation_messages() const;
  void clear_validation_messages();
  // Warnings since creation (see ContextOptions::on_warning).
  std::vector<std::string> warnings() const;

  PipelineStats pipeline_stats() const;
  MemoryStats memory_stats() const;
  void reset_peak_memory() const;  // peak := live
  // Writes the pipeline cache now (it is also written when the last handle goes away).
  void save_pipeline_cache() const;
  // Waits until the device has finished all submitted work.
  void wait_idle() const;

  // Internal: the shared state, for vkrope's own implementation files.
  const std::shared_ptr<detail::ContextState>& state() const noexcept { return state_; }
  explicit Context(std::shared_ptr<detail::ContextState> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<detail::ContextState> state_;
};

}  // namespace vkrope

VKROPE_PUBLIC_END
