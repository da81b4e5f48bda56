#include "conformance/kv_layout_case.hpp"

#include "conformance/guarded.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::conformance {

const char* to_string(KvLayout layout) noexcept {
  switch (layout) {
    case KvLayout::Ragged: return "ragged";
    case KvLayout::PagedForks: return "paged-forks";
    case KvLayout::RingWithSinks: return "ring-sinks";
  }
  return "?";
}

std::string KvLayoutCase::describe() const {
  return std::string(to_string(layout)) + " H" + std::to_string(heads) + "/" + std::to_string(kv_heads) + " D" +
         std::to_string(head_dim) + " cache " + std::string(vkrope::to_string(format));
}

namespace {

constexpr std::int64_t kBatch = 3, kWindow = 16, kSinks = 4, kPage = 8;

// Row `row` of a [rows, width] array of floats, as doubles.
std::vector<double> row_of(const std::vector<float>& x, std::int64_t width, std::int64_t row) {
  return {x.begin() + row * width, x.begin() + (row + 1) * width};
}

}  // namespace

KvLayoutResult run_kv_layout_case(const Context& ctx, const KvLayoutCase& c, std::mt19937& rng) {
  const std::int64_t h = c.heads, hkv = c.kv_heads, d = c.head_dim;
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const auto random = [&](std::int64_t b, std::int64_t t, std::int64_t heads) {
    std::vector<float> x(static_cast<std::size_t>(b * t * heads * d));
    for (float& e : x) e = dist(rng);
    return Tensor::from_floats(ctx, DType::f32, {b, t, heads, d}, x);
  };
  RopeConfig rope;
  rope.head_dim = d;
  KvCacheShape shape{1, kBatch, 128, hkv, d, c.format};
  const bool ring = c.layout == KvLayout::RingWithSinks;
  if (ring) {
    shape.window = kWindow;
    shape.sink_tokens = kSinks;
  }
  if (c.layout == KvLayout::PagedForks) {
    shape.page_size = kPage;
    shape.pages = 24;
  }
  KvCache cache(ctx, shape, rope);
  // Prompts: ragged 5, 37 and 19 tokens; paged one prompt of 21 forked twice; the ring
  // 3W - 1 tokens for every sequence.
  if (c.layout == KvLayout::Ragged) {
    for (std::int64_t b = 0; b < kBatch; ++b) {
      const std::int64_t t = b == 0 ? 5 : b == 1 ? 37 : 19;
      cache.append_sequence(0, b, random(1, t, hkv), random(1, t, hkv));
    }
  } else if (c.layout == KvLayout::PagedForks) {
    cache.append_sequence(0, 0, random(1, 21, hkv), random(1, 21, hkv));
    cache.fork(0, 1);
    cache.fork(0, 2);
  } else {
    cache.append(0, random(kBatch, 3 * kWindow - 1, hkv), random(kBatch, 3 * kWindow - 1, hkv));
  }
  // The step: one token each, attend with its query.
  const Tensor q = random(kBatch, 1, h);
  const Guarded out = guarded_output(ctx, DType::f32, {kBatch, 1, h, d});
  Batch batch(ctx);
  cache.append(batch, 0, random(kBatch, 1, hkv), random(kBatch, 1, hkv));
  cache.attend(batch, 0, {}, q, out.view);
  batch.submit();

  // The reference, sequence by sequence, over the keys and values as stored.
  const std::vector<float> keys = cache.keys(0).download(), values = cache.values(0).download();
  const std::vector<float> queries = q.download();
  const std::int64_t width = hkv * d;
  std::vector<double> expected;
  for (std::int64_t b = 0; b < kBatch; ++b) {
    const std::int64_t n = cache.length(0, b);
    std::vector<std::int64_t> rows, positions;  // storage rows of the keys held, and their positions
    if (ring) {
      for (std::int64_t s = 0; s < kSinks + kWindow; ++s) rows.push_back(b * (kSinks + kWindow) + s);
      for (std::int64_t s = 0; s < kSinks; ++s) positions.push_back(s);
      for (std::int64_t s = 0; s < kWindow; ++s) positions.push_back(kSinks + s + (n - 1 - kSinks - s) / kWindow * kWindow);
    } else {
      for (std::int64_t j = 0; j < n; ++j) {
        rows.push_back(c.layout == KvLayout::Ragged
                           ? b * cache.keys(0).shape()[1] + j
                           : cache.block_table(0, b)[static_cast<std::size_t>(j / kPage)] * kPage + j % kPage);
        positions.push_back(j);
      }
    }
    std::vector<double> k, v;
    for (std::int64_t r : rows) {
      const std::vector<double> kr = row_of(keys, width, r), vr = row_of(values, width, r);
      k.insert(k.end(), kr.begin(), kr.end());
      v.insert(v.end(), vr.begin(), vr.end());
    }
    AttentionConfig config;
    config.query_positions = {n - 1};
    config.key_positions = positions;
    std::vector<double> qb = row_of(queries, h * d, b);
    if (ring) {
      config.rope = rope;  // the ring stores keys unrotated: both rotated here
    } else {
      const std::vector<std::int64_t> at = {n - 1};  // stored keys are rotated: rotate q alone
      qb = reference::rope(qb, 1, 1, h, rope, at);
    }
    const std::vector<double> e =
        reference::attention(qb, k, v, 1, 1, static_cast<std::int64_t>(rows.size()), h, hkv, d, config);
    expected.insert(expected.end(), e.begin(), e.end());
  }
  return {compare(out.view.download(), expected), guard_intact(out)};
}

}  // namespace vkrope::conformance
