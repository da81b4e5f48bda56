// position_schemes: one small attention problem under six ways of telling a transformer
// where its tokens are: no position, sinusoidal and learned absolute embeddings (added to the
// token vectors by vkrope::position_embedding), ALiBi, RoPE (vkrope::attention) and linear
// attention with RoPE (vkrope::linear_attention). Every weight comes from vkrope's kernels
// and is checked against the double-precision CPU reference (exit 1 on a mismatch).
//   (a) word order: "dog bites man" against "man bites dog";
//   (b) shift invariance: a query and a key 3 tokens apart, moved along the sequence;
//   (c) past the trained length (a learned table of 512 rows);
//   (d) long-range decay: the same content r tokens away against right here;
//   (e) cost: softmax against linear attention as the sequence grows (device time).
// Writes position_schemes_{order,shift,decay,cost}.png.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "common/sample.hpp"
#include "plot/chart.hpp"
#include "schemes.hpp"

using namespace vkrope;
using namespace position_schemes;

namespace {

constexpr std::int64_t kMaxLength = 1024;  // (e)'s longest sequence: seconds on a CPU driver
constexpr double kTolerance = 1e-5;  // weights in [0, 1], float32 sums of 16-term dot products

// The worst GPU-vs-reference difference seen, for the checks.
struct Worst {
  double value = 0.0;
  void add(const Weights& w) { value = std::max(value, w.max_abs_diff); }
  void check(const std::string& what) const {
    char detail[64];
    std::snprintf(detail, sizeof detail, "max abs difference %.2g (bound %.0e)", value, kTolerance);
    sample::check(value <= kTolerance, what + ": vkrope's weights against the CPU reference", detail);
  }
};

// (a) Self-attention over three words; the weight word -> word compared across orders.
void word_order(const Runner& run, std::vector<plot::Bar>& bars) {
  std::printf("\n(a) word order: max |weight(word -> word) in \"dog bites man\" - in \"man bites dog\"|\n");
  Worst worst;
  for (Scheme s : kSchemes) {
    const Weights a = run(s, {"dog", "bites", "man"}, {0, 1, 2}, {"dog", "bites", "man"}, {0, 1, 2});
    const Weights b = run(s, {"man", "bites", "dog"}, {0, 1, 2}, {"man", "bites", "dog"}, {0, 1, 2});
    worst.add(a);
    worst.add(b);
    const int in_b[3] = {2, 1, 0};  // word i of "dog bites man" sits at position in_b[i] in b
    double change = 0.0;
    for (std::int64_t h = 0; h < kHeads; ++h)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) change = std::max(change, std::abs(a.at(i, h, j) - b.at(in_b[i], h, in_b[j])));
    std::printf("  %-22s %.4f\n", name(s), change);
    const bool blind = s == Scheme::None || s == Scheme::Alibi;
    bars.push_back({name(s), change, std::nullopt, blind ? 1u : 0u});
    if (s == Scheme::None)
      sample::check(change < 1e-5, "no position: swapping the words only permutes the weights");
    else if (s == Scheme::Alibi)
      // Without a causal mask ALiBi sees |m - n| only, and reversing a sentence keeps every
      // distance between two words: it cannot tell these two sentences apart.
      sample::check(change < 1e-5, "ALiBi (no causal mask): a reversed sentence keeps every |distance|, so the "
                                   "weights do not change");
    else
      sample::check(change > 1e-3, std::string(name(s)) + ": word order changes the weights");
  }
  worst.check("(a)");
}

// A query and a key 3 tokens before it, and a reference key at the query's own position:
// the weight of the first key.
double near_key_weight(const Runner& run, Scheme s, std::int64_t p, Worst& worst) {
  const Weights w = run(s, {"dog"}, {p}, {"man", "bites"}, {p - 3, p});
  worst.add(w);
  return w.at(0, 0, 0);
}

