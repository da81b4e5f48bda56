// Host side of rope.comp: argument checks, the angle table, variant choice and dispatch.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "ops/dispatch_size.hpp"
#include "ops/angle_buffer.hpp"
#include "ops/rope_check.hpp"
#include "ops/rope_variants.hpp"
#include "ops/side_inputs.hpp"
#include "ops/tensor_layout.hpp"
#include "runtime/batch_state.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {

namespace {

using detail::Layout4;

// Mirrors RopePush in shaders/common/rope_params.glsl.
struct RopePush {
  std::uint32_t batch, seq, q_heads, k_heads, head_dim, half_rot, flags, stream_stride, pos_offset;
  std::uint32_t q_in[4], q_out[4], k_in[4], k_out[4];  // offset, batch, seq, head strides
};
static_assert(sizeof(RopePush) == 100 && sizeof(RopePush) <= 128);
static_assert(offsetof(RopePush, pos_offset) == 32 && offsetof(RopePush, q_in) == 36 &&
              offsetof(RopePush, q_out) == 52 && offsetof(RopePush, k_in) == 68 && offsetof(RopePush, k_out) == 84);

constexpr std::uint32_t kInverse = 2;
constexpr std::uint32_t kPosOffset = 0, kPosShared = 1, kPosPerBatch = 2, kPosStreams = 3;

Layout4 layout_of(const Tensor& t, const char* name) { return detail::layout4(t, "rope", name); }
std::uint32_t u32(std::int64_t v, const char* what) { return detail::to_u32(v, "rope", what); }
void fill(std::uint32_t out[4], const Layout4& l) { detail::fill_strides(out, l, "rope"); }

// Packed f16 (no 16-bit storage) writes whole 32-bit words: every pair must start on one.
void check_packed_alignment(const Layout4& l, const char* name) {
  if (l.offset % 2 || l.batch_stride % 2 || l.seq_stride % 2 || l.head_stride % 2)
    throw Error(ErrorKind::Unsupported,
                std::string("rope: ") + name +
                    " is an f16 view with an odd offset or stride; this device has no 16-bit storage, so f16 "
                    "tensors are processed as pairs of halves and need even offsets and strides");
}

}  // namespace

