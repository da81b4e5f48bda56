// vkrope demo: the main job of ./run.sh demo. For now: the device table, then the copy
// kernel on random data on the default device, checked byte for byte against the host,
// and the copy and peak floors.
#include <fmt/format.h>

#include <cstring>
#include <random>

#include "commands.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::cli {

Run add_demo_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("demo", "list devices, then run and check the copy kernel on the default device");
  return [&global, sub] {
    (void)sub;
    const ContextOptions options = context_options(global);
    std::vector<DeviceInfo> devices = enumerate_devices();
    const std::size_t chosen = select_device(devices, options.device);
    fmt::print("Vulkan devices:\n");
    for (const auto& d : devices)
      fmt::print("  {} [{}] {} ({}, {})\n", d.index == chosen ? '*' : ' ', d.index, d.name, to_string(d.type),
                 d.driver_name);

    const Context context = Context::create(options);
    fmt::print("\nOn {}:\n", context.device().name);
    const std::uint32_t seed = std::random_device{}();
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    const std::int64_t n = 1'000'003;  // not a multiple of any workgroup or vector width
    std::vector<float> values(static_cast<std::size_t>(n));
    for (float& v : values) v = dist(rng);
    const Tensor src = Tensor::from_floats(context, DType::f32, {n}, values);
    const Tensor dst = Tensor::empty(context, DType::f32, {n});
    dst.fill_bytes(0xff);  // NaN everywhere: an element the kernel misses cannot pass
    copy(src, dst);
    const std::vector<float> back = dst.download();
    const bool same = std::memcmp(back.data(), values.data(), values.size() * sizeof(float)) == 0;
    fmt::print("  copy kernel, {} floats (seed {}): {}\n", n, seed, same ? "matches the host" : "MISMATCH");
    if (!same) return 1;

    if (context.device().timestamps) {
      const CopyFloor c = measure_copy(context, 64ull << 20);
      fmt::print("  copy floor: {:.2f} GB/s ({} MiB copied, median {:.3f} ms)\n", c.gbps, c.bytes >> 20, c.median_ms);
      const PeakFloor p = measure_peak(context);
      fmt::print("  peak floor: {:.1f} GFLOP/s (median {:.3f} ms)\n", p.gflops, p.median_ms);
    }
    if (options.validation) {
      const auto messages = context.validation_messages();
      fmt::print("  validation layer: {} messages\n", messages.size());
      for (const auto& m : messages) fmt::print(stderr, "vkrope: validation: {}\n", m);
      if (!messages.empty()) return 1;
    }
    return 0;
  };
}

}  // namespace vkrope::cli