// (b) The same offset at different absolute positions.
void shift(const Runner& run, std::vector<plot::Series>& lines) {
  std::printf("\n(b) shift invariance: weight of a key 3 tokens before the query, query at position p\n  %-22s",
              "scheme");
  const std::vector<std::int64_t> ps = {3, 10, 30, 100, 300, 500};
  for (std::int64_t p : ps) std::printf(" %8lld", static_cast<long long>(p));
  std::printf("   spread\n");
  Worst worst;
  for (Scheme s : kSchemes) {
    plot::Series line{name(s), {}, {}, is_absolute(s)};
    for (std::int64_t p : ps) {
      line.x.push_back(static_cast<double>(p));
      line.y.push_back(near_key_weight(run, s, p, worst));
    }
    const auto [lo, hi] = std::minmax_element(line.y.begin(), line.y.end());
    std::printf("  %-22s", name(s));
    for (double y : line.y) std::printf(" %8.4f", y);
    std::printf("   %.2g\n", *hi - *lo);
    if (is_absolute(s))
      sample::check(*hi - *lo > 1e-3, std::string(name(s)) + ": the weight moves with the absolute position");
    else
      sample::check(*hi - *lo < 1e-5, std::string(name(s)) + ": the weight depends on the offset only");
    lines.push_back(std::move(line));
  }
  worst.check("(b)");
}

// (c) Positions past the learned table's 512 rows.
void past_training(const Runner& run) {
  std::printf("\n(c) past the trained length (learned table: %lld rows): the weight of (b) at position p\n  %-22s",
              static_cast<long long>(kTableRows), "scheme");
  const std::vector<std::int64_t> ps = {600, 5000, 100000};
  for (std::int64_t p : ps) std::printf(" %10lld", static_cast<long long>(p));
  std::printf("\n");
  Worst worst;
  for (Scheme s : {Scheme::Learned, Scheme::LearnedClamped, Scheme::Sinusoidal, Scheme::Rope}) {
    std::printf("  %-22s", name(s));
    std::vector<double> ys;
    for (std::int64_t p : ps) {
      try {
        ys.push_back(near_key_weight(run, s, p, worst));
        std::printf(" %10.4f", ys.back());
      } catch (const Error& e) {
        std::printf(" %10s", "error");
        if (s == Scheme::Learned && p == ps.front()) std::printf("\n    (vkrope: %s)\n   %-22s", e.what(), "");
      }
    }
    std::printf("\n");
    if (s == Scheme::Learned) sample::check(ys.empty(), "learned: no embedding past the table (a clear error)");
    if (s == Scheme::LearnedClamped)
      sample::check(ys.size() == 3 && ys[0] == ys[1] && ys[1] == ys[2],
                    "learned, clamped: every position past the table looks the same");
    if (s == Scheme::Sinusoidal || s == Scheme::Rope)
      sample::check(ys.size() == 3, std::string(name(s)) + ": defined at every position");
    if (s == Scheme::Rope)
      sample::check(ys.size() == 3 && std::abs(ys[2] - near_key_weight(run, s, 10, worst)) < 1e-5,
                    "RoPE: at position 100000 the same weight as at 10");
  }
  worst.check("(c)");
}

// (d) The same content r tokens away, against right here: w(r) / w(0), averaged over the
// heads (each its own random content).
void decay(const Runner& run, std::vector<plot::Series>& lines) {
  std::printf("\n(d) long-range decay: weight of the same content r tokens away / right here (mean of %lld heads)\n"
              "  %-22s", static_cast<long long>(kHeads), "scheme");
  std::vector<std::int64_t> rs;
  for (double r = 1; r <= 4096; r *= 1.6) rs.push_back(static_cast<std::int64_t>(r));
  for (std::size_t i = 0; i < rs.size(); i += 4) std::printf(" %8lld", static_cast<long long>(rs[i]));
  std::printf("\n");
  Worst worst;
  for (Scheme s : kSchemes) {
    plot::Series line{name(s), {}, {}, is_absolute(s)};
    for (std::int64_t r : rs) {
      if (s == Scheme::Learned && r >= kTableRows) break;
      const Weights w = run(s, {"dog"}, {r}, {"dog", "dog"}, {0, r});
      worst.add(w);
      double ratio = 0.0;
      for (std::int64_t h = 0; h < kHeads; ++h) ratio += w.at(0, h, 0) / w.at(0, h, 1) / static_cast<double>(kHeads);
      line.x.push_back(static_cast<double>(r));
      line.y.push_back(ratio);
    }
    std::printf("  %-22s", name(s));
    for (std::size_t i = 0; i < line.y.size(); i += 4) std::printf(" %8.4f", line.y[i]);
    std::printf("\n");
    lines.push_back(std::move(line));
  }
  worst.check("(d)");
}

