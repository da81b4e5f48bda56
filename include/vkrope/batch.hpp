// Batch: several dispatches recorded into one command buffer, with the barriers their data
// dependencies need, submitted once.
#pragma once

#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "vkrope/context.hpp"
#include "vkrope/visibility.hpp"

// State behind the handles, defined in src/. Declared outside VKROPE_PUBLIC_BEGIN so it
// stays hidden: its members are not part of the exported API.
namespace vkrope::detail {
struct BatchState;
struct SubmissionState;
}  // namespace vkrope::detail

VKROPE_PUBLIC_BEGIN

namespace vkrope {

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

// A batch's work on the device after Batch::submit_async(): ask whether it is done, or wait
// for it. Cheap to copy; stays valid after its Batch is gone (a Batch waits for its work
// when it is destroyed). A default-constructed Submission is done.
class Submission {
 public:
  Submission() = default;
  // Whether the work has finished; never blocks. Throws DeviceLost when the device is lost.
  bool ready() const;
  // Blocks until the work has finished. Throws DeviceLost when the device is lost.
  void wait() const;

  // Internal.
  explicit Submission(std::shared_ptr<detail::SubmissionState> state) : state_(std::move(state)) {}
  const std::shared_ptr<detail::SubmissionState>& state() const noexcept { return state_; }

 private:
  std::shared_ptr<detail::SubmissionState> state_;
};

// Ops take a Batch& to record into it; their overloads without one make a Batch and
// submit it. A Batch is used by one thread at a time. It can be reused after a submit:
// recording starts afresh, and recording into a batch whose submit_async() work is still
// running first waits for that work. An engine keeps two batches and records the next
// step into one while the device runs the other.
//
// A Batch's command buffer, descriptor pools, query pools and memory arenas (scratch and
// per-call inputs) are kept across its submissions, and by the Context for the next Batch
// once it is gone: after warm-up, recording allocates nothing and creates no Vulkan object.
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
  // Submits everything recorded and returns at once. Later submissions to the same Context
  // (of any batch) run after this one's writes, so they may read its outputs without a
  // wait; the host must wait before it reads or writes the tensors involved. The work
  // counts as done once the returned Submission is; profile() waits for it. An empty batch
  // returns a done Submission. Errors as submit().
  Submission submit_async();
  // Waits for the last submit_async() of this batch, if any is running.
  void wait();

  // Dispatches recorded since the last submit().
  std::size_t dispatch_count() const noexcept;
  // Pipeline barriers recorded since the last submit(): only between dispatches that touch
  // the same memory with at least one of them writing.
  std::size_t barrier_count() const noexcept;
  // One entry per dispatch of the last submission, when profiling was on and supported;
  // waits for the submission first.
  const std::vector<DispatchTiming>& profile();
  const Context& context() const noexcept;

  // Internal: the recording state, for vkrope's op implementations.
  detail::BatchState& state() noexcept { return *state_; }
  explicit Batch(std::unique_ptr<detail::BatchState> state);

 private:
  std::unique_ptr<detail::BatchState> state_;
};

}  // namespace vkrope

VKROPE_PUBLIC_END
