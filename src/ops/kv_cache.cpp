// KvCache: per-layer K/V buffers, the append kernel (kv_append.comp) and attention over
// the filled prefix.
#include "vkrope/kv_cache.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <string>

#include "ops/angle_buffer.hpp"
#include "ops/attention_check.hpp"
#include "ops/attention_plan.hpp"
#include "ops/dispatch_size.hpp"
#include "ops/kv_formats.hpp"
#include "ops/kv_ring.hpp"
#include "ops/kv_store.hpp"
#include "runtime/batch_state.hpp"
#include "runtime/memory.hpp"

namespace vkrope {

namespace {

// Mirrors AppendPush in shaders/kv_append.comp.
struct AppendPush {
  std::uint32_t batch, tokens, kv_heads, start, capacity;
  std::uint32_t k[4], v[4];  // offset, batch, seq, head strides of the new keys and values
};
static_assert(sizeof(AppendPush) == 52);

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::InvalidArgument, "KvCache: " + message); }

// Tokens [first, first + count) of new keys or values, [B, T, Hkv, D] or [T, Hkv, D].
Tensor token_rows(const Tensor& t, std::int64_t first, std::int64_t count) {
  const std::size_t seq = t.rank() == 4 ? 1 : 0;
  Shape shape = t.shape();
  shape[seq] = count;
  return t.view(shape, t.strides(), t.offset() + first * t.strides()[seq]);
}

std::string str(std::int64_t v) { return std::to_string(v); }

const char* append_shader(DType in, DType cache) {
  if (in == DType::f32) return cache == DType::f32 ? "kv_append_in_f32_cache_f32" : "kv_append_in_f32_cache_f16";
  return cache == DType::f32 ? "kv_append_in_f16_cache_f32" : "kv_append_in_f16_cache_f16";
}

// A [Sq, H, D] view as [1, Sq, H, D]: the cache's keys and values are 4-D views, and
// attention takes q, k, v and out of one rank.
Tensor with_batch_dimension(const Tensor& t) {
  if (t.rank() != 3) return t;
  Shape shape = t.shape();
  Strides strides = t.strides();
  shape.insert(shape.begin(), 1);
  strides.insert(strides.begin(), shape[1] * strides[0]);
  return t.view(shape, strides, t.offset());
}

}  // namespace

KvCache::KvCache(const Context& context, const KvCacheShape& shape, std::optional<RopeConfig> rope)
    : context_(context), shape_(shape), rope_(std::move(rope)) {
  if (shape.layers <= 0 || shape.batch <= 0 || shape.capacity <= 0 || shape.kv_heads <= 0)
    fail("layers = " + str(shape.layers) + ", batch = " + str(shape.batch) + ", capacity = " + str(shape.capacity) +
         ", kv_heads = " + str(shape.kv_heads) + ": expected sizes >= 1");
  if (shape.head_dim <= 0 || shape.head_dim % 8 != 0 || shape.head_dim > 256)
    fail("head_dim " + str(shape.head_dim) + " is not supported; expected a multiple of 8 up to 256");
  for (DType format : {shape.key_format(), shape.value_format()})
    if (is_block_format(format) && shape.head_dim % block_elements(format) != 0)
      fail("head_dim " + str(shape.head_dim) + " does not hold whole " + std::string(to_string(format)) +
           " blocks; expected a multiple of " + str(block_elements(format)));
  if (shape.page_size < 0 || (shape.page_size > 0 && (shape.page_size < 2 || !std::has_single_bit(static_cast<std::uint64_t>(shape.page_size)))))
    fail("page_size = " + str(shape.page_size) + " is not a power of two >= 2 (or 0 for a dense cache)");
  if (shape.page_size > 0 && (shape.pages <= 0 || shape.window > 0))
    fail("a paged cache needs pages >= 1 (got " + str(shape.pages) + ") and no window");
  if (shape.window < 0 || shape.sink_tokens < 0 || (shape.window == 0 && shape.sink_tokens > 0))
    fail("window = " + str(shape.window) + ", sink_tokens = " + str(shape.sink_tokens) +
         ": expected window >= 1 for a ring (sink tokens need one) or both 0");
  if (rope_) {
    rope_->validate();
    if (rope_->head_dim != shape.head_dim)
      fail("rope.head_dim = " + str(rope_->head_dim) + "; expected the cache's head_dim " + str(shape.head_dim));
    if (shape.capacity - 1 > kMaxRopePosition)
      fail("capacity " + str(shape.capacity) + " exceeds RoPE's positions (2^24 + 1)");
  }
  // Dense and ring: [B, slots, Hkv, D]; paged: one pool [1, pages * page_size, Hkv, D].
  const Shape full = {paged() ? 1 : shape.batch, slots(), shape.kv_heads, shape.head_dim};
  for (std::int64_t l = 0; l < shape.layers; ++l) {
    keys_.push_back(Tensor::empty(context, shape.key_format(), full));
    values_.push_back(Tensor::empty(context, shape.value_format(), full));
  }
  lengths_.assign(static_cast<std::size_t>(shape.layers), std::vector<std::int64_t>(static_cast<std::size_t>(shape.batch), 0));
  if (paged()) {
    tables_.assign(static_cast<std::size_t>(shape.layers), std::vector<std::vector<std::int64_t>>(static_cast<std::size_t>(shape.batch)));
    page_users_.assign(static_cast<std::size_t>(shape.layers), std::vector<std::int32_t>(static_cast<std::size_t>(shape.pages), 0));
  }
}

