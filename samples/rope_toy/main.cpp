// rope_toy: the classic RoPE exercise with vkrope's kernel. A toy query and key (head_dim
// 8) are rotated on the GPU at several positions; the attention score q . k then depends
// only on how far apart they are, the vectors keep their length, and word order, which a
// dot product of unrotated vectors cannot see, starts to matter.
// Writes offset_invariance.png: the score against the query's position, keys 3 behind
// (flat) and at position 0 (not).
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "common/sample.hpp"
#include "plot/chart.hpp"
#include "vkrope/reference.hpp"
#include "vkrope/rope.hpp"

using namespace vkrope;

namespace {

constexpr std::int64_t kDim = 8;
RopeConfig config() {
  RopeConfig c;
  c.head_dim = kDim;  // pairs (i, i + 4), theta 10000: the fastest pair turns 1 radian per position
  return c;
}

// Toy word vectors, fixed by a seed so every run prints the same table.
std::vector<float> word(const std::string& name) {
  std::mt19937 rng(static_cast<unsigned>(std::hash<std::string>{}(name) % 100000));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(kDim);
  for (float& x : v) x = dist(rng);
  return v;
}

double dot(const float* a, const float* b) {
  double s = 0;
  for (std::int64_t i = 0; i < kDim; ++i) s += double(a[i]) * b[i];
  return s;
}

// Rotates each vector at its position on the GPU and checks the result against the double
// reference: max abs error within the f32 tolerance, 2e-6 of max |x|.
std::vector<float> rotate(const Context& ctx, const std::vector<float>& vectors, const std::vector<std::int64_t>& pos) {
  const auto n = static_cast<std::int64_t>(pos.size());
  const Tensor t = Tensor::from_floats(ctx, DType::f32, {1, n, 1, kDim}, vectors);
  rope(config(), {t, std::nullopt, std::nullopt, std::nullopt}, {pos, 0});
  const std::vector<float> got = t.download();
  const std::vector<double> want =
      reference::rope(std::vector<double>(vectors.begin(), vectors.end()), 1, n, 1, config(), pos);
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    err = std::max(err, std::abs(got[i] - want[i]));
    scale = std::max(scale, double(std::abs(vectors[i])));
  }
  static double worst = 0;
  worst = std::max(worst, err / scale);
  if (err > 2e-6 * scale) sample::check(false, "GPU rotation against the CPU", "max abs error " + std::to_string(err));
  return got;
}

// Score of q at position m against k at position n, both rotated on the GPU.
double score(const Context& ctx, const std::vector<float>& q, std::int64_t m, const std::vector<float>& k,
             std::int64_t n) {
  std::vector<float> both = q;
  both.insert(both.end(), k.begin(), k.end());
  const std::vector<float> r = rotate(ctx, both, {m, n});
  return dot(r.data(), r.data() + kDim);
}

}  // namespace

int main(int argc, char** argv) {
  const sample::Options options = sample::parse(argc, argv, "rope_toy: RoPE scores depend on the offset only");
  try {
    const Context ctx = sample::make_context(options);
    std::printf("rope_toy on %s (head_dim %lld, theta 10000)\n\n", ctx.device().name.c_str(), (long long)kDim);
    const std::vector<float> q = word("dog"), k = word("bites");

    // 1. The score depends on m - n only.
    std::printf("score of q at m and k at n (unrotated q . k = %.6f):\n", dot(q.data(), k.data()));
    std::printf("%10s %10s %8s %12s\n", "m", "n", "m - n", "q_m . k_n");
    double first = 0, spread = 0;
    for (auto [m, n] : {std::pair<std::int64_t, std::int64_t>{5, 2}, {105, 102}, {100005, 100002}, {2, 5}, {7, 2}}) {
      const double s = score(ctx, q, m, k, n);
      std::printf("%10lld %10lld %8lld %12.6f\n", (long long)m, (long long)n, (long long)(m - n), s);
      if (m - n == 3 && first == 0) first = s;
      if (m - n == 3) spread = std::max(spread, std::abs(s - first));
    }
    // Each score carries the f32 rounding of a rotation at that position (~1e-7 relative).
    char detail[64];
    std::snprintf(detail, sizeof detail, "spread %.2g", spread);
    sample::check(spread < 1e-5, "offset 3 gives the same score at positions 5, 105 and 100005", detail);

    // 2. Rotation keeps lengths.
    std::printf("\nnorm of q before and after rotation:\n");
    double worst_norm = 0;
    for (std::int64_t p : {0, 1, 1000, 1000000}) {
      const std::vector<float> r = rotate(ctx, q, {p});
      const double before = std::sqrt(dot(q.data(), q.data())), after = std::sqrt(dot(r.data(), r.data()));
      std::printf("  position %8lld: %.6f -> %.6f\n", (long long)p, before, after);
      worst_norm = std::max(worst_norm, std::abs(after - before) / before);
    }
    std::snprintf(detail, sizeof detail, "worst relative change %.2g", worst_norm);
    sample::check(worst_norm < 1e-6, "norms unchanged", detail);

    // 3. Word order. The query is "bites" (position 1); the keys are the sentence's words.
    std::printf("\nscores of the query 'bites' against the other words:\n");
    std::printf("%-16s %-6s %14s %14s\n", "sentence", "key", "without RoPE", "with RoPE");
    std::map<std::string, double> plain, rotated;
    for (const std::vector<std::string>& sentence : {std::vector<std::string>{"dog", "bites", "man"},
                                                     std::vector<std::string>{"man", "bites", "dog"}}) {
      const std::string text = sentence[0] + " bites " + sentence[2];
      for (std::size_t j : {0u, 2u}) {
        const std::vector<float> key = word(sentence[j]), query = word("bites");
        const double a = dot(query.data(), key.data()), b = score(ctx, query, 1, key, std::int64_t(j));
        std::printf("%-16s %-6s %14.6f %14.6f\n", text.c_str(), sentence[j].c_str(), a, b);
        plain[text + sentence[j]] = a;
        rotated[text + sentence[j]] = b;
      }
    }
    sample::check(plain["dog bites mandog"] == plain["man bites dogdog"],
                  "without RoPE, 'bites' scores 'dog' the same in either order");
    sample::check(std::abs(rotated["dog bites mandog"] - rotated["man bites dogdog"]) > 1e-3,
                  "with RoPE, the order changes the score");

    // The chart: keys 3 behind the query (flat), and keys at position 0 (the offset grows).
    plot::Series behind{"k at m - 3", {}, {}}, origin{"k at 0", {}, {}, true};
    for (double m = 3; m <= 100003; m *= 1.35) {
      const auto p = static_cast<std::int64_t>(m);
      behind.x.push_back(double(p));
      behind.y.push_back(score(ctx, q, p, k, p - 3));
      origin.x.push_back(double(p));
      origin.y.push_back(score(ctx, q, p, k, 0));
    }
    const std::string png = sample::output_path(options, "offset_invariance.png");
    plot::line_chart(png,
                     {.title = "RoPE score q_m . k_n (head_dim 8)", .x_label = "query position m",
                      .y_label = "score", .log_x = true},
                     {behind, origin});
    std::printf("\nwrote %s\n", png.c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "rope_toy: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
