// The CPU reference of attention: one query row at a time, in double precision, every option
// of AttentionConfig spelled out as attention.hpp defines it. The GPU op is checked against
// this, so it favours obviousness over speed.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "vkrope/error.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::reference {

namespace {

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorKind::InvalidArgument, "reference::attention: " + message);
}

std::string str(std::int64_t value) { return std::to_string(value); }

struct Shape {
  std::int64_t batch, sq, skv, heads, kv_heads, head_dim;
};

void check_sizes(const Shape& s, std::span<const double> q, std::span<const double> k, std::span<const double> v) {
  if (s.batch < 0 || s.sq < 0 || s.skv < 0) {
    fail("batch = " + str(s.batch) + ", sq = " + str(s.sq) + ", skv = " + str(s.skv) + ": expected sizes >= 0");
  }
  if (s.heads <= 0 || s.kv_heads <= 0 || s.head_dim <= 0) {
    fail("heads = " + str(s.heads) + ", kv_heads = " + str(s.kv_heads) + ", head_dim = " + str(s.head_dim) +
         ": expected sizes > 0");
  }
  if (s.heads % s.kv_heads != 0) {
    fail("heads = " + str(s.heads) + " is not a multiple of kv_heads = " + str(s.kv_heads));
  }
  const auto q_size = static_cast<std::size_t>(s.batch * s.sq * s.heads * s.head_dim);
  const auto kv_size = static_cast<std::size_t>(s.batch * s.skv * s.kv_heads * s.head_dim);
  if (q.size() != q_size) {
    fail("q has " + std::to_string(q.size()) + " values: expected batch * sq * heads * head_dim = " +
         std::to_string(q_size));
  }
  if (k.size() != kv_size || v.size() != kv_size) {
    fail("k has " + std::to_string(k.size()) + " and v " + std::to_string(v.size()) +
         " values: expected batch * skv * kv_heads * head_dim = " + std::to_string(kv_size));
  }
}

void check_config(const AttentionConfig& c, const Shape& s) {
  if (c.window && *c.window <= 0) fail("window = " + str(*c.window) + ": expected a window >= 1 (or none)");
  if (c.scale && !std::isfinite(*c.scale)) fail("scale = " + std::to_string(*c.scale) + ": expected a finite value");
  if (!std::isfinite(c.softcap) || c.softcap < 0.0) {
    fail("softcap = " + std::to_string(c.softcap) + ": expected 0 (none) or a finite value > 0");
  }
  if (!c.sinks.empty() && c.sinks.size() != static_cast<std::size_t>(s.heads)) {
    fail("sinks has " + std::to_string(c.sinks.size()) + " values: expected none or heads = " + str(s.heads));
  }
  if (!c.query_positions.empty() && c.query_positions.size() != static_cast<std::size_t>(s.sq)) {
    fail("query_positions has " + std::to_string(c.query_positions.size()) + " entries: expected sq = " + str(s.sq));
  }
  if (!c.key_positions.empty() && c.key_positions.size() != static_cast<std::size_t>(s.skv)) {
    fail("key_positions has " + std::to_string(c.key_positions.size()) + " entries: expected skv = " + str(s.skv));
  }
  // One list without the other would mix two position conventions in one call.
  if (c.query_positions.empty() != c.key_positions.empty()) {
    fail("query_positions and key_positions must be given together (or both left empty)");
  }
  if (c.rope && c.rope->head_dim != s.head_dim) {
    fail("rope.head_dim = " + str(c.rope->head_dim) + ": expected the attention head_dim = " + str(s.head_dim));
  }
  if (!c.query_rope_positions.empty() || !c.key_rope_positions.empty()) {
    const std::int64_t streams = c.rope ? c.rope->position_streams() : 0;
    if (streams < 2 || c.query_rope_positions.size() != static_cast<std::size_t>(streams * s.sq) ||
        c.key_rope_positions.size() != static_cast<std::size_t>(streams * s.skv)) {
      fail("query_rope_positions / key_rope_positions have " + std::to_string(c.query_rope_positions.size()) + " and " +
           std::to_string(c.key_rope_positions.size()) + " entries: expected a rope config with several streams and "
           "streams x sq, streams x skv");
    }
  }
}

