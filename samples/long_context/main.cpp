// long_context: a "model" trained for L = 4096 positions, used at 4L and 8L. RoPE alone does
// not give unlimited context: each pair i turns theta_i radians per position, and the slow
// pairs never complete a turn within L, so past L they reach angles training never showed.
// For default, linear, dynamic NTK, YaRN and Llama 3 scaling (factor 8) this prints and
// charts how far each frequency band rotates beyond training, and what the score of a
// query with itself does at long offsets, with vkrope's frequencies and kernel. Writes
// unseen_rotation.png and long_offset_scores.png.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>

#include "common/sample.hpp"
#include "plot/chart.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/rope.hpp"

using namespace vkrope;

namespace {

constexpr std::int64_t kTrained = 4096, kDim = 128;
constexpr double kTurn = 2 * std::numbers::pi;

RopeConfig model(RopeScalingType type) {
  RopeConfig c;
  c.head_dim = kDim;
  c.theta = 10000;
  c.max_position_embeddings = type == RopeScalingType::Default ? kTrained : 8 * kTrained;
  c.scaling.type = type;
  if (type != RopeScalingType::Default) c.scaling.factor = 8;
  if (type == RopeScalingType::Yarn || type == RopeScalingType::Llama3)
    c.scaling.original_max_position_embeddings = kTrained;
  if (type == RopeScalingType::Dynamic) c.max_position_embeddings = kTrained;  // NTK grows past it
  return c;
}

// Angle pair i reaches at `context` beyond the range training covered ([0, L theta_i], the
// whole circle once L theta_i >= 2 pi), in turns.
std::vector<double> unseen_turns(const RopeConfig& config, std::int64_t context) {
  const RopeFrequencies trained = rope_frequencies(model(RopeScalingType::Default), kTrained - 1);
  const RopeFrequencies used = rope_frequencies(config, context - 1);
  std::vector<double> out;
  for (std::size_t i = 0; i < used.inv_freq.size(); ++i) {
    const double seen = std::min(kTurn, double(kTrained - 1) * trained.inv_freq[i]);
    const double reached = std::min(kTurn, double(context - 1) * used.inv_freq[i]);
    out.push_back(std::max(0.0, reached - seen) / kTurn);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const sample::Options options = sample::parse(argc, argv, "long_context: RoPE past the trained context");
  try {
    const Context ctx = sample::make_context(options);
    const std::vector<std::pair<RopeScalingType, const char*>> types = {
        {RopeScalingType::Default, "default"}, {RopeScalingType::Linear, "linear x8"},
        {RopeScalingType::Dynamic, "dynamic NTK x8"}, {RopeScalingType::Yarn, "YaRN x8"},
        {RopeScalingType::Llama3, "Llama 3 x8"}};
    std::printf("long_context on %s: trained for L = %lld positions, head_dim %lld, theta 1e4\n\n",
                ctx.device().name.c_str(), (long long)kTrained, (long long)kDim);

    // 1. Frequency bands that rotate beyond training.
    std::printf("pairs whose angles pass what training saw (of %lld), and the worst excess in turns:\n",
                (long long)(kDim / 2));
    std::printf("%-16s %20s %20s\n", "scaling", "at 4L", "at 8L");
    std::vector<plot::Series> bands;
    for (const auto& [type, name] : types) {
      const auto at4 = unseen_turns(model(type), 4 * kTrained), at8 = unseen_turns(model(type), 8 * kTrained);
      const auto count = [](const std::vector<double>& v) { return std::count_if(v.begin(), v.end(), [](double x) { return x > 1e-3; }); };
      std::printf("%-16s %12lld (%.2f) %12lld (%.2f)\n", name, (long long)count(at4),
                  *std::max_element(at4.begin(), at4.end()), (long long)count(at8),
                  *std::max_element(at8.begin(), at8.end()));
      plot::Series s{name, {}, at8, type == RopeScalingType::Default};
      for (std::size_t i = 0; i < at8.size(); ++i) s.x.push_back(double(i));
      bands.push_back(std::move(s));
    }
    plot::line_chart(sample::output_path(options, "unseen_rotation.png"),
                     {.title = "rotation beyond training at 8L (L = 4096)", .x_label = "pair i (fast -> slow)",
                      .y_label = "unseen angle, turns"},
                     bands);

    // 2. The score of a query with itself r positions apart, rotated by the kernel (checked
    // against the double reference). Unrotated it would be |q|^2 at every r.
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1, 1);
    std::vector<float> q(kDim);
    for (float& x : q) x = dist(rng);
    double norm2 = 0;
    for (float x : q) norm2 += double(x) * x;
    std::vector<std::int64_t> offsets;
    for (double r = 1; r < 8 * kTrained; r *= 1.08) offsets.push_back(std::int64_t(r));
    offsets.push_back(8 * kTrained - 1);
    std::vector<plot::Series> scores;
    double worst = 0;
    std::printf("\nscore q_r . q_0 / |q|^2 (1 = as close as the same position):\n%-16s", "r");
    for (std::int64_t r : {std::int64_t{16}, kTrained, 4 * kTrained, 8 * kTrained - 1}) std::printf("%12lld", (long long)r);
    std::printf("\n");
    for (const auto& [type, name] : types) {
      const RopeConfig config = model(type);
      std::vector<float> rows;
      std::vector<std::int64_t> positions = {0};
      for (std::int64_t r : offsets) positions.push_back(r);
      for (std::size_t i = 0; i < positions.size(); ++i) rows.insert(rows.end(), q.begin(), q.end());
      const auto n = std::int64_t(positions.size());
      const Tensor t = Tensor::from_floats(ctx, DType::f32, {1, n, 1, kDim}, rows);
      rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, {positions, 0});
      const std::vector<float> got = t.download();
      const auto want = reference::rope(std::vector<double>(rows.begin(), rows.end()), 1, n, 1, config, positions);
      // Divide out the attention factor (YaRN scales cos and sin) to compare shapes; the
      // kernel's error is measured relative to max |x| times that factor.
      const double factor = rope_frequencies(config, positions.back()).attention_factor;
      double max_x = 0;
      for (float x : q) max_x = std::max(max_x, double(std::abs(x)));
      for (std::size_t i = 0; i < got.size(); ++i)
        worst = std::max(worst, std::abs(got[i] - want[i]) / (max_x * std::max(1.0, factor)));
      plot::Series s{name, {}, {}, type == RopeScalingType::Default};
      for (std::size_t k = 1; k < positions.size(); ++k) {
        double dot = 0;
        for (std::size_t d = 0; d < std::size_t(kDim); ++d) dot += double(got[d]) * got[k * std::size_t(kDim) + d];
        s.x.push_back(double(positions[k]));
        s.y.push_back(dot / (norm2 * factor * factor));
      }
      std::printf("%-16s", name);
      for (std::int64_t r : {std::int64_t{16}, kTrained, 4 * kTrained, 8 * kTrained - 1}) {
        const auto at = std::lower_bound(s.x.begin(), s.x.end(), double(r)) - s.x.begin();
        std::printf("%12.3f", s.y[std::min<std::size_t>(std::size_t(at), s.y.size() - 1)]);
      }
      std::printf("\n");
      scores.push_back(std::move(s));
    }
    char detail[64];
    std::snprintf(detail, sizeof detail, "max abs error %.2g of max |x|", worst);
    // vkrope's f32 RoPE tolerance (rope_check.hpp): 2e-6 of max |x| times the attention factor.
    sample::check(worst < 2e-6, "kernel rotations against the double reference", detail);
    plot::line_chart(sample::output_path(options, "long_offset_scores.png"),
                     {.title = "score of a query with itself r positions apart", .x_label = "offset r",
                      .y_label = "q_r . q_0 / |q|^2", .log_x = true},
                     scores);

    std::printf("\nWhat this shows: the fast pairs turn full circles within L, so training saw every angle\n"
                "they take; the slow pairs do not, and at 4L and 8L default RoPE drives them into angles the\n"
                "model never saw (the rows above). Linear interpolation and YaRN/Llama 3 squeeze the slow pairs\n"
                "back into the trained range (YaRN and Llama 3 leave the fast pairs alone, so nearby tokens keep\n"
                "their resolution); dynamic NTK stretches theta as the sequence grows. RoPE itself has no\n"
                "notion of a limit: past L the scores keep oscillating, and only a scaling the model was\n"
                "trained or tuned for keeps them in distribution.\nwrote unseen_rotation.png, long_offset_scores.png\n");
  } catch (const Error& e) {
    std::fprintf(stderr, "long_context: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