std::int64_t KvCache::slots() const noexcept {
  if (paged()) return shape_.pages * shape_.page_size;
  return shape_.window > 0 ? shape_.sink_tokens + shape_.window : shape_.capacity;
}

std::int64_t KvCache::bytes_per_layer() const noexcept {
  return (paged() ? 1 : shape_.batch) * slots() * bytes_per_token();
}

std::int64_t KvCache::bytes_per_token() const noexcept {
  const auto dim = static_cast<std::uint64_t>(shape_.head_dim);
  return shape_.kv_heads *
         static_cast<std::int64_t>(storage_bytes(shape_.key_format(), dim) + storage_bytes(shape_.value_format(), dim));
}

KvCache::LayerState KvCache::save(std::int64_t layer) const {
  const auto l = static_cast<std::size_t>(layer);
  return {lengths_[l], paged() ? tables_[l] : decltype(tables_)::value_type{},
          paged() ? page_users_[l] : decltype(page_users_)::value_type{}};
}

void KvCache::restore(std::int64_t layer, const LayerState& state) {
  const auto l = static_cast<std::size_t>(layer);
  lengths_[l] = state.lengths;
  if (paged()) {
    tables_[l] = state.tables;
    page_users_[l] = state.users;
  }
}

void KvCache::check_layer(std::int64_t layer, const char* what) const {
  if (layer < 0 || layer >= shape_.layers)
    fail(std::string(what) + ": layer " + str(layer) + " is outside [0, " + str(shape_.layers) + ")");
}

std::int64_t KvCache::length(std::int64_t layer) const {
  check_layer(layer, "length");
  const std::vector<std::int64_t>& n = lengths_[static_cast<std::size_t>(layer)];
  return *std::max_element(n.begin(), n.end());
}

std::int64_t KvCache::length(std::int64_t layer, std::int64_t sequence) const {
  check_layer(layer, "length");
  if (sequence < 0 || sequence >= shape_.batch)
    fail("length: sequence " + str(sequence) + " is outside [0, " + str(shape_.batch) + ")");
  return lengths_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(sequence)];
}

bool KvCache::uniform(std::int64_t layer) const {
  const std::vector<std::int64_t>& n = lengths_[static_cast<std::size_t>(layer)];
  return std::all_of(n.begin(), n.end(), [&](std::int64_t x) { return x == n.front(); });
}

