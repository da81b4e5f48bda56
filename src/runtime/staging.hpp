// Copies between the host and memory the host cannot map (tensors on a discrete GPU):
// through one grow-only host-visible buffer of the Context, with a command buffer and a
// fence made once, so an upload or download allocates nothing after the first. Blocking:
// each chunk is submitted and waited for; one copy at a time per Context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "vk/handles.hpp"

namespace vkrope::detail {

struct BufferStorage;
struct ContextState;

class Staging {
 public:
  // The staging buffer grows up to this; larger transfers go through it in chunks.
  static constexpr std::uint64_t kChunkBytes = 8u << 20;

  // Copies host <-> [offset, offset + host.size()) of `target`. The copy is ordered after
  // all work submitted earlier to the Context's queue (a pending batch's writes land first).
  void copy(ContextState& context, const BufferStorage& target, std::uint64_t offset, std::span<std::byte> host,
            bool to_device);
  // Frees the buffer and the command objects (the Context does this before its device goes).
  void release() noexcept;

 private:
  void prepare(ContextState& context, std::uint64_t bytes);
  std::mutex mutex_;
  std::shared_ptr<BufferStorage> buffer_;
  vk::CommandPool pool_;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  vk::Fence fence_;
};

}  // namespace vkrope::detail
