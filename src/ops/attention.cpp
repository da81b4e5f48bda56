// Host side of flash_attention.comp and attention_combine.comp: variant choice, the small
// side buffers (positions, angles, sinks, ALiBi slopes, split partials) and the dispatches.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "ops/angle_buffer.hpp"
#include "ops/attention_check.hpp"
#include "ops/attention_plan.hpp"
#include "ops/dispatch_size.hpp"
#include "ops/kv_formats.hpp"
#include "ops/rope_check.hpp"
#include "runtime/batch_state.hpp"
#include "runtime/memory.hpp"
#include "runtime/texel_view.hpp"
#include "vkrope/attention.hpp"

namespace vkrope {

namespace {

// Specialization constant ids of the flash kernels (Slice: team and decode; Phases,
// LaneRows and Unroll*: rows; DecodeRows: decode; CoopM/N/K and RowBlocks: coopmat).
enum FlashConstant : std::size_t {
  kWorkgroup, kHeadDim, kKeyTile, kCausal, kWindow, kAlibi, kSoftcap, kSinks, kRopeQ, kRopeInterleaved,
  kRopeHalf, kSplit, kExplicitPositions, kRopeK, kSlice, kPhases, kLaneRows, kDecodeRows, kCoopM, kCoopN, kCoopK,
  kRowBlocks, kKFormat, kVFormat, kRagged = 25, kKeyRows, kUnrollLogits, kUnrollValues, kFlashConstantCount
};
static_assert(kKFormat == detail::kKFormatConstant && kVFormat == detail::kVFormatConstant);

std::string flash_shader(const detail::FlashShape& shape, DType q, const detail::AttentionCall& call) {
  const char* prefix = shape.variant == detail::FlashVariant::Rows        ? "flash_rows"
                       : shape.variant == detail::FlashVariant::RowsTexel ? "flash_rows_texel"
                       : shape.variant == detail::FlashVariant::Decode ? "flash_decode"
                       : shape.variant == detail::FlashVariant::CoopMat ? "flash_cm"
                       : shape.subgroup_sums                           ? "flash_sg"
                                                                       : "flash";
  // K_FORMATS calls read through *_kvany, except the rows kernel over one format for k and v,
  // which has a build of its own per format (kv_loads.glsl says why) but no sequence tables.
  const bool fixed = call.kv_formats && call.k_dtype == call.v_dtype && shape.variant == detail::FlashVariant::Rows &&
                     !call.sequence_tables;
  const std::string kv = call.kv_formats && !fixed ? "any" : std::string(to_string(call.k_dtype));
  return std::string(prefix) + "_q" + std::string(to_string(q)) + "_kv" + kv;
}

}  // namespace

namespace detail {

namespace {

// rows_texel reads 4 elements of k or v per texel: RGBA32F, or for f16 R32G32_UINT (two
// words of halves, converted by the kernel); its KV_FORMATS build reads 32-bit words,
// R32_UINT.
std::uint32_t texel_bytes_of(const AttentionCall& call) { return call.kv_formats ? 4 : call.kv_f16 ? 8 : 16; }
VkFormat texel_format_of(const AttentionCall& call) {
  return call.kv_formats ? VK_FORMAT_R32_UINT
         : call.kv_f16   ? VK_FORMAT_R32G32_UINT
                         : VK_FORMAT_R32G32B32A32_SFLOAT;
}

// k or v as the flash kernel binds it: through a texel view for rows_texel.
Binding kv_binding(BatchState& state, const AttentionCall& call, const FlashShape& shape, const Tensor& t) {
  Binding b = reads(t);
  if (shape.variant == FlashVariant::RowsTexel)
    b.texel_view = texel_view(state.ctx, *t.storage(), texel_format_of(call), texel_bytes_of(call));
  return b;
}

// How one flash dispatch (and its combine pass, when split) is cut.
struct FlashPlan {
  AttentionCall call;
  FlashShape shape;
  KeySplit split;
  std::uint32_t partial_count = 1;  // key ranges x lane phases
  std::uint64_t scratch_bytes = 0;  // attention.hpp's formula: partials * B * Sq * H * (D + 4) floats
};

FlashPlan plan_flash(const DeviceInfo& info, const AttentionConfig& config, const Tensor& q, const Tensor& k,
                     const Tensor& v, const Tensor& out, bool rotate_keys, const SequenceTables* tables) {
  FlashPlan p;
  p.call = prepare_attention(config, q, k, v, out);
  if (tables && !tables->rows.empty()) {  // paged: k and v are the pool; the call has L keys
    const std::int64_t longest = static_cast<std::int64_t>(tables->rows.size()) / p.call.q.batch;
    p.call.k.seq = p.call.v.seq = longest;
    if (config.rope) p.call.rope = rope_frequencies(*config.rope, std::max<std::int64_t>(longest - 1, 0));
  }
  p.call.sequence_tables = tables != nullptr;
  const auto shape_of = [&](const AttentionCall& call) {
    FlashRequest request = flash_request(call, config, rotate_keys);
    const std::uint32_t texel_bytes = texel_bytes_of(call);
    request.kv_texel_viewable =
        texel_viewable(info, *k.storage(), texel_bytes) && texel_viewable(info, *v.storage(), texel_bytes);
    return flash_shape(info, request);
  };
  p.shape = shape_of(p.call);
  // The rows kernel's f32, f16 and per-format builds read no sequence tables
  // (NO_SEQUENCE_TABLES: SwiftShader folds no specialization constant, so the RAGGED and
  // KEY_ROWS tests would cost every plain call); a ragged or paged batch on it reads
  // through the *_kvany build, which has them.
  if (p.call.sequence_tables && is_rows(p.shape.variant) && !p.call.kv_formats) {
    p.call.kv_formats = true;
    p.call.kv_f16 = false;
    p.shape = shape_of(p.call);
  }
  if (config.key_splits == 1) p.shape.phases = 1;  // one pass asked for: no partials at all
  p.split = choose_key_split(info, p.call, p.shape, config.key_splits);
  p.partial_count = p.split.splits * p.shape.phases;
  if (p.partial_count > 1)
    p.scratch_bytes = 4ull * p.partial_count *
                      static_cast<std::uint64_t>(p.call.q.batch * p.call.q.seq * p.call.q.heads * (p.call.q.dim + 4));
  return p;
}

// A view of rows [first, first + count) of the sequence dimension of a [B, S, H, D] or
// [S, H, D] tensor.
Tensor sequence_rows(const Tensor& t, std::int64_t first, std::int64_t count) {
  const std::size_t seq_dim = t.shape().size() == 4 ? 1 : 0;
  Shape shape = t.shape();
  shape[seq_dim] = count;
  return t.view(shape, t.strides(), t.offset() + first * t.strides()[seq_dim]);
}

// Sequence tables as attention_positions.glsl reads them (RAGGED, KEY_ROWS): each
// sequence's first query position, its key count, then the row of each key (paged).
using RaggedTable = std::vector<std::int32_t>;
RaggedTable ragged_table(const SequenceTables& tables, std::int64_t sq, std::int64_t first_query) {
  RaggedTable t;
  for (std::int64_t n : tables.lengths) t.push_back(static_cast<std::int32_t>(n - sq + first_query));
  for (std::int64_t n : tables.lengths) t.push_back(static_cast<std::int32_t>(n));
  t.insert(t.end(), tables.rows.begin(), tables.rows.end());
  return t;
}

void check_ragged(const AttentionCall& call, const std::vector<std::int64_t>& lengths) {
  const auto fail = [](const std::string& m) { throw Error(ErrorKind::InvalidArgument, "attention: " + m); };
  if (call.explicit_positions) fail("a ragged batch takes no explicit positions");
  if (static_cast<std::int64_t>(lengths.size()) != call.q.batch)
    fail(std::to_string(lengths.size()) + " sequence lengths for a batch of " + std::to_string(call.q.batch));
  for (std::int64_t n : lengths)
    if (n < call.q.seq || n > call.k.seq)
      fail("a sequence of " + std::to_string(n) + " keys in a ragged batch; expected Sq = " +
           std::to_string(call.q.seq) + " to Skv = " + std::to_string(call.k.seq) +
           " (its queries are its last Sq tokens)");
}

void run_flash(Batch& batch, const FlashPlan& plan, const AttentionConfig& config, const Tensor& q, const Tensor& k,
               const Tensor& v, const Tensor& out, bool rotate_keys, const Binding* shared_scratch,
               const RaggedTable* ragged, bool key_rows);

}  // namespace

void dispatch_attention(Batch& batch, const AttentionConfig& config, const Tensor& q, const Tensor& k,
                        const Tensor& v, const Tensor& out, bool rotate_keys,
                        const SequenceTables* tables) {
  BatchState& state = batch.state();
  if (q.storage()->context != state.context.state())
    throw Error(ErrorKind::InvalidArgument, "attention: tensors belong to another Context than the batch");
  const DeviceInfo& info = state.ctx.effective;
  const FlashPlan plan = plan_flash(info, config, q, k, v, out, rotate_keys, tables);
  if (tables) check_ragged(plan.call, tables->lengths);
  const bool key_rows = tables && !tables->rows.empty();
  const std::uint64_t budget = std::min<std::uint64_t>(kMaxAttentionScratch, info.max_storage_buffer_range);
  if (plan.scratch_bytes <= budget || plan.call.q.seq == 1) {
    const RaggedTable table = tables ? ragged_table(*tables, plan.call.q.seq, 0) : RaggedTable{};
    run_flash(batch, plan, config, q, k, v, out, rotate_keys, nullptr, tables ? &table : nullptr, key_rows);
    return;
  }
  // Split passes over many queries (a long prefill on llvmpipe, whose loop guard caps the
  // keys of one pass) would need more scratch than the budget: run them over chunks of
  // query rows that share one scratch buffer (the batch's barriers order the chunks). A
  // chunk's queries keep their positions, given explicitly.
  const std::uint64_t per_row = plan.scratch_bytes / static_cast<std::uint64_t>(plan.call.q.seq);
  const std::int64_t rows = std::max<std::int64_t>(1, static_cast<std::int64_t>(budget / per_row));
  AttentionConfig chunk = config;
  std::vector<std::int64_t> query_positions = config.query_positions;
  if (!plan.call.explicit_positions && !tables) {
    const std::int64_t sq = plan.call.q.seq, skv = plan.call.k.seq;
    for (std::int64_t i = 0; i < sq; ++i) query_positions.push_back(skv - sq + i);
    chunk.key_positions.resize(static_cast<std::size_t>(skv));
    for (std::int64_t j = 0; j < skv; ++j) chunk.key_positions[static_cast<std::size_t>(j)] = j;
  }
  const Binding scratch = state.scratch(per_row * static_cast<std::uint64_t>(rows));
  for (std::int64_t first = 0; first < plan.call.q.seq; first += rows) {
    const std::int64_t count = std::min(rows, plan.call.q.seq - first);
    const Tensor q_rows = sequence_rows(q, first, count), out_rows = sequence_rows(out, first, count);
    if (tables) {  // a ragged chunk: each sequence's queries first.. of its last Sq
      const RaggedTable table = ragged_table(*tables, plan.call.q.seq, first);
      run_flash(batch, plan_flash(info, chunk, q_rows, k, v, out_rows, rotate_keys, tables), chunk, q_rows, k, v,
                out_rows, rotate_keys, &scratch, &table, key_rows);
      continue;
    }
    chunk.query_positions.assign(query_positions.begin() + first, query_positions.begin() + first + count);
    run_flash(batch, plan_flash(info, chunk, q_rows, k, v, out_rows, rotate_keys, nullptr), chunk, q_rows, k, v,
              out_rows, rotate_keys, &scratch, nullptr, false);
  }
}

namespace {

void run_flash(Batch& batch, const FlashPlan& plan, const AttentionConfig& config, const Tensor& q, const Tensor& k,
               const Tensor& v, const Tensor& out, bool rotate_keys, const Binding* shared_scratch,
               const RaggedTable* ragged, bool key_rows) {
  BatchState& state = batch.state();
  const DeviceInfo& info = state.ctx.effective;
  const AttentionCall& call = plan.call;
  const FlashShape& shape = plan.shape;
  const KeySplit& split = plan.split;
  const bool rope_keys = config.rope.has_value() && rotate_keys;
  const std::int64_t rope_half = config.rope ? config.rope->effective_rotary_dim() / 2 : 1;
  const std::uint32_t wg = shape.workgroup;
  const std::uint32_t partial_count = plan.partial_count;
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
  constants[kUnrollLogits] = shape.unroll_logits;
  constants[kUnrollValues] = shape.unroll_values;
  constants[kDecodeRows] = shape.decode_rows;
  constants[kCoopM] = shape.cm_m;
  constants[kCoopN] = shape.cm_n;
  constants[kCoopK] = shape.cm_k;
  constants[kRowBlocks] = shape.row_blocks;
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
  constants[kKFormat] = format_code(call.k_dtype);  // read only by the *_kvany builds
  constants[kVFormat] = format_code(call.v_dtype);
  constants[kRagged] = ragged != nullptr;
  constants[kKeyRows] = key_rows;

  const Binding none = placeholder_buffer(state);
  Binding positions = none, angles = none, sinks = none, slopes = none, partials = none;
  if (call.explicit_positions) {
    std::vector<std::int32_t> p;
    for (std::int64_t x : config.query_positions) p.push_back(static_cast<std::int32_t>(x));
    for (std::int64_t x : config.key_positions) p.push_back(static_cast<std::int32_t>(x));
    positions = side_buffer(state, p);
  }
  if (ragged) positions = side_buffer(state, *ragged);
  if (call.rope) angles = reads_all(angle_table_buffer(state, *call.rope));
  if (!config.sinks.empty()) sinks = side_buffer(state, config.sinks);
  if (config.alibi) slopes = alibi_buffer(state, call.q.heads);
  if (split_pass) {
    if (plan.scratch_bytes > info.max_storage_buffer_range)  // one query row's partials: never in practice
      throw Error(ErrorKind::InvalidArgument, "attention: split-KV scratch of " + std::to_string(plan.scratch_bytes) +
                                                  " bytes exceeds maxStorageBufferRange; use key_splits = 1");
    // Every chunk of a chunked call writes the same scratch (the batch's barriers order them).
    partials = shared_scratch && shared_scratch->bound_size >= plan.scratch_bytes ? *shared_scratch
                                                                                   : state.scratch(plan.scratch_bytes);
  }

  const auto label = [&] {
    return "attention[" + std::string(to_string(shape.variant)) + "] " + std::string(to_string(q.dtype())) +
           shape_to_string(q.shape()) + " kv " + std::string(to_string(k.dtype())) + shape_to_string(k.shape());
  };
  const std::string shader = flash_shader(shape, q.dtype(), call);
  const std::uint32_t texel_bindings = shape.variant == FlashVariant::RowsTexel ? 0b110u : 0u;  // k and v
  const ComputePipeline& flash = state.ctx.pipelines->get({shader, 9, sizeof(push), constants, {}, texel_bindings});
  const Binding flash_bindings[] = {reads(q), kv_binding(state, call, shape, k), kv_binding(state, call, shape, v),
                                    split_pass ? none : writes(out),
                                    positions, angles, sinks, slopes, partials};
  const std::uint64_t rows = static_cast<std::uint64_t>(call.q.seq * call.group);
  const std::uint64_t rows_per_group = shape.rows_per_workgroup();
  const std::array<std::uint64_t, 3> grid = {(rows + rows_per_group - 1) / rows_per_group, push.kv_heads,
                                             std::uint64_t{push.batch} * split.splits};
  // Grids past maxComputeWorkGroupCount (a long prefill on a GPU kernel with few rows per
  // workgroup, thousands of sequences) are recorded as several dispatches.
  for_each_dispatch(grid, info.max_workgroup_count, [&](std::array<std::uint32_t, 3> first, auto count) {
    std::copy(first.begin(), first.end(), push.group);
    state.dispatch(flash, flash_bindings, &push, count, label);
  });
  if (!split_pass) return;

  // The combine pass: one invocation per output row (serial) or one workgroup (parallel).
  const CombineVariant combine_kind = combine_variant(info, partial_count);
  const bool parallel = combine_kind == CombineVariant::Parallel;
  const std::uint32_t combine_wg = std::min({64u, info.max_workgroup_invocations, info.max_workgroup_size[0]});
  const std::vector<std::uint32_t> combine_constants = {combine_wg, static_cast<std::uint32_t>(call.q.dim), 0, 0, 0, 0,
                                                        0, !config.sinks.empty()};
  const std::string combine_shader = std::string(parallel ? "attn_combine_parallel_q" : "attn_combine_q") +
                                     std::string(to_string(q.dtype()));
  const ComputePipeline& combine = state.ctx.pipelines->get({combine_shader, 3, sizeof(push), combine_constants});
  Binding partials_in = partials;
  partials_in.writes = false;
  const Binding combine_bindings[] = {partials_in, writes(out), sinks};
  const std::uint64_t combine_rows = std::uint64_t{push.batch} * push.sq * push.heads;
  const std::uint64_t combine_groups = parallel ? combine_rows : (combine_rows + combine_wg - 1) / combine_wg;
  for_each_dispatch({combine_groups, 1, 1}, info.max_workgroup_count, [&](std::array<std::uint32_t, 3> first, auto count) {
    std::copy(first.begin(), first.end(), push.group);
    state.dispatch(combine, combine_bindings, &push, count,
                   [&] { return label() + " combine[" + to_string(combine_kind) + "]"; });
  });
}

}  // namespace
}  // namespace detail

namespace {

// Fused RoPE at explicit position streams: q and k through rope() into temporaries (the
// batch keeps them alive) at one frequency table, then attention without RoPE.
void attention_at_rope_streams(Batch& batch, const AttentionConfig& config, const Tensor& q, const Tensor& k,
                               const Tensor& v, const Tensor& out) {
  (void)detail::prepare_attention(config, q, k, v, out);  // every check, the positions' included
  if (k.dtype() != DType::f32 && k.dtype() != DType::f16)
    throw Error(ErrorKind::InvalidArgument,
                "attention: query_rope_positions over " + std::string(to_string(k.dtype())) +
                    " keys; expected f32 or f16 keys (rotate keys before quantizing them, as KvCache::append does)");
  std::int64_t max_position = 0;
  for (const auto* list : {&config.query_rope_positions, &config.key_rope_positions})
    for (std::int64_t p : *list) max_position = std::max(max_position, p);
  const Context& context = q.context();
  const Tensor q_rot = Tensor::empty(context, q.dtype(), q.shape());
  const Tensor k_rot = Tensor::empty(context, k.dtype(), k.shape());
  detail::record_rope(batch, *config.rope, {q, q_rot, {}, {}}, {config.query_rope_positions, 0}, false, max_position);
  detail::record_rope(batch, *config.rope, {k, k_rot, {}, {}}, {config.key_rope_positions, 0}, false, max_position);
  AttentionConfig plain = config;
  plain.rope.reset();
  plain.query_rope_positions.clear();
  plain.key_rope_positions.clear();
  detail::dispatch_attention(batch, plain, q_rot, k_rot, v, out, /*rotate_keys=*/true);
}

}  // namespace

void attention(Batch& batch, const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& out) {
  if (!config.query_rope_positions.empty() || !config.key_rope_positions.empty()) {
    attention_at_rope_streams(batch, config, q, k, v, out);
    return;
  }
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
