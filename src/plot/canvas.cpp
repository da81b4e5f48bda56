#include "plot/canvas.hpp"

#include <stb_easy_font.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "io/atomic_file.hpp"
#include "vkrope/error.hpp"

namespace vkrope::plot {

Color palette(std::size_t index) {
  static constexpr Color colors[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                     {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127},
                                     {188, 189, 34},  {23, 190, 207}};
  return colors[index % std::size(colors)];
}

Canvas::Canvas(int width, int height, Color background)
    : width_(width), height_(height), rgb_(static_cast<std::size_t>(width * height) * 3) {
  fill_rect(0, 0, width, height, background);
}

void Canvas::fill_rect(int x0, int y0, int x1, int y1, Color c) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0), x1 = std::min(x1, width_), y1 = std::min(y1, height_);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      std::uint8_t* p = &rgb_[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
                               static_cast<std::size_t>(x)) * 3];
      p[0] = c.r, p[1] = c.g, p[2] = c.b;
    }
}

void Canvas::dot(int x, int y, Color c, int thickness) {
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  fill_rect(x + lo, y + lo, x + hi + 1, y + hi + 1, c);
}

void Canvas::line(double x0, double y0, double x1, double y1, Color c, int thickness, int dash) {
  const double length = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, static_cast<int>(std::ceil(length)));
  for (int i = 0; i <= steps; ++i) {
    if (dash > 0 && (i / dash) % 2 == 1) continue;
    const double t = static_cast<double>(i) / steps;
    dot(static_cast<int>(std::lround(x0 + t * (x1 - x0))), static_cast<int>(std::lround(y0 + t * (y1 - y0))), c,
        thickness);
  }
}

void Canvas::text(int x, int y, const std::string& s, Color c, int scale) {
  // stb_easy_font emits axis-aligned quads (4 vertices of 16 bytes: x, y, z, rgba).
  std::vector<char> quads(s.size() * 1200 + 64);  // ~270 bytes a character on average, more for some
  std::string copy = s;
  const int n = stb_easy_font_print(0, 0, copy.data(), nullptr, quads.data(), static_cast<int>(quads.size()));
  for (int q = 0; q < n; ++q) {
    const float* v0 = reinterpret_cast<const float*>(quads.data() + q * 64);
    const float* v2 = reinterpret_cast<const float*>(quads.data() + q * 64 + 32);
    fill_rect(x + static_cast<int>(v0[0]) * scale, y + static_cast<int>(v0[1]) * scale,
              x + static_cast<int>(v2[0]) * scale, y + static_cast<int>(v2[1]) * scale, c);
  }
}

void Canvas::blit(int x, int y, int w, int h, const std::uint32_t* rgba) {
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const std::uint32_t p = rgba[static_cast<std::size_t>(r) * static_cast<std::size_t>(w) + static_cast<std::size_t>(c)];
      fill_rect(x + c, y + r, x + c + 1, y + r + 1,
                {static_cast<std::uint8_t>(p), static_cast<std::uint8_t>(p >> 8), static_cast<std::uint8_t>(p >> 16)});
    }
}

int Canvas::text_width(const std::string& s, int scale) {
  std::string copy = s;
  return stb_easy_font_width(copy.data()) * scale;
}

void Canvas::write_png(const std::string& path) const {
  // Encoded in memory, then written whole or not at all (no half PNG after a failure).
  std::vector<std::byte> png;
  const auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<std::byte>*>(context);
    const auto* bytes = static_cast<const std::byte*>(data);
    out->insert(out->end(), bytes, bytes + size);
  };
  if (!stbi_write_png_to_func(append, &png, width_, height_, 3, rgb_.data(), width_ * 3))
    throw Error(ErrorKind::Io, "cannot encode PNG " + path);
  io::write_file_atomically(path, png);
}

}  // namespace vkrope::plot
