// One submission of a Batch, as the public Submission handle sees it: done once the
// Context's timeline semaphore reaches its value, or once the batch's fence is signalled
// where the device has no timeline semaphores.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "vk/vk.hpp"

namespace vkrope::detail {

struct ContextState;

struct SubmissionState {
  std::shared_ptr<ContextState> context;
  std::uint64_t value = 0;         // timeline path: the value this submission signals
  VkFence fence = VK_NULL_HANDLE;  // fence path: the batch's fence (the batch owns it and
                                   // reuses it only after marking this state done)
  std::mutex mutex;
  bool done = false;

  // Whether the work has finished; never blocks. Throws DeviceLost.
  bool poll();
  // Blocks until the work has finished. Throws DeviceLost.
  void wait();
};

}  // namespace vkrope::detail
