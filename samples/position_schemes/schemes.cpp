#include "schemes.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "vkrope/attention.hpp"
#include "vkrope/check.hpp"
#include "vkrope/linear_attention.hpp"
#include "vkrope/position_embedding.hpp"
#include "vkrope/reference.hpp"

using namespace vkrope;

namespace position_schemes {

namespace {

constexpr std::int64_t kModel = kHeads * kDim;  // the model width the absolute embeddings are added at

RopeConfig rope() {
  RopeConfig r;
  r.head_dim = kDim;
  return r;
}

std::vector<double> to_double(const std::vector<float>& x) { return {x.begin(), x.end()}; }

// One-hot values: key n carries e_n (width `dim`), so an output row is the weights.
std::vector<float> one_hot(std::int64_t keys, std::int64_t dim) {
  std::vector<float> v(static_cast<std::size_t>(keys * kHeads * dim), 0.0f);
  for (std::int64_t n = 0; n < keys; ++n)
    for (std::int64_t h = 0; h < kHeads; ++h) v[static_cast<std::size_t>((n * kHeads + h) * dim + n)] = 1.0f;
  return v;
}

Shape heads_shape(std::int64_t s, std::int64_t dim = kDim) { return {1, s, kHeads, dim}; }

}  // namespace

const char* name(Scheme s) {
  switch (s) {
    case Scheme::None: return "no position";
    case Scheme::Sinusoidal: return "sinusoidal (absolute)";
    case Scheme::Learned: return "learned (absolute)";
    case Scheme::LearnedClamped: return "learned, clamped";
    case Scheme::Alibi: return "ALiBi";
    case Scheme::Rope: return "RoPE";
    case Scheme::LinearRope: return "linear attn + RoPE";
  }
  return "?";
}

bool is_absolute(Scheme s) {
  return s == Scheme::Sinusoidal || s == Scheme::Learned || s == Scheme::LearnedClamped;
}

Runner::Runner(const Context& context) : context_(context) {
  std::mt19937 rng(2021);  // fixed: the sample prints the same table every run
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const char* word : {"dog", "bites", "man"}) {
    std::vector<float>& v = words_[word];
    for (std::int64_t i = 0; i < kModel; ++i) v.push_back(normal(rng));
  }
  table_.resize(static_cast<std::size_t>(kTableRows * kModel));
  for (float& x : table_) x = 0.5f * normal(rng);
}

std::vector<float> Runner::vectors(const std::vector<std::string>& words) const {
  std::vector<float> out;
  for (const std::string& w : words) out.insert(out.end(), words_.at(w).begin(), words_.at(w).end());
  return out;
}

