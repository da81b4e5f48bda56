// The headless target: frames drawn into offscreen images (one per frame in flight) and
// copied into host-visible buffers in the same command buffer; each finished frame goes
// to a callback as RGBA8. Also the PNG writing (one frame, and a strip of frames).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "draw.hpp"
#include "frames.hpp"

namespace live_compass {

// B8G8R8A8_UNORM, as the swapchain: the headless frames and the window's pixels compare.
inline constexpr VkFormat kFormat = VK_FORMAT_B8G8R8A8_UNORM;

using Pixels = std::vector<std::uint8_t>;  // RGBA8, kWidth x kHeight, rows top down

class Offscreen final : public Target {
 public:
  Offscreen(Gpu& gpu, const Renderer& renderer, std::function<void(std::int64_t, const Pixels&)> on_frame);
  ~Offscreen() override;
  std::optional<Acquired> acquire(std::uint32_t slot, VkSemaphore) override;
  void record_after(VkCommandBuffer cmd, std::uint32_t slot, const Acquired&) override;
  void retire(std::uint32_t slot, std::int64_t position) override;

 private:
  Gpu& gpu_;
  std::function<void(std::int64_t, const Pixels&)> on_frame_;
  Image images_[kFramesInFlight];
  VkFramebuffer framebuffers_[kFramesInFlight]{};
  HostBuffer readback_[kFramesInFlight];
};

// Writes a PNG; throws std::runtime_error when it cannot.
void write_png(const std::string& path, int width, int height, const Pixels& rgba);
// Frames at half size, `columns` per row, in one PNG.
void write_strip(const std::string& path, const std::vector<Pixels>& frames, int columns);

}  // namespace live_compass