// Default positions are bottom-right aligned: the last query sits with the last key, which is
// where a decode step (or a chunk of prefill) appended to a KV cache of length skv belongs.
std::vector<std::int64_t> query_positions(const AttentionConfig& c, std::int64_t sq, std::int64_t skv) {
  if (!c.query_positions.empty()) return c.query_positions;
  std::vector<std::int64_t> p(static_cast<std::size_t>(sq));
  for (std::int64_t i = 0; i < sq; ++i) p[static_cast<std::size_t>(i)] = skv - sq + i;
  return p;
}

std::vector<std::int64_t> key_positions(const AttentionConfig& c, std::int64_t skv) {
  if (!c.key_positions.empty()) return c.key_positions;
  std::vector<std::int64_t> p(static_cast<std::size_t>(skv));
  for (std::int64_t j = 0; j < skv; ++j) p[static_cast<std::size_t>(j)] = j;
  return p;
}

// The positions are shared by the batch; reference::rope wants one per token.
std::vector<std::int64_t> per_token(const std::vector<std::int64_t>& positions, std::int64_t batch) {
  std::vector<std::int64_t> out;
  out.reserve(positions.size() * static_cast<std::size_t>(batch));
  for (std::int64_t b = 0; b < batch; ++b) out.insert(out.end(), positions.begin(), positions.end());
  return out;
}

// With causal this is p_q - W < p_k <= p_q. Without causal the window is symmetric,
// |p_q - p_k| < W: a query sees W - 1 keys on either side of its own position, as a
// non-causal (encoder) sliding window does.
bool visible(const AttentionConfig& c, std::int64_t pq, std::int64_t pk) {
  if (c.causal && pk > pq) return false;
  if (c.window) {
    const std::int64_t distance = pq >= pk ? pq - pk : pk - pq;
    if (distance >= *c.window) return false;
  }
  return true;
}

}  // namespace

