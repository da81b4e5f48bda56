// vision_rope: 2D RoPE on a ViT's patch grid. Every patch of a 12 x 16 grid carries the
// same content, so whatever a query patch prefers comes from the positions alone. Three
// panels show one query patch's attention weights over the grid: content only (uniform),
// 1D RoPE over the patches in raster order (what treating an image as a text sequence
// gives: neighbours along the row, and a patch 16 tokens later, directly below, counts as
// far), and 2D RoPE in the Qwen2-VL vision form (rows and columns each rotate half of the
// pairs: nearness in the plane). q and k are rotated by vkrope::rope at
// vision_grid_positions and checked against the CPU reference; the scores and softmax are
// the host's. Writes vision_rope.png.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

#include "common/sample.hpp"
#include "plot/canvas.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/rope.hpp"

using namespace vkrope;

namespace {

constexpr std::int64_t kRows = 12, kCols = 16, kPatches = kRows * kCols, kDim = 64;
constexpr std::int64_t kQueryRow = 5, kQueryCol = 7;
constexpr int kCell = 20, kGap = 24, kTop = 70, kPanels = 3;
constexpr double kSelfLogit = 16.0;  // a patch's logit with itself, unrotated: sharp enough to see

// Rotates `x` ([patches, 1, kDim]) on the device and checks it against the reference.
std::vector<float> rotate(const Context& ctx, const RopeConfig& config, const std::vector<float>& x,
                          const RopePositions& positions, const char* what) {
  const Tensor t = Tensor::from_floats(ctx, DType::f32, {kPatches, 1, kDim}, x);
  rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, positions);
  const std::vector<float> got = t.download();
  const std::vector<double> xd(x.begin(), x.end());
  const CompareReport r = compare(got, reference::rope(xd, 1, kPatches, 1, config, positions.values));
  double max_x = 0;
  for (float v : x) max_x = std::max(max_x, double(std::abs(v)));
  sample::check(r.max_abs_err <= 1e-6 * max_x,
                std::string(what) + " rotations against the CPU reference (f32: 1e-6 of max |x|)", r.to_string());
  return got;
}

double dot(const float* a, const float* b) {
  double s = 0;
  for (std::int64_t i = 0; i < kDim; ++i) s += double(a[i]) * b[i];
  return s;
}

// Softmax over the grid of the query patch's scores q . k / sqrt(D).
std::vector<double> weights_of(const std::vector<float>& q, const std::vector<float>& k, std::int64_t query) {
  std::vector<double> w(kPatches);
  for (std::int64_t j = 0; j < kPatches; ++j)
    w[std::size_t(j)] = dot(&q[std::size_t(query * kDim)], &k[std::size_t(j * kDim)]) / std::sqrt(double(kDim));
  const double top = *std::max_element(w.begin(), w.end());
  double sum = 0;
  for (double& x : w) sum += (x = std::exp(x - top));
  for (double& x : w) x /= sum;
  return w;
}

// White (0) to deep blue (the panel's largest weight).
plot::Color shade(double t) {
  const auto mix = [t](int from, int to) { return std::uint8_t(std::lround(from + (to - from) * std::clamp(t, 0.0, 1.0))); };
  return {mix(255, 8), mix(255, 48), mix(255, 107)};
}

}  // namespace

