// Paged KvCache: a pool of pages per layer, block tables per sequence, forks sharing pages
// with copy-on-write, and the pool's limits, against dense caches on every device.
#include <gtest/gtest.h>

#include "ops/attention_variants.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/kv_cache.hpp"

namespace vkrope::test {
namespace {

using KvPagedTest = DeviceTest;

constexpr std::int64_t kHeads = 4, kKvHeads = 2, kDim = 32;

RopeConfig neox() {
  RopeConfig r;
  r.head_dim = kDim;
  return r;
}

// One decode step (append one token to every sequence, attend with its last `sq` queries)
// on both caches; returns the relative difference of their outputs.
double step_difference(const Context& ctx, KvCache& a, KvCache& b, std::int64_t batch, std::int64_t sq,
                       const std::function<std::vector<float>(std::size_t)>& random) {
  const auto tensor = [&](std::int64_t t, std::int64_t heads) {
    return Tensor::from_floats(ctx, DType::f32, {batch, t, heads, kDim}, random(static_cast<std::size_t>(batch * t * heads * kDim)));
  };
  const Tensor k = tensor(1, kKvHeads), v = tensor(1, kKvHeads), q = tensor(sq, kHeads);
  const Tensor out_a = Tensor::empty(ctx, DType::f32, q.shape()), out_b = Tensor::empty(ctx, DType::f32, q.shape());
  AttentionConfig config;
  config.causal = true;
  Batch run(ctx);
  a.append(run, 0, k, v);
  a.attend(run, 0, config, q, out_a);
  b.append(run, 0, k, v);
  b.attend(run, 0, config, q, out_b);
  run.submit();
  const std::vector<float> want = out_b.download();
  return compare(out_a.download(), std::vector<double>(want.begin(), want.end())).rel_err;
}

// Sequences of 5, 17 and 9 prompt tokens in pages of 4, then decode steps: the same outputs
// as a dense (ragged) cache of the same tokens, 1e-5 relative (the same float32 arithmetic
// over the same stored values); f32 and q4_0 storage; the decode, team and rows kernels.
TEST_P(KvPagedTest, PagedEqualsDenseForTheSameTokens) {
  struct Reset {
    ~Reset() { detail::force_flash_variant(std::nullopt); }
  } reset;
  const std::int64_t batch = 3, prompts[] = {5, 17, 9};
  for (auto [variant, format] : {std::pair{detail::FlashVariant::Decode, DType::q4_0},
                                 std::pair{detail::FlashVariant::Team, DType::f32},
                                 std::pair{detail::FlashVariant::Rows, DType::q4_0}}) {
    detail::force_flash_variant(variant);
    KvCacheShape shape{1, batch, 64, kKvHeads, kDim, format};
    KvCache dense(context(), shape, neox());
    shape.page_size = 4;
    shape.pages = 20;
    KvCache paged(context(), shape, neox());
    for (std::int64_t b = 0; b < batch; ++b) {
      const auto n = static_cast<std::size_t>(prompts[b] * kKvHeads * kDim);
      const Tensor k = Tensor::from_floats(context(), DType::f32, {1, prompts[b], kKvHeads, kDim}, random_floats(n));
      const Tensor v = Tensor::from_floats(context(), DType::f32, {1, prompts[b], kKvHeads, kDim}, random_floats(n));
      paged.append_sequence(0, b, k, v);
      dense.append_sequence(0, b, k, v);
    }
    EXPECT_EQ(paged.block_table(0, 1).size(), 5u);  // 17 tokens: 5 pages of 4
    EXPECT_EQ(paged.free_pages(0), 20 - 2 - 5 - 3);
    double worst = 0.0;
    for (std::int64_t step = 0; step < 4; ++step)
      worst = std::max(worst, step_difference(context(), paged, dense, batch, step % 2 ? 2 : 1,
                                              [&](std::size_t n) { return random_floats(n); }));
    EXPECT_LE(worst, 1e-5) << detail::to_string(variant) << " forced, " << to_string(format) << " (seed " << seed() << ")";
  }
}

// Parallel sampling: one prompt of 10 tokens (3 pages of 4, the last half full) forked to two
// more sequences shares its pages (no page taken); each then decodes its own tokens, which
// copies the shared last page first. Outputs equal a dense cache holding three copies of
// the prompt; releasing a fork frees only its own pages.
TEST_P(KvPagedTest, ForkedSequencesShareThePromptsPages) {
  const std::int64_t batch = 3, prompt = 10;
  KvCacheShape shape{1, batch, 64, kKvHeads, kDim, DType::q8_0};
  KvCache dense(context(), shape, neox());
  shape.page_size = 4;
  shape.pages = 12;
  KvCache paged(context(), shape, neox());
  const auto n = static_cast<std::size_t>(prompt * kKvHeads * kDim);
  const Tensor k = Tensor::from_floats(context(), DType::f32, {1, prompt, kKvHeads, kDim}, random_floats(n));
  const Tensor v = Tensor::from_floats(context(), DType::f32, {1, prompt, kKvHeads, kDim}, random_floats(n));
  paged.append_sequence(0, 0, k, v);
  for (std::int64_t b = 0; b < batch; ++b) dense.append_sequence(0, b, k, v);
  paged.fork(0, 1);
  paged.fork(0, 2);
  EXPECT_EQ(paged.free_pages(0), 12 - 3) << "a fork takes no page";
  EXPECT_EQ(paged.block_table(0, 2), paged.block_table(0, 0));
  double worst = 0.0;
  for (std::int64_t step = 0; step < 3; ++step)
    worst = std::max(worst, step_difference(context(), paged, dense, batch, 1,
                                            [&](std::size_t count) { return random_floats(count); }));
  EXPECT_LE(worst, 1e-5) << "(seed " << seed() << ")";
  // 13 tokens each: the first two pages shared by all three; the third, shared when the
  // first token was written into it, copied for sequences 0 and 1 (2, its last user, writes
  // the original); a fourth page each: 2 + 3 + 3 = 8 pages in use.
  EXPECT_EQ(paged.free_pages(0), 12 - 8);
  EXPECT_NE(paged.block_table(0, 1)[2], paged.block_table(0, 0)[2]);
  EXPECT_EQ(paged.block_table(0, 1)[1], paged.block_table(0, 0)[1]);
  paged.release(1);
  EXPECT_EQ(paged.free_pages(0), 12 - 6) << "its copied third and its fourth page return, the shared ones stay";
  EXPECT_EQ(paged.length(0, 1), 0);
}

// A pool that cannot hold an append refuses it before writing anything: length, block table
// and the pool's bytes stay as they were, and an append that fits still works. The shape
// errors too.
TEST_P(KvPagedTest, AnExhaustedPoolWritesNothing) {
  KvCacheShape shape{1, 2, 64, kKvHeads, kDim, DType::f16};
  shape.page_size = 2;
  shape.pages = 3;
  KvCache paged(context(), shape);
  const auto kv = [&](std::int64_t t) {
    return Tensor::from_floats(context(), DType::f32, {1, t, kKvHeads, kDim},
                               random_floats(static_cast<std::size_t>(t * kKvHeads * kDim)));
  };
  paged.append_sequence(0, 0, kv(3), kv(3));  // 2 pages
  const std::vector<std::byte> before = paged.keys(0).download_raw();
  expect_invalid_argument([&] { paged.append_sequence(0, 1, kv(3), kv(3)); }, "needs 2 pages");
  EXPECT_EQ(paged.length(0, 1), 0);
  EXPECT_TRUE(paged.block_table(0, 1).empty());
  EXPECT_EQ(paged.free_pages(0), 1);
  EXPECT_EQ(paged.keys(0).download_raw(), before) << "a refused append wrote to the pool";
  paged.append_sequence(0, 1, kv(2), kv(2));  // one page: fits
  EXPECT_EQ(paged.free_pages(0), 0);

  for (std::int64_t page_size : {3, 1}) {
    KvCacheShape bad{1, 1, 8, kKvHeads, kDim, DType::f32};
    bad.page_size = page_size;
    bad.pages = 4;
    expect_invalid_argument([&] { KvCache c(context(), bad); }, "power of two >= 2");
  }
  KvCacheShape no_pages{1, 1, 8, kKvHeads, kDim, DType::f32};
  no_pages.page_size = 4;
  expect_invalid_argument([&] { KvCache c(context(), no_pages); }, "pages >= 1");
  KvCache dense(context(), {1, 2, 8, kKvHeads, kDim, DType::f32});
  expect_invalid_argument([&] { dense.fork(0, 1); }, "not paged");
}

INSTANTIATE_TEST_SUITE_P(Devices, KvPagedTest, testing::ValuesIn(device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
