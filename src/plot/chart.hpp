// Charts a person reads at a glance, as PNG files: a line chart (linear or log axes, a
// legend) and a horizontal bar chart (one labelled bar per case, with optional target
// marks and a reference line). Used by `vkrope bench --plot` and the samples.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vkrope::plot {

struct Axes {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  int width = 1000, height = 600;  // pixels
};

struct Series {
  std::string label;
  std::vector<double> x, y;  // points joined in order; non-positive values are skipped on a log axis
  bool dashed = false;
};

// Throws vkrope::Error: InvalidArgument for no points to draw, Io when the file cannot be
// written.
void line_chart(const std::string& path, const Axes& axes, const std::vector<Series>& series);

struct Bar {
  std::string label;
  double value = 0;
  std::optional<double> target;  // drawn as a black mark across the bar
  std::size_t group = 0;         // bars of one group share a color
};

// Horizontal bars; `reference` draws a dashed vertical line (e.g. 1 = as fast as the
// floor) labelled `reference_label`; `group_names` label the colors in the legend.
void bar_chart(const std::string& path, const Axes& axes, const std::vector<Bar>& bars,
               const std::vector<std::string>& group_names, std::optional<double> reference = std::nullopt,
               const std::string& reference_label = "");

}  // namespace vkrope::plot
