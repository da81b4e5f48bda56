#include "window.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

// From glfw3native.h, declared here: with GLFW_EXPOSE_NATIVE_X11 that header also wants
// Xrandr's headers (libxrandr-dev), for functions this sample does not use.
extern "C" {
Display* glfwGetX11Display(void);
::Window glfwGetX11Window(GLFWwindow* window);
}

#include <algorithm>
#include <stdexcept>

namespace live_compass {

std::vector<const char*> Window::instance_extensions() {
  if (!glfwInit()) throw std::runtime_error("GLFW cannot open a display (is DISPLAY set? else use --headless N)");
  if (!glfwVulkanSupported()) throw std::runtime_error("GLFW finds no Vulkan loader");
  std::uint32_t n = 0;
  const char** names = glfwGetRequiredInstanceExtensions(&n);
  return {names, names + n};
}

namespace {

void on_key(GLFWwindow* window, int key, int, int action, int) {
  if (action != GLFW_PRESS && action != GLFW_REPEAT) return;
  auto& c = *static_cast<Controls*>(glfwGetWindowUserPointer(window));
  Settings& s = c.settings;
  switch (key) {
    case GLFW_KEY_SPACE: c.paused = !c.paused; break;
    case GLFW_KEY_LEFT: s.theta = std::max(2.0, s.theta / 2); break;
    case GLFW_KEY_RIGHT: s.theta = std::min(1e7, s.theta * 2); break;
    case GLFW_KEY_UP: s.scaling = (s.scaling + 1) % scaling_count(); break;
    case GLFW_KEY_DOWN: s.scaling = (s.scaling + scaling_count() - 1) % scaling_count(); break;
    case GLFW_KEY_A: s.alibi = !s.alibi; break;
    case GLFW_KEY_ESCAPE:
    case GLFW_KEY_Q: glfwSetWindowShouldClose(window, GLFW_TRUE); break;
    default:
      if (key >= GLFW_KEY_1 && key < GLFW_KEY_1 + kHeads) s.head = key - GLFW_KEY_1;
  }
}

}  // namespace

Window::Window(Gpu& gpu) : gpu_(gpu) {
  glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);  // Vulkan draws, not OpenGL
  glfwWindowHint(GLFW_RESIZABLE, GLFW_FALSE);    // a fixed 640 x 400 swapchain
  window_ = glfwCreateWindow(int(kWidth), int(kHeight), "live_compass", nullptr, nullptr);
  if (!window_) throw std::runtime_error("glfwCreateWindow failed");
  glfwSetWindowUserPointer(window_, &controls_);
  glfwSetKeyCallback(window_, on_key);
  LC_CHECK(glfwCreateWindowSurface(gpu.instance, window_, nullptr, &surface_));
}

Window::~Window() {
  if (gpu_.device) gpu_.fn.vkDeviceWaitIdle(gpu_.device);
  for (VkSemaphore s : drawn_) gpu_.fn.vkDestroySemaphore(gpu_.device, s, nullptr);
  for (VkFramebuffer f : framebuffers_) gpu_.fn.vkDestroyFramebuffer(gpu_.device, f, nullptr);
  for (VkImageView v : views_) gpu_.fn.vkDestroyImageView(gpu_.device, v, nullptr);
  if (swapchain_) gpu_.fn.vkDestroySwapchainKHR(gpu_.device, swapchain_, nullptr);
  if (surface_) vkDestroySurfaceKHR(gpu_.instance, surface_, nullptr);
  if (window_) glfwDestroyWindow(window_);
  glfwTerminate();
}

