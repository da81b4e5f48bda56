// The application's graphics pass: a render pass over one colour attachment and two
// pipelines of the sample's own shaders (needles.vert/.frag, heatmap.vert/.frag) that read
// vkrope's output buffers through one descriptor set. Knows nothing of windows: the
// target (swapchain image or offscreen image) brings its framebuffer.
#pragma once

#include "gpu.hpp"
#include "scene.hpp"

namespace live_compass {

inline constexpr std::uint32_t kWidth = 640, kHeight = 400;

// Mirrors layout.glsl's push block (4-byte scalars only, under the 128 bytes guaranteed).
struct Push {
  std::int32_t size[2], origin[2], cell[2];
  std::int32_t cols, rows;
  std::int32_t head, heads, ring, dim, history;
  std::int32_t position, first_position;
};
static_assert(sizeof(Push) == 15 * 4 && sizeof(Push) <= 128);

class Renderer {
 public:
  // final_layout: PRESENT_SRC_KHR for a swapchain, TRANSFER_SRC_OPTIMAL for an image read back.
  Renderer(Gpu& gpu, const Scene& scene, VkFormat format, VkImageLayout final_layout);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  VkFramebuffer framebuffer(VkImageView view) const;  // the caller destroys it
  // Records the render pass: clear, heatmap, needles.
  void record(VkCommandBuffer cmd, VkFramebuffer framebuffer, std::int64_t position, int head) const;

 private:
  VkPipeline pipeline(const std::uint32_t* vert, std::size_t vert_bytes, const std::uint32_t* frag,
                      std::size_t frag_bytes) const;
  Gpu& gpu_;
  VkRenderPass pass_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline needles_ = VK_NULL_HANDLE, heatmap_ = VK_NULL_HANDLE;
};

}  // namespace live_compass