void KvCache::clear() {
  for (auto& layer : lengths_) std::fill(layer.begin(), layer.end(), 0);
  for (auto& layer : tables_)
    for (auto& table : layer) table.clear();
  for (auto& users : page_users_) std::fill(users.begin(), users.end(), 0);
}

Tensor KvCache::prefix(const Tensor& full, std::int64_t length) const {
  return full.view({shape_.batch, length, shape_.kv_heads, shape_.head_dim}, full.strides(), 0);
}

Tensor KvCache::keys(std::int64_t layer) const {
  if (length(layer) == 0) fail("keys: layer " + str(layer) + " is empty");
  if (paged()) return keys_[static_cast<std::size_t>(layer)];
  return prefix(keys_[static_cast<std::size_t>(layer)], std::min(length(layer), slots()));
}

Tensor KvCache::values(std::int64_t layer) const {
  if (length(layer) == 0) fail("values: layer " + str(layer) + " is empty");
  if (paged()) return values_[static_cast<std::size_t>(layer)];
  return prefix(values_[static_cast<std::size_t>(layer)], std::min(length(layer), slots()));
}

void KvCache::check_new_tokens(const Tensor& k_new, const Tensor& v_new, std::int64_t batch, const char* what) const {
  const detail::Layout4 k = detail::layout4(k_new, "KvCache::append", "k");
  const detail::Layout4 v = detail::layout4(v_new, "KvCache::append", "v");
  if (k_new.shape() != v_new.shape() || k_new.dtype() != v_new.dtype())
    fail(std::string(what) + ": k is " + std::string(to_string(k_new.dtype())) + shape_to_string(k_new.shape()) +
         " and v " + std::string(to_string(v_new.dtype())) + shape_to_string(v_new.shape()) +
         "; expected one dtype and shape");
  if (k.batch != batch || k.heads != shape_.kv_heads || k.dim != shape_.head_dim)
    fail(std::string(what) + ": k and v are " + shape_to_string(k_new.shape()) + "; expected [" + str(batch) + ", T, " +
         str(shape_.kv_heads) + ", " + str(shape_.head_dim) + "]");
  if (k_new.dtype() != DType::f32 && k_new.dtype() != DType::f16)
    fail(std::string(what) + ": k and v are " + std::string(to_string(k_new.dtype())) +
         "; expected f32 or f16 new keys and values");
  if (k_new.dtype() == DType::f16 && !(detail::is_word_aligned(k) && detail::is_word_aligned(v)))
    fail(std::string(what) + ": f16 k or v has an odd offset or stride; expected even ones (f16 is read as pairs of halves)");
  if (k_new.storage()->context != keys_.front().storage()->context)
    fail(std::string(what) + ": k and v belong to another Context than the cache");
}

void KvCache::store_sequence(Batch& batch, std::int64_t layer, std::int64_t b, const Tensor& k_new,
                             const Tensor& v_new, std::int64_t row, std::int64_t start, std::int64_t first,
                             std::int64_t count, std::int64_t position) {
  // Tokens first.. of row `row` of [B, T, Hkv, D] (or [T, Hkv, D]) as [1, count, Hkv, D].
  const auto rows_of = [&](const Tensor& t) {
    const detail::Layout4 l = detail::layout4(t, "KvCache::append", "k");
    return t.view({1, count < 0 ? l.seq : count, l.heads, l.dim}, {l.batch_stride, l.seq_stride, l.head_stride, 1},
                  l.offset + row * l.batch_stride + first * l.seq_stride);
  };
  const Tensor k_part = rows_of(k_new), v_part = rows_of(v_new);
  const auto cache_rows = [&](const Tensor& full) {  // sequence b of [B, slots, Hkv, D]
    return full.view({1, slots(), shape_.kv_heads, shape_.head_dim}, full.strides(), b * full.strides()[0]);
  };
  record_store(batch, k_part, v_part, cache_rows(keys_[static_cast<std::size_t>(layer)]),
               cache_rows(values_[static_cast<std::size_t>(layer)]), start, position, /*rotate=*/true,
               "kv append layer " + str(layer) + " sequence " + str(b) + " " + shape_to_string(k_part.shape()));
}

