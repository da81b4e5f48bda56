// The six position schemes of position_schemes, each run through vkrope's kernels on one
// tiny attention problem and replayed on the CPU reference.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vkrope/context.hpp"

namespace position_schemes {

inline constexpr std::int64_t kHeads = 4, kDim = 16;  // each head its own random word vectors
inline constexpr std::int64_t kTableRows = 512;       // the learned table: the "trained length"

enum class Scheme { None, Sinusoidal, Learned, LearnedClamped, Alibi, Rope, LinearRope };
inline constexpr Scheme kSchemes[] = {Scheme::None, Scheme::Sinusoidal, Scheme::Learned,
                                      Scheme::Alibi, Scheme::Rope, Scheme::LinearRope};
const char* name(Scheme s);
bool is_absolute(Scheme s);  // an embedding added to the token vectors

// Attention weights [Sq, heads, Skv] from the GPU, and how far they are from the reference.
struct Weights {
  std::vector<double> w;
  std::int64_t heads = kHeads, skv = 0;
  double max_abs_diff = 0.0;
  double at(std::int64_t m, std::int64_t h, std::int64_t n) const {
    return w[static_cast<std::size_t>((m * heads + h) * skv + n)];
  }
};

class Runner {
 public:
  explicit Runner(const vkrope::Context& context);
  // Non-causal attention of the query words at their positions over the key words at
  // theirs (at most kDim keys: the values are one-hot, so the outputs are the weights).
  // Throws vkrope::Error where the scheme refuses a position (learned, past the table).
  Weights operator()(Scheme s, const std::vector<std::string>& query_words, const std::vector<std::int64_t>& query_positions,
                     const std::vector<std::string>& key_words, const std::vector<std::int64_t>& key_positions) const;

 private:
  std::vector<float> vectors(const std::vector<std::string>& words) const;  // [n, heads * kDim]
  const vkrope::Context& context_;
  std::map<std::string, std::vector<float>> words_;
  std::vector<float> table_;  // [kTableRows, heads * kDim]
};

// (e): device time of causal softmax attention with RoPE and of linear attention with RoPE
// over S random tokens, and the worst relative error of either against its reference.
struct Timing {
  double softmax_ms = 0.0, linear_ms = 0.0, max_rel_err = 0.0;
};
Timing time_both(const vkrope::Context& context, std::int64_t s);

}  // namespace position_schemes
