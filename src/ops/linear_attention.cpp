// Host side of linear attention: the state, and the kernel chain of one call, segment by
// segment: features (linear_attention_features.comp) -> RoPE of the features (rope()) ->
// chunk sums -> scan -> output (see linear_attention.hpp for the math).
#include "vkrope/linear_attention.hpp"

#include <algorithm>
#include <optional>

#include "ops/dispatch_size.hpp"
#include "ops/linear_attention_check.hpp"
#include "ops/linear_attention_plan.hpp"
#include "ops/rope_check.hpp"
#include "ops/tensor_layout.hpp"
#include "runtime/batch_state.hpp"
#include "runtime/context_state.hpp"
#include "runtime/memory.hpp"

namespace vkrope {

namespace {

using detail::Layout4;
using detail::LinearAttentionPlan;

// Mirrors FeaturePush in shaders/linear_attention_features.comp.
struct FeaturePush {
  std::uint32_t batch, tokens, heads, dim, token0;
  std::uint32_t src[4];  // offset, batch, seq, head strides
};
static_assert(sizeof(FeaturePush) == 36);
// Mirrors ChunkSumsPush in shaders/linear_attention_chunk_sums.comp.
struct ChunkSumsPush {
  std::uint32_t batch, tokens, kv_heads, dim, value_dim, chunk, chunks, chunk_stride;
};
static_assert(sizeof(ChunkSumsPush) == 32);
// Mirrors ScanPush in shaders/linear_attention_scan.comp.
struct ScanPush {
  std::uint32_t elements, chunks, chunk_stride, flags;
};
static_assert(sizeof(ScanPush) == 16);
constexpr std::uint32_t kZeroStart = 1, kExclusive = 2;
// Mirrors OutputPush in shaders/linear_attention_output.comp.
struct OutputPush {
  std::uint32_t batch, tokens, heads, kv_heads, dim, value_dim, token0, causal, chunk_stride;
  std::uint32_t out[4];  // offset, batch, seq, head strides
};
static_assert(sizeof(OutputPush) == 52 && offsetof(OutputPush, out) == 36);

constexpr std::uint32_t kPhiIdentity = 0, kPhiElu1 = 1, kPhiRelu = 2;

std::uint32_t u32(std::int64_t v, const char* what) { return detail::to_u32(v, "linear_attention", what); }

std::string storage_suffix(detail::LinearStorage s) {
  switch (s) {
    case detail::LinearStorage::F32: return "_f32";
    case detail::LinearStorage::F16Packed: return "_f16_packed";
    case detail::LinearStorage::F16: return "_f16";
  }
  return "_f32";
}

// A contiguous float32 [batch, tokens, heads, dim] view over the front of a temporary.
Tensor front(const Tensor& scratch, std::int64_t batch, std::int64_t tokens, std::int64_t heads, std::int64_t dim) {
  return scratch.view({batch, tokens, heads, dim}, {tokens * heads * dim, heads * dim, dim, 1});
}

// Records the kernel chain of one call.
class Recorder {
 public:
  Recorder(Batch& batch, const LinearAttentionConfig& config, const LinearAttentionPlan& plan)
      : state_(batch.state()),
        batch_(batch),
        config_(config),
        p_(plan),
        info_(state_.ctx.effective),
        wg_(detail::default_workgroup_size(info_)),
        // Temporaries for one segment (the batch keeps them alive while its commands run).
        tokens_(std::min(p_.segment, std::max(p_.sq, p_.skv))),
        qf_(temporary(p_.heads, p_.dim)),
        kf_(temporary(p_.kv_heads, p_.dim)),
        vf_(temporary(p_.kv_heads, p_.value_dim)),
        qr_(config.rope ? temporary(p_.heads, p_.dim) : qf_),
        kr_(config.rope ? temporary(p_.kv_heads, p_.dim) : kf_),
        sums_(Tensor::empty(state_.context, DType::f32,
                            {chunks(tokens_) * static_cast<std::int64_t>(p_.chunk_stride)})) {}