void KvCache::record_store(Batch& batch, const Tensor& k_src, const Tensor& v_src, const Tensor& k_dst,
                           const Tensor& v_dst, std::int64_t start, std::int64_t position, bool rotate,
                           const std::string& label) const {
  detail::StoreRequest r;
  r.k_src = &k_src;
  r.v_src = &v_src;
  r.k_layout = detail::layout4(k_src, "KvCache::append", "k");
  r.v_layout = detail::layout4(v_src, "KvCache::append", "v");
  r.k_dst = &k_dst;
  r.v_dst = &v_dst;
  r.start = start;
  r.position = position;
  r.capacity = k_dst.shape()[1];
  r.rope = rotate && rope_ && !keys_rotated_ ? &*rope_ : nullptr;
  r.label = label;
  detail::dispatch_store(batch.state(), r);
}

void KvCache::append_sequence(Batch& batch, std::int64_t layer, std::int64_t sequence, const Tensor& k_new,
                              const Tensor& v_new) {
  check_layer(layer, "append_sequence");
  if (sequence < 0 || sequence >= shape_.batch)
    fail("append_sequence: sequence " + str(sequence) + " is outside [0, " + str(shape_.batch) + ")");
  if (shape_.window > 0) fail("append_sequence: a ring layer takes sequences of one length; use append()");
  check_new_tokens(k_new, v_new, 1, "append_sequence");
  if (paged()) {
    append_paged(batch, layer, k_new, v_new, {sequence});
    return;
  }
  std::int64_t& filled = lengths_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(sequence)];
  const std::int64_t tokens = k_new.shape()[k_new.rank() == 4 ? 1 : 0];
  if (tokens > shape_.capacity - filled)
    fail("append of " + str(tokens) + " tokens to sequence " + str(sequence) + " of layer " + str(layer) +
         " holding " + str(filled) + " would exceed its capacity of " + str(shape_.capacity));
  (void)detail::to_u32(shape_.batch * shape_.capacity * shape_.kv_heads * shape_.head_dim, "KvCache", "elements");
  store_sequence(batch, layer, sequence, k_new, v_new, 0, filled);
  filled += tokens;
}

void KvCache::append_sequence(std::int64_t layer, std::int64_t sequence, const Tensor& k_new, const Tensor& v_new) {
  check_layer(layer, "append_sequence");
  submit_or_restore(layer, [&](Batch& batch) { append_sequence(batch, layer, sequence, k_new, v_new); });
}

