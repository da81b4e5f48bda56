// vkrope demo: the main job of ./run.sh demo, about a minute on lavapipe. The Vulkan
// devices; the quick conformance subset on the default device (RoPE, attention, decode and
// the KvCache against the CPU reference); then a short benchmark against the copy and peak
// floors measured in the same run.
#include <fmt/format.h>
#include <unistd.h>  // isatty

#include <random>

#include "bench.hpp"
#include "commands.hpp"
#include "conformance/report.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::cli {

namespace {

void print_bench_row(const BenchResult& r) {
  const bool peak = r.floor == "peak";
  fmt::print("  {:<9} {:<46} {:<7} {:>9.3f} {:>7.2f} {:<9} {:>6.2f}\n", r.op, r.name, r.dtype, r.median_ms,
             peak ? r.gflops : r.gbps, peak ? "GFLOP/s" : "GB/s", r.ratio);
}

}  // namespace

Run add_demo_command(CLI::App& app, const GlobalOptions& global) {
  app.add_subcommand("demo", "devices, quick conformance and a short benchmark on the default device");
  return [&global] {
    const ContextOptions options = context_options(global);
    std::vector<DeviceInfo> devices = enumerate_devices();
    const std::size_t chosen = select_device(devices, options.device);
    fmt::print("Vulkan devices (* = default; choose with --device):\n");
    for (const auto& d : devices)
      fmt::print("  {} [{}] {} ({}, {})\n", d.index == chosen ? '*' : ' ', d.index, d.name, to_string(d.type),
                 d.driver_name);

    const Context context = Context::create(options);
    fmt::print("\nConformance, quick subset (vkrope conformance --quick; the full matrix without --quick):\n");
    conformance::RunOptions run;
    run.seed = std::random_device{}();
    if (isatty(fileno(stderr))) run.progress = print_conformance_progress;
    const nlohmann::json report = conformance::run_on_device(context, conformance::select_cases(true, {}), run);
    print_conformance_table(report, run.seed, std::to_string(chosen));

    if (!context.device().timestamps) {
      fmt::print("{} has no timestamps: no benchmark\n", context.device().name);
    } else {
      const CopyFloor copy = measure_copy(context, 64ull << 20);
      const PeakFloor peak = measure_peak(context);
      fmt::print("Benchmark (vkrope bench for every shape): floors copy {:.2f} GB/s, peak {:.1f} GFLOP/s\n", copy.gbps,
                 peak.gflops);
      fmt::print("  {:<9} {:<46} {:<7} {:>9} {:>17} {:>6}\n", "op", "shape", "dtype", "median ms", "rate", "ratio");
      BenchSettings settings;
      settings.filter = "prefill B1 S512 Hq32 Hk8 D128";
      for (const BenchResult& r : bench_rope(context, settings)) print_bench_row(r);
      AttentionBenchShape decode{1, 1, 4096, 8, 8, 64, DType::f32, DType::f16};
      AttentionBenchShape prefill{1, 256, 256, 8, 8, 64, DType::f32, DType::f32};
      decode.custom = prefill.custom = true;
      bench_attention(context, kAttentionBenchSettings, peak, {decode, prefill}, print_bench_row);
      fmt::print("  ratio: copy ms / op ms for memory-bound ops, GFLOP/s / peak for prefill attention\n");
    }
    return report["summary"]["failed"].get<int>() == 0 ? 0 : 1;
  };
}

}  // namespace vkrope::cli