  // phi(src[:, token0 : token0 + tokens]) into the front of dst.
  void features(const Tensor& src, const Layout4& l, std::int64_t token0, std::int64_t tokens, const Tensor& dst,
                std::uint32_t phi) {
    FeaturePush push{};
    push.batch = u32(l.batch, "batch");
    push.tokens = u32(tokens, "tokens");
    push.heads = u32(l.heads, "heads");
    push.dim = u32(l.dim, "head_dim");
    push.token0 = u32(token0, "token");
    detail::fill_strides(push.src, l, "linear_attention");
    const std::string shader = "linear_attention_features" + storage_suffix(p_.storage);
    const auto& pipeline = state_.ctx.pipelines->get({shader, 2, sizeof(FeaturePush), {wg_, phi}});
    const Tensor out = front(dst, l.batch, tokens, l.heads, l.dim);
    const detail::Binding bindings[] = {detail::reads(src), detail::writes(out)};
    const auto items = static_cast<std::uint64_t>(l.batch * tokens * l.heads * ((l.dim + 1) / 2));
    state_.dispatch(pipeline, bindings, &push, {detail::grid_groups(info_, items, wg_), 1, 1},
                    "linear_attention features");
  }

  // RoPE of the features of tokens [token0, token0 + tokens) (q's, k's, or both).
  void rotate(std::int64_t token0, std::int64_t tokens, bool queries, bool keys) {
    if (!config_.rope) return;
    const RopeConfig& rope = *config_.rope;
    const auto slice = [&](const std::vector<std::int64_t>& all) {
      const std::int64_t streams = rope.position_streams();
      RopePositions positions;
      positions.values.reserve(static_cast<std::size_t>(streams * tokens));
      for (std::int64_t s = 0; s < streams; ++s)
        positions.values.insert(positions.values.end(), all.begin() + token0, all.begin() + token0 + tokens);
      return positions;
    };
    const Tensor qf = front(qf_, p_.batch, tokens, p_.heads, p_.dim), qr = front(qr_, p_.batch, tokens, p_.heads, p_.dim);
    const Tensor kf = front(kf_, p_.batch, tokens, p_.kv_heads, p_.dim);
    const Tensor kr = front(kr_, p_.batch, tokens, p_.kv_heads, p_.dim);
    // q and k in one dispatch when their positions agree (the causal form's default).
    if (queries && keys && p_.query_positions == p_.key_positions) {
      detail::record_rope(batch_, rope, {qf, qr, kf, kr}, slice(p_.query_positions), false, p_.max_position);
      return;
    }
    if (queries) detail::record_rope(batch_, rope, {qf, qr, {}, {}}, slice(p_.query_positions), false, p_.max_position);
    if (keys) detail::record_rope(batch_, rope, {kf, kr, {}, {}}, slice(p_.key_positions), false, p_.max_position);
  }

  // The sums of each chunk of the segment's keys into sums_.
  void chunk_sums(std::int64_t tokens) {
    ChunkSumsPush push{};
    push.batch = u32(p_.batch, "batch");
    push.tokens = u32(tokens, "tokens");
    push.kv_heads = u32(p_.kv_heads, "kv heads");
    push.dim = u32(p_.dim, "head_dim");
    push.value_dim = u32(p_.value_dim, "value_dim");
    push.chunk = u32(p_.chunk, "chunk");
    push.chunks = u32(chunks(tokens), "chunks");
    push.chunk_stride = u32(static_cast<std::int64_t>(p_.chunk_stride), "chunk stride");
    const auto& pipeline =
        state_.ctx.pipelines->get({"linear_attention_chunk_sums", 4, sizeof(ChunkSumsPush), {wg_, vec4()}});
    const detail::Binding bindings[] = {
        detail::reads(front(kr_, p_.batch, tokens, p_.kv_heads, p_.dim)),
        detail::reads(front(kf_, p_.batch, tokens, p_.kv_heads, p_.dim)),
        detail::reads(front(vf_, p_.batch, tokens, p_.kv_heads, p_.value_dim)), detail::writes(sums_view(tokens))};
    const auto groups = static_cast<std::uint64_t>((p_.value_dim + 3) / 4 + 1);  // column groups of S, then z
    const std::uint64_t items =
        static_cast<std::uint64_t>(chunks(tokens) * p_.batch * p_.kv_heads * p_.dim) * groups;
    state_.dispatch(pipeline, bindings, &push, {detail::grid_groups(info_, items, wg_), 1, 1},
                    "linear_attention chunk sums");
  }

  // Adds the segment's chunk sums to `carry` (keeping exclusive prefixes when causal).
  void scan(std::int64_t tokens, const Tensor& carry, bool zero_start, bool exclusive) {
    ScanPush push{};
    push.elements = u32(static_cast<std::int64_t>(p_.state_elements), "state elements");
    push.chunks = u32(chunks(tokens), "chunks");
    push.chunk_stride = u32(static_cast<std::int64_t>(p_.chunk_stride), "chunk stride");
    push.flags = (zero_start ? kZeroStart : 0u) | (exclusive ? kExclusive : 0u);
    const auto& pipeline = state_.ctx.pipelines->get({"linear_attention_scan", 2, sizeof(ScanPush), {wg_}});
    detail::Binding sums = detail::reads(sums_view(tokens));
    sums.writes = exclusive;
    detail::Binding running = detail::writes(carry);
    const detail::Binding bindings[] = {sums, running};
    state_.dispatch(pipeline, bindings, &push, {detail::grid_groups(info_, p_.state_elements, wg_), 1, 1},
                    "linear_attention scan");
  }