void KvCache::append(Batch& batch, std::int64_t layer, const Tensor& k_new, const Tensor& v_new) {
  check_layer(layer, "append");
  check_new_tokens(k_new, v_new, shape_.batch, "append");
  const detail::Layout4 k = detail::layout4(k_new, "KvCache::append", "k");
  const detail::Layout4 v = detail::layout4(v_new, "KvCache::append", "v");
  std::vector<std::int64_t>& lengths = lengths_[static_cast<std::size_t>(layer)];
  const std::int64_t longest = length(layer);
  if (k.seq > shape_.capacity - longest)
    fail("append of " + str(k.seq) + " tokens to layer " + str(layer) + " holding " + str(longest) +
         " would exceed its capacity of " + str(shape_.capacity));
  if (paged()) {
    std::vector<std::int64_t> all(static_cast<std::size_t>(shape_.batch));
    for (std::int64_t b = 0; b < shape_.batch; ++b) all[static_cast<std::size_t>(b)] = b;
    append_paged(batch, layer, k_new, v_new, all);
    return;
  }
  if (!uniform(layer)) {  // a ragged batch: each sequence at its own length
    (void)detail::to_u32(shape_.batch * shape_.capacity * shape_.kv_heads * shape_.head_dim, "KvCache", "elements");
    for (std::int64_t b = 0; b < shape_.batch; ++b)
      store_sequence(batch, layer, b, k_new, v_new, b, lengths[static_cast<std::size_t>(b)]);
    for (std::int64_t& n : lengths) n += k.seq;
    return;
  }
  const std::int64_t filled = lengths.front();
  if (shape_.window > 0 && !shape_.evict && k.seq > slots() - filled)
    fail("append of " + str(k.seq) + " tokens to layer " + str(layer) + " holding " + str(filled) +
         " would evict tokens from its ring of " + str(slots()) + " slots; expected evict = true to allow that");

  detail::BatchState& state = batch.state();
  // The cache is addressed with 32-bit element indices.
  (void)detail::to_u32(shape_.batch * shape_.capacity * shape_.kv_heads * shape_.head_dim, "KvCache", "elements");
  const Tensor k_rows = keys_[static_cast<std::size_t>(layer)], v_rows = values_[static_cast<std::size_t>(layer)];
  if (shape_.window > 0) {  // the surviving tokens into their slots, keys unrotated
    const std::string label = "kv ring append layer " + str(layer) + " " + shape_to_string(k_new.shape());
    for (const detail::RingRun& run : detail::ring_runs({shape_.sink_tokens, shape_.window}, filled, k.seq)) {
      record_store(batch, token_rows(k_new, run.first_token, run.count), token_rows(v_new, run.first_token, run.count),
                   k_rows, v_rows, run.slot, -1, /*rotate=*/false, label);
    }
    for (std::int64_t& n : lengths) n += k.seq;
    return;
  }
  if (detail::needs_kv_formats(shape_.key_format(), shape_.value_format())) {
    record_store(batch, k_new, v_new, k_rows, v_rows, filled, -1, /*rotate=*/true,
                 "kv append layer " + str(layer) + " " + shape_to_string(k_new.shape()));
    for (std::int64_t& n : lengths) n += k.seq;
    return;
  }
  const DeviceInfo& info = state.ctx.effective;
  AppendPush push{};
  push.batch = detail::to_u32(k.batch, "KvCache::append", "batch");
  push.tokens = detail::to_u32(k.seq, "KvCache::append", "tokens");
  push.kv_heads = detail::to_u32(k.heads, "KvCache::append", "kv heads");
  push.start = detail::to_u32(filled, "KvCache::append", "start");
  push.capacity = detail::to_u32(shape_.capacity, "KvCache::append", "capacity");
  detail::fill_strides(push.k, k, "KvCache::append");
  detail::fill_strides(push.v, v, "KvCache::append");

  // Frequencies at the newest position, as transformers recomputes them per forward pass
  // (only dynamic and longrope depend on it); stored keys keep the rotation they got.
  std::shared_ptr<detail::BufferStorage> angles;
  const bool rotate = rope_ && !keys_rotated_;
  const std::int64_t half = rope_ ? rope_->effective_rotary_dim() / 2 : 1;
  if (rotate) angles = detail::angle_table_buffer(state, rope_frequencies(*rope_, filled + k.seq - 1));
  else angles = keys_.front().storage();  // bound, never read
  const std::uint32_t wg = detail::default_workgroup_size(info);
  const std::vector<std::uint32_t> constants = {wg, static_cast<std::uint32_t>(shape_.head_dim), 0, 0, 0, 0, 0, 0,
                                                rotate,
                                                rope_ && rope_->layout == RopeLayout::Interleaved,
                                                static_cast<std::uint32_t>(half)};
  const detail::ComputePipeline& pipeline =
      state.ctx.pipelines->get({append_shader(k_new.dtype(), shape_.dtype), 5, sizeof(push), constants});
  const detail::Binding bindings[] = {detail::reads(k_new), detail::reads(v_new), detail::writes(k_rows),
                                      detail::writes(v_rows), {angles, 0, angles->size, false}};
  const std::uint64_t items = std::uint64_t{push.batch} * push.tokens * push.kv_heads * static_cast<std::uint64_t>(shape_.head_dim / 2);
  state.dispatch(pipeline, bindings, &push, {detail::grid_groups(info, items, wg), 1, 1},
                 [&] { return "kv append layer " + str(layer) + " " + shape_to_string(k_new.shape()); });
  for (std::int64_t& n : lengths) n += k.seq;
}

