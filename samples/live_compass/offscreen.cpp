#include "offscreen.hpp"

#include <stb_image_write.h>

#include <cstring>
#include <stdexcept>

namespace live_compass {

Offscreen::Offscreen(Gpu& gpu, const Renderer& renderer, std::function<void(std::int64_t, const Pixels&)> on_frame)
    : gpu_(gpu), on_frame_(std::move(on_frame)) {
  for (std::uint32_t i = 0; i < kFramesInFlight; ++i) {
    images_[i] = gpu.color_image(kWidth, kHeight, kFormat,
                                 VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
    framebuffers_[i] = renderer.framebuffer(images_[i].view);
    readback_[i] = gpu.host_buffer(VkDeviceSize{kWidth} * kHeight * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
  }
}

Offscreen::~Offscreen() {
  for (std::uint32_t i = 0; i < kFramesInFlight; ++i) {
    gpu_.fn.vkDestroyFramebuffer(gpu_.device, framebuffers_[i], nullptr);
    gpu_.destroy(images_[i]);
    gpu_.destroy(readback_[i]);
  }
}

std::optional<Target::Acquired> Offscreen::acquire(std::uint32_t slot, VkSemaphore) {
  Acquired a;
  a.framebuffer = framebuffers_[slot];
  a.image = slot;
  return a;
}

void Offscreen::record_after(VkCommandBuffer cmd, std::uint32_t slot, const Acquired&) {
  // The render pass left the image in TRANSFER_SRC_OPTIMAL after its colour writes (its
  // outgoing subpass dependency); the copy's writes are made visible to the host below.
  VkBufferImageCopy region{};
  region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.imageExtent = {kWidth, kHeight, 1};
  gpu_.fn.vkCmdCopyImageToBuffer(cmd, images_[slot].image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                 readback_[slot].buffer, 1, &region);
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  gpu_.fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr,
                               0, nullptr);
}

void Offscreen::retire(std::uint32_t slot, std::int64_t position) {
  const auto* bgra = static_cast<const std::uint8_t*>(readback_[slot].mapped);
  Pixels rgba(std::size_t{kWidth} * kHeight * 4);
  for (std::size_t i = 0; i < rgba.size(); i += 4) {
    rgba[i] = bgra[i + 2];
    rgba[i + 1] = bgra[i + 1];
    rgba[i + 2] = bgra[i];
    rgba[i + 3] = 255;
  }
  on_frame_(position, rgba);
}

void write_png(const std::string& path, int width, int height, const Pixels& rgba) {
  if (!stbi_write_png(path.c_str(), width, height, 4, rgba.data(), width * 4))
    throw std::runtime_error("cannot write " + path);
}

void write_strip(const std::string& path, const std::vector<Pixels>& frames, int columns) {
  const int w = int(kWidth) / 2, h = int(kHeight) / 2, n = int(frames.size());
  const int cols = std::min(columns, n), rows = (n + cols - 1) / cols;
  Pixels strip(std::size_t(cols * w) * std::size_t(rows * h) * 4, 0);
  for (int f = 0; f < n; ++f)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int c = 0; c < 4; ++c) {
          // A 2 x 2 box filter.
          int sum = 0;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx)
              sum += frames[std::size_t(f)][(std::size_t(2 * y + dy) * kWidth + std::size_t(2 * x + dx)) * 4 + std::size_t(c)];
          const std::size_t X = std::size_t((f % cols) * w + x), Y = std::size_t((f / cols) * h + y);
          strip[(Y * std::size_t(cols * w) + X) * 4 + std::size_t(c)] = std::uint8_t((sum + 2) / 4);
        }
  write_png(path, cols * w, rows * h, strip);
}

}  // namespace live_compass