  // The outputs of the segment's queries: causal against the chunk prefixes in sums_ and
  // the chunk's own keys, else against `total`.
  void output(const Tensor& out, std::int64_t token0, std::int64_t tokens, const Tensor* total) {
    OutputPush push{};
    push.batch = u32(p_.batch, "batch");
    push.tokens = u32(tokens, "tokens");
    push.heads = u32(p_.heads, "heads");
    push.kv_heads = u32(p_.kv_heads, "kv heads");
    push.dim = u32(p_.dim, "head_dim");
    push.value_dim = u32(p_.value_dim, "value_dim");
    push.token0 = u32(token0, "token");
    push.causal = total ? 0u : 1u;
    push.chunk_stride = u32(static_cast<std::int64_t>(p_.chunk_stride), "chunk stride");
    detail::fill_strides(push.out, p_.out, "linear_attention");
    const std::string shader = "linear_attention_output" + storage_suffix(p_.storage);
    const auto chunk = static_cast<std::uint32_t>(p_.chunk);
    const auto& pipeline = state_.ctx.pipelines->get({shader, 7, sizeof(OutputPush), {wg_, chunk, vec4()}});
    // Without causal the key temporaries hold another segment's keys (unread): bound for
    // form's sake, at the queries' token count clamped to what they hold.
    const std::int64_t key_tokens = total ? std::min(tokens, kf_.shape()[1]) : tokens;
    const detail::Binding bindings[] = {
        detail::reads(front(qr_, p_.batch, tokens, p_.heads, p_.dim)),
        detail::reads(front(qf_, p_.batch, tokens, p_.heads, p_.dim)),
        detail::reads(front(kr_, p_.batch, key_tokens, p_.kv_heads, p_.dim)),
        detail::reads(front(kf_, p_.batch, key_tokens, p_.kv_heads, p_.dim)),
        detail::reads(front(vf_, p_.batch, key_tokens, p_.kv_heads, p_.value_dim)),
        detail::reads(total ? *total : sums_view(tokens)),
        detail::writes(out),
    };
    state_.dispatch(pipeline, bindings, &push,
                    {u32(chunks(tokens), "chunks"), u32(p_.batch * p_.heads, "batch x heads"), 1},
                    "linear_attention output");
  }

  // 16-byte accesses of v and the sums (linear_attention_chunk_sums.comp, _output.comp).
  std::uint32_t vec4() const { return p_.value_dim % 4 == 0 ? 1u : 0u; }
  std::uint32_t phi() const { return config_.feature == LinearFeature::Relu ? kPhiRelu : kPhiElu1; }
  const Tensor& qf() const { return qf_; }
  const Tensor& kf() const { return kf_; }
  const Tensor& vf() const { return vf_; }

 private:
  std::int64_t chunks(std::int64_t tokens) const { return (tokens + p_.chunk - 1) / p_.chunk; }
  Tensor temporary(std::int64_t heads, std::int64_t dim) const {
    return Tensor::empty(state_.context, DType::f32, {p_.batch, tokens_, heads, dim});
  }
  Tensor sums_view(std::int64_t tokens) const {
    return sums_.view({chunks(tokens) * static_cast<std::int64_t>(p_.chunk_stride)}, {1});
  }

