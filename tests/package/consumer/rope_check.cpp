// A program outside vkrope's tree, built against an installed vkrope (the CMake package or
// pkg-config) or its source tree (add_subdirectory), using only the public C++ API: RoPE of
// random queries on every Vulkan device, compared with the double-precision reference.
#include <cmath>
#include <cstdio>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include <vkrope/context.hpp>
#include <vkrope/reference.hpp>
#include <vkrope/rope.hpp>
#include <vkrope/tensor.hpp>
#include <vkrope/version.hpp>

#ifdef ROPE_CHECK_CALLS_LOADER
// Built this way, the program also links the Vulkan loader (-lvulkan) and calls it directly,
// as a renderer does. vkrope reaches Vulkan through volk's function pointers, which carry
// the loader's names (vkEnumerateInstanceVersion...); the installed library keeps them
// local, so this call reaches the loader and not a pointer of vkrope's.
#include <vulkan/vulkan.h>
#endif

int main() {
  try {
    const std::vector<vkrope::DeviceInfo> devices = vkrope::enumerate_devices();
    if (devices.empty()) {
      std::fprintf(stderr, "rope_check: no Vulkan device\n");
      return 1;
    }
#ifdef ROPE_CHECK_CALLS_LOADER
    std::uint32_t api = 0;
    if (vkEnumerateInstanceVersion(&api) != VK_SUCCESS) {
      std::fprintf(stderr, "rope_check: vkEnumerateInstanceVersion failed\n");
      return 1;
    }
    std::printf("rope_check: the application's own Vulkan loader: API %u.%u\n", VK_API_VERSION_MAJOR(api),
                VK_API_VERSION_MINOR(api));
#endif
    const unsigned seed = std::random_device{}();
    std::printf("rope_check: vkrope %s, seed %u\n", std::string(vkrope::version()).c_str(), seed);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);

    const std::int64_t seq = 8, heads = 4, head_dim = 64;
    vkrope::RopeConfig config;
    config.head_dim = head_dim;
    std::vector<float> x(static_cast<std::size_t>(seq * heads * head_dim));
    for (float& v : x) v = uniform(rng);
    std::vector<std::int64_t> positions(static_cast<std::size_t>(seq));
    for (std::size_t i = 0; i < positions.size(); ++i) positions[i] = 1000 + 37 * static_cast<std::int64_t>(i);
    const std::vector<double> x64(x.begin(), x.end());
    const std::vector<double> expected = vkrope::reference::rope(x64, 1, seq, heads, config, positions);

    for (std::size_t d = 0; d < devices.size(); ++d) {
      vkrope::ContextOptions options;
      options.device = std::to_string(d);
      options.validation = true;
      const vkrope::Context context = vkrope::Context::create(options);
      const vkrope::Tensor q = vkrope::Tensor::from_floats(context, vkrope::DType::f32, {seq, heads, head_dim}, x);
      vkrope::rope(config, {.q = q}, {.values = positions});
      const std::vector<float> got = q.download();
      double max_abs = 0.0;
      for (std::size_t i = 0; i < got.size(); ++i) max_abs = std::fmax(max_abs, std::fabs(got[i] - expected[i]));
      // f32 storage, |x| <= 1, angles up to ~1300 rad computed from exact host tables: a few
      // float32 ulps of the result; 1e-5 leaves a margin of ten.
      const bool ok = max_abs <= 1e-5 && context.validation_messages().empty();
      std::printf("rope_check: %s: max abs error %.2e (bound 1e-5), %zu validation messages: %s\n",
                  context.device().name.c_str(), max_abs, context.validation_messages().size(), ok ? "ok" : "FAILED");
      if (!ok) return 1;
    }
    return 0;
  } catch (const vkrope::Error& e) {
    std::fprintf(stderr, "rope_check: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rope_check: unexpected %s\n", e.what());
    return 1;
  }
}
