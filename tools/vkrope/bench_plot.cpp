// bench --plot DIR: the benchmark's JSON drawn as PNG charts.
#include <fmt/format.h>

#include <map>

#include "bench.hpp"
#include "plot/chart.hpp"

namespace vkrope::cli {

std::vector<std::string> write_bench_plots(const std::string& dir, const nlohmann::json& report) {
  std::vector<std::string> written;
  const std::string device = report["device"]["name"].get<std::string>();
  const nlohmann::json& results = report["results"];

  // 1. Ratio to the floor, one bar per case, colored by what the floor is.
  std::vector<plot::Bar> bars;
  for (const auto& r : results) {
    plot::Bar b;
    b.label = fmt::format("{} {} {}", r["op"].get<std::string>(), r["case"].get<std::string>(),
                          r["dtype"].get<std::string>());
    b.value = r["ratio_to_floor"].get<double>();
    if (r.contains("target_ratio")) b.target = r["target_ratio"].get<double>();
    b.group = r["floor"] == "peak" ? 1 : 0;
    bars.push_back(std::move(b));
  }
  if (!bars.empty()) {
    const std::string path = dir + "/ratio_to_floor.png";
    plot::bar_chart(path,
                    {.title = "vkrope bench on " + device, .x_label = "ratio to floor (1 = as fast as the floor)",
                     .y_label = "", .width = 1500},
                    bars, {"copy floor: copy ms / op ms (memory-bound ops)", "peak floor: GFLOP/s / peak GFLOP/s"},
                    1.0, "floor");
    written.push_back(path);
  }

  // 2. Decode time against context length, a line per (batch, heads, head_dim, dtypes).
  std::map<std::string, plot::Series> decode;
  for (const auto& r : results)
    if (r.contains("skv") && r["floor"] == "copy" && r["op"] == "attention") {
      plot::Series& s = decode[r["series"].get<std::string>()];
      s.label = r["series"].get<std::string>();
      s.x.push_back(r["skv"].get<double>());
      s.y.push_back(r["median_ms"].get<double>());
    }
  std::vector<plot::Series> lines;
  for (auto& [key, s] : decode)
    if (s.x.size() >= 2) lines.push_back(std::move(s));
  if (!lines.empty()) {
    const std::string path = dir + "/decode_time.png";
    plot::line_chart(path,
                     {.title = "attention decode on " + device, .x_label = "context length Skv (keys)",
                      .y_label = "median device time, ms", .log_x = true, .log_y = true},
                     lines);
    written.push_back(path);
  }

  // 3. Linear against softmax attention: time against sequence length.
  std::map<std::string, plot::Series> sweep;
  for (const auto& r : results)
    if (r["op"] == "linear attention" || r["op"] == "softmax attention") {
      plot::Series& s = sweep[r["op"].get<std::string>()];
      s.label = r["op"].get<std::string>() + " (causal, H8 D64, RoPE)";
      s.x.push_back(r["skv"].get<double>());
      s.y.push_back(r["median_ms"].get<double>());
    }
  if (sweep.size() == 2) {
    const std::string path = dir + "/linear_vs_softmax.png";
    plot::line_chart(path,
                     // The device's first word: the whole name would not fit beside the title.
                     {.title = "linear vs softmax attention, " + device.substr(0, device.find(' ')),
                      .x_label = "sequence length S (tokens)",
                      .y_label = "median device time, ms", .log_x = true, .log_y = true},
                     {sweep["linear attention"], sweep["softmax attention"]});
    written.push_back(path);
  }

  // 4. RoPE angle error against position.
  if (report.contains("rope_angle_error") && !report["rope_angle_error"].empty()) {
    plot::Series ours{"vkrope kernel", {}, {}}, recipe{"float32 cos(p * f) recipe", {}, {}, true};
    for (const auto& e : report["rope_angle_error"]) {
      ours.x.push_back(e["position"].get<double>());
      ours.y.push_back(e["vkrope_max_abs_err"].get<double>());
      recipe.x.push_back(e["position"].get<double>());
      recipe.y.push_back(e["float32_recipe_max_abs_err"].get<double>());
    }
    const std::string path = dir + "/rope_angle_error.png";
    plot::line_chart(path,
                     {.title = "RoPE error against position (head_dim 128, theta 1e4)", .x_label = "position",
                      .y_label = "max |out - float64 RoPE| / max |x|", .log_x = true, .log_y = true},
                     {ours, recipe});
    written.push_back(path);
  }
  return written;
}

}  // namespace vkrope::cli