std::vector<double> attention(std::span<const double> q_in, std::span<const double> k_in, std::span<const double> v,
                              std::int64_t batch, std::int64_t sq, std::int64_t skv, std::int64_t heads,
                              std::int64_t kv_heads, std::int64_t head_dim, const AttentionConfig& config) {
  const Shape shape{batch, sq, skv, heads, kv_heads, head_dim};
  check_sizes(shape, q_in, k_in, v);
  check_config(config, shape);
  const std::vector<std::int64_t> qpos = query_positions(config, sq, skv);
  const std::vector<std::int64_t> kpos = key_positions(config, skv);

  // Fused RoPE: q and k rotated at their own positions by one frequency table, taken at the
  // largest position of either, so that dynamic and longrope scaling see one sequence length.
  std::vector<double> q(q_in.begin(), q_in.end());
  std::vector<double> k(k_in.begin(), k_in.end());
  // Several position streams (M-RoPE, 2D vision): the explicit rope positions, or the
  // positions above in every stream.
  if (config.rope) {
    const std::int64_t streams = config.rope->position_streams();
    const auto stream_positions = [&](const std::vector<std::int64_t>& given, const std::vector<std::int64_t>& p,
                                      std::int64_t n) {
      std::vector<std::int64_t> out;  // [streams][batch * n]
      for (std::int64_t s = 0; s < streams; ++s) {
        const std::vector<std::int64_t> one =
            given.empty() ? p
                          : std::vector<std::int64_t>(given.begin() + s * n, given.begin() + (s + 1) * n);
        const std::vector<std::int64_t> tokens = per_token(one, batch);
        out.insert(out.end(), tokens.begin(), tokens.end());
      }
      return out;
    };
    const std::vector<std::int64_t> q_rope = stream_positions(config.query_rope_positions, qpos, sq);
    const std::vector<std::int64_t> k_rope = stream_positions(config.key_rope_positions, kpos, skv);
    std::int64_t max_position = 0;
    for (const std::int64_t p : q_rope) max_position = std::max(max_position, p);
    for (const std::int64_t p : k_rope) max_position = std::max(max_position, p);
    const RopeFrequencies frequencies = rope_frequencies(*config.rope, max_position);
    q = rope(q_in, batch, sq, heads, *config.rope, frequencies, q_rope);
    k = rope(k_in, batch, skv, kv_heads, *config.rope, frequencies, k_rope);
  }

  const double scale = config.scale.value_or(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const std::vector<double> slopes = config.alibi ? alibi_slopes(heads) : std::vector<double>{};
  const std::int64_t group = heads / kv_heads;  // query heads per kv head
  const auto dim = static_cast<std::size_t>(head_dim);
  const auto q_at = [&](std::int64_t b, std::int64_t i, std::int64_t h) {
    return static_cast<std::size_t>(((b * sq + i) * heads + h) * head_dim);
  };
  const auto kv_at = [&](std::int64_t b, std::int64_t j, std::int64_t h) {
    return static_cast<std::size_t>(((b * skv + j) * kv_heads + h) * head_dim);
  };

  std::vector<double> out(q.size(), 0.0);
  std::vector<double> logits(static_cast<std::size_t>(skv));
  std::vector<bool> seen(static_cast<std::size_t>(skv));
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < sq; ++i) {
      const std::int64_t pq = qpos[static_cast<std::size_t>(i)];
      for (std::int64_t h = 0; h < heads; ++h) {
        const std::int64_t kvh = h / group;
        const double* qrow = q.data() + q_at(b, i, h);
        const bool has_sink = !config.sinks.empty();
        const double sink = has_sink ? static_cast<double>(config.sinks[static_cast<std::size_t>(h)]) : 0.0;

        // Pass 1: the logit of every visible key, and the row maximum (the sink included, so
        // that neither a large sink nor large logits overflow exp).
        double row_max = has_sink ? sink : -std::numeric_limits<double>::infinity();
        bool any = false;
        for (std::int64_t j = 0; j < skv; ++j) {
          const auto ju = static_cast<std::size_t>(j);
          const std::int64_t pk = kpos[ju];
          seen[ju] = visible(config, pq, pk);
          if (!seen[ju]) continue;
          const double* krow = k.data() + kv_at(b, j, kvh);
          double s = 0.0;
          for (std::size_t d = 0; d < dim; ++d) s += qrow[d] * krow[d];
          s *= scale;
          if (config.softcap > 0.0) s = config.softcap * std::tanh(s / config.softcap);
          if (config.alibi) {
            s -= slopes[static_cast<std::size_t>(h)] * static_cast<double>(pq >= pk ? pq - pk : pk - pq);
          }
          logits[ju] = s;
          row_max = std::max(row_max, s);
          any = true;
        }
        // Nothing visible: the weights are all zero (with a sink, it takes the whole mass and
        // attends to nothing), so the output stays zero rather than 0/0.
        if (!any) continue;

        // Pass 2: softmax weights and the weighted sum of v.
        double denominator = has_sink ? std::exp(sink - row_max) : 0.0;
        for (std::size_t j = 0; j < seen.size(); ++j) {
          if (seen[j]) denominator += std::exp(logits[j] - row_max);
        }
        double* orow = out.data() + q_at(b, i, h);
        for (std::int64_t j = 0; j < skv; ++j) {
          const auto ju = static_cast<std::size_t>(j);
          if (!seen[ju]) continue;
          const double weight = std::exp(logits[ju] - row_max) / denominator;
          const double* vrow = v.data() + kv_at(b, j, kvh);
          for (std::size_t d = 0; d < dim; ++d) orow[d] += weight * vrow[d];
        }
      }
    }
  }
  return out;
}

}  // namespace vkrope::reference
