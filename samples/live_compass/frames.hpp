// The application's frame loop: two frames in flight, each with its own command buffer,
// fence and timestamp queries, recording vkrope's work and then the drawing into that one
// command buffer, with the application's barriers between them. Where the frame goes (a
// swapchain image, an offscreen image) is a Target's business.
#pragma once

#include <optional>
#include <vector>

#include "draw.hpp"
#include "scene.hpp"

namespace live_compass {

inline constexpr std::uint32_t kFramesInFlight = 2;

class Target {
 public:
  struct Acquired {
    VkFramebuffer framebuffer = VK_NULL_HANDLE;
    bool wait = false;                      // the submission waits for `acquired` (a swapchain image)
    VkSemaphore signal = VK_NULL_HANDLE;    // signalled when the frame is drawn (for presenting)
    std::uint32_t image = 0;
  };
  virtual ~Target() = default;
  // The image frame slot `slot` draws into; `acquired` is the slot's semaphore for
  // vkAcquireNextImageKHR. nullopt: skip this frame.
  virtual std::optional<Acquired> acquire(std::uint32_t slot, VkSemaphore acquired) = 0;
  // Recorded after the render pass (an offscreen target copies the image out here).
  virtual void record_after(VkCommandBuffer, std::uint32_t /*slot*/, const Acquired&) {}
  virtual void present(const Acquired&) {}
  // The slot's frame has finished on the device (its fence signalled).
  virtual void retire(std::uint32_t /*slot*/, std::int64_t /*position*/) {}
};

class Frames {
 public:
  Frames(Gpu& gpu, Scene& scene, const Renderer& renderer);
  ~Frames();
  Frames(const Frames&) = delete;
  Frames& operator=(const Frames&) = delete;

  // Records and submits one frame; false if the target skipped it.
  bool draw(Target& target, std::int64_t position, const Settings& settings);
  // Waits for every frame in flight and retires it.
  void finish(Target& target);
  // Device time of vkrope's work in each finished frame, ms (empty without timestamps).
  const std::vector<double>& vkrope_ms() const { return vkrope_ms_; }

 private:
  struct Slot {
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    VkSemaphore acquired = VK_NULL_HANDLE;
    std::optional<vkrope::Batch> batch;  // vkrope's descriptor sets and inputs of the frame
    bool pending = false;
    std::int64_t position = 0;
  };
  void retire(Target& target, Slot& slot, std::uint32_t index);
  void barrier(VkCommandBuffer cmd, VkPipelineStageFlags src, VkPipelineStageFlags dst, VkAccessFlags dst_access) const;

  Gpu& gpu_;
  Scene& scene_;
  const Renderer& renderer_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkQueryPool queries_ = VK_NULL_HANDLE;  // two timestamps per slot
  Slot slots_[kFramesInFlight];
  std::uint64_t frame_ = 0;
  std::vector<double> vkrope_ms_;
};

}  // namespace live_compass