namespace detail {

RopeCall prepare_rope(const RopeConfig& config, const RopeTensors& t, const RopePositions& positions,
                      std::optional<std::int64_t> frequency_position) {
  config.validate();
  RopeCall call;
  const Layout4 q = layout_of(t.q, "q");
  call.batch = q.batch;
  call.seq = q.seq;
  call.q_heads = q.heads;
  if (q.dim != config.head_dim)
    throw Error(ErrorKind::InvalidArgument, "rope: q head_dim is " + std::to_string(q.dim) + "; the config says " +
                                                std::to_string(config.head_dim));
  auto check_same = [&](const Tensor& other, const char* name, const Tensor& like, const char* like_name) {
    if (other.shape() != like.shape() || other.dtype() != like.dtype())
      throw Error(ErrorKind::InvalidArgument, std::string("rope: ") + name + " is " + std::string(to_string(other.dtype())) +
                                                  shape_to_string(other.shape()) + "; expected " + like_name + "'s " +
                                                  std::string(to_string(like.dtype())) + shape_to_string(like.shape()));
    if (other.storage()->context != like.storage()->context)
      throw Error(ErrorKind::InvalidArgument, std::string("rope: ") + name + " belongs to another Context than " + like_name);
  };
  if (t.q_out) check_same(*t.q_out, "q_out", t.q, "q");
  if (t.k_out && !t.k) throw Error(ErrorKind::InvalidArgument, "rope: k_out given without k");
  if (t.k) {
    const Layout4 k = layout_of(*t.k, "k");
    if (t.k->rank() != t.q.rank() || k.batch != q.batch || k.seq != q.seq)
      throw Error(ErrorKind::InvalidArgument, "rope: k " + shape_to_string(t.k->shape()) + " and q " +
                                                  shape_to_string(t.q.shape()) + " differ in batch or sequence length");
    if (k.dim != q.dim)
      throw Error(ErrorKind::InvalidArgument, "rope: k head_dim " + std::to_string(k.dim) + " != q head_dim " +
                                                  std::to_string(q.dim));
    if (t.k->dtype() != t.q.dtype())
      throw Error(ErrorKind::InvalidArgument, "rope: k is " + std::string(to_string(t.k->dtype())) + " and q is " +
                                                  std::string(to_string(t.q.dtype())) + "; expected one dtype");
    if (t.k->storage()->context != t.q.storage()->context)
      throw Error(ErrorKind::InvalidArgument, "rope: k belongs to another Context than q");
    if (t.k_out) check_same(*t.k_out, "k_out", *t.k, "k");
    call.k_heads = k.heads;
    if (same_view(*t.k, t.q))
      throw Error(ErrorKind::InvalidArgument, "rope: k is the same view as q; expected separate q and k");
  }
  // Each output is its input (in place: every element is read and written by the same
  // invocation) or shares no bytes with any other argument; anything else races.
  const std::pair<const Tensor*, const char*> arguments[] = {
      {&t.q, "q"}, {t.k ? &*t.k : nullptr, "k"}, {t.q_out ? &*t.q_out : nullptr, "q_out"},
      {t.k_out ? &*t.k_out : nullptr, "k_out"}};
  for (const auto& [out, input, name] : {std::tuple{t.q_out ? &*t.q_out : nullptr, &t.q, "q_out"},
                                         {t.k_out ? &*t.k_out : nullptr, t.k ? &*t.k : nullptr, "k_out"}}) {
    if (!out || (input && same_view(*out, *input))) continue;
    for (const auto& [other, other_name] : arguments)
      if (other && other != out && views_overlap(*out, *other))
        throw Error(ErrorKind::InvalidArgument, std::string("rope: ") + name + " (" + byte_range(*out) + ") overlaps " +
                                                    other_name + " (" + byte_range(*other) + ") in their buffer; " +
                                                    "expected " + name + " to be its input itself (in place) or " +
                                                    "a separate range");
  }

  // Positions: explicit per token (shared by the batch, or per batch), or offset + index;
  // with several streams, stream-major (RopePositions).
  const std::int64_t tokens = call.batch * call.seq;
  const std::int64_t streams = config.position_streams();
  call.streams = streams;
  call.positions.resize(static_cast<std::size_t>(streams * tokens));
  if (!positions.values.empty()) {
    const auto n = static_cast<std::int64_t>(positions.values.size());
    const std::int64_t shared = streams * call.seq, per_batch = streams * tokens;
    if (n != shared && n != per_batch) {
      const std::string form = streams == 1 ? "" : std::to_string(streams) + " streams x ";
      throw Error(ErrorKind::InvalidArgument,
                  "rope: " + std::to_string(n) + " positions for batch " + std::to_string(call.batch) + " x seq " +
                      std::to_string(call.seq) + (streams == 1 ? "" : " with " + std::to_string(streams) +
                                                                          " position streams (stream-major)") +
                      "; expected " + form + std::to_string(call.seq) + " = " + std::to_string(shared) + " (shared) or " +
                      form + std::to_string(tokens) + " = " + std::to_string(per_batch) + " (per batch)");
    }
    for (std::size_t i = 0; i < positions.values.size(); ++i) {
      const std::int64_t p = positions.values[i];
      if (p < 0 || p > kMaxRopePosition)
        throw Error(ErrorKind::InvalidArgument, "rope: position[" + std::to_string(i) + "] = " + std::to_string(p) +
                                                    " is outside [0, 2^24]");
    }
    call.max_position = *std::max_element(positions.values.begin(), positions.values.end());
    // Expanded to [streams][batch * seq] for the reference (the kernel reads a shared
    // single stream as is).
    const std::int64_t per_stream = n / streams;
    for (std::int64_t st = 0; st < streams; ++st)
      for (std::int64_t i = 0; i < tokens; ++i)
        call.positions[static_cast<std::size_t>(st * tokens + i)] =
            positions.values[static_cast<std::size_t>(st * per_stream + i % per_stream)];
  } else {
    if (positions.offset < 0 || positions.offset > kMaxRopePosition - (call.seq - 1))
      throw Error(ErrorKind::InvalidArgument, "rope: position offset " + std::to_string(positions.offset) +
                                                  " puts tokens outside [0, 2^24] (seq " + std::to_string(call.seq) +
                                                  ")");
    call.max_position = positions.offset + call.seq - 1;
    for (std::int64_t i = 0; i < streams * tokens; ++i)
      call.positions[static_cast<std::size_t>(i)] = positions.offset + i % call.seq;
  }
  call.frequencies = rope_frequencies(config, frequency_position.value_or(call.max_position));
  return call;
}

void record_rope(Batch& batch, const RopeConfig& config, const RopeTensors& t, const RopePositions& positions,
                 bool inverse, std::optional<std::int64_t> frequency_position) {
  const detail::RopeCall call = detail::prepare_rope(config, t, positions, frequency_position);
  detail::BatchState& state = batch.state();
  if (t.q.storage()->context != state.context.state())
    throw Error(ErrorKind::InvalidArgument, "rope: tensors belong to another Context than the batch");
  const DeviceInfo& info = state.ctx.effective;
  const std::int64_t half_rot = config.effective_rotary_dim() / 2;

  // Storage variant. f16 goes as pairs of halves in 32-bit words whenever the views allow
  // it (even offsets and strides, and for neox an even number of pairs): one 32-bit access
  // per two elements is as fast as native 16-bit storage on GPUs and much faster on CPU
  // drivers, which move each lane's access separately. Native 16-bit storage serves the
  // odd layouts; a device without it refuses them.
  const bool f16 = t.q.dtype() == DType::f16;
  const Tensor& q_out = t.q_out ? *t.q_out : t.q;
  const Layout4 qi = layout_of(t.q, "q"), qo = layout_of(q_out, "q_out");
  Layout4 ki{}, ko{};
  if (t.k) {
    ki = layout_of(*t.k, "k");
    ko = layout_of(t.k_out ? *t.k_out : *t.k, "k_out");
  }
  std::vector<std::pair<Layout4, const char*>> views = {{qi, "q"}, {qo, "q_out"}};
  if (t.k) views.insert(views.end(), {{ki, "k"}, {ko, "k_out"}});
  const bool pairs_fit = config.layout == RopeLayout::Interleaved || half_rot % 2 == 0;
  const bool words_fit = pairs_fit && std::all_of(views.begin(), views.end(), [](const auto& v) {
                           return detail::is_word_aligned(v.first);
                         });
  const bool packed = f16 && (words_fit || !info.storage_16bit);
  if (packed && !words_fit) {
    if (!pairs_fit)
      throw Error(ErrorKind::Unsupported, "rope: f16 neox with rotary_dim " + std::to_string(2 * half_rot) +
                                              " needs rotary_dim % 4 == 0 on a device without 16-bit storage");
    for (const auto& [l, name] : views) check_packed_alignment(l, name);
  }

  RopePush push{};
  push.batch = u32(call.batch, "batch");
  push.seq = u32(call.seq, "seq");
  push.q_heads = u32(call.q_heads, "q heads");
  push.k_heads = u32(call.k_heads, "k heads");
  push.head_dim = u32(config.head_dim, "head_dim");
  push.half_rot = u32(half_rot, "rotary_dim / 2");
  const bool out_of_place = t.q_out.has_value() || t.k_out.has_value();
  push.flags = inverse ? kInverse : 0u;
  const std::uint32_t interleaved = config.layout == RopeLayout::Interleaved ? 1u : 0u;
  const std::uint32_t copy_tail = out_of_place && half_rot * 2 < config.head_dim ? 1u : 0u;
  const std::uint32_t odd_pairs = half_rot % 2 ? 1u : 0u;
  fill(push.q_in, qi);
  fill(push.q_out, qo);
  if (t.k) {
    fill(push.k_in, ki);
    fill(push.k_out, ko);
  }

  // Positions (int32): the caller's values, a per-call input of the batch; offset mode reads
  // none (the offset is a push constant) and binds the Context's placeholder. Several
  // streams: each pair's stream, then the streams expanded to [streams][batch * seq].
  std::uint32_t pos_mode = kPosOffset;
  detail::Binding pos_binding;
  if (call.streams > 1) {
    pos_mode = kPosStreams;
    push.stream_stride = u32(call.batch * call.seq, "tokens");
    std::vector<std::int32_t> table;
    const std::vector<std::uint8_t> pair_streams = config.pair_streams();
    table.reserve(pair_streams.size() + call.positions.size());
    table.insert(table.end(), pair_streams.begin(), pair_streams.end());
    table.insert(table.end(), call.positions.begin(), call.positions.end());
    pos_binding = detail::side_buffer(state, table);
  } else if (!positions.values.empty()) {
    pos_mode = positions.values.size() == static_cast<std::size_t>(call.seq) ? kPosShared : kPosPerBatch;
    if (call.batch == 1) pos_mode = kPosPerBatch;  // identical; one pipeline fewer
    std::vector<std::int32_t> pos32(positions.values.begin(), positions.values.end());
    pos_binding = detail::side_buffer(state, pos32);
  } else {
    push.pos_offset = static_cast<std::uint32_t>(positions.offset);
    pos_binding = detail::placeholder_buffer(state);
  }

  // The angle table for these frequencies, built once per Context.
  auto table = detail::angle_table_buffer(state, call.frequencies);

  // The kernel (rope_variants.hpp): on GPUs an invocation per (token, 4 pairs, head) where
  // the views allow 16-byte accesses, else an invocation per (token, 2 pairs).
  detail::RopeRequest request;
  request.f32 = !f16;
  request.packed_f16 = packed;
  request.vec4_aligned =
      std::all_of(views.begin(), views.end(), [](const auto& v) { return detail::is_vec4_aligned(v.first); });
  request.half_rot = half_rot;
  request.head_dim = config.head_dim;
  request.heads = call.q_heads + call.k_heads;
  const detail::RopeVariant variant = detail::rope_variant(info, request);
  const bool heads_kernel = variant == detail::RopeVariant::Heads;
  const std::string shader = std::string(heads_kernel ? (f16 ? "rope_heads_f16_packed" : "rope_heads_f32")
                                         : !f16       ? "rope_f32"
                                         : packed     ? "rope_f16_packed"
                                                      : "rope_f16") +
                             (call.streams > 1 ? "_streams" : "");

  const std::uint32_t wg = detail::default_workgroup_size(info);
  const std::vector<std::uint32_t> constants =
      heads_kernel ? std::vector<std::uint32_t>{wg, interleaved, pos_mode, copy_tail}
                   : std::vector<std::uint32_t>{wg, interleaved, pos_mode, copy_tail, odd_pairs};
  const detail::ComputePipeline& pipeline = state.ctx.pipelines->get({shader, 6, sizeof(RopePush), constants});
  // Binding the same tensor as input and output (in place) is fine: the kernel declares
  // no `restrict`, and each invocation reads its elements before writing them.
  const Tensor& k_in = t.k ? *t.k : t.q;
  const Tensor& k_out = t.k ? (t.k_out ? *t.k_out : *t.k) : q_out;
  const detail::Binding bindings[] = {
      detail::reads(t.q),
      detail::writes(q_out),
      detail::reads(k_in),
      detail::writes(k_out),
      pos_binding,
      detail::reads_all(table),
  };
  const auto tokens = static_cast<std::uint64_t>(call.batch * call.seq);
  const auto label = [&] {
    return "rope[" + std::string(detail::to_string(variant)) + "] " + std::string(to_string(t.q.dtype())) + " " +
           shape_to_string(t.q.shape());
  };
  if (heads_kernel) {
    const auto units = static_cast<std::uint64_t>(half_rot / 4 + (copy_tail ? (config.head_dim - 2 * half_rot) / 4 : 0));
    state.dispatch(pipeline, bindings, &push,
                   {detail::grid_groups(info, tokens * units, wg), static_cast<std::uint32_t>(request.heads), 1}, label);
    return;
  }
  const std::uint64_t items = tokens * static_cast<std::uint64_t>((half_rot + 1) / 2);
  state.dispatch(pipeline, bindings, &push, {detail::grid_groups(info, items, wg), 1, 1}, label);
}

}  // namespace detail

void rope(Batch& batch, const RopeConfig& config, const RopeTensors& t, const RopePositions& positions, bool inverse) {
  detail::record_rope(batch, config, t, positions, inverse, std::nullopt);
}

void rope(const RopeConfig& config, const RopeTensors& t, const RopePositions& positions, bool inverse) {
  const Context& context = t.q.context();
  std::optional<detail::RopeSnapshot> before;
  if (context.options().checked) before = detail::snapshot_rope_inputs(t);
  Batch batch(context);
  rope(batch, config, t, positions, inverse);
  batch.submit();
  if (before) detail::check_rope(config, t, positions, inverse, *before);
}

}  // namespace vkrope
