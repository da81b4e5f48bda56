// live_compass: vkrope computing inside an application's own Vulkan frame, on screen.
// The application owns the instance, device, swapchain and frame loop (gpu.cpp,
// window.cpp, frames.cpp) and adopts its device into vkrope (scene.cpp). Every frame
// records into the application's own command buffer, before its own drawing: RoPE of toy
// query and key vectors at the frame's position, attention of the rotated queries over a
// ring of the 32 most recent keys, then a graphics pass of the sample's own shaders that
// draws compass needles (the rotated vectors) and the live attention-weight heatmap from
// the very buffers vkrope wrote. The window title shows the device and vkrope's device
// time per frame (timestamp queries around its work).
//
//   live_compass                         a window; keys: space, arrows, A, 1-4, Esc
//   live_compass --frames N --out DIR    N frames, one position each, then a screenshot
//   live_compass --headless N --out DIR  N frames offscreen: PNGs and a strip
//
// Either way the weights drawn in the last frame are checked against vkrope's CPU
// reference (exit 1 on a mismatch or on any validation message, with --validate).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "common/sample.hpp"
#include "window.hpp"

using namespace live_compass;
namespace sample = vkrope::sample;

namespace {

struct Args {
  std::string out = ".", device;
  int headless = 0, frames = 0;
  double speed = 4.0;
  bool validate = false;
  Settings start;  // what the keys start from (--theta, --scaling, --alibi, --head)
};

std::string name(const char* stem, std::int64_t frame) {
  char s[64];
  std::snprintf(s, sizeof s, "%s_%03lld.png", stem, static_cast<long long>(frame));
  return s;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// The weights the last frame drew against vkrope's CPU reference (double precision).
void check(const Scene& scene, const Gpu& gpu, std::int64_t position, const Settings& settings) {
  gpu.fn.vkDeviceWaitIdle(gpu.device);
  const double worst = scene.check(position, settings);
  char detail[96];
  std::snprintf(detail, sizeof detail, "max abs error %.2g", worst);
  sample::check(worst < 1e-5, "weights drawn at position " + std::to_string(position) + " against the CPU reference (f32: 1e-5)",
                detail);
}

// The frames: headless (offscreen) or in a window, then the check.
void run(const Args& args, Gpu& gpu, Window* window, std::vector<double>& ms) {
  gpu.create_device(window ? window->surface() : VK_NULL_HANDLE);
  Scene scene(gpu);
  const Renderer renderer(gpu, scene, kFormat,
                          window ? VK_IMAGE_LAYOUT_PRESENT_SRC_KHR : VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
  std::int64_t position = kFirstPosition;
  Settings settings = args.start;
  if (!window) {
    std::vector<Pixels> strip;
    Offscreen offscreen(gpu, renderer, [&](std::int64_t p, const Pixels& rgba) {
      write_png(sample::output_path({args.out}, name("live_compass", p - kFirstPosition)), int(kWidth), int(kHeight), rgba);
      if (strip.size() < 8) strip.push_back(rgba);
    });
    {
      Frames frames(gpu, scene, renderer);
      for (int f = 0; f < args.headless; ++f) frames.draw(offscreen, position = kFirstPosition + f, settings);
      frames.finish(offscreen);
      ms = frames.vkrope_ms();
    }
    write_strip(sample::output_path({args.out}, "live_compass_strip.png"), strip, 4);
    check(scene, gpu, position, settings);
    return;
  }

  window->create_swapchain(renderer);
  window->controls().settings = args.start;
  Frames frames(gpu, scene, renderer);
  const auto start = std::chrono::steady_clock::now();
  auto last_title = start;
  double elapsed = 0;  // positions advance with time, at most one per frame
  for (int f = 0; window->open() && (args.frames == 0 || f < args.frames); ++f) {
    window->poll();
    const auto now = std::chrono::steady_clock::now();
    if (args.frames > 0) {
      position = kFirstPosition + f;  // deterministic: the screenshot matches headless frame f
    } else if (!window->controls().paused) {
      elapsed += std::chrono::duration<double>(now - last_title).count();
      if (kFirstPosition + std::int64_t(elapsed * args.speed) > position) ++position;
    }
    settings = window->controls().settings;
    frames.draw(*window, position, settings);
    if (now - last_title > std::chrono::milliseconds(500) || f == 0) {
      char title[512];
      std::snprintf(title, sizeof title, "live_compass on %s | vkrope %.3f ms/frame | pos %lld theta %g %s%s head %d%s",
                    gpu.properties.deviceName, median(frames.vkrope_ms()), static_cast<long long>(position),
                    settings.theta, scaling_name(settings.scaling), settings.alibi ? " ALiBi" : "", settings.head + 1,
                    window->controls().paused ? " (paused)" : "");
      window->set_title(title);
    }
    last_title = now;
  }
  frames.finish(*window);
  ms = frames.vkrope_ms();
  if (args.frames > 0) {
    gpu.fn.vkDeviceWaitIdle(gpu.device);
    write_png(sample::output_path({args.out}, "live_compass_window.png"), int(kWidth), int(kHeight), window->screenshot());
  }
  check(scene, gpu, position, settings);
}  // the Frames, the Renderer and the Scene's adopted Context go here, before the device

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"live_compass: vkrope's RoPE and attention inside an application's own Vulkan frame"};
  Args args;
  app.add_option("--out", args.out, "directory for PNGs (created if missing)");
  app.add_option("--device", args.device, "device index or name substring (default: the first that fits)");
  app.add_option("--headless", args.headless, "draw N frames offscreen and write them as PNGs")->check(CLI::Range(1, 1000));
  app.add_option("--frames", args.frames, "windowed: N frames (one position each), then a screenshot")
      ->check(CLI::Range(1, 100000));
  app.add_option("--speed", args.speed, "windowed: positions per second (default 4)")->check(CLI::Range(0.1, 1000.0));
  app.add_option("--theta", args.start.theta, "RoPE base to start with (default 10000)")->check(CLI::Range(2.0, 1e7));
  app.add_option("--scaling", args.start.scaling, "scaling to start with: 0 default, 1 linear, 2 yarn, 3 llama3")
      ->check(CLI::Range(0, scaling_count() - 1));
  app.add_flag("--alibi", args.start.alibi, "start with ALiBi on");
  app.add_option("--head", args.start.head, "head to show, 0-3")->check(CLI::Range(0, int(kHeads) - 1));
  app.add_flag("--validate", args.validate, "Khronos validation layer with synchronization validation; any message fails");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  try {
    GpuOptions options;
    options.device = args.device;
    options.validation = args.validate;
    options.swapchain = args.headless == 0;
    std::optional<Gpu> gpu;        // declared first: the device outlives the window's swapchain
    std::optional<Window> window;
    if (args.headless == 0) options.instance_extensions = Window::instance_extensions();
    gpu.emplace(options);
    if (args.headless == 0) window.emplace(*gpu);
    std::vector<double> ms;
    run(args, *gpu, window ? &*window : nullptr, ms);
    std::printf("live_compass on %s: %zu frames, vkrope device time per frame: median %.3f ms\n",
                gpu->properties.deviceName, ms.size(), median(ms));
    sample::check(gpu->validation_messages() == 0, "validation layer silent",
                  std::to_string(gpu->validation_messages()) + " messages");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "live_compass: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
