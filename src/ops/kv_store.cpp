// Host side of quantize.comp (see kv_store.hpp).
#include "ops/kv_store.hpp"

#include <vector>

#include "ops/angle_buffer.hpp"
#include "ops/dispatch_size.hpp"
#include "ops/kv_formats.hpp"
#include "ops/side_inputs.hpp"
#include "runtime/context_state.hpp"
#include "vkrope/error.hpp"

namespace vkrope::detail {

namespace {

// Mirrors StorePush in shaders/quantize.comp.
struct StorePush {
  std::uint32_t batch, tokens, kv_heads, start, capacity;
  std::uint32_t k[4], v[4];  // offset, batch, seq, head strides of the sources
  std::uint32_t k_out_offset, v_out_offset;
  std::uint32_t position;
};
static_assert(sizeof(StorePush) == 64);

// Values per invocation: a block of the block formats, 8 of the others (quantize.comp).
std::uint64_t unit_of(DType format) { return is_block_format(format) ? 32 : 8; }

}  // namespace

void dispatch_store(BatchState& state, const StoreRequest& r) {
  const DeviceInfo& info = state.ctx.effective;
  const Layout4& k = r.k_layout;
  const bool paired = r.v_src != nullptr;
  StorePush push{};
  push.batch = to_u32(k.batch, r.label, "batch");
  push.tokens = to_u32(k.seq, r.label, "tokens");
  push.kv_heads = to_u32(k.heads, r.label, "heads");
  push.start = to_u32(r.start, r.label, "start");
  push.capacity = to_u32(r.capacity, r.label, "capacity");
  fill_strides(push.k, k, r.label);
  fill_strides(push.v, paired ? r.v_layout : k, r.label);
  push.k_out_offset = to_u32(r.k_dst->offset(), r.label, "offset");
  push.v_out_offset = paired ? to_u32(r.v_dst->offset(), r.label, "offset") : 0u;
  const std::int64_t position = r.position >= 0 ? r.position : r.start;
  push.position = to_u32(position, r.label, "position");

  const Binding none = placeholder_buffer(state);
  Binding angles = none;
  std::int64_t half = 1;
  if (r.rope) {
    half = r.rope->effective_rotary_dim() / 2;
    // Frequencies at the newest position (as KvCache::append documents).
    angles = reads_all(angle_table_buffer(state, rope_frequencies(*r.rope, position + k.seq - 1)));
  }
  const DType k_format = r.k_dst->dtype(), v_format = paired ? r.v_dst->dtype() : k_format;
  const std::uint32_t wg = default_workgroup_size(info);
  std::vector<std::uint32_t> constants(25, 0u);
  constants[0] = wg;
  constants[1] = static_cast<std::uint32_t>(k.dim);
  constants[8] = r.rope != nullptr;
  constants[9] = r.rope && r.rope->layout == RopeLayout::Interleaved;
  constants[10] = static_cast<std::uint32_t>(half);
  constants[kKFormatConstant] = format_code(k_format);
  constants[kVFormatConstant] = format_code(v_format);
  constants[24] = paired;
  const std::string shader = std::string("quantize_in_") + std::string(to_string(r.k_src->dtype()));
  const ComputePipeline& pipeline = state.ctx.pipelines->get({shader, 5, sizeof(push), constants});
  const Binding bindings[] = {reads(*r.k_src), paired ? reads(*r.v_src) : none, writes(*r.k_dst),
                              paired ? writes(*r.v_dst) : none, angles};
  const auto rows = std::uint64_t{push.batch} * push.tokens * push.kv_heads;
  const auto dim = static_cast<std::uint64_t>(k.dim);
  const std::uint64_t items = rows * dim / unit_of(k_format) + (paired ? rows * dim / unit_of(v_format) : 0);
  state.dispatch(pipeline, bindings, &push, {grid_groups(info, items, wg), 1, 1}, [&] { return r.label; });
}

}  // namespace vkrope::detail
