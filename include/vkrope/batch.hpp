// Batch: several dispatches recorded into one command buffer, with the barriers their data
// dependencies need, submitted once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vkrope/context.hpp"

namespace vkrope {

namespace detail {
struct BatchState;
}

// Device time of one dispatch, from timestamp queries written before and after it.
struct DispatchTiming {
  std::string label;
  double milliseconds = 0.0;
};

struct BatchOptions {
  // Write timestamps around each dispatch. Default false. Ignored (profile() stays empty)
  // when the device's compute queue cannot write timestamps.
  bool profile = false;
};

// Ops take a Batch& to record into it; their overloads without one make a Batch and
// submit it. A Batch is used by one thread at a time. After submit() it can be reused:
// recording starts afresh.
class Batch {
 public:
  explicit Batch(const Context& context, BatchOptions options = {});
  ~Batch();
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;

  // Submits everything recorded, waits for the device to finish, and reads the timestamps.
  // An empty batch submits nothing. Throws DeviceLost/Internal on device failure. For a
  // batch that records into an application's command buffer (vulkan_interop.hpp) this
  // throws InvalidArgument: the application submits its own command buffer.
  void submit();

  // Dispatches recorded since the last submit().
  std::size_t dispatch_count() const noexcept;
  // Pipeline barriers recorded since the last submit(): only between dispatches that touch
  // the same memory with at least one of them writing.
  std::size_t barrier_count() const noexcept;
  // One entry per dispatch of the last submit(), when profiling was on and supported.
  const std::vector<DispatchTiming>& profile() const noexcept;
  const Context& context() const noexcept;

  // Internal: the recording state, for vkrope's op implementations.
  detail::BatchState& state() noexcept { return *state_; }
  explicit Batch(std::unique_ptr<detail::BatchState> state);

 private:
  std::unique_ptr<detail::BatchState> state_;
};

}  // namespace vkrope
