// Host side of position_embedding.comp: argument checks, the sinusoid's angle table or the
// learned table, the storage build, and the dispatch.
#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ops/angle_buffer.hpp"
#include "ops/dispatch_size.hpp"
#include "ops/position_embedding_check.hpp"
#include "ops/side_inputs.hpp"
#include "ops/tensor_layout.hpp"
#include "rope/sinusoid.hpp"
#include "runtime/batch_state.hpp"
#include "vkrope/position_embedding.hpp"

namespace vkrope {

namespace {

constexpr const char* kOp = "position_embedding";

// Mirrors PePush in shaders/position_embedding.comp.
struct PePush {
  std::uint32_t batch, seq, dim, pairs, pos_offset, last_row;
  float x_scale;
  std::uint32_t x_offset, x_batch, x_seq;
  std::uint32_t out_offset, out_batch, out_seq;
  std::uint32_t table_offset, table_row;
};
static_assert(sizeof(PePush) == 60 && sizeof(PePush) <= 128);
static_assert(offsetof(PePush, x_scale) == 24 && offsetof(PePush, x_offset) == 28 && offsetof(PePush, out_offset) == 40 &&
              offsetof(PePush, table_offset) == 52 && offsetof(PePush, table_row) == 56);

constexpr std::uint32_t kPosOffset = 0, kPosShared = 1, kPosPerBatch = 2;

// x or out as [batch, seq, d] with element strides (a 2-dim tensor has batch 1).
struct Layout3 {
  std::int64_t batch, seq, dim;
  std::int64_t offset, batch_stride, seq_stride;
};

std::string prefix(const char* name) { return std::string(kOp) + ": " + name; }

std::string describe(const Tensor& t) { return std::string(to_string(t.dtype())) + shape_to_string(t.shape()); }

Layout3 layout3(const Tensor& t, const char* name) {
  const Shape& s = t.shape();
  const Strides& st = t.strides();
  if (s.size() != 2 && s.size() != 3)
    throw Error(ErrorKind::InvalidArgument,
                prefix(name) + " has shape " + shape_to_string(s) + "; expected [batch, seq, d] or [seq, d]");
  if (st.back() != 1)
    throw Error(ErrorKind::InvalidArgument,
                prefix(name) + "'s last dimension has stride " + std::to_string(st.back()) + "; expected 1");
  const bool three = s.size() == 3;
  return {three ? s[0] : 1, s[three ? 1 : 0], s.back(), t.offset(), three ? st[0] : 0, st[three ? 1 : 0]};
}

void check_float_dtype(const Tensor& t, const char* name) {
  if (t.dtype() != DType::f32 && t.dtype() != DType::f16)
    throw Error(ErrorKind::InvalidArgument, prefix(name) + " is " + describe(t) + "; expected f32 or f16");
}

std::uint32_t u32(std::int64_t v, const char* what) { return detail::to_u32(v, kOp, what); }

bool even(std::int64_t v) { return v % 2 == 0; }

}  // namespace

namespace detail {

PositionEmbeddingCall prepare_position_embedding(const PositionEmbeddingConfig& config,
                                                 const PositionEmbeddingTensors& t, const RopePositions& positions) {
  config.validate();
  const bool learned = config.kind == PositionEmbeddingKind::Learned;
  check_float_dtype(t.x, "x");
  const Layout3 x = layout3(t.x, "x");
  PositionEmbeddingCall call;
  call.batch = x.batch;
  call.seq = x.seq;
  call.dim = x.dim;
  if (!learned && x.dim % 2 != 0)
    throw Error(ErrorKind::InvalidArgument, prefix("x") + " has d = " + std::to_string(x.dim) +
                                                "; sinusoidal embeddings come in (sin, cos) pairs: expected an even d");
  if (t.out) {
    if (t.out->shape() != t.x.shape() || t.out->dtype() != t.x.dtype())
      throw Error(ErrorKind::InvalidArgument,
                  prefix("out") + " is " + describe(*t.out) + "; expected x's " + describe(t.x));
    if (t.out->storage()->context != t.x.storage()->context)
      throw Error(ErrorKind::InvalidArgument, prefix("out") + " belongs to another Context than x");
    layout3(*t.out, "out");
  }
  if (learned && !t.table)
    throw Error(ErrorKind::InvalidArgument,
                prefix("table") + " is missing; a learned embedding needs a [max_positions, " + std::to_string(x.dim) +
                    "] table");
  if (!learned && t.table)
    throw Error(ErrorKind::InvalidArgument,
                prefix("table") + " is given but the kind is sinusoidal; expected no table (or kind learned)");
  if (t.table) {
    const Tensor& table = *t.table;
    if (table.dtype() != DType::f32 && table.dtype() != DType::f16)
      throw Error(ErrorKind::InvalidArgument, prefix("table") + " is " + describe(table) + "; expected f32 or f16");
    if (table.rank() != 2 || table.shape()[1] != x.dim)
      throw Error(ErrorKind::InvalidArgument, prefix("table") + " is " + shape_to_string(table.shape()) +
                                                  "; expected [max_positions, " + std::to_string(x.dim) +
                                                  "] (d of x)");
    if (table.strides()[1] != 1)
      throw Error(ErrorKind::InvalidArgument, prefix("table") + "'s last dimension has stride " +
                                                  std::to_string(table.strides()[1]) + "; expected 1");
    if (table.storage()->context != t.x.storage()->context)
      throw Error(ErrorKind::InvalidArgument, prefix("table") + " belongs to another Context than x");
    call.table_rows = table.shape()[0];
  }
  // out is x itself (in place: each element is read before the same invocation writes it)
  // or shares no byte with x or the table; anything else races.
  const Tensor& out = t.out ? *t.out : t.x;
  if (t.out && !same_view(out, t.x) && views_overlap(out, t.x))
    throw Error(ErrorKind::InvalidArgument, prefix("out") + " (" + byte_range(out) + ") overlaps x (" +
                                                byte_range(t.x) + ") in their buffer; expected out to be x itself " +
                                                "(in place) or a separate range");
  if (t.table && views_overlap(out, *t.table))
    throw Error(ErrorKind::InvalidArgument, prefix(t.out ? "out" : "x (written in place)") + " (" + byte_range(out) +
                                                ") overlaps the table (" + byte_range(*t.table) +
                                                ") in their buffer; expected separate ranges");

  // Positions: explicit per token (shared by the batch, or per batch), or offset + index.
  const std::int64_t tokens = call.batch * call.seq;
  call.positions.resize(static_cast<std::size_t>(tokens));
  std::string where;  // how the largest position came about, for the table's message
  if (!positions.values.empty()) {
    const auto n = static_cast<std::int64_t>(positions.values.size());
    if (n != call.seq && n != tokens)
      throw Error(ErrorKind::InvalidArgument,
                  std::string(kOp) + ": " + std::to_string(n) + " positions for batch " + std::to_string(call.batch) +
                      " x seq " + std::to_string(call.seq) + "; expected " + std::to_string(call.seq) +
                      " (shared) or " + std::to_string(tokens) + " (per batch)");
    std::size_t argmax = 0;
    for (std::size_t i = 0; i < positions.values.size(); ++i) {
      const std::int64_t p = positions.values[i];
      if (p < 0 || p > kMaxRopePosition)
        throw Error(ErrorKind::InvalidArgument, std::string(kOp) + ": position[" + std::to_string(i) + "] = " +
                                                    std::to_string(p) + " is outside [0, 2^24]");
      if (p > positions.values[argmax]) argmax = i;
    }
    call.max_position = positions.values[argmax];
    where = "position[" + std::to_string(argmax) + "] = " + std::to_string(call.max_position);
    for (std::int64_t i = 0; i < tokens; ++i)
      call.positions[static_cast<std::size_t>(i)] = positions.values[static_cast<std::size_t>(i % n)];
  } else {
    if (positions.offset < 0 || positions.offset > kMaxRopePosition - (call.seq - 1))
      throw Error(ErrorKind::InvalidArgument, std::string(kOp) + ": position offset " +
                                                  std::to_string(positions.offset) +
                                                  " puts tokens outside [0, 2^24] (seq " + std::to_string(call.seq) +
                                                  ")");
    call.max_position = positions.offset + call.seq - 1;
    where = "offset " + std::to_string(positions.offset) + " + seq " + std::to_string(call.seq) + " - 1 = " +
            std::to_string(call.max_position);
    for (std::int64_t i = 0; i < tokens; ++i)
      call.positions[static_cast<std::size_t>(i)] = positions.offset + i % call.seq;
  }
  if (learned && !config.clamp && call.max_position >= call.table_rows)
    throw Error(ErrorKind::InvalidArgument,
                std::string(kOp) + ": " + where + " is past the learned table's " + std::to_string(call.table_rows) +
                    " rows; expected positions < " + std::to_string(call.table_rows) +
                    " (or clamp, which gives them the last row)");
  return call;
}

}  // namespace detail

void position_embedding(Batch& batch, const PositionEmbeddingConfig& config, const PositionEmbeddingTensors& t,
                        const RopePositions& positions) {
  const detail::PositionEmbeddingCall call = detail::prepare_position_embedding(config, t, positions);
  detail::BatchState& state = batch.state();
  if (t.x.storage()->context != state.context.state())
    throw Error(ErrorKind::InvalidArgument, std::string(kOp) + ": tensors belong to another Context than the batch");
  const DeviceInfo& info = state.ctx.effective;
  const bool learned = config.kind == PositionEmbeddingKind::Learned;
  const Tensor& out = t.out ? *t.out : t.x;
  const Layout3 xi = layout3(t.x, "x"), xo = layout3(out, "out");

  // Storage builds. f16 goes as pairs of halves in 32-bit words whenever every f16 view
  // allows it (d even, even offsets and strides): one 32-bit access per two elements is as
  // fast as native 16-bit storage on GPUs and much faster on CPU drivers. Native 16-bit
  // storage serves the other views; a device without it refuses them.
  const bool x_f16 = t.x.dtype() == DType::f16;
  const bool table_f16 = learned && t.table->dtype() == DType::f16;
  bool words_fit = even(call.dim);
  if (x_f16)
    for (const Layout3& l : {xi, xo}) words_fit = words_fit && even(l.offset) && even(l.batch_stride) && even(l.seq_stride);
  if (table_f16) words_fit = words_fit && even(t.table->offset()) && even(t.table->strides()[0]);
  const bool packed = (x_f16 || table_f16) && (words_fit || !info.storage_16bit);
  if (packed && !words_fit)
    throw Error(ErrorKind::Unsupported,
                std::string(kOp) + ": " + (x_f16 ? "x " + describe(t.x) : std::string("the table")) +
                    " is an f16 view with an odd d, offset or stride; this device has no 16-bit storage, so f16 "
                    "tensors are processed as pairs of halves and need an even d and even offsets and strides");
  const auto storage_name = [packed](bool f16) { return !f16 ? "f32" : packed ? "f16_packed" : "f16"; };
  const std::string shader = learned ? std::string("position_embedding_learned_") + storage_name(x_f16) + "_table_" +
                                           storage_name(table_f16)
                                     : std::string("position_embedding_sinusoidal_") + storage_name(x_f16);

  PePush push{};
  push.batch = u32(call.batch, "batch");
  push.seq = u32(call.seq, "seq");
  push.dim = u32(call.dim, "d");
  push.pairs = u32((call.dim + 1) / 2, "d / 2");
  push.x_scale = static_cast<float>(config.x_scale);
  push.x_offset = u32(xi.offset, "x offset");
  push.x_batch = u32(xi.batch_stride, "x batch stride");
  push.x_seq = u32(xi.seq_stride, "x seq stride");
  push.out_offset = u32(xo.offset, "out offset");
  push.out_batch = u32(xo.batch_stride, "out batch stride");
  push.out_seq = u32(xo.seq_stride, "out seq stride");

  // Positions (int32): the caller's values, a per-call input of the batch; offset mode reads
  // none (the offset is a push constant) and binds the Context's placeholder.
  std::uint32_t pos_mode = kPosOffset;
  detail::Binding pos_binding;
  if (!positions.values.empty()) {
    pos_mode = positions.values.size() == static_cast<std::size_t>(call.seq) && call.batch > 1 ? kPosShared
                                                                                                : kPosPerBatch;
    const std::vector<std::int32_t> pos32(positions.values.begin(), positions.values.end());
    pos_binding = detail::side_buffer(state, pos32);
  } else {
    push.pos_offset = static_cast<std::uint32_t>(positions.offset);
    pos_binding = detail::placeholder_buffer(state);
  }

  // Binding 3: the learned table, or the sinusoid's exact-angle tables (RoPE's, built once
  // per Context for these frequencies: w_i = base^(-2i/d), attention factor 1).
  detail::Binding table_binding;
  if (learned) {
    push.last_row = u32(call.table_rows - 1, "table rows");
    push.table_offset = u32(t.table->offset(), "table offset");
    push.table_row = u32(t.table->strides()[0], "table row stride");
    table_binding = detail::reads(*t.table);
  } else {
    table_binding =
        detail::reads_all(detail::angle_table_buffer(state, detail::sinusoid_frequencies(config.base, call.dim)));
  }

  const std::uint32_t wg = detail::default_workgroup_size(info);
  const std::uint32_t odd_dim = call.dim % 2 != 0 ? 1u : 0u;
  const detail::ComputePipeline& pipeline =
      state.ctx.pipelines->get({shader, 4, sizeof(PePush), {wg, pos_mode, odd_dim}});
  const detail::Binding bindings[] = {detail::reads(t.x), detail::writes(out), pos_binding, table_binding};
  const std::uint64_t items = static_cast<std::uint64_t>(call.batch * call.seq) * push.pairs;
  u32(static_cast<std::int64_t>(items), "batch * seq * d / 2");
  state.dispatch(pipeline, bindings, &push, {detail::grid_groups(info, items, wg), 1, 1}, [&] {
    return std::string(kOp) + "[" + std::string(to_string(config.kind)) + "] " + describe(t.x);
  });
}

void position_embedding(const PositionEmbeddingConfig& config, const PositionEmbeddingTensors& t,
                        const RopePositions& positions) {
  const Context& context = t.x.context();
  std::optional<detail::PositionEmbeddingSnapshot> before;
  if (context.options().checked) before = detail::snapshot_position_embedding_input(t);
  Batch batch(context);
  position_embedding(batch, config, t, positions);
  batch.submit();
  if (before) detail::check_position_embedding(config, t, positions, *before);
}

}  // namespace vkrope