// (e) Device time of causal softmax attention with RoPE and linear attention with RoPE.
void cost(const Context& ctx, std::int64_t max_length, std::vector<plot::Series>& lines) {
  std::printf("\n(e) cost: causal, %lld heads of %lld, RoPE; device time (ms)\n  %8s %12s %12s\n",
              static_cast<long long>(kHeads), static_cast<long long>(kDim), "S", "softmax", "linear");
  plot::Series softmax{"softmax attention", {}, {}}, linear{"linear attention", {}, {}};
  double worst = 0.0;
  for (std::int64_t s = 64; s <= max_length; s *= 2) {
    const Timing t = time_both(ctx, s);
    worst = std::max(worst, t.max_rel_err);
    std::printf("  %8lld %12.3f %12.3f\n", static_cast<long long>(s), t.softmax_ms, t.linear_ms);
    softmax.x.push_back(static_cast<double>(s));
    softmax.y.push_back(t.softmax_ms);
    linear.x.push_back(static_cast<double>(s));
    linear.y.push_back(t.linear_ms);
  }
  char detail[64];
  std::snprintf(detail, sizeof detail, "worst relative error %.2g (bound 1e-5)", worst);
  sample::check(worst <= 1e-5, "(e): both outputs at every length against the CPU reference", detail);
  lines = {softmax, linear};
}

}  // namespace

int main(int argc, char** argv) {
  const sample::Options options =
      sample::parse(argc, argv, "position_schemes: no position, sinusoidal, learned, ALiBi, RoPE, linear + RoPE");
  try {
    const Context ctx = sample::make_context(options);
    std::printf("position_schemes on %s: %lld heads of %lld dims, toy word vectors\n", ctx.device().name.c_str(),
                static_cast<long long>(kHeads), static_cast<long long>(kDim));
    const Runner run(ctx);
    std::vector<plot::Bar> bars;
    word_order(run, bars);
    std::vector<plot::Series> shift_lines, decay_lines, cost_lines;
    shift(run, shift_lines);
    past_training(run);
    decay(run, decay_lines);
    cost(ctx, kMaxLength, cost_lines);

    const auto png = [&](const char* name) { return sample::output_path(options, name); };
    plot::bar_chart(png("position_schemes_order.png"),
                    {.title = "(a) word order: max weight change, \"dog bites man\" vs \"man bites dog\"",
                     .x_label = "max |weight difference|", .y_label = ""},
                    bars, {"sees the order", "blind to this swap"});
    plot::line_chart(png("position_schemes_shift.png"),
                     {.title = "(b) a key 3 tokens before the query, moved along the sequence",
                      .x_label = "query position p", .y_label = "weight of the key", .log_x = true},
                     shift_lines);
    plot::line_chart(png("position_schemes_decay.png"),
                     {.title = "(d) the same content r tokens away, relative to right here",
                      .x_label = "distance r", .y_label = "weight(r) / weight(0), mean over heads", .log_x = true},
                     decay_lines);
    plot::line_chart(png("position_schemes_cost.png"),
                     {.title = "(e) causal attention cost on " + ctx.device().name, .x_label = "sequence length S",
                      .y_label = "device time, ms", .log_x = true, .log_y = true},
                     cost_lines);
    std::printf("\nwrote %s, %s, %s, %s\n", png("position_schemes_order.png").c_str(),
                png("position_schemes_shift.png").c_str(), png("position_schemes_decay.png").c_str(),
                png("position_schemes_cost.png").c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "position_schemes: %s\n", e.what());
    return 1;
  }
  return sample::exit_code();
}