void Window::create_swapchain(const Renderer& renderer) {
  VkSurfaceCapabilitiesKHR caps;
  LC_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(gpu_.physical, surface_, &caps));
  if (caps.currentExtent.width != UINT32_MAX && (caps.currentExtent.width != kWidth || caps.currentExtent.height != kHeight))
    throw std::runtime_error("the window is " + std::to_string(caps.currentExtent.width) + " x " +
                             std::to_string(caps.currentExtent.height) + ", not 640 x 400");
  std::uint32_t n = 0;
  LC_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(gpu_.physical, surface_, &n, nullptr));
  std::vector<VkSurfaceFormatKHR> formats(n);
  LC_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(gpu_.physical, surface_, &n, formats.data()));
  // The headless frames' format, so the window shows the same bytes (no sRGB encoding).
  if (std::none_of(formats.begin(), formats.end(), [](const VkSurfaceFormatKHR& f) { return f.format == kFormat; }))
    throw std::runtime_error("the surface does not offer B8G8R8A8_UNORM");
  VkSwapchainCreateInfoKHR si{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
  si.surface = surface_;
  si.minImageCount = caps.maxImageCount ? std::min(caps.minImageCount + 1, caps.maxImageCount) : caps.minImageCount + 1;
  si.imageFormat = kFormat;
  si.imageColorSpace = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR;
  si.imageExtent = {kWidth, kHeight};
  si.imageArrayLayers = 1;
  si.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
  si.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
  si.preTransform = caps.currentTransform;
  si.compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
  si.presentMode = VK_PRESENT_MODE_FIFO_KHR;  // always available; paced by the display
  si.clipped = VK_TRUE;
  LC_CHECK(gpu_.fn.vkCreateSwapchainKHR(gpu_.device, &si, nullptr, &swapchain_));
  LC_CHECK(gpu_.fn.vkGetSwapchainImagesKHR(gpu_.device, swapchain_, &n, nullptr));
  std::vector<VkImage> images(n);
  LC_CHECK(gpu_.fn.vkGetSwapchainImagesKHR(gpu_.device, swapchain_, &n, images.data()));
  for (VkImage image : images) {
    views_.push_back(gpu_.color_view(image, kFormat));
    framebuffers_.push_back(renderer.framebuffer(views_.back()));
    VkSemaphoreCreateInfo sem{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    drawn_.emplace_back();
    LC_CHECK(gpu_.fn.vkCreateSemaphore(gpu_.device, &sem, nullptr, &drawn_.back()));
  }
}

bool Window::open() const { return !glfwWindowShouldClose(window_); }
void Window::poll() { glfwPollEvents(); }
void Window::set_title(const std::string& title) { glfwSetWindowTitle(window_, title.c_str()); }

std::optional<Target::Acquired> Window::acquire(std::uint32_t, VkSemaphore acquired) {
  Acquired a;
  const VkResult r =
      gpu_.fn.vkAcquireNextImageKHR(gpu_.device, swapchain_, UINT64_MAX, acquired, VK_NULL_HANDLE, &a.image);
  if (r != VK_SUCCESS && r != VK_SUBOPTIMAL_KHR) check_vk(r, "vkAcquireNextImageKHR");
  a.framebuffer = framebuffers_[a.image];
  a.wait = true;
  a.signal = drawn_[a.image];
  return a;
}

void Window::present(const Acquired& a) {
  VkPresentInfoKHR pi{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
  pi.waitSemaphoreCount = 1;
  pi.pWaitSemaphores = &a.signal;
  pi.swapchainCount = 1;
  pi.pSwapchains = &swapchain_;
  pi.pImageIndices = &a.image;
  const VkResult r = gpu_.fn.vkQueuePresentKHR(gpu_.queue, &pi);
  if (r != VK_SUCCESS && r != VK_SUBOPTIMAL_KHR) check_vk(r, "vkQueuePresentKHR");
}

Pixels Window::screenshot() const {
  Display* display = glfwGetX11Display();
  XSync(display, False);  // every presented frame has reached the server
  XImage* image = XGetImage(display, glfwGetX11Window(window_), 0, 0, kWidth, kHeight, AllPlanes, ZPixmap);
  if (!image) throw std::runtime_error("XGetImage failed");
  Pixels rgba(std::size_t{kWidth} * kHeight * 4);
  for (std::uint32_t y = 0; y < kHeight; ++y)
    for (std::uint32_t x = 0; x < kWidth; ++x) {
      const unsigned long p = XGetPixel(image, int(x), int(y));  // TrueColor 0xRRGGBB
      std::uint8_t* out = &rgba[(std::size_t(y) * kWidth + x) * 4];
      out[0] = std::uint8_t((p & image->red_mask) >> 16);
      out[1] = std::uint8_t((p & image->green_mask) >> 8);
      out[2] = std::uint8_t(p & image->blue_mask);
      out[3] = 255;
    }
  XDestroyImage(image);
  return rgba;
}

}  // namespace live_compass
