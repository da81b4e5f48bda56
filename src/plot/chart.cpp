#include "plot/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "plot/canvas.hpp"
#include "vkrope/error.hpp"

namespace vkrope::plot {

namespace {

constexpr Color kInk{30, 30, 30}, kGrid{225, 225, 225}, kMuted{110, 110, 110};

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

// Where ticks go on an axis from lo to hi: decades (plus 2 and 5 when the range is short) on
// a log axis, steps of 1, 2 or 5 x 10^k on a linear one.
std::vector<double> ticks(double lo, double hi, bool log) {
  std::vector<double> out;
  if (log) {
    const int first = static_cast<int>(std::floor(std::log10(lo))), last = static_cast<int>(std::ceil(std::log10(hi)));
    const bool fine = last - first <= 2;
    for (int e = first; e <= last; ++e)
      for (double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
        const double v = m * std::pow(10.0, e);
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push_back(v);
      }
    return out;
  }
  const double raw = (hi - lo) / 6.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

// Maps data values to pixels along one axis.
struct Scale {
  double lo, hi;
  bool log;
  int p0, p1;  // pixels of lo and hi
  double operator()(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
};

// The data range padded for display: whole decades on a log axis, 5% on a linear one.
std::pair<double, double> padded(double lo, double hi, bool log) {
  if (log) return {std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi)))};
  if (hi == lo) return {lo - 1, hi + 1};
  // 5% below; 25% above, so the legend (top right) rarely covers the data.
  const double pad = 0.05 * (hi - lo);
  return {lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + 5 * pad};
}

void draw_title_and_labels(Canvas& c, const Axes& axes, int left, int right, int top, int bottom) {
  c.text((c.width() - Canvas::text_width(axes.title, 3)) / 2, 14, axes.title, kInk, 3);
  c.text(left, top - Canvas::text_height() - 10, axes.y_label, kInk);
  c.text((left + right - Canvas::text_width(axes.x_label)) / 2, bottom + 40, axes.x_label, kInk);
}

void legend(Canvas& c, int right, int top, const std::vector<std::pair<std::string, Color>>& entries,
            const std::vector<bool>& dashed) {
  int width = 0;
  for (const auto& [label, color] : entries) width = std::max(width, Canvas::text_width(label));
  const int x = right - width - 60, line_height = Canvas::text_height() + 8;
  c.fill_rect(x - 10, top + 6, right - 6, top + 14 + line_height * static_cast<int>(entries.size()), {250, 250, 250});
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const int y = top + 14 + line_height * static_cast<int>(i);
    c.line(x, y + 7, x + 36, y + 7, entries[i].second, 3, dashed[i] ? 6 : 0);
    c.text(x + 44, y, entries[i].first, kInk);
  }
}

}  // namespace

void line_chart(const std::string& path, const Axes& axes, const std::vector<Series>& series) {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Series& s : series)
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if ((axes.log_x && s.x[i] <= 0) || (axes.log_y && s.y[i] <= 0) || !std::isfinite(s.x[i]) || !std::isfinite(s.y[i]))
        continue;
      x_lo = std::min(x_lo, s.x[i]), x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]), y_hi = std::max(y_hi, s.y[i]);
    }
  if (!(x_lo <= x_hi)) throw Error(ErrorKind::InvalidArgument, "chart '" + axes.title + "': no points to draw");
  Canvas c(axes.width, axes.height);
  const int left = 110, right = axes.width - 50, top = 80, bottom = axes.height - 70;
  const auto [xl, xh] = padded(x_lo, x_hi, axes.log_x);
  const auto [yl, yh] = padded(y_lo, y_hi, axes.log_y);
  const Scale sx{xl, xh, axes.log_x, left, right}, sy{yl, yh, axes.log_y, bottom, top};
  for (double t : ticks(xl, xh, axes.log_x)) {
    const int px = static_cast<int>(sx(t));
    c.line(px, top, px, bottom, kGrid);
    const std::string label = number(t);
    c.text(px - Canvas::text_width(label) / 2, bottom + 10, label, kMuted);
  }
  for (double t : ticks(yl, yh, axes.log_y)) {
    const int py = static_cast<int>(sy(t));
    c.line(left, py, right, py, kGrid);
    const std::string label = number(t);
    c.text(left - 10 - Canvas::text_width(label), py - Canvas::text_height() / 2, label, kMuted);
  }
  c.line(left, bottom, right, bottom, kInk, 2);
  c.line(left, top, left, bottom, kInk, 2);
  std::vector<std::pair<std::string, Color>> entries;
  std::vector<bool> dashed;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const Color color = palette(k);
    bool have_previous = false;
    double px = 0, py = 0;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if ((axes.log_x && s.x[i] <= 0) || (axes.log_y && s.y[i] <= 0) || !std::isfinite(s.y[i])) continue;
      const double x = sx(s.x[i]), y = sy(s.y[i]);
      if (have_previous) c.line(px, py, x, y, color, 3, s.dashed ? 8 : 0);
      c.fill_rect(static_cast<int>(x) - 4, static_cast<int>(y) - 4, static_cast<int>(x) + 5, static_cast<int>(y) + 5,
                  color);
      px = x, py = y, have_previous = true;
    }
    entries.emplace_back(s.label, color);
    dashed.push_back(s.dashed);
  }
  draw_title_and_labels(c, axes, left, right, top, bottom);
  legend(c, right, top, entries, dashed);
  c.write_png(path);
}