Weights Runner::operator()(Scheme s, const std::vector<std::string>& query_words,
                           const std::vector<std::int64_t>& query_positions, const std::vector<std::string>& key_words,
                           const std::vector<std::int64_t>& key_positions) const {
  const auto sq = static_cast<std::int64_t>(query_words.size()), skv = static_cast<std::int64_t>(key_words.size());
  std::vector<float> q = vectors(query_words), k = vectors(key_words);
  std::vector<double> q_ref = to_double(q), k_ref = to_double(k);

  // Absolute schemes: the embedding added to the token vectors by vkrope (and by the
  // reference), before the heads split them.
  if (is_absolute(s)) {
    PositionEmbeddingConfig pe;
    pe.kind = s == Scheme::Sinusoidal ? PositionEmbeddingKind::Sinusoidal : PositionEmbeddingKind::Learned;
    pe.clamp = s == Scheme::LearnedClamped;
    std::optional<Tensor> table;
    if (pe.kind == PositionEmbeddingKind::Learned)
      table = Tensor::from_floats(context_, DType::f32, {kTableRows, kModel}, table_);
    const auto add = [&](std::vector<float>& x, std::vector<double>& x_ref, const std::vector<std::int64_t>& positions) {
      const auto n = static_cast<std::int64_t>(positions.size());
      const Tensor t = Tensor::from_floats(context_, DType::f32, {n, kModel}, x);
      position_embedding(pe, {t, std::nullopt, table}, {positions, 0});
      x = t.download();
      x_ref = reference::position_embedding(x_ref, 1, n, kModel, pe, positions,
                                            table ? to_double(table_) : std::vector<double>{});
    };
    add(q, q_ref, query_positions);
    add(k, k_ref, key_positions);
  }

  const bool linear = s == Scheme::LinearRope;
  const std::int64_t value_dim = linear ? skv : kDim;
  const std::vector<float> v = one_hot(skv, value_dim);
  const Tensor tq = Tensor::from_floats(context_, DType::f32, heads_shape(sq), q);
  const Tensor tk = Tensor::from_floats(context_, DType::f32, heads_shape(skv), k);
  const Tensor tv = Tensor::from_floats(context_, DType::f32, heads_shape(skv, value_dim), v);
  const Tensor out = Tensor::empty(context_, DType::f32, heads_shape(sq, value_dim));
  std::vector<double> expected;
  if (linear) {
    LinearAttentionConfig c;
    c.rope = rope();
    c.query_positions = query_positions;
    c.key_positions = key_positions;
    linear_attention(c, tq, tk, tv, out);
    expected = reference::linear_attention(q_ref, k_ref, to_double(v), 1, sq, skv, kHeads, kHeads, kDim, value_dim, c);
  } else {
    AttentionConfig c;
    if (s == Scheme::Alibi || s == Scheme::Rope) {
      c.query_positions = query_positions;
      c.key_positions = key_positions;
    }
    c.alibi = s == Scheme::Alibi;
    if (s == Scheme::Rope) c.rope = rope();
    attention(c, tq, tk, tv, out);
    expected = reference::attention(q_ref, k_ref, to_double(v), 1, sq, skv, kHeads, kHeads, kDim, c);
  }

  // The weights: the first skv columns of each output row.
  const std::vector<float> got = out.download();
  Weights w;
  w.skv = skv;
  for (std::int64_t row = 0; row < sq * kHeads; ++row)
    for (std::int64_t n = 0; n < skv; ++n) {
      const auto i = static_cast<std::size_t>(row * value_dim + n);
      w.w.push_back(got[i]);
      w.max_abs_diff = std::max(w.max_abs_diff, std::abs(static_cast<double>(got[i]) - expected[i]));
    }
  return w;
}

Timing time_both(const Context& context, std::int64_t s) {
  std::mt19937 rng(static_cast<std::uint32_t>(s));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> q(static_cast<std::size_t>(s * kHeads * kDim)), k(q.size()), v(q.size());
  for (auto* a : {&q, &k, &v})
    for (float& x : *a) x = u(rng);
  const Tensor tq = Tensor::from_floats(context, DType::f32, heads_shape(s), q);
  const Tensor tk = Tensor::from_floats(context, DType::f32, heads_shape(s), k);
  const Tensor tv = Tensor::from_floats(context, DType::f32, heads_shape(s), v);
  const Tensor out = Tensor::empty(context, DType::f32, heads_shape(s));
  AttentionConfig softmax;
  softmax.causal = true;
  softmax.rope = rope();
  LinearAttentionConfig linear;
  linear.causal = true;
  linear.rope = rope();

  // Device time of the second of two runs (the first compiles the pipelines).
  const auto device_ms = [&](const auto& record) {
    double ms = 0.0;
    for (int run = 0; run < 2; ++run) {
      Batch batch(context, {.profile = true});
      record(batch);
      batch.submit();
      ms = 0.0;
      for (const DispatchTiming& t : batch.profile()) ms += t.milliseconds;
    }
    return ms;
  };
  Timing t;
  const auto qd = to_double(q), kd = to_double(k), vd = to_double(v);
  t.softmax_ms = device_ms([&](Batch& b) { attention(b, softmax, tq, tk, tv, out); });
  t.max_rel_err = compare(out.download(), reference::attention(qd, kd, vd, 1, s, s, kHeads, kHeads, kDim, softmax)).rel_err;
  t.linear_ms = device_ms([&](Batch& b) { linear_attention(b, linear, tq, tk, tv, out); });
  t.max_rel_err = std::max(
      t.max_rel_err,
      compare(out.download(), reference::linear_attention(qd, kd, vd, 1, s, s, kHeads, kHeads, kDim, kDim, linear)).rel_err);
  return t;
}

}  // namespace position_schemes
