// KvCache: the keys and values of past tokens, per layer, on the device, for incremental
// decoding. append() writes new tokens' keys (rotated with the cache's RoPE config) and
// values in one dispatch; attend() runs attention of new queries over the filled prefix,
// rotating only the queries (the stored keys are rotated already).
//
// Positions: token n of a layer (counting appends) sits at position n; the queries of an
// attend() call are the last Sq tokens appended (bottom-right alignment), so a decode step
// is append(k, v of one token) then attend(q of that token).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vkrope/attention.hpp"
#include "vkrope/batch.hpp"
#include "vkrope/rope.hpp"
#include "vkrope/tensor.hpp"
#include "vkrope/visibility.hpp"

VKROPE_PUBLIC_BEGIN

namespace vkrope {

struct KvCacheShape {
  std::int64_t layers = 1;
  std::int64_t batch = 1;
  std::int64_t capacity = 0;  // tokens per sequence
  std::int64_t kv_heads = 1;
  std::int64_t head_dim = 64;  // a multiple of 8 (of 32 with a block format), up to 256
  // Storage of the keys, and of the values unless value_dtype says otherwise (engines often
  // keep K at higher precision than V). Bytes per token per layer and sequence, per kv head:
  //   f32 4 * head_dim, f16 and bf16 2 * head_dim, q8_0 34 * head_dim / 32 (1.0625 per
  //   value), q4_0 18 * head_dim / 32 (0.5625 per value); bytes_per_token() adds K and V.
  DType dtype = DType::f16;
  std::optional<DType> value_dtype;
  // A sliding-window ring (window > 0), for layers whose model attends over a window
  // (Mistral, Gemma, gpt-oss's alternating layers) or StreamingLLM: each sequence keeps its
  // first sink_tokens tokens for good and its newest `window` in sink_tokens + window slots,
  // so memory stays the same at any length; `capacity` is then only the most tokens a
  // sequence may reach (its positions). Keys are stored unrotated and rotated by the
  // attention kernel as it reads them, at their original positions or, with
  // cache_positions, at their rank in the cache (sinks 0..S-1, the window's tokens next,
  // oldest first, as StreamingLLM), so nothing is ever re-rotated. evict = false makes an
  // append past sink_tokens + window tokens an error instead.
  std::int64_t window = 0;
  std::int64_t sink_tokens = 0;
  bool cache_positions = false;
  bool evict = true;
  // A paged cache (page_size > 0: a power of two >= 2, e.g. 16): each layer keeps one pool
  // of `pages` pages of page_size tokens for all sequences, and each sequence a block table
  // of the pages it holds, taken from the pool as it grows (capacity is then only the most
  // tokens a sequence may reach). fork() lets sequences share pages (parallel sampling
  // without copying the prompt); a shared page is copied before a sequence writes into it,
  // and a page returns to the pool when no sequence uses it. An append the pool cannot hold
  // throws and writes nothing. Every storage format works; a ring cannot be paged.
  std::int64_t page_size = 0;
  std::int64_t pages = 0;
  DType key_format() const noexcept { return dtype; }
  DType value_format() const noexcept { return value_dtype.value_or(dtype); }
};

class KvCache {
 public:
  // Allocates 2 * layers buffers of batch * capacity * kv_heads * head_dim elements.
  // Throws InvalidArgument for sizes <= 0, a head_dim attention does not take, a rope
  // config for another head_dim, or a capacity past fused RoPE's positions (2^24);
  // OutOfMemory / InvalidArgument (maxStorageBufferRange) from the allocation.
  KvCache(const Context& context, const KvCacheShape& shape, std::optional<RopeConfig> rope = std::nullopt);

  const KvCacheShape& shape() const noexcept { return shape_; }
  // Device bytes one token of one sequence takes in one layer: keys and values of every kv
  // head in their storage formats.
  std::int64_t bytes_per_token() const noexcept;
  // Token slots per sequence and layer: capacity, or sink_tokens + window for a ring.
  std::int64_t slots() const noexcept;
  // Device bytes of one layer: batch * slots() * bytes_per_token() (paged: the pool's
  // pages * page_size * bytes_per_token()).
  std::int64_t bytes_per_layer() const noexcept;