void KvCache::append(std::int64_t layer, const Tensor& k_new, const Tensor& v_new) {
  check_layer(layer, "append");
  submit_or_restore(layer, [&](Batch& batch) { append(batch, layer, k_new, v_new); });
}

void KvCache::submit_or_restore(std::int64_t layer, const std::function<void(Batch&)>& record) {
  const LayerState before = save(layer);
  try {
    Batch batch(context_);
    record(batch);
    batch.submit();
  } catch (...) {
    // The append did not happen (as far as the cache knows): the same call can be retried.
    restore(layer, before);
    throw;
  }
}

void KvCache::attend(Batch& batch, std::int64_t layer, const AttentionConfig& config, const Tensor& q,
                     const Tensor& out) const {
  attend_impl(batch, layer, config, q, out, /*rotate_queries=*/true);
}

void KvCache::attend_impl(Batch& batch, std::int64_t layer, const AttentionConfig& config, const Tensor& q,
                          const Tensor& out, bool rotate_queries) const {
  if (q.rank() == 3 || out.rank() == 3) {
    if (shape_.batch != 1)
      fail("attend: q " + shape_to_string(q.shape()) + " and out " + shape_to_string(out.shape()) +
           " have no batch dimension, but the cache holds " + str(shape_.batch) +
           " sequences; expected q and out [" + str(shape_.batch) + ", Sq, H, D]");
    attend_impl(batch, layer, config, with_batch_dimension(q), with_batch_dimension(out), rotate_queries);
    return;
  }
  if (config.rope) fail("attend: config.rope must be unset; the cache applies its own RoPE config");
  if (!config.query_positions.empty() || !config.key_positions.empty() || !config.query_rope_positions.empty() ||
      !config.key_rope_positions.empty())
    fail("attend: explicit positions must be unset; the cache defines them (RoPE positions of the queries: the "
         "attend overload taking RopePositions)");
  const std::int64_t filled = length(layer);
  if (filled == 0) fail("attend: layer " + str(layer) + " is empty; append keys and values first");
  AttentionConfig c = config;
  if (rotate_queries) c.rope = rope_;
  if (paged()) {  // every sequence through its block table
    const std::int64_t p = shape_.page_size;
    detail::SequenceTables tables{lengths_[static_cast<std::size_t>(layer)], {}};
    tables.rows.assign(static_cast<std::size_t>(shape_.batch * filled), 0);  // rows past a sequence: never read
    for (std::int64_t b = 0; b < shape_.batch; ++b) {
      const std::vector<std::int64_t>& table = tables_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(b)];
      for (std::int64_t j = 0; j < length(layer, b); ++j)
        tables.rows[static_cast<std::size_t>(b * filled + j)] =
            static_cast<std::int32_t>(table[static_cast<std::size_t>(j / p)] * p + j % p);
    }
    const Shape pool = {shape_.batch, slots(), shape_.kv_heads, shape_.head_dim};
    const Strides shared = {0, shape_.kv_heads * shape_.head_dim, shape_.head_dim, 1};
    const Tensor& k_pool = keys_[static_cast<std::size_t>(layer)];
    const Tensor& v_pool = values_[static_cast<std::size_t>(layer)];
    detail::dispatch_attention(batch, c, q, k_pool.view(pool, shared, 0), v_pool.view(pool, shared, 0), out,
                               /*rotate_keys=*/false, &tables);
    return;
  }
  if (!uniform(layer)) {  // ragged: each sequence over its own keys
    const detail::SequenceTables tables{lengths_[static_cast<std::size_t>(layer)], {}};
    detail::dispatch_attention(batch, c, q, keys(layer), values(layer), out, /*rotate_keys=*/false, &tables);
    return;
  }
  if (shape_.window == 0) {
    detail::dispatch_attention(batch, c, q, keys(layer), values(layer), out, /*rotate_keys=*/false);
    return;
  }
  // A ring: every slot's position given, keys rotated as the kernel reads them.
  const std::int64_t sq = q.shape()[q.rank() == 4 ? 1 : 0];
  std::vector<std::int64_t> positions = detail::ring_positions({shape_.sink_tokens, shape_.window}, filled);
  std::vector<std::int64_t> query_positions;
  for (std::int64_t p = filled - sq; p < filled; ++p) {
    const auto held = std::find(positions.begin(), positions.end(), p);
    if (p < 0 || held == positions.end())
      fail("attend: Sq = " + str(sq) + " queries, but the ring holds only the newest " + str(shape_.window) +
           " tokens; expected Sq <= the tokens held");
    query_positions.push_back(p);
  }
  if (shape_.cache_positions) {
    const std::vector<std::int64_t> ranks = detail::ring_cache_positions(positions);
    for (std::int64_t& p : query_positions)
      p = ranks[static_cast<std::size_t>(std::find(positions.begin(), positions.end(), p) - positions.begin())];
    positions = ranks;
  }
  c.query_positions = std::move(query_positions);
  c.key_positions = std::move(positions);
  detail::dispatch_attention(batch, c, q, keys(layer), values(layer), out, /*rotate_keys=*/true);
}

