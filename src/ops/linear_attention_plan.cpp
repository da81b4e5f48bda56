#include "ops/linear_attention_plan.hpp"

#include <algorithm>
#include <atomic>

#include "runtime/memory.hpp"
#include "vkrope/error.hpp"

namespace vkrope::detail {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorKind::InvalidArgument, "linear_attention: " + what); }

std::string dims(const Layout4& l) {
  return "[" + std::to_string(l.batch) + ", " + std::to_string(l.seq) + ", " + std::to_string(l.heads) + ", " +
         std::to_string(l.dim) + "]";
}

// Explicit positions, or offset + index; each within [0, 2^24].
std::vector<std::int64_t> positions_of(const std::vector<std::int64_t>& given, std::int64_t count,
                                       std::int64_t offset, const char* name) {
  if (!given.empty()) {
    if (static_cast<std::int64_t>(given.size()) != count)
      fail(std::string(name) + " has " + std::to_string(given.size()) + " entries; expected " + std::to_string(count) +
           " (one per token, shared by the batch)");
    for (std::size_t i = 0; i < given.size(); ++i)
      if (given[i] < 0 || given[i] > kMaxRopePosition)
        fail(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(given[i]) +
             " is outside [0, 2^24]");
    return given;
  }
  if (offset + count - 1 > kMaxRopePosition)
    fail("tokens at positions " + std::to_string(offset) + ".." + std::to_string(offset + count - 1) +
         " go past 2^24");
  std::vector<std::int64_t> out(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) out[static_cast<std::size_t>(i)] = offset + i;
  return out;
}

bool words_fit(const Layout4& l) { return l.dim % 2 == 0 && is_word_aligned(l); }

std::atomic<std::uint64_t> scratch_limit{0};

}  // namespace

void set_linear_attention_scratch_limit(std::uint64_t bytes) { scratch_limit = bytes; }

const char* to_string(LinearStorage storage) noexcept {
  return kLinearAttentionVariants[static_cast<std::size_t>(storage)].name;
}

double linear_attention_tolerance(DType dtype) { return dtype == DType::f32 ? 1e-5 : 2e-3; }