int main(int argc, char** argv) {
  const sample::Options options = sample::parse(argc, argv, "vision_rope: 2D RoPE on a patch grid");
  try {
    const Context ctx = sample::make_context(options);
    std::printf("vision_rope on %s: a %lld x %lld patch grid, head_dim %lld, query patch (%lld, %lld)\n",
                ctx.device().name.c_str(), (long long)kRows, (long long)kCols, (long long)kDim, (long long)kQueryRow,
                (long long)kQueryCol);
    // One content vector for every patch, |c|^2 = kSelfLogit sqrt(D).
    std::mt19937 rng(2026);
    std::normal_distribution<float> normal;
    std::vector<float> c(kDim);
    double norm = 0;
    for (float& x : c) {
      x = normal(rng);
      norm += double(x) * x;
    }
    for (float& x : c) x = static_cast<float>(x * std::sqrt(kSelfLogit * std::sqrt(double(kDim)) / norm));
    std::vector<float> x;
    for (std::int64_t p = 0; p < kPatches; ++p) x.insert(x.end(), c.begin(), c.end());

    RopeConfig text;
    text.head_dim = kDim;
    RopeConfig vision = text;
    vision.vision = RopeVision::Qwen2VL;
    RopePositions raster;
    for (std::int64_t p = 0; p < kPatches; ++p) raster.values.push_back(p);
    const RopePositions grid = vision_grid_positions(kRows, kCols);

    const std::int64_t query = kQueryRow * kCols + kQueryCol;
    const std::vector<float> rot1d = rotate(ctx, text, x, raster, "1D");
    const std::vector<float> rot2d = rotate(ctx, vision, x, grid, "2D");
    const std::vector<std::vector<double>> panels = {weights_of(x, x, query), weights_of(rot1d, rot1d, query),
                                                     weights_of(rot2d, rot2d, query)};
    const char* titles[kPanels] = {"content only", "1D RoPE, raster order", "2D RoPE (Qwen2-VL vision)"};
    const auto at = [](std::int64_t r, std::int64_t col) { return std::size_t(r * kCols + col); };
    for (int p = 0; p < kPanels; ++p)
      std::printf("  %-26s weight on itself %.3f, right neighbour %.3f, patch below %.3f, 3 right %.3f\n", titles[p],
                  panels[std::size_t(p)][at(kQueryRow, kQueryCol)], panels[std::size_t(p)][at(kQueryRow, kQueryCol + 1)],
                  panels[std::size_t(p)][at(kQueryRow + 1, kQueryCol)], panels[std::size_t(p)][at(kQueryRow, kQueryCol + 3)]);

    // What 2D RoPE promises: a score depends on the (row, column) offset only, so two
    // query/key pairs with the same offset score alike; and the patch directly below is a
    // neighbour in 2D but 16 tokens away in 1D.
    const auto score = [&](std::int64_t qr, std::int64_t qc, std::int64_t kr, std::int64_t kc) {
      return dot(&rot2d[at(qr, qc) * kDim], &rot2d[at(kr, kc) * kDim]);
    };
    const double s0 = score(5, 7, 6, 9), s1 = score(1, 2, 2, 4);
    char detail[96];
    std::snprintf(detail, sizeof detail, "%.6f and %.6f", s0, s1);
    sample::check(std::abs(s0 - s1) <= 1e-5 * kSelfLogit * std::sqrt(double(kDim)), "2D scores depend on the patch offset only",
                  detail);
    const auto& w1 = panels[1];
    const auto& w2 = panels[2];
    sample::check(w2[at(kQueryRow + 1, kQueryCol)] > 2.0 * w1[at(kQueryRow + 1, kQueryCol)],
                  "the patch below weighs over twice as much in 2D as in 1D raster order");

    // The picture: one heatmap per panel, the query patch outlined in red.
    const int side_x = kCols * kCell, side_y = kRows * kCell;
    plot::Canvas canvas(kGap + kPanels * (side_x + kGap), kTop + side_y + kGap);
    canvas.text(kGap, 12, "attention of one patch over a 12 x 16 grid of identical patches", {30, 30, 30}, 2);
    for (int p = 0; p < kPanels; ++p) {
      const auto& w = panels[std::size_t(p)];
      const double top = *std::max_element(w.begin(), w.end());
      const int x0 = kGap + p * (side_x + kGap);
      canvas.text(x0, kTop - 24, titles[p], {30, 30, 30}, 2);
      for (std::int64_t r = 0; r < kRows; ++r)
        for (std::int64_t col = 0; col < kCols; ++col)
          canvas.fill_rect(x0 + int(col) * kCell, kTop + int(r) * kCell, x0 + int(col + 1) * kCell - 1,
                           kTop + int(r + 1) * kCell - 1, shade(w[at(r, col)] / top));
      const int qx = x0 + int(kQueryCol) * kCell, qy = kTop + int(kQueryRow) * kCell;
      const plot::Color red{220, 30, 30};
      canvas.line(qx, qy, qx + kCell - 1, qy, red, 2);
      canvas.line(qx, qy + kCell - 1, qx + kCell - 1, qy + kCell - 1, red, 2);
      canvas.line(qx, qy, qx, qy + kCell - 1, red, 2);
      canvas.line(qx + kCell - 1, qy, qx + kCell - 1, qy + kCell - 1, red, 2);
    }
    const std::string png = sample::output_path(options, "vision_rope.png");
    canvas.write_png(png);
    std::printf("wrote %s (%d x %d)\n", png.c_str(), canvas.width(), canvas.height());
  } catch (const Error& e) {
    std::fprintf(stderr, "vision_rope: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