void KvCache::attend(std::int64_t layer, const AttentionConfig& config, const Tensor& q, const Tensor& out) const {
  Batch batch(context_);
  attend(batch, layer, config, q, out);
  batch.submit();
}

// --- Explicit RoPE positions (M-RoPE, 2D vision) -------------------------------------------

void KvCache::check_rope_positions(const char* what) const {
  if (!rope_) fail(std::string(what) + " with RoPE positions: this cache has no rope config (expected one)");
  if (shape_.window > 0)
    fail(std::string(what) + " with RoPE positions: a ring rotates keys as it reads them, at one position per "
         "token; expected a cache without a window");
}

void KvCache::append(Batch& batch, std::int64_t layer, const Tensor& k_new, const Tensor& v_new,
                     const RopePositions& positions) {
  check_layer(layer, "append");
  check_rope_positions("append");
  check_new_tokens(k_new, v_new, shape_.batch, "append");
  // The keys rotated first by rope() (the batch keeps the temporary alive), then stored as
  // they are: the store's own rotation is switched off meanwhile.
  const Tensor k_rotated = Tensor::empty(context_, k_new.dtype(), k_new.shape());
  vkrope::rope(batch, *rope_, {k_new, k_rotated, {}, {}}, positions);
  keys_rotated_ = true;
  try {
    append(batch, layer, k_rotated, v_new);
  } catch (...) {
    keys_rotated_ = false;
    throw;
  }
  keys_rotated_ = false;
}

void KvCache::append(std::int64_t layer, const Tensor& k_new, const Tensor& v_new, const RopePositions& positions) {
  check_layer(layer, "append");
  submit_or_restore(layer, [&](Batch& batch) { append(batch, layer, k_new, v_new, positions); });
}

void KvCache::attend(Batch& batch, std::int64_t layer, const AttentionConfig& config, const Tensor& q,
                     const Tensor& out, const RopePositions& query_positions) const {
  check_layer(layer, "attend");
  check_rope_positions("attend");
  // The queries rotated by rope(), then attended over the stored (rotated) keys without RoPE.
  const Tensor q_rotated = Tensor::empty(context_, q.dtype(), q.shape());
  vkrope::rope(batch, *rope_, {q, q_rotated, {}, {}}, query_positions);
  attend_impl(batch, layer, config, q_rotated, out, /*rotate_queries=*/false);
}

void KvCache::attend(std::int64_t layer, const AttentionConfig& config, const Tensor& q, const Tensor& out,
                     const RopePositions& query_positions) const {
  Batch batch(context_);
  attend(batch, layer, config, q, out, query_positions);
  batch.submit();
}

}  // namespace vkrope