  // Paged caches. fork: sequence `to` becomes a copy of `from` in every layer by sharing its
  // pages (no device work); `to`'s own pages are released first. release: every layer's
  // tokens of `sequence` dropped, its pages back to the pool unless shared.
  void fork(std::int64_t from, std::int64_t to);
  void release(std::int64_t sequence);
  std::int64_t free_pages(std::int64_t layer) const;
  const std::vector<std::int64_t>& block_table(std::int64_t layer, std::int64_t sequence) const;
  const std::optional<RopeConfig>& rope() const noexcept { return rope_; }
  std::int64_t length(std::int64_t layer) const;  // tokens filled (the longest sequence's)
  std::int64_t length(std::int64_t layer, std::int64_t sequence) const;
  void clear();                                  // every layer back to length 0

  // k_new, v_new: [B, T, Hkv, D] or [T, Hkv, D] (B = 1), f32 or f16, strided views allowed.
  // Keys are rotated, and both converted to the cache's formats (quantized for q8_0 / q4_0,
  // exactly as vkrope::encode rounds), in one dispatch.
  // Throws InvalidArgument naming the problem when shapes disagree with the cache or the
  // layer would exceed its capacity (nothing is written then). The Batch form counts the
  // tokens as appended once recorded: if that batch then fails to run, clear() the cache.
  // The self-submitting form leaves the length as it was when anything fails, so the same
  // append can be retried.
  void append(Batch& batch, std::int64_t layer, const Tensor& k_new, const Tensor& v_new);
  void append(std::int64_t layer, const Tensor& k_new, const Tensor& v_new);
  // Ragged batches (a server decoding several conversations): one sequence's new tokens,
  // k_new and v_new [T, Hkv, D] or [1, T, Hkv, D], at that sequence's own length (its
  // positions go on from there). Once sequences differ in length, append() adds T tokens to
  // each at its own length and attend() runs every sequence over its own keys, its queries
  // being its last Sq tokens, in one call (a ring layer takes sequences of one length only).
  void append_sequence(Batch& batch, std::int64_t layer, std::int64_t sequence, const Tensor& k_new,
                       const Tensor& v_new);
  void append_sequence(std::int64_t layer, std::int64_t sequence, const Tensor& k_new, const Tensor& v_new);

  // Attention of q [B, Sq, H, D] (or [Sq, H, D]) over the layer's filled prefix into out.
  // config.rope and explicit positions must be left unset (the cache defines both). A ring
  // attends over the tokens it holds, the queries being its newest Sq tokens (Sq <= window
  // once the ring is full): a decode step (Sq = 1) is exactly sliding-window attention; in
  // a longer chunk the older queries do not see keys the chunk itself evicted.
  void attend(Batch& batch, std::int64_t layer, const AttentionConfig& config, const Tensor& q,
              const Tensor& out) const;
  void attend(std::int64_t layer, const AttentionConfig& config, const Tensor& q, const Tensor& out) const;

  // RoPE at explicit positions, for a rope config with several position streams (M-RoPE:
  // image tokens at (t, h, w), text after an image at its rope_deltas offset) or any rope
  // config. append: the new tokens' positions, stream-major [streams, T] (shared by the
  // batch) or [streams, B, T], or an offset (every stream at offset + t); the keys are
  // rotated by rope() (frequencies at their largest position), then stored as append()
  // stores them. attend: the queries' positions likewise ([streams, Sq] ...); q is rotated
  // by rope(), then attended over the stored keys. Without positions, append() and
  // attend() put token n at position n in every stream, which rotates exactly as text RoPE
  // (so plain calls work on an M-RoPE cache too). Not for a ring (it rotates keys as it
  // reads them, at one position per token). Throws InvalidArgument for a cache without a
  // rope config, positions of the wrong length or range.
  void append(Batch& batch, std::int64_t layer, const Tensor& k_new, const Tensor& v_new,
              const RopePositions& positions);
  void append(std::int64_t layer, const Tensor& k_new, const Tensor& v_new, const RopePositions& positions);
  void attend(Batch& batch, std::int64_t layer, const AttentionConfig& config, const Tensor& q, const Tensor& out,
              const RopePositions& query_positions) const;
  void attend(std::int64_t layer, const AttentionConfig& config, const Tensor& q, const Tensor& out,
              const RopePositions& query_positions) const;