  detail::BatchState& state_;
  Batch& batch_;
  const LinearAttentionConfig& config_;
  const LinearAttentionPlan& p_;
  const DeviceInfo& info_;
  std::uint32_t wg_;
  std::int64_t tokens_;
  Tensor qf_, kf_, vf_, qr_, kr_, sums_;
};

}  // namespace

std::string_view to_string(LinearFeature feature) noexcept {
  return feature == LinearFeature::Relu ? "relu" : "elu1";
}

namespace {

Tensor zeroed_state(const Context& context, std::int64_t batch, std::int64_t kv_heads, std::int64_t head_dim,
                    std::int64_t value_dim) {
  if (batch < 1 || kv_heads < 1 || head_dim < 1 || value_dim < 1)
    throw Error(ErrorKind::InvalidArgument, "LinearAttentionState: batch " + std::to_string(batch) + ", kv_heads " +
                                                std::to_string(kv_heads) + ", head_dim " + std::to_string(head_dim) +
                                                ", value_dim " + std::to_string(value_dim) + "; expected each >= 1");
  Tensor sums = Tensor::empty(context, DType::f32, {batch * kv_heads * head_dim * (value_dim + 1)});
  sums.fill_bytes(0);
  return sums;
}

}  // namespace

LinearAttentionState::LinearAttentionState(const Context& context, std::int64_t batch, std::int64_t kv_heads,
                                           std::int64_t head_dim, std::int64_t value_dim)
    : batch_(batch),
      kv_heads_(kv_heads),
      head_dim_(head_dim),
      value_dim_(value_dim),
      sums_(zeroed_state(context, batch, kv_heads, head_dim, value_dim)) {}

std::uint64_t LinearAttentionState::bytes() const noexcept { return sums_.span_bytes(); }

Tensor LinearAttentionState::s() const {
  return sums_.view({batch_, kv_heads_, head_dim_, value_dim_},
                    {kv_heads_ * head_dim_ * value_dim_, head_dim_ * value_dim_, value_dim_, 1});
}

Tensor LinearAttentionState::z() const {
  return sums_.view({batch_, kv_heads_, head_dim_}, {kv_heads_ * head_dim_, head_dim_, 1},
                    batch_ * kv_heads_ * head_dim_ * value_dim_);
}

void LinearAttentionState::reset() {
  sums_.fill_bytes(0);
  tokens_ = 0;
}

void linear_attention(Batch& batch, const LinearAttentionConfig& config, const Tensor& q, const Tensor& k,
                      const Tensor& v, const Tensor& out, LinearAttentionState* state) {
  detail::BatchState& bs = batch.state();
  if (q.storage()->context != bs.context.state())
    throw Error(ErrorKind::InvalidArgument, "linear_attention: tensors belong to another Context than the batch");
  const LinearAttentionPlan p = detail::plan_linear_attention(bs.ctx.effective, config, q, k, v, out, state);
  Recorder r(batch, config, p);
  const std::int64_t segment = p.segment;

  if (config.causal) {
    // Segments in token order; the running sums go from one to the next through `carry`
    // (the caller's state, or a temporary that starts at zero).
    const Tensor carry = state ? state->sums_
                               : Tensor::empty(q.context(), DType::f32, {static_cast<std::int64_t>(p.state_elements)});
    for (std::int64_t t0 = 0; t0 < p.sq; t0 += segment) {
      const std::int64_t tokens = std::min(segment, p.sq - t0);
      r.features(q, p.q, t0, tokens, r.qf(), r.phi());
      r.features(k, p.k, t0, tokens, r.kf(), r.phi());
      r.features(v, p.v, t0, tokens, r.vf(), kPhiIdentity);
      r.rotate(t0, tokens, true, true);
      r.chunk_sums(tokens);
      r.scan(tokens, carry, !state && t0 == 0, true);
      r.output(out, t0, tokens, nullptr);
    }
    if (state) state->tokens_ += p.sq;
    return;
  }
  // Non-causal: every key segment into one total, then every query segment against it.
  const Tensor total = Tensor::empty(q.context(), DType::f32, {static_cast<std::int64_t>(p.state_elements)});
  for (std::int64_t t0 = 0; t0 < p.skv; t0 += segment) {
    const std::int64_t tokens = std::min(segment, p.skv - t0);
    r.features(k, p.k, t0, tokens, r.kf(), r.phi());
    r.features(v, p.v, t0, tokens, r.vf(), kPhiIdentity);
    r.rotate(t0, tokens, false, true);
    r.chunk_sums(tokens);
    r.scan(tokens, total, t0 == 0, false);
  }
  for (std::int64_t t0 = 0; t0 < p.sq; t0 += segment) {
    const std::int64_t tokens = std::min(segment, p.sq - t0);
    r.features(q, p.q, t0, tokens, r.qf(), r.phi());
    r.rotate(t0, tokens, true, false);
    r.output(out, t0, tokens, &total);
  }
}

void linear_attention(const LinearAttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
                      const Tensor& out, LinearAttentionState* state) {
  const Context& context = q.context();
  std::optional<detail::LinearAttentionSnapshot> before;
  if (context.options().checked && !state) before = detail::snapshot_linear_attention_inputs(q, k, v);
  Batch batch(context);
  linear_attention(batch, config, q, k, v, out, state);
  batch.submit();
  if (before) detail::check_linear_attention(config, out, *before);
}

}  // namespace vkrope
