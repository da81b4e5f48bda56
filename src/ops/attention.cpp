// Host side of flash_attention.comp and attention_combine.comp: variant choice, the small
// side buffers (positions, angles, sinks, ALiBi slopes, split partials) and the dispatches.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "ops/angle_buffer.hpp"
#include "ops/attention_check.hpp"
#include "ops/attention_plan.hpp"
#include "runtime/batch_state.hpp"
#include "runtime/memory.hpp"
#include "vkrope/attention.hpp"

namespace vkrope {

namespace {

// Specialization constant ids of flash_attention.comp and flash_attention_rows.comp (Slice:
// the team kernel only; Phases and LaneRows: the rows kernel only).
enum FlashConstant : std::size_t {
  kWorkgroup, kHeadDim, kKeyTile, kCausal, kWindow, kAlibi, kSoftcap, kSinks, kRopeQ, kRopeInterleaved,
  kRopeHalf, kSplit, kExplicitPositions, kRopeK, kSlice, kPhases, kLaneRows, kFlashConstantCount
};

std::string flash_shader(detail::FlashVariant variant, DType q, DType kv) {
  return std::string(variant == detail::FlashVariant::Rows ? "flash_rows" : "flash") + "_q" +
         std::string(to_string(q)) + "_kv" + std::string(to_string(kv));
}

}  // namespace

namespace detail {

void dispatch_attention(Batch& batch, const AttentionConfig& config, const Tensor& q, const Tensor& k,
                        const Tensor& v, const Tensor& out, bool rotate_keys) {
  const AttentionCall call = prepare_attention(config, q, k, v, out);
  BatchState& state = batch.state();
  if (q.storage()->context != state.context.state())
    throw Error(ErrorKind::InvalidArgument, "attention: tensors belong to another Context than the batch");
  const DeviceInfo& info = state.ctx.effective;

  const bool rope_keys = config.rope.has_value() && rotate_keys;
  const std::int64_t rope_half = config.rope ? config.rope->effective_rotary_dim() / 2 : 1;
  FlashShape shape = flash_shape(info, call.q.dim, call.q.seq * call.group, rope_keys, rope_half);
  if (config.key_splits == 1) shape.phases = 1;  // one pass asked for: no partials at all
  const std::uint32_t wg = shape.workgroup;
  const KeySplit split = choose_key_split(info, call, shape, config.key_splits);
  const std::uint32_t partial_count = split.splits * shape.phases;
  const bool split_pass = partial_count > 1;

  AttentionPush push = attention_push(call, config);
  push.splits = partial_count;  // the combine pass merges every workgroup's and lane phase's partial
  push.split_keys = split_pass ? split.keys_per_split : push.skv;

  std::vector<std::uint32_t> constants(kFlashConstantCount, 0u);
  constants[kWorkgroup] = wg;
  constants[kHeadDim] = static_cast<std::uint32_t>(call.q.dim);
  constants[kKeyTile] = shape.key_tile;
  constants[kSlice] = shape.slice;
  constants[kPhases] = shape.phases;
  constants[kLaneRows] = shape.lane_rows;
  constants[kCausal] = config.causal;
  constants[kWindow] = config.window.has_value();
  constants[kAlibi] = config.alibi;
  constants[kSoftcap] = config.softcap > 0.0;
  constants[kSinks] = !config.sinks.empty() && !split_pass;  // the combine pass adds them when split
  constants[kRopeQ] = config.rope.has_value();
  constants[kRopeK] = rope_keys;
  constants[kRopeInterleaved] = config.rope && config.rope->layout == RopeLayout::Interleaved;
  constants[kRopeHalf] = static_cast<std::uint32_t>(rope_half);
  constants[kSplit] = split_pass;
  constants[kExplicitPositions] = call.explicit_positions;

  const Binding none = placeholder_buffer(state);
  Binding positions = none, angles = none, sinks = none, slopes = none, partials = none;
  if (call.explicit_positions) {
    std::vector<std::int32_t> p;
    for (std::int64_t x : config.query_positions) p.push_back(static_cast<std::int32_t>(x));
    for (std::int64_t x : config.key_positions) p.push_back(static_cast<std::int32_t>(x));
    positions = side_buffer(state, p);
  }
  if (call.rope) {
    auto table = angle_table_buffer(state, *call.rope);
    angles = {table, 0, table->size, false};
  }
  if (!config.sinks.empty()) sinks = side_buffer(state, config.sinks);
  if (config.alibi) slopes = alibi_buffer(state, call.q.heads);
  if (split_pass) {
    // attention.hpp's scratch formula: partials * B * Sq * H * (D + 2) floats.
    const std::uint64_t floats = std::uint64_t{partial_count} * static_cast<std::uint64_t>(call.q.batch * call.q.seq *
                                                                                          call.q.heads * (call.q.dim + 2));
    if (floats * 4 > info.max_storage_buffer_range)
      throw Error(ErrorKind::InvalidArgument, "attention: split-KV scratch of " + std::to_string(floats * 4) +
                                                  " bytes exceeds maxStorageBufferRange; use key_splits = 1");
    auto storage = allocate_storage(state.context.state(), floats * 4);
    partials = {storage, 0, storage->size, true};
  }

  const std::string label = "attention " + std::string(to_string(q.dtype())) + shape_to_string(q.shape()) + " kv " +
                            std::string(to_string(k.dtype())) + shape_to_string(k.shape());
  const std::string shader = flash_shader(shape.variant, q.dtype(), k.dtype());
  const ComputePipeline& flash = state.ctx.pipelines->get({shader, 9, sizeof(push), constants});
  const Binding flash_bindings[] = {reads(q), reads(k), reads(v), split_pass ? none : writes(out),
                                    positions, angles, sinks, slopes, partials};
  const std::uint64_t rows = static_cast<std::uint64_t>(call.q.seq * call.group);
  const std::uint64_t rows_per_group = shape.rows_per_workgroup();
  const auto x_groups = static_cast<std::uint32_t>((rows + rows_per_group - 1) / rows_per_group);
  const std::uint32_t z_groups = push.batch * split.splits;
  if (x_groups > info.max_workgroup_count[0] || z_groups > info.max_workgroup_count[2] ||
      push.kv_heads > info.max_workgroup_count[1])
    throw Error(ErrorKind::InvalidArgument, "attention: " + label + " needs more workgroups than the device allows");
  state.dispatch(flash, flash_bindings, &push, {x_groups, push.kv_heads, z_groups}, label);
  if (!split_pass) return;

  const std::uint32_t combine_wg = std::min({64u, info.max_workgroup_invocations, info.max_workgroup_size[0]});
  const std::vector<std::uint32_t> combine_constants = {combine_wg, static_cast<std::uint32_t>(call.q.dim), 0, 0, 0, 0,
                                                        0, !config.sinks.empty()};
  const char* combine_shader = q.dtype() == DType::f32 ? "attn_combine_qf32" : "attn_combine_qf16";
  const ComputePipeline& combine = state.ctx.pipelines->get({combine_shader, 3, sizeof(push), combine_constants});
  Binding partials_in = partials;
  partials_in.writes = false;
  const Binding combine_bindings[] = {partials_in, writes(out), sinks};
  const std::uint64_t combine_rows = std::uint64_t{push.batch} * push.sq * push.heads;
  state.dispatch(combine, combine_bindings, &push,
                 {static_cast<std::uint32_t>((combine_rows + combine_wg - 1) / combine_wg), 1, 1}, label + " combine");
}

}  // namespace detail

void attention(Batch& batch, const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& out) {
  detail::dispatch_attention(batch, config, q, k, v, out, /*rotate_keys=*/true);
}

void attention(const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out) {
  const Context& context = q.context();
  std::optional<detail::AttentionSnapshot> before;
  if (context.options().checked) before = detail::snapshot_attention_inputs(q, k, v);
  Batch batch(context);
  attention(batch, config, q, k, v, out);
  batch.submit();
  if (before) detail::check_attention(config, out, *before);
}

}  // namespace vkrope
