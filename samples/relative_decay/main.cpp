// relative_decay: RoFormer's long-term decay. With RoPE the score of a query and a key r
// positions apart is Re sum_i h_i e^{i r theta_i} (h_i: the pairs' products, complex), and
// Abel summation bounds it by max |h_{i+1} - h_i| * sum_j |S_j|, S_j = sum_{i<j} e^{i r theta_i}.
// The relative bound (1 / (d/2)) sum_j |S_j| falls as r grows: far tokens can score less.
// The e^{i r theta_i} come from vkrope's kernel: rotating (1, 0) in every pair at position r
// gives (cos r theta_i, sin r theta_i). Writes relative_decay.png for several theta values
// and head dims; checks the kernel's bound against the same bound in double precision.
#include <cmath>
#include <complex>
#include <cstdio>

#include "common/sample.hpp"
#include "plot/chart.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/rope.hpp"

using namespace vkrope;

namespace {

// Relative distances from 1 to 2^16, log-spaced.
std::vector<std::int64_t> distances() {
  std::vector<std::int64_t> r;
  for (double x = 1; x <= 65536; x *= 1.12)
    if (r.empty() || static_cast<std::int64_t>(x) != r.back()) r.push_back(static_cast<std::int64_t>(x));
  return r;
}

// (1 / (d/2)) sum_j |S_j| for each distance, from rotated unit pairs laid out (cos, sin).
template <typename T>
std::vector<double> bound(const std::vector<T>& rotated, std::size_t count, std::int64_t dim) {
  const auto half = static_cast<std::size_t>(dim / 2);
  std::vector<double> out;
  for (std::size_t t = 0; t < count; ++t) {
    std::complex<double> s = 0;
    double sum = 0;
    for (std::size_t i = 0; i < half; ++i) {
      s += std::complex<double>(double(rotated[t * 2 * half + 2 * i]), double(rotated[t * 2 * half + 2 * i + 1]));
      sum += std::abs(s);
    }
    out.push_back(sum / double(half));
  }
  return out;
}

struct Curve {
  double theta;
  std::int64_t dim;
};

}  // namespace

int main(int argc, char** argv) {
  const sample::Options options = sample::parse(argc, argv, "relative_decay: RoPE's long-term decay of the score bound");
  try {
    const Context ctx = sample::make_context(options);
    const std::vector<std::int64_t> r = distances();
    std::printf("relative_decay on %s: the relative upper bound of |q_m . k_n| against r = m - n\n",
                ctx.device().name.c_str());
    std::printf("%10s", "r");
    const std::vector<Curve> curves = {{10000, 128}, {500, 128}, {500000, 128}, {10000, 64}};
    for (const Curve& c : curves) std::printf("  theta %-6g D%-4lld", c.theta, (long long)c.dim);
    std::printf("\n");

    std::vector<plot::Series> series;
    std::vector<std::vector<double>> table;
    double worst = 0;
    for (const Curve& c : curves) {
      RopeConfig config;
      config.head_dim = c.dim;
      config.theta = c.theta;
      config.layout = RopeLayout::Interleaved;  // pair i = (2i, 2i + 1): (1, 0) rotates to (cos, sin)
      std::vector<float> ones(r.size() * static_cast<std::size_t>(c.dim), 0.0f);
      for (std::size_t i = 0; i < ones.size(); i += 2) ones[i] = 1.0f;
      const auto n = static_cast<std::int64_t>(r.size());
      const Tensor t = Tensor::from_floats(ctx, DType::f32, {1, n, 1, c.dim}, ones);
      rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, {r, 0});
      const std::vector<double> gpu = bound(t.download(), r.size(), c.dim);
      const std::vector<double> cpu =
          bound(reference::rope(std::vector<double>(ones.begin(), ones.end()), 1, n, 1, config, r), r.size(), c.dim);
      for (std::size_t i = 0; i < r.size(); ++i) worst = std::max(worst, std::abs(gpu[i] - cpu[i]));
      char label[64];
      std::snprintf(label, sizeof label, "theta %g, head_dim %lld", c.theta, (long long)c.dim);
      series.push_back({label, std::vector<double>(r.begin(), r.end()), gpu, c.dim != 128});
      table.push_back(gpu);
    }
    for (std::size_t i = 0; i < r.size(); i += 8) {
      std::printf("%10lld", (long long)r[i]);
      for (const auto& column : table) std::printf("  %19.4f", column[i]);
      std::printf("\n");
    }
    // Each |S_j| adds up to d/2 unit vectors rotated in f32 (a few 1e-7 each).
    char detail[64];
    std::snprintf(detail, sizeof detail, "max abs difference %.2g", worst);
    sample::check(worst < 1e-4, "kernel bound against the double-precision bound", detail);
    // The decay itself: the bound far away is well below the bound at r = 1, for every curve.
    bool decays = true;
    for (const auto& column : table) decays = decays && column.back() < 0.5 * column.front();
    sample::check(decays, "the bound at r = 65536 is below half the bound at r = 1 for every curve");

    const std::string png = sample::output_path(options, "relative_decay.png");
    plot::line_chart(png,
                     {.title = "RoPE long-term decay (RoFormer 3.4.3)", .x_label = "relative distance r = m - n",
                      .y_label = "relative upper bound (1 / (d/2)) sum_j |S_j|", .log_x = true},
                     series);
    std::printf("wrote %s\n", png.c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "relative_decay: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
