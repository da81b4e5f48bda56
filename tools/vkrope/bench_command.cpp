// vkrope bench [--op rope|all] [--json FILE]: device-time medians against the floors.
#include <fmt/format.h>

#include <fstream>

#include "bench.hpp"
#include "commands.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::cli {

Run add_bench_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("bench", "time the ops against the copy and peak floors on one device");
  struct Args {
    std::string op = "all";
    std::string json;
    int repetitions = 5;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("--op", args->op, "which ops: rope or all")->check(CLI::IsMember({"rope", "all"}));
  sub->add_option("--json", args->json, "also write the results as JSON to this file");
  sub->add_option("--repetitions", args->repetitions, "timed runs per case (median reported)")->check(CLI::Range(1, 1000));
  return [&global, args] {
    const Context context = Context::create(context_options(global));
    BenchSettings settings;
    settings.repetitions = args->repetitions;
    fmt::print("vkrope bench on {} ({})\n", context.device().name, to_string(context.device().emulation));
    const CopyFloor copy = measure_copy(context, 64ull << 20);
    const PeakFloor peak = measure_peak(context);
    fmt::print("floors: copy {:.2f} GB/s (64 MiB), peak {:.1f} GFLOP/s\n\n", copy.gbps, peak.gflops);

    nlohmann::json out = {{"device", device_to_json(context.device())},
                          {"floors", {{"copy_gbps", copy.gbps}, {"peak_gflops", peak.gflops}}},
                          {"results", nlohmann::json::array()}};
    fmt::print("{:<4} {:<44} {:<5} {:>10} {:>9} {:>10} {:>7}\n", "op", "shape", "dtype", "median ms", "GB/s",
               "copy ms", "ratio");
    for (const BenchResult& r : bench_rope(context, settings)) {
      fmt::print("{:<4} {:<44} {:<5} {:>10.4f} {:>9.2f} {:>10.4f} {:>7.2f}\n", r.op, r.name, r.dtype, r.median_ms,
                 r.gbps, r.floor_ms, r.ratio);
      out["results"].push_back(to_json(r));
    }
    fmt::print("\nRoPE angle error, max |out - float64 RoPE| / max |x| (head_dim 128, theta 1e4):\n");
    fmt::print("{:>10} {:>14} {:>22}\n", "position", "vkrope", "float32 cos(p*f) recipe");
    out["rope_angle_error"] = nlohmann::json::array();
    for (const AngleError& e : rope_angle_errors(context)) {
      fmt::print("{:>10} {:>14.2e} {:>22.2e}\n", e.position, e.vkrope_max_abs_err, e.float32_recipe_max_abs_err);
      out["rope_angle_error"].push_back({{"position", e.position},
                                         {"vkrope_max_abs_err", e.vkrope_max_abs_err},
                                         {"float32_recipe_max_abs_err", e.float32_recipe_max_abs_err}});
    }
    if (!args->json.empty()) {
      std::ofstream file(args->json);
      if (!file) throw Error(ErrorKind::Io, "cannot write " + args->json);
      file << out.dump(2) << "\n";
    }
    return 0;
  };
}

}  // namespace vkrope::cli