LinearAttentionPlan plan_linear_attention(const DeviceInfo& info, const LinearAttentionConfig& config,
                                          const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                          const LinearAttentionState* state) {
  LinearAttentionPlan p;
  p.q = layout4(q, "linear_attention", "q");
  p.k = layout4(k, "linear_attention", "k");
  p.v = layout4(v, "linear_attention", "v");
  p.out = layout4(out, "linear_attention", "out");
  p.batch = p.q.batch;
  p.sq = p.q.seq;
  p.skv = p.k.seq;
  p.heads = p.q.heads;
  p.kv_heads = p.k.heads;
  p.dim = p.q.dim;
  p.value_dim = p.v.dim;

  // Shapes.
  if (k.rank() != q.rank() || v.rank() != q.rank() || out.rank() != q.rank())
    fail("q, k, v and out have ranks " + std::to_string(q.rank()) + ", " + std::to_string(k.rank()) + ", " +
         std::to_string(v.rank()) + ", " + std::to_string(out.rank()) + "; expected one rank (3 or 4)");
  if (p.k.batch != p.batch || p.v.batch != p.batch || p.out.batch != p.batch)
    fail("batch sizes differ: q " + dims(p.q) + ", k " + dims(p.k) + ", v " + dims(p.v) + ", out " + dims(p.out));
  if (p.k.dim != p.dim) fail("k head_dim " + std::to_string(p.k.dim) + " != q head_dim " + std::to_string(p.dim));
  if (p.v.seq != p.skv || p.v.heads != p.kv_heads)
    fail("v " + dims(p.v) + " and k " + dims(p.k) + " differ in length or heads; expected v [batch, " +
         std::to_string(p.skv) + ", " + std::to_string(p.kv_heads) + ", value_dim]");
  if (p.out.seq != p.sq || p.out.heads != p.heads || p.out.dim != p.value_dim)
    fail("out is " + dims(p.out) + "; expected [" + std::to_string(p.batch) + ", " + std::to_string(p.sq) + ", " +
         std::to_string(p.heads) + ", " + std::to_string(p.value_dim) + "] (q's tokens and heads, v's value_dim " +
         std::to_string(p.value_dim) + ")");
  if (p.heads % p.kv_heads != 0)
    fail("q has " + std::to_string(p.heads) + " heads and k " + std::to_string(p.kv_heads) +
         "; expected a multiple (GQA)");
  if (p.sq < 1 || p.skv < 1 || p.dim < 1 || p.value_dim < 1) fail("an empty tensor: q " + dims(p.q) + ", v " + dims(p.v));
  for (const Tensor* t : {&k, &v, &out})
    if (t->dtype() != q.dtype())
      fail("q is " + std::string(to_string(q.dtype())) + " and k, v, out are " + std::string(to_string(k.dtype())) +
           ", " + std::string(to_string(v.dtype())) + ", " + std::string(to_string(out.dtype())) +
           "; expected one dtype (f32 or f16)");
  if (q.dtype() != DType::f32 && q.dtype() != DType::f16)
    fail("dtype " + std::string(to_string(q.dtype())) + "; expected f32 or f16");
  for (const Tensor* t : {&k, &v, &out})
    if (t->storage()->context != q.storage()->context) fail("q, k, v and out belong to different Contexts");
  for (const Tensor* t : {&q, &k, &v})
    if (views_overlap(out, *t)) fail("out (" + byte_range(out) + ") overlaps an input (" + byte_range(*t) + ")");

  // Causality and the state.
  if (config.causal && p.sq != p.skv)
    fail("causal with " + std::to_string(p.sq) + " queries and " + std::to_string(p.skv) +
         " keys; expected one length (query m sees keys 0..m of the same tokens)");
  if (state) {
    if (!config.causal) fail("a state needs causal (it carries the sums of earlier tokens)");
    if (state->batch() != p.batch || state->kv_heads() != p.kv_heads || state->head_dim() != p.dim ||
        state->value_dim() != p.value_dim)
      fail("the state is for batch " + std::to_string(state->batch()) + ", " + std::to_string(state->kv_heads()) +
           " kv heads, head_dim " + std::to_string(state->head_dim()) + ", value_dim " +
           std::to_string(state->value_dim()) + "; the call has " + std::to_string(p.batch) + ", " +
           std::to_string(p.kv_heads) + ", " + std::to_string(p.dim) + ", " + std::to_string(p.value_dim));
    if (state->sums().storage()->context != q.storage()->context) fail("the state belongs to another Context than q");
  }
  if (config.chunk != 0 && (config.chunk < 1 || config.chunk > kLinearMaxChunk))
    fail("chunk " + std::to_string(config.chunk) + "; expected 1.." + std::to_string(kLinearMaxChunk) +
         " (or 0 for the default)");
  p.chunk = config.chunk ? config.chunk : kLinearDefaultChunk;

  // Positions (RoPE only).
  if (config.query_positions.empty() != config.key_positions.empty())
    fail("query_positions and key_positions go together; got one of them");
  if (!config.rope) {
    if (!config.query_positions.empty()) fail("positions given without rope; they only place the rotation");
  } else {
    config.rope->validate();
    if (config.rope->head_dim != p.dim)
      fail("rope.head_dim is " + std::to_string(config.rope->head_dim) + "; q and k have head_dim " +
           std::to_string(p.dim));
    const std::int64_t offset = state ? state->tokens() : 0;
    p.query_positions = positions_of(config.query_positions, p.sq, offset, "query_positions");
    p.key_positions = positions_of(config.key_positions, p.skv, offset, "key_positions");
    p.max_position = std::max(*std::max_element(p.query_positions.begin(), p.query_positions.end()),
                              *std::max_element(p.key_positions.begin(), p.key_positions.end()));
  }

  // Storage build of the caller's tensors (kLinearAttentionVariants).
  if (q.dtype() == DType::f16) {
    if (words_fit(p.q) && words_fit(p.k) && words_fit(p.v) && words_fit(p.out)) {
      p.storage = LinearStorage::F16Packed;
    } else if (info.storage_16bit) {
      p.storage = LinearStorage::F16;
    } else {
      throw Error(ErrorKind::Unsupported,
                  "linear_attention: f16 views with an odd head_dim, value_dim, offset or stride need 16-bit storage, "
                  "which this device lacks; expected even dims, offsets and strides");
    }
  }

  // Segments: the temporaries of one segment's tokens (features, rotated features, values)
  // and its chunk sums within kMaxLinearAttentionScratch, the chunk sums within a third of
  // it (llvmpipe's loop guard counts the chunk-sums kernel's grid-stride iterations).
  const bool rope = config.rope.has_value();
  const std::uint64_t per_token =
      4ull * static_cast<std::uint64_t>(p.batch) *
      static_cast<std::uint64_t>((p.heads + p.kv_heads) * p.dim * (rope ? 2 : 1) + p.kv_heads * p.value_dim);
  p.state_elements = static_cast<std::uint64_t>(p.batch * p.kv_heads * p.dim * (p.value_dim + 1));
  p.chunk_stride = (p.state_elements + 3) / 4 * 4;
  const std::uint64_t per_chunk = 4ull * p.chunk_stride;
  const auto chunk = static_cast<std::uint64_t>(p.chunk);
  const std::uint64_t budget = scratch_limit ? scratch_limit.load() : kMaxLinearAttentionScratch;
  std::uint64_t chunks = std::max<std::uint64_t>(1, budget / (per_token * chunk + per_chunk));
  chunks = std::min(chunks, std::max<std::uint64_t>(1, budget / 3 / per_chunk));
  const std::int64_t longest = std::max(p.sq, p.skv);
  const std::int64_t needed = (longest + p.chunk - 1) / p.chunk;
  p.segment = std::min<std::int64_t>(static_cast<std::int64_t>(chunks), needed) * p.chunk;
  if (per_chunk > info.max_storage_buffer_range || per_token * static_cast<std::uint64_t>(p.segment) > info.max_storage_buffer_range)
    fail("one chunk's state (" + std::to_string(per_chunk) + " bytes) exceeds the device's storage-buffer range of " +
         std::to_string(info.max_storage_buffer_range) + " bytes");
  const std::uint64_t groups_y = static_cast<std::uint64_t>(p.batch * p.heads);
  if (groups_y > info.max_workgroup_count[1])
    fail("batch x heads = " + std::to_string(groups_y) + " exceeds the device's workgroup count limit " +
         std::to_string(info.max_workgroup_count[1]));
  return p;
}

}  // namespace vkrope::detail
