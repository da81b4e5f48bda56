// The windowed target: a GLFW window (X11), its surface and swapchain, keyboard controls,
// the title line, and a screenshot read back from the X server (what is on screen, not
// what the app drew), for the Xvfb test.
#pragma once

#include <string>
#include <vector>

#include "frames.hpp"
#include "offscreen.hpp"

struct GLFWwindow;

namespace live_compass {

// What the keys change. Space pauses, left/right halve/double theta, up/down cycle the
// scaling type, A toggles ALiBi, 1-4 pick the head, Esc or Q quits.
struct Controls {
  Settings settings;
  bool paused = false;
};

class Window final : public Target {
 public:
  // Initialises GLFW (throws when there is no display) and lists the instance extensions
  // a surface needs.
  static std::vector<const char*> instance_extensions();
  explicit Window(Gpu& gpu);  // the window and its surface; then Gpu::create_device(surface())
  ~Window() override;
  VkSurfaceKHR surface() const { return surface_; }
  void create_swapchain(const Renderer& renderer);  // after the device exists

  bool open() const;         // false once closed (or Esc)
  void poll();               // handles input
  Controls& controls() { return controls_; }
  void set_title(const std::string& title);
  Pixels screenshot() const;  // RGBA8 of the window's contents on the X server

  std::optional<Acquired> acquire(std::uint32_t slot, VkSemaphore acquired) override;
  void present(const Acquired& a) override;

 private:
  Gpu& gpu_;
  GLFWwindow* window_ = nullptr;
  VkSurfaceKHR surface_ = VK_NULL_HANDLE;
  VkSwapchainKHR swapchain_ = VK_NULL_HANDLE;
  std::vector<VkImageView> views_;
  std::vector<VkFramebuffer> framebuffers_;
  std::vector<VkSemaphore> drawn_;  // per swapchain image: the frame's drawing -> present
  Controls controls_;
};

}  // namespace live_compass
