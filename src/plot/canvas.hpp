// An RGB image to draw charts on: rectangles, lines, and text from stb_easy_font (a
// bitmap font built of rectangles), written as PNG by stb_image_write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vkrope::plot {

struct Color {
  std::uint8_t r, g, b;
};

// Distinguishable series colors (a qualitative palette), cycling.
Color palette(std::size_t index);

class Canvas {
 public:
  Canvas(int width, int height, Color background = {255, 255, 255});
  int width() const { return width_; }
  int height() const { return height_; }

  void fill_rect(int x0, int y0, int x1, int y1, Color c);  // [x0, x1) x [y0, y1), clipped
  // A line `thickness` pixels wide; dashed lines draw `dash` pixels on, `dash` off.
  void line(double x0, double y0, double x1, double y1, Color c, int thickness = 1, int dash = 0);
  // Text with its top-left corner at (x, y); `scale` multiplies the 7-pixel-high font.
  void text(int x, int y, const std::string& s, Color c, int scale = 2);
  static int text_width(const std::string& s, int scale = 2);
  static int text_height(int scale = 2) { return 8 * scale; }

  // Copies a w x h block of RGBA8 pixels (R in the low byte; alpha ignored) to (x, y),
  // e.g. an image a compute shader made.
  void blit(int x, int y, int w, int h, const std::uint32_t* rgba);

  // Throws vkrope::Error (Io) when the file cannot be written.
  void write_png(const std::string& path) const;

 private:
  void dot(int x, int y, Color c, int thickness);
  int width_, height_;
  std::vector<std::uint8_t> rgb_;
};

}  // namespace vkrope::plot
