// compass: RoPE as a field of compass needles, drawn by a compute shader. Rows are
// positions, columns are frequency pairs (head_dim 32, theta 10000): pair 0 turns one radian
// per position, the last pair barely moves in 16 positions, so the fast and slow
// frequencies are visible at a glance. The angles are vkrope's own: rope() rotates (1, 0) in
// every pair (checked against the CPU reference), and compass.comp (vkrope::Kernel) draws
// the needles from its output. Writes compass.png and, with --frames N, compass_000.png ...
// as the positions advance by 1 per frame.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "common/sample.hpp"
#include "compass_spirv.h"
#include "plot/canvas.hpp"
#include "vkrope/kernel.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/rope.hpp"

using namespace vkrope;

namespace {

constexpr std::uint32_t kRows = 16, kCols = 16, kCell = 40, kLeft = 60, kTop = 80;
constexpr std::uint32_t kWidth = kLeft + kCols * kCell + 20, kHeight = kTop + kRows * kCell + 20;

struct Push {
  std::uint32_t width, height, rows, cols, cell, left, top;
};

// Draws the grid for positions first..first+kRows-1; returns the PNG's pixels (RGBA8).
std::vector<std::uint32_t> draw(const Context& ctx, const Kernel& kernel, std::int64_t first, double& worst) {
  RopeConfig config;
  config.head_dim = 2 * kCols;
  config.layout = RopeLayout::Interleaved;  // pair c = elements (2c, 2c + 1): (1, 0) becomes (cos, sin)
  std::vector<float> ones(kRows * 2 * kCols, 0.0f);
  for (std::size_t i = 0; i < ones.size(); i += 2) ones[i] = 1.0f;
  std::vector<std::int64_t> positions;
  for (std::int64_t r = 0; r < kRows; ++r) positions.push_back(first + r);
  const Tensor rotated = Tensor::from_floats(ctx, DType::f32, {1, kRows, 1, 2 * kCols}, ones);
  const Tensor image = Tensor::empty(ctx, DType::f32, {std::int64_t{kWidth} * kHeight});  // a uint32 pixel per word
  Batch batch(ctx);
  rope(batch, config, {rotated, std::nullopt, std::nullopt, std::nullopt}, {positions, 0});
  const Push push{kWidth, kHeight, kRows, kCols, kCell, kLeft, kTop};
  const Kernel::Arg args[] = {{rotated}, {image, true}};  // the batch orders the draw after rope()
  kernel.dispatch(batch, args, std::as_bytes(std::span(&push, 1)), {(kWidth + 7) / 8, (kHeight + 7) / 8, 1});
  batch.submit();

  const std::vector<float> got = rotated.download();
  const auto want = reference::rope(std::vector<double>(ones.begin(), ones.end()), 1, kRows, 1, config, positions);
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
  std::vector<std::uint32_t> pixels(std::size_t{kWidth} * kHeight);
  std::memcpy(pixels.data(), image.download_raw().data(), pixels.size() * sizeof(std::uint32_t));
  return pixels;
}

void write(const std::vector<std::uint32_t>& pixels, std::int64_t first, const std::string& path) {
  plot::Canvas canvas{int(kWidth), int(kHeight)};
  canvas.blit(0, 0, int(kWidth), int(kHeight), pixels.data());
  const plot::Color ink{30, 30, 30};
  canvas.text(int(kLeft), 12, "RoPE as compass needles (head_dim 32, theta 1e4)", ink, 2);
  canvas.text(int(kLeft), 44, "pair 0 (fast) ... pair 15 (slow)  ->", ink, 2);
  for (std::uint32_t r = 0; r < kRows; r += 3)
    canvas.text(4, int(kTop + r * kCell + kCell / 2 - 8), std::to_string(first + r), ink, 2);
  canvas.write_png(path);
}

}  // namespace

int main(int argc, char** argv) {
  const sample::Options options =
      sample::parse(argc, argv, "compass: RoPE rotations drawn as compass needles on the GPU", /*frames_flag=*/true);
  try {
    const Context ctx = sample::make_context(options);
    const Kernel kernel(ctx, "compass", {std::begin(compass_spirv), std::end(compass_spirv)}, 2, sizeof(Push));
    double worst = 0;
    const std::vector<std::uint32_t> still = draw(ctx, kernel, 0, worst);
    write(still, 0, sample::output_path(options, "compass.png"));
    // Where the needle of pair 0 at position 1 points (1 radian): its tip must be red.
    const double x = kLeft + 0.5 * kCell + 0.7 * 0.42 * kCell * std::cos(1.0);
    const double y = kTop + 1.5 * kCell - 0.7 * 0.42 * kCell * std::sin(1.0);
    const std::uint32_t tip = still[std::size_t(y) * kWidth + std::size_t(x)];
    sample::check((tip & 255) > 150 && ((tip >> 8) & 255) < 100, "the needle of pair 0 at position 1 points at 1 radian");
    for (int f = 0; f < options.frames; ++f) {
      char name[32];
      std::snprintf(name, sizeof name, "compass_%03d.png", f);
      write(draw(ctx, kernel, f, worst), f, sample::output_path(options, name));
    }
    char detail[64];
    std::snprintf(detail, sizeof detail, "max abs error %.2g", worst);
    sample::check(worst < 2e-6, "kernel rotations against the double reference (f32: 2e-6)", detail);
    std::printf("compass on %s: wrote compass.png%s (%u x %u)\n", ctx.device().name.c_str(),
                options.frames ? (" and " + std::to_string(options.frames) + " frames").c_str() : "", kWidth, kHeight);
  } catch (const Error& e) {
    std::fprintf(stderr, "compass: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