void bar_chart(const std::string& path, const Axes& axes, const std::vector<Bar>& bars,
               const std::vector<std::string>& group_names, std::optional<double> reference,
               const std::string& reference_label) {
  if (bars.empty()) throw Error(ErrorKind::InvalidArgument, "chart '" + axes.title + "': no bars to draw");
  int label_width = 0;
  double hi = reference.value_or(0.0);
  for (const Bar& b : bars) {
    label_width = std::max(label_width, Canvas::text_width(b.label));
    hi = std::max({hi, b.value, b.target.value_or(0.0)});
  }
  const int row = 30, left = label_width + 30, right = axes.width - 30, top = 80;
  const int bottom = top + row * static_cast<int>(bars.size()) + 10;
  Canvas c(axes.width, bottom + 70 + 24 * static_cast<int>(group_names.size() + 2));
  const Scale sx{0.0, hi * 1.08, false, left, right};
  for (double t : ticks(0.0, hi * 1.08, false)) {
    const int px = static_cast<int>(sx(t));
    c.line(px, top, px, bottom, kGrid);
    const std::string label = number(t);
    c.text(px - Canvas::text_width(label) / 2, bottom + 10, label, kMuted);
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const int y = top + row * static_cast<int>(i) + 4;
    c.text(left - 12 - Canvas::text_width(b.label), y + 4, b.label, kInk);
    c.fill_rect(left, y, static_cast<int>(sx(std::max(0.0, b.value))), y + row - 8, palette(b.group));
    const std::string value = number(std::round(b.value * 1000.0) / 1000.0);
    c.text(static_cast<int>(sx(std::max(0.0, b.value))) + 6, y + 4, value, kMuted);
    if (b.target) {
      const int px = static_cast<int>(sx(*b.target));
      c.fill_rect(px - 1, y - 3, px + 2, y + row - 5, kInk);
    }
  }
  c.line(left, top, left, bottom, kInk, 2);
  c.line(left, bottom, right, bottom, kInk, 2);
  if (reference) {
    const int px = static_cast<int>(sx(*reference));
    c.line(px, top - 6, px, bottom, {200, 0, 0}, 2, 6);
    c.text(px + 6, top - 4 - Canvas::text_height(), reference_label, {200, 0, 0});
  }
  draw_title_and_labels(c, axes, left, right, top, bottom);
  // Legend under the x-axis label: the groups' colors, then the target mark.
  int y = bottom + 70;
  for (std::size_t g = 0; g < group_names.size(); ++g, y += 24) {
    c.fill_rect(left, y, left + 30, y + 16, palette(g));
    c.text(left + 40, y, group_names[g], kInk);
  }
  if (std::any_of(bars.begin(), bars.end(), [](const Bar& b) { return b.target.has_value(); })) {
    c.fill_rect(left + 14, y - 2, left + 17, y + 18, kInk);
    c.text(left + 40, y, "target ratio", kInk);
  }
  c.write_png(path);
}

}  // namespace vkrope::plot