  // The layer's filled keys / values: strided views [B, length, Hkv, D] of the cache
  // (keys as stored, i.e. rotated; a ring's: its filled slots in slot order, keys unrotated;
  // a paged cache's: the whole pool, [1, pages * page_size, Hkv, D], block_table() says
  // which rows are whose). Throws when the layer is empty.
  Tensor keys(std::int64_t layer) const;
  Tensor values(std::int64_t layer) const;

 private:
  void check_layer(std::int64_t layer, const char* what) const;
  void check_new_tokens(const Tensor& k_new, const Tensor& v_new, std::int64_t batch, const char* what) const;
  bool uniform(std::int64_t layer) const;  // every sequence of the layer at one length
  void check_rope_positions(const char* what) const;
  // attend(), with the cache's RoPE of the queries in the kernel, or none (q rotated already).
  void attend_impl(Batch& batch, std::int64_t layer, const AttentionConfig& config, const Tensor& q, const Tensor& out,
                   bool rotate_queries) const;
  // Tokens first..first+count of row `row` of k_new / v_new ([B, T, Hkv, D]) into sequence
  // b's storage rows at `start` (paged: b = 0, the pool).
  void store_sequence(Batch& batch, std::int64_t layer, std::int64_t b, const Tensor& k_new, const Tensor& v_new,
                      std::int64_t row, std::int64_t start, std::int64_t first = 0, std::int64_t count = -1,
                      std::int64_t position = -1);
  // One store dispatch (quantize.comp): k_src / v_src [B, T, Hkv, D] into k_dst / v_dst
  // [B, rows, Hkv, D] at rows start.., keys rotated at `position` (-1: start) when rotate.
  void record_store(Batch& batch, const Tensor& k_src, const Tensor& v_src, const Tensor& k_dst, const Tensor& v_dst,
                    std::int64_t start, std::int64_t position, bool rotate, const std::string& label) const;
  bool paged() const noexcept { return shape_.page_size > 0; }
  // Paged: takes the pages the sequences' next `tokens` tokens need (copying shared pages
  // they write into), or throws before changing anything; then records the stores.
  void append_paged(Batch& batch, std::int64_t layer, const Tensor& k_new, const Tensor& v_new,
                    const std::vector<std::int64_t>& sequences);
  void release_pages(std::int64_t layer, std::int64_t sequence);
  // A layer's bookkeeping, kept by the self-submitting appends to undo a failed one.
  struct LayerState {
    std::vector<std::int64_t> lengths;
    std::vector<std::vector<std::int64_t>> tables;
    std::vector<std::int32_t> users;
  };
  LayerState save(std::int64_t layer) const;
  void restore(std::int64_t layer, const LayerState& state);
  // The self-submitting appends: `record` into a fresh batch, submitted; on any failure the
  // layer's bookkeeping goes back to what it was, so the same call can be retried.
  void submit_or_restore(std::int64_t layer, const std::function<void(Batch&)>& record);
  Tensor prefix(const Tensor& full, std::int64_t length) const;

  Context context_;
  KvCacheShape shape_;
  std::optional<RopeConfig> rope_;
  // True while append(..., positions) stores keys rope() has rotated already: the store's
  // own rotation is off then.
  bool keys_rotated_ = false;
  std::vector<Tensor> keys_, values_;
  std::vector<std::vector<std::int64_t>> lengths_;  // [layer][sequence]: tokens appended
  std::vector<std::vector<std::vector<std::int64_t>>> tables_;  // paged: [layer][sequence] page ids
  std::vector<std::vector<std::int32_t>> page_users_;            // paged: [layer][page] sequences using it
};

}  // namespace vkrope

VKROPE_PUBLIC_END
