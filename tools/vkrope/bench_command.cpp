// vkrope bench [rope|attention|decode|all] [--json FILE] [--plot DIR] [--shape SPEC]:
// device-time medians against the floors measured in the same run.
#include <fmt/format.h>

#include <cstdio>

#include "bench.hpp"
#include "commands.hpp"
#include "io/atomic_file.hpp"
#include "output_path.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope::cli {

namespace {

void print_rope(const Context& context, const BenchSettings& settings, nlohmann::json& out) {
  fmt::print("ratio = copy ms / median ms (the shader copy of the same bytes); xfer = the same against vkCmdCopyBuffer\n"
             "{:<4} {:<44} {:<5} {:>10} {:>9} {:>10} {:>7} {:>10} {:>7}\n", "op", "shape", "dtype", "median ms", "GB/s",
             "copy ms", "ratio", "xfer ms", "xfer");
  for (const BenchResult& r : bench_rope(context, settings)) {
    fmt::print("{:<4} {:<44} {:<5} {:>10.4f} {:>9.2f} {:>10.4f} {:>7.2f} {:>10.4f} {:>7.2f}\n", r.op, r.name, r.dtype,
               r.median_ms, r.gbps, r.floor_ms, r.ratio, r.transfer_floor_ms, r.transfer_ratio);
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
}

void print_host(const Context& context, const BenchSettings& settings, nlohmann::json& out) {
  fmt::print("host path, medians per call: wall time of recording + submit + wait; host us = wall - device time,\n"
             "call by call (profiled runs); record us = recording alone; Vulkan objects created (and memory\n"
             "allocated), submits and waits per call (batch: recorded into one reused Batch, then Batch::submit;\n"
             "call: the overload without a Batch, which has no timestamps)\n"
             "{:<53} {:<5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>5}\n",
             "case", "mode", "device ms", "wall ms", "host us", "record us", "creations", "submits", "waits");
  out["host_path"] = nlohmann::json::array();
  bench_host(context, settings, [&](const HostResult& r) {
    const bool batch = r.mode == "batch";
    fmt::print("{:<53} {:<5} {:>9.3f} {:>9.3f} {:>9} {:>9} {:>9.2f} {:>7.2f} {:>5.2f}\n", r.name, r.mode, r.device_ms,
               r.wall_ms, batch ? fmt::format("{:.1f}", r.host_us) : "-",
               batch ? fmt::format("{:.1f}", r.record_us) : "-", r.creations, r.submits, r.waits);
    std::fflush(stdout);
    out["host_path"].push_back(to_json(r));
  });
}

// Rows print as they are measured (prefill takes minutes on CPU drivers); the two phases
// have different floors, so each gets its own header.
void print_attention(const Context& context, const BenchSettings& settings, const PeakFloor& peak,
                     const std::vector<AttentionBenchShape>& shapes, nlohmann::json& out) {
  fmt::print("attention (median of {} runs after {} warm-up; ratio target: prefill >= 0.3 of peak, decode >= 0.7 "
             "of copy)\n",
             settings.repetitions, settings.warmup);
  std::string phase;
  const auto on_result = [&](const BenchResult& r) {
    if (r.floor != phase) {
      phase = r.floor;
      if (phase == "peak")
        fmt::print("\nprefill: GFLOP/s counts 4 * Sq * Skv * D * H, halved when causal; ratio = GFLOP/s / peak {:.1f}\n"
                   "{:<40} {:<7} {:>10} {:>9} {:>7}  {}\n",
                   peak.gflops, "shape", "q/kv", "median ms", "GFLOP/s", "ratio", "note");
      else
        fmt::print("\ndecode: GB/s of K and V read, 2 * B * Skv * Hkv * D * bytes; ratio = copy ms / median ms (shader\n"
                   "copy of the same bytes); xfer = the same against vkCmdCopyBuffer\n"
                   "{:<40} {:<7} {:>10} {:>9} {:>10} {:>7} {:>10} {:>7}  {}\n",
                   "shape", "q/kv", "median ms", "GB/s", "copy ms", "ratio", "xfer ms", "xfer", "note");
    }
    const std::string met = r.ratio >= r.target ? "" : fmt::format("below {:.1f}", r.target);
    const std::string note = met.empty() ? r.note : r.note.empty() ? met : met + "; " + r.note;
    if (r.floor == "peak")
      fmt::print("{:<40} {:<7} {:>10.2f} {:>9.2f} {:>7.3f}  {}\n", r.name, r.dtype, r.median_ms, r.gflops, r.ratio,
                 note);
    else
      fmt::print("{:<40} {:<7} {:>10.3f} {:>9.2f} {:>10.3f} {:>7.2f} {:>10.3f} {:>7.2f}  {}\n", r.name, r.dtype,
                 r.median_ms, r.gbps, r.floor_ms, r.ratio, r.transfer_floor_ms, r.transfer_ratio, note);
    std::fflush(stdout);
    out["results"].push_back(to_json(r));
  };
  const auto on_slow = [](const std::string& message) {
    std::fflush(stdout);
    fmt::print(stderr, "vkrope bench: {}\n", message);
  };
  bench_attention(context, settings, peak, shapes, on_result, on_slow);
}

// Linear against softmax attention as the sequence grows, then the two decode steps.
void print_linear(const Context& context, const BenchSettings& settings, const PeakFloor& peak, nlohmann::json& out) {
  fmt::print("linear attention with RoPE beside softmax (flash) attention, causal, f32 (median of {} runs after {} "
             "warm-up); GFLOP/s counts each op's own flops, ratio = GFLOP/s / peak {:.1f}\n"
             "{:<22} {:<40} {:>10} {:>9} {:>7}  {}\n",
             settings.repetitions, settings.warmup, peak.gflops, "op", "shape", "median ms", "GFLOP/s", "ratio", "note");
  std::int64_t crossover = 0;
  double last_linear = 0.0;
  bench_linear(context, settings, peak, [&](const BenchResult& r) {
    fmt::print("{:<22} {:<40} {:>10.3f} {:>9.2f} {:>7.3f}  {}\n", r.op, r.name, r.median_ms, r.gflops, r.ratio, r.note);
    std::fflush(stdout);
    if (r.op == "linear attention") last_linear = r.median_ms;
    if (r.op == "softmax attention" && crossover == 0 && last_linear < r.median_ms) crossover = r.skv;
    out["results"].push_back(to_json(r));
  });
  if (crossover) fmt::print("crossover: linear attention is the faster from S = {} (the shortest length swept at "
                            "which it wins)\n", crossover);
  out["linear_crossover"] = crossover;
}

}  // namespace

Run add_bench_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("bench", "time the ops against the copy and peak floors on one device");
  struct Args {
    std::string op;  // positional
    std::string op_flag;  // --op
    std::string json;
    std::string plot;
    std::vector<std::string> shapes;
    int repetitions = 0;  // 0: each op's default
    std::string filter;
  };
  auto args = std::make_shared<Args>();
  const auto ops = CLI::IsMember({"rope", "attention", "decode", "host", "linear", "all"});
  // (Named OP: CLI11 2.4 refuses a positional that shares its name with the --op option.)
  sub->add_option("OP", args->op, "which ops: rope, attention (prefill and decode), decode (attention decode only), "
                                  "host (the host path of a decode step), linear (linear against softmax attention as S "
                                  "grows) or all (default)")->check(ops);
  sub->add_option("--op", args->op_flag, "the same as the positional op")->check(ops);
  sub->add_option("--json", args->json, "also write the results as JSON to this file");
  sub->add_option("--plot", args->plot,
                  "write PNG charts into this directory: ratio_to_floor.png, decode_time.png, linear_vs_softmax.png, "
                  "rope_angle_error.png");
  sub->add_option("--shape", args->shapes,
                  "time this attention shape instead of the built-in ones (repeatable), e.g. "
                  "b=1,sq=1,skv=8192,h=32,hkv=8,d=128,q=f32,kv=f16,causal=1; keys b, sq, skv, h, hkv, d, q, kv, "
                  "dtype, causal");
  sub->add_option("--repetitions", args->repetitions,
                  fmt::format("timed runs per case (median reported); default {} for rope, {} for attention",
                              BenchSettings{}.repetitions, kAttentionBenchSettings.repetitions))
      ->check(CLI::Range(1, 1000));
  sub->add_option("--filter", args->filter,
                  "run only the cases whose shape and dtype contain this text, e.g. 'decode B1 Skv4096' or "
                  "'f32/f16'; it also selects the peer's long unmasked prefill ('full')");
  return [&global, args] {
    if (!args->op.empty() && !args->op_flag.empty() && args->op != args->op_flag)
      throw Error(ErrorKind::InvalidArgument,
                  "bench: op '" + args->op + "' and --op '" + args->op_flag + "' differ; give one");
    std::string op = !args->op.empty() ? args->op : !args->op_flag.empty() ? args->op_flag : "all";
    std::vector<AttentionBenchShape> shapes = default_attention_shapes();
    if (!args->shapes.empty()) {
      if (op == "rope" || op == "host" || op == "linear")
        throw Error(ErrorKind::InvalidArgument, "bench: --shape gives attention shapes; op is " + op);
      shapes.clear();
      for (const std::string& spec : args->shapes) shapes.push_back(parse_attention_shape(spec));
      op = "attention";
    }
    // Check the output paths first: the run takes minutes, and a bad path should not wait.
    if (!args->json.empty()) check_output_file("--json", args->json);
    if (!args->plot.empty()) check_output_dir("--plot", args->plot);
    const Context context = Context::create(context_options(global));
    BenchSettings rope_settings;
    BenchSettings attention_settings = kAttentionBenchSettings;
    if (args->repetitions > 0) rope_settings.repetitions = attention_settings.repetitions = args->repetitions;
    rope_settings.filter = attention_settings.filter = args->filter;
    attention_settings.decode_only = op == "decode";
    fmt::print("vkrope bench on {} ({})\n", context.device().name, to_string(context.device().emulation));
    const CopyFloor copy = measure_copy(context, 64ull << 20);
    const CopyFloor transfer = measure_transfer_copy(context, 64ull << 20);
    const PeakFloor peak = measure_peak(context);
    const ReadFloor read_storage = measure_read(context, 64ull << 20, LoadPath::Storage);
    const ReadFloor read_texel = measure_read(context, 64ull << 20, LoadPath::Texel);
    fmt::print("floors: copy {:.2f} GB/s (shader, 64 MiB), vkCmdCopyBuffer {:.2f} GB/s (the driver's copy, {:.1f}x), "
               "peak {:.1f} GFLOP/s\n",
               copy.gbps, transfer.gbps, transfer.gbps / copy.gbps, peak.gflops);
    fmt::print("loads: storage buffer {:.2f} GB/s read ({} MiB), uniform texel buffer {:.2f} GB/s read ({} MiB, {:.1f}x)\n\n",
               read_storage.gbps, read_storage.bytes >> 20, read_texel.gbps, read_texel.bytes >> 20,
               read_texel.gbps / read_storage.gbps);

    nlohmann::json out = {{"device", device_to_json(context.device())},
                          {"floors",
                           {{"copy_gbps", copy.gbps},
                            {"transfer_copy_gbps", transfer.gbps},
                            {"read_storage_gbps", read_storage.gbps},
                            {"read_texel_gbps", read_texel.gbps},
                            {"read_texel_bytes", read_texel.bytes},
                            {"peak_gflops", peak.gflops}}},
                          {"results", nlohmann::json::array()}};
    if (op == "rope" || op == "all") print_rope(context, rope_settings, out);
    if (op == "all") fmt::print("\n");
    if (op == "host" || op == "all") print_host(context, rope_settings, out);
    if (op == "all") fmt::print("\n");
    if (op != "rope" && op != "host" && op != "linear") print_attention(context, attention_settings, peak, shapes, out);
    if (op == "all") fmt::print("\n");
    if (op == "linear" || op == "all") print_linear(context, attention_settings, peak, out);
    if (!args->json.empty()) io::write_file_atomically(args->json, out.dump(2) + "\n");
    if (!args->plot.empty()) {
      make_output_dir("--plot", args->plot);
      for (const std::string& path : write_bench_plots(args->plot, out)) fmt::print("chart: {}\n", path);
    }
    return 0;
  };
}

}  // namespace vkrope::cli
