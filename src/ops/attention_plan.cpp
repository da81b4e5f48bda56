#include "ops/attention_plan.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>
#include <string>

#include "ops/kv_formats.hpp"
#include "runtime/context_state.hpp"
#include "runtime/memory.hpp"
#include "vkrope/error.hpp"
#include "vkrope/version.hpp"

namespace vkrope::detail {

namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::InvalidArgument, "attention: " + message); }

std::string str(std::int64_t v) { return std::to_string(v); }

std::string number(double v) {  // "%g": 1e+300, not three hundred digits
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

std::string describe(const Tensor& t) { return std::string(to_string(t.dtype())) + shape_to_string(t.shape()); }

void check_tensors(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const AttentionCall& c) {
  for (const Tensor* t : {&k, &v, &out})
    if (t->storage()->context != q.storage()->context) fail("q, k, v and out must belong to one Context");
  if (k.rank() != q.rank() || v.rank() != q.rank())
    fail("q " + shape_to_string(q.shape()) + ", k " + shape_to_string(k.shape()) + " and v " +
         shape_to_string(v.shape()) + " differ in rank; expected all [B, S, heads, D] or all [S, heads, D]");
  if (k.shape() != v.shape())
    fail("k " + shape_to_string(k.shape()) + " and v " + shape_to_string(v.shape()) + " differ; expected one shape");
  if (out.shape() != q.shape() || out.dtype() != q.dtype())
    fail("out is " + describe(out) + "; expected q's " + describe(q));
  if (c.k.batch != c.q.batch)
    fail("q has batch " + str(c.q.batch) + " and k " + str(c.k.batch) + "; expected the same batch");
  if (c.k.dim != c.q.dim)
    fail("q has head_dim " + str(c.q.dim) + " and k, v " + str(c.k.dim) + "; expected the same head_dim");
  if (c.q.heads % c.k.heads != 0)
    fail("q has " + str(c.q.heads) + " heads, not a multiple of the " + str(c.k.heads) + " kv heads of k and v");
  if (c.q.dim % 8 != 0 || c.q.dim > 256)
    fail("head_dim " + str(c.q.dim) + " is not supported; expected a multiple of 8 up to 256");
  // out is written while q, k and v are still read by other workgroups (and, split, by the
  // combine pass): it must not share bytes with them.
  for (const auto& [input, name] : {std::pair{&q, "q"}, {&k, "k"}, {&v, "v"}}) {
    if (views_overlap(*input, out))
      fail(std::string("out overlaps ") + name + " in their buffer (" + byte_range(out) + " and " +
           byte_range(*input) + "); expected a separate output (attention is not in-place)");
  }
  if (q.dtype() != DType::f32 && q.dtype() != DType::f16)
    fail("q is " + describe(q) + "; expected f32 or f16 queries (k and v may be stored in any format)");
  // f16 and bf16 travel as pairs of halves in 32-bit words (head_dim is even, so rows are
  // whole words); the block formats' views are whole blocks (Tensor::view).
  const std::pair<const Layout4*, const Tensor*> views[] = {{&c.q, &q}, {&c.k, &k}, {&c.v, &v}, {&c.out, &out}};
  const char* names[] = {"q", "k", "v", "out"};
  for (std::size_t i = 0; i < 4; ++i) {
    const DType dtype = views[i].second->dtype();
    if ((dtype == DType::f16 || dtype == DType::bf16) && !is_word_aligned(*views[i].first))
      fail(std::string(names[i]) + " is an " + std::string(to_string(dtype)) + " view with an odd offset or stride; " +
           "expected even ones (it is read as pairs of halves)");
  }
}

void check_positions(const AttentionConfig& config, const AttentionCall& c) {
  const std::int64_t sq = c.q.seq, skv = c.k.seq;
  if (config.query_positions.empty() != config.key_positions.empty())
    fail("query_positions and key_positions must be given together (or both left empty)");
  if (c.explicit_positions) {
    if (static_cast<std::int64_t>(config.query_positions.size()) != sq)
      fail("query_positions has " + str(static_cast<std::int64_t>(config.query_positions.size())) +
           " entries; expected Sq = " + str(sq));
    if (static_cast<std::int64_t>(config.key_positions.size()) != skv)
      fail("key_positions has " + str(static_cast<std::int64_t>(config.key_positions.size())) +
           " entries; expected Skv = " + str(skv));
    // RoPE takes positions in [0, 2^24]; without it any int32 works (only differences matter).
    const std::int64_t lo = config.rope ? 0 : std::numeric_limits<std::int32_t>::min() / 2;
    const std::int64_t hi = config.rope ? kMaxRopePosition : std::numeric_limits<std::int32_t>::max() / 2;
    for (const auto* list : {&config.query_positions, &config.key_positions})
      for (std::int64_t p : *list)
        if (p < lo || p > hi)
          fail("position " + str(p) + " is outside [" + str(lo) + ", " + str(hi) + "]" +
               (config.rope ? " (the range of fused RoPE)" : ""));
    return;
  }
  if (config.causal && sq > skv)
    fail("causal with Sq = " + str(sq) + " > Skv = " + str(skv) +
         ": bottom-right alignment would put queries before the first key; give explicit positions");
  if (config.rope && sq > skv)
    fail("fused RoPE with Sq = " + str(sq) + " > Skv = " + str(skv) +
         " would rotate queries at negative positions; give explicit positions");
  if (config.rope && skv - 1 > kMaxRopePosition) fail("Skv = " + str(skv) + " exceeds fused RoPE's positions (2^24)");
}

// query_rope_positions / key_rope_positions: stream-major [streams, Sq] / [streams, Skv]
// for a rope config with several streams, in fused RoPE's range.
void check_rope_positions(const AttentionConfig& config, const AttentionCall& c) {
  const auto& qp = config.query_rope_positions;
  const auto& kp = config.key_rope_positions;
  if (qp.empty() && kp.empty()) return;
  if (!config.rope || config.rope->position_streams() == 1)
    fail("query_rope_positions / key_rope_positions are for a rope config with several position streams (M-RoPE, "
         "2D vision); this call's has " + std::string(config.rope ? "one" : "none") +
         " (expected query_positions / key_positions)");
  const std::int64_t streams = config.rope->position_streams();
  if (static_cast<std::int64_t>(qp.size()) != streams * c.q.seq || static_cast<std::int64_t>(kp.size()) != streams * c.k.seq)
    fail("query_rope_positions has " + str(static_cast<std::int64_t>(qp.size())) + " entries and key_rope_positions " +
         str(static_cast<std::int64_t>(kp.size())) + "; expected " + str(streams) + " streams x Sq = " +
         str(streams * c.q.seq) + " and x Skv = " + str(streams * c.k.seq) + " (stream-major, given together)");
  for (const auto* list : {&qp, &kp})
    for (std::int64_t p : *list)
      if (p < 0 || p > kMaxRopePosition)
        fail("rope position " + str(p) + " is outside [0, 2^24] (the range of fused RoPE)");
}

}  // namespace

AttentionCall prepare_attention(const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
                                const Tensor& out) {
  AttentionCall c;
  c.q = layout4(q, "attention", "q");
  c.k = layout4(k, "attention", "k");
  c.v = layout4(v, "attention", "v");
  c.out = layout4(out, "attention", "out");
  check_tensors(q, k, v, out, c);
  c.group = c.q.heads / c.k.heads;
  c.k_dtype = k.dtype();
  c.v_dtype = v.dtype();
  c.kv_formats = needs_kv_formats(k.dtype(), v.dtype());
  c.kv_f16 = !c.kv_formats && k.dtype() == DType::f16;
  c.q_f16 = q.dtype() == DType::f16;

  if (config.scale && !std::isfinite(*config.scale))
    fail("scale = " + number(*config.scale) + "; expected a finite value");
  if (!std::isfinite(config.softcap) || config.softcap < 0.0)
    fail("softcap = " + number(config.softcap) + "; expected a finite value > 0 (or 0 for none)");
  if (config.window && *config.window <= 0) fail("window = " + str(*config.window) + "; expected a window >= 1");
  if (!config.sinks.empty() && static_cast<std::int64_t>(config.sinks.size()) != c.q.heads)
    fail("sinks has " + str(static_cast<std::int64_t>(config.sinks.size())) + " values; expected one per query head (" +
         str(c.q.heads) + ")");
  for (float s : config.sinks)
    if (!std::isfinite(s)) fail("a sink logit is " + number(s) + "; expected finite values");
  if (config.key_splits < 0) fail("key_splits = " + str(config.key_splits) + "; expected 0 (auto) or >= 1");
  c.explicit_positions = !config.query_positions.empty() || !config.key_positions.empty();
  check_positions(config, c);
  c.scale = config.scale.value_or(1.0 / std::sqrt(static_cast<double>(c.q.dim)));
  if (!std::isfinite(static_cast<float>(c.scale)))
    fail("scale = " + number(c.scale) + " overflows float32; expected a finite float32 value");

  if (config.rope) {
    config.rope->validate();
    if (config.rope->head_dim != c.q.dim)
      fail("rope.head_dim = " + str(config.rope->head_dim) + "; expected the attention head_dim " + str(c.q.dim));
    std::int64_t max_position = std::max<std::int64_t>(c.k.seq - 1, 0);
    if (c.explicit_positions) {
      max_position = 0;
      for (const auto* list : {&config.query_positions, &config.key_positions})
        for (std::int64_t p : *list) max_position = std::max(max_position, p);
    }
    c.rope = rope_frequencies(*config.rope, max_position);
  }
  check_rope_positions(config, c);
  return c;
}

AttentionPush attention_push(const AttentionCall& call, const AttentionConfig& config) {
  AttentionPush push{};
  push.batch = to_u32(call.q.batch, "attention", "batch");
  push.sq = to_u32(call.q.seq, "attention", "Sq");
  push.skv = to_u32(call.k.seq, "attention", "Skv");
  push.heads = to_u32(call.q.heads, "attention", "heads");
  push.kv_heads = to_u32(call.k.heads, "attention", "kv heads");
  push.scale = static_cast<float>(call.scale);
  push.window = config.window ? to_u32(std::min<std::int64_t>(*config.window, 1 << 30), "attention", "window") : 0u;
  push.softcap = static_cast<float>(config.softcap);
  push.splits = 1;
  push.split_keys = push.skv;
  fill_strides(push.q, call.q, "attention");
  fill_strides(push.k, call.k, "attention");
  fill_strides(push.v, call.v, "attention");
  fill_strides(push.o, call.out, "attention");
  return push;
}

namespace {

// llvmpipe ends any loop once an invocation has run 65,535 loop iterations in all (its
// guard against endless loops), with wrong output and no error: the plans cap the keys of
// one pass there.
bool has_loop_guard(const DeviceInfo& info) { return info.name.find("llvmpipe") != std::string::npos; }

// The decode kernel's shape for this call on this device, or nothing when it cannot take it
// (the requirements in attention_variants.hpp).
std::optional<FlashShape> decode_shape(const DeviceInfo& info, const FlashRequest& request) {
  constexpr std::int64_t kMaxQueries = 8, kMaxRows = 16;  // q and acc of every row stay in registers
  constexpr std::uint32_t kTeamKeys = 4;                   // keys a team takes per step
  constexpr std::uint64_t kSharedBudget = 24576;           // the q tile and the teams' merge tile
  constexpr std::uint32_t kMaxVec4PerLane = 4;
  const std::int64_t head_dim = request.head_dim, sq = request.sq, group = request.group;
  if (sq > kMaxQueries || sq * group > kMaxRows) return std::nullopt;
  // Keys rotated on read (the team kernel's job) and K/V views the kernel cannot read as
  // vec4s (offsets or strides not multiples of 4 elements) go to the team kernel.
  if (request.rope_keys || !request.kv_vec4_aligned) return std::nullopt;
  if (!info.has_subgroup(subgroup_ops::basic | subgroup_ops::shuffle)) return std::nullopt;
  // A team covers the head dim in vec4s, `quads / team` per lane: a power of two dividing
  // head_dim / 4 within the smallest subgroup the device may run. Registers decide among
  // those: a lane holds q and acc of every row and K and V of the step's 4 keys, 2 * vec *
  // (rows + 4) vec4s, kept near 40 (160 floats, under the 255 registers of NVIDIA and AMD
  // wave64 lanes with room for the rest) by the smallest team that fits, while fewer lanes
  // per team mean fewer shuffles per key. A slice of more than 4 vec4s is refused: such a
  // team (head_dim 72 on a 4- or 8-lane subgroup: 2 lanes of 9 vec4s) also took llvmpipe
  // minutes to compile.
  const auto quads = static_cast<std::uint32_t>(head_dim / 4);
  const auto rows = static_cast<std::uint64_t>(sq * group);
  std::uint32_t team = 1;
  while (team * 2 <= info.min_subgroup_size && quads % (team * 2) == 0) team *= 2;  // the largest
  while (team > 2 && quads % (team / 2) == 0 && 2ull * (quads / (team / 2)) * (rows + kTeamKeys) <= 40) team /= 2;
  if (team < 2 || quads / team > kMaxVec4PerLane) return std::nullopt;
  // About 128 invocations, a multiple of the largest subgroup (so subgroups are full and
  // teams never straddle them), fewer where the merge tile would outgrow its budget.
  const std::uint32_t subgroup = std::max({info.max_subgroup_size, info.subgroup_size, team});
  const std::uint32_t limit = std::min(info.max_workgroup_invocations, info.max_workgroup_size[0]);
  const auto merge_bytes = [&](std::uint32_t wg) {
    const auto dim = static_cast<std::uint64_t>(head_dim);
    return ((wg / team) * (dim + 2) + dim) * rows * 4;  // merge tile + q tile
  };
  const std::uint64_t shared_budget = std::min<std::uint64_t>(kSharedBudget, info.shared_memory_bytes);
  std::uint32_t wg = std::max(subgroup, 128u / subgroup * subgroup);
  while (wg > subgroup && (merge_bytes(wg) > shared_budget || wg > limit)) wg -= subgroup;
  if (wg > limit || merge_bytes(wg) > shared_budget) return std::nullopt;
  FlashShape f;
  f.variant = FlashVariant::Decode;
  f.team = team;
  f.slice = static_cast<std::uint32_t>(head_dim) / team;
  f.workgroup = wg;
  f.key_tile = kTeamKeys * (wg / team);
  f.decode_rows = static_cast<std::uint32_t>(rows);
  f.shared_bytes = merge_bytes(wg);
  // llvmpipe's loop guard (see flash_shape): a step is one counted iteration of the key
  // loop (the loops inside are unrolled); allow a second for safety.
  if (has_loop_guard(info)) f.max_keys_per_pass = 60000 / 2 * f.key_tile;
  return f;
}

// The cooperative-matrix kernel's shape for this call on this device, or nothing when it
// cannot take it (the requirements in attention_variants.hpp).
std::optional<FlashShape> coopmat_shape(const DeviceInfo& info, const FlashRequest& request) {
  if (!has_cooperative_matrix_kernel() || !info.float16 || request.rope_keys || !request.kv_f16 || !request.q_f16)
    return std::nullopt;
  if (!info.has_subgroup(subgroup_ops::basic)) return std::nullopt;
  const auto dim = static_cast<std::uint64_t>(request.head_dim);
  // The device's KHR f16 x f16 + f32 -> f32 subgroup shapes whose N and K divide head_dim;
  // the largest product M N K (most work per matrix instruction).
  const CooperativeMatrixShape* best = nullptr;
  for (const CooperativeMatrixShape& s : info.cooperative_matrix) {
    if (s.extension != "KHR" || s.a != "f16" || s.b != "f16" || s.c != "f32" || s.result != "f32") continue;
    if (s.m == 0 || s.n == 0 || s.k == 0 || dim % s.n != 0 || dim % s.k != 0) continue;
    if (!best || std::uint64_t{s.m} * s.n * s.k > std::uint64_t{best->m} * best->n * best->k) best = &s;
  }
  if (!best) return std::nullopt;
  // A key tile is a whole number of N columns (S) and K rows (P V): the smallest common
  // multiple, doubled up to 64 keys while the tiles fit.
  const std::uint32_t step = std::lcm(best->n, best->k);
  const std::uint32_t largest = std::max({info.max_subgroup_size, info.subgroup_size, 1u});
  const std::uint32_t limit = std::min(info.max_workgroup_invocations, info.max_workgroup_size[0]);
  // Shared bytes: q, K and V tiles of f16 rows padded by 8 halves, S (f32) and P (f16) rows
  // padded by 4 floats and 8 halves, three floats of row state.
  const auto shared_bytes = [&](std::uint64_t rows, std::uint64_t keys) {
    return rows * (dim + 8) * 2 + 2 * keys * (dim + 8) * 2 + rows * (keys + 4) * 4 + rows * (keys + 8) * 2 + rows * 12;
  };
  // Within 48 KiB: what NVIDIA gives a workgroup without opting in, and a half to a quarter
  // of an AMD or Intel compute unit's, so several workgroups stay resident.
  const std::uint64_t budget = std::min<std::uint64_t>(info.shared_memory_bytes, 49152);
  for (std::uint32_t blocks : {4u, 2u, 1u}) {  // subgroups of M rows; 128-256 invocations on 32-64 lanes
    if (blocks * largest > limit) continue;
    std::uint32_t keys = step;
    while (keys * 2 <= 64 && shared_bytes(std::uint64_t{blocks} * best->m, keys * 2) <= budget) keys *= 2;
    if (shared_bytes(std::uint64_t{blocks} * best->m, keys) > budget) continue;
    FlashShape f;
    f.variant = FlashVariant::CoopMat;
    f.cm_m = best->m;
    f.cm_n = best->n;
    f.cm_k = best->k;
    f.row_blocks = blocks;
    f.workgroup = blocks * largest;
    f.key_tile = keys;
    f.shared_bytes = shared_bytes(std::uint64_t{blocks} * best->m, keys);
    // llvmpipe's loop guard: count a tile's loop iterations for one lane (the copy, S's
    // column blocks, the lane's two passes over its rows' keys, the rescale and P V).
    if (has_loop_guard(info)) {
      const std::uint64_t lanes = std::max(1u, info.min_subgroup_size), m = f.cm_m, n = f.cm_n;
      const std::uint64_t row_passes = (m + lanes - 1) / lanes, blocks_n = dim / n;
      const std::uint64_t per_tile = 4 + (keys * dim / 4 + f.workgroup - 1) / f.workgroup + keys / n +
                                     2 * keys * row_passes + blocks_n * ((m * n + lanes - 1) / lanes + 1) +
                                     blocks_n * (keys / f.cm_k);
      f.max_keys_per_pass = static_cast<std::int64_t>(60000 / per_tile * keys);
    }
    return f;
  }
  return std::nullopt;
}

}  // namespace

FlashRequest flash_request(const AttentionCall& call, const AttentionConfig& config, bool rotate_keys) {
  FlashRequest r;
  r.head_dim = call.q.dim;
  r.sq = call.q.seq;
  r.skv = call.k.seq;
  r.group = call.group;
  r.rope_keys = config.rope.has_value() && rotate_keys;
  r.rope_half = config.rope ? config.rope->effective_rotary_dim() / 2 : 1;
  r.kv_vec4_aligned = is_vec4_aligned(call.k) && is_vec4_aligned(call.v);
  r.kv_f16 = call.kv_f16;
  r.kv_formats = call.kv_formats;
  r.q_f16 = call.q_f16;
  return r;
}

FlashShape flash_shape(const DeviceInfo& info, const FlashRequest& request) {
  const std::int64_t head_dim = request.head_dim, rows = request.sq * request.group;
  const bool rope_keys = request.rope_keys;
  const std::int64_t rope_half = request.rope_half;
  const std::optional<FlashVariant> forced = forced_flash_variant();
  const bool cpu = info.type == DeviceType::Cpu;
  if (forced == FlashVariant::Decode || (!forced && !cpu)) {
    if (const std::optional<FlashShape> decode = decode_shape(info, request)) return *decode;
  }
  if (forced == FlashVariant::CoopMat || (!forced && !cpu && request.sq > 8)) {
    if (const std::optional<FlashShape> coopmat = coopmat_shape(info, request)) return *coopmat;
  }
  FlashShape f;
  const bool own_kernel = forced == FlashVariant::Team || (forced && is_rows(*forced));
  f.variant = own_kernel ? *forced : cpu ? FlashVariant::Rows : FlashVariant::Team;
  // The rows kernel reads K and V through texel buffers where the call allows it (forced,
  // or by default on a CPU driver with large texel buffers), else through storage buffers.
  const bool texel_by_default = !forced && cpu && info.max_texel_buffer_elements >= kLargeTexelBuffers;
  if (is_rows(f.variant) && (forced == FlashVariant::RowsTexel || texel_by_default))
    f.variant = request.kv_vec4_aligned && request.kv_texel_viewable ? FlashVariant::RowsTexel : FlashVariant::Rows;
  const auto dim = static_cast<std::uint64_t>(head_dim);
  const std::uint32_t limit = std::min({64u, info.max_workgroup_invocations, info.max_workgroup_size[0]});
  if (is_rows(f.variant)) {
    f.slice = static_cast<std::uint32_t>(head_dim);
    f.team = 1;
    // CPU drivers run a workgroup as SIMD batches of 8 lanes (lavapipe at 256 bits) and run
    // every batch through the whole kernel, masked lanes included: a decode workgroup of 64
    // invocations with one query row would do 64 rows' work for one. Size it to the rows.
    // A lane takes kLaneRows rows (decode too: the H / Hkv rows of a GQA group), so each K/V
    // load serves that many rows. Measured on lavapipe (Sq 64, Skv 1024, H 8, D 64/128):
    // 1 row 0.27 GFLOP/s, 2 rows 1.4-1.6, 4 rows 2.4-3.1 but 20-90 s to compile each
    // pipeline (llvmpipe spends it on the larger private arrays), so 2.
    constexpr std::int64_t kLaneRows = 2;
    f.lane_rows = rows >= kLaneRows ? kLaneRows : 1;
    const std::int64_t lanes = (std::max<std::int64_t>(rows, 1) + f.lane_rows - 1) / f.lane_rows;
    const auto wanted = static_cast<std::uint32_t>(
        std::bit_ceil(std::clamp<std::uint64_t>(static_cast<std::uint64_t>(lanes), 1, limit)));
    f.workgroup = std::min(limit, std::max(wanted, 8u));
    // K and V tiles only; at most 16 keys (the kernel unrolls over a tile's keys).
    f.key_tile = static_cast<std::uint32_t>(
        std::bit_floor(std::clamp<std::uint64_t>(info.shared_memory_bytes / (8u * dim), 1, 16)));
    // Lanes left over by fewer rows than the workgroup share the rows' keys instead.
    f.phases = std::min(f.workgroup / std::min(f.workgroup, wanted), f.key_tile);
    // Unrotated keys come straight from k and v, not through shared memory, so a tile of
    // any size fits: 16 keys per lane (8 with two rows, the same unrolled code size) spread
    // the lane's fixed cost per tile (q and the accumulator are dynamically indexed private
    // arrays: gathers and scatters).
    if (!rope_keys) f.key_tile = (f.lane_rows > 1 ? 8 : 16) * f.phases;
    // rows_texel unrolls its head-dim loops (HEAD_DIM_LOOP in flash_attention_rows.comp) for
    // calls over kUnrollKeys keys or more: llvmpipe then takes longer to compile the
    // pipeline (seconds at D128), which a long call, or a decode at such lengths that runs
    // again and again, pays back, and a short call made once does not (the test suite
    // makes hundreds). Not with rotated keys, read from shared memory. P V stays rolled for
    // f16 K and V in prefill: unrolled it measured 0.76-0.86x on lavapipe (S512, S2048),
    // where f16 decode and f32 gain from it.
    constexpr std::int64_t kUnrollKeys = 512;
    const bool unroll = f.variant == FlashVariant::RowsTexel && !rope_keys && request.skv >= kUnrollKeys;
    f.unroll_logits = unroll;
    f.unroll_values = unroll && !(request.kv_f16 && request.sq > 8);
  } else {
    for (std::uint32_t slice : {32u, 24u, 16u, 8u})
      if (head_dim % slice == 0) {
        f.slice = slice;
        break;
      }
    f.team = static_cast<std::uint32_t>(head_dim) / f.slice;
    // A team serves two rows (a register tile of 2 rows: each K and V vec4 read from shared
    // memory feeds both; q and acc of both stay near 2 x 2 x 32 floats a lane), in
    // workgroups of 128 invocations where the tiles still hold 16 keys, else 64. With one
    // shared-memory budget more teams mean fewer keys per tile (the partial dots grow with
    // the rows); under 8 keys a tile the second row is dropped.
    // Per key: K and V in their storage type (f16 keys rotated in the tile stay f32) and
    // the partial dots, (team + 1) words per row.
    const std::uint64_t k_bytes = request.kv_f16 && !rope_keys ? 2 : 4, v_bytes = request.kv_f16 ? 2 : 4;
    // (The kernel also declares one-element placeholders for the tile arrays its build does
    // not use: 32 bytes at most, kept out of the budget.)
    const std::uint64_t budget = info.shared_memory_bytes > 32 ? info.shared_memory_bytes - 32 : 0;
    // A tile is also at most 8 vec4s of K (and of V) per invocation: the registers the
    // kernel stages the next tile in (its double buffering).
    const auto tile_keys = [&](std::uint32_t workgroup, std::uint32_t row_tile) {
      const std::uint64_t per_key = (k_bytes + v_bytes) * dim + 4u * (workgroup / f.team) * row_tile * (f.team + 1);
      const std::uint64_t staged = std::max<std::uint64_t>(1, 8u * workgroup / (dim / 4));
      return std::bit_floor(std::clamp<std::uint64_t>(std::min(budget / per_key, staged), 1, 32));
    };
    const std::uint32_t wide = std::min({128u, info.max_workgroup_invocations, info.max_workgroup_size[0]});
    f.workgroup = std::max(1u, limit / f.team) * f.team;
    f.lane_rows = 2;
    if (const std::uint32_t w = std::max(1u, wide / f.team) * f.team; tile_keys(w, 2) >= 16) f.workgroup = w;
    if (tile_keys(f.workgroup, 2) < 8) f.lane_rows = 1;
    f.key_tile = static_cast<std::uint32_t>(tile_keys(f.workgroup, f.lane_rows));
    f.shared_bytes = f.key_tile * ((k_bytes + v_bytes) * dim +
                                   4u * (f.workgroup / f.team) * f.lane_rows * (f.team + 1));
    // Team sums through subgroup shuffles where teams fit whole subgroups (see
    // flash_attention.comp): a power-of-two team within the smallest subgroup, workgroups
    // of whole largest subgroups, tiles of whole 4-key steps.
    const std::uint32_t largest = std::max(info.max_subgroup_size, info.subgroup_size);
    f.subgroup_sums = info.has_subgroup(subgroup_ops::basic | subgroup_ops::shuffle) && std::has_single_bit(f.team) &&
                      f.team <= info.min_subgroup_size && f.workgroup % largest == 0 && f.key_tile % 4 == 0;
  }
  // llvmpipe's loop guard (has_loop_guard): count the kernel's iterations per tile and keep
  // each pass well under 65,535.
  if (has_loop_guard(info)) {
    const auto ceil_div = [](std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; };
    const std::uint64_t tile = f.key_tile;
    // (The rows variant loads a shared tile only for rotated keys.)
    const bool tile_load = f.variant == FlashVariant::Team || rope_keys;
    std::uint64_t per_tile = 1 + (tile_load ? ceil_div(tile * dim / 4, f.workgroup) : 0) +
                             (rope_keys ? ceil_div(tile * static_cast<std::uint64_t>(rope_half), f.workgroup) : 0);
    per_tile += is_rows(f.variant) ? 2 * (dim / 8)  // dot and update loops, 8 dims each
                                                : 3 * tile;      // partial-dot, tile-max and softmax loops, per key
    f.max_keys_per_pass = static_cast<std::int64_t>(60000 / per_tile * tile);
  }
  return f;
}

KeySplit choose_key_split(const DeviceInfo& info, const AttentionCall& call, const FlashShape& shape,
                          std::int64_t requested) {
  const std::int64_t skv = call.k.seq;
  const std::int64_t key_tile = shape.key_tile;
  const std::int64_t tiles = std::max<std::int64_t>((skv + key_tile - 1) / key_tile, 1);
  std::int64_t splits = requested;
  if (splits == 0) {
    // Workgroups the queries give on their own, and what the device wants to stay busy:
    // a CPU driver runs one workgroup per thread; a GPU wants a few per compute unit.
    const std::int64_t rows = shape.rows_per_workgroup();
    const std::int64_t groups = (call.q.seq * call.group + rows - 1) / rows * call.k.heads * call.q.batch;
    // (compute units x 4 where the device tells its compute units, else 512).
    const std::int64_t wanted = info.type == DeviceType::Cpu ? 8
                                : info.compute_units ? 4 * static_cast<std::int64_t>(info.compute_units)
                                                     : 512;
    splits = groups >= wanted ? 1 : (wanted + groups - 1) / groups;
  }
  splits = std::clamp<std::int64_t>(splits, 1, std::min(kMaxKeySplits, tiles));
  if (shape.max_keys_per_pass > 0)
    splits = std::max(splits, (skv + shape.max_keys_per_pass - 1) / shape.max_keys_per_pass);
  const std::int64_t tiles_per_split = (tiles + splits - 1) / splits;
  KeySplit s;
  s.keys_per_split = static_cast<std::uint32_t>(tiles_per_split * key_tile);
  s.splits = static_cast<std::uint32_t>((tiles + tiles_per_split - 1) / tiles_per_split);
  return s;
}

}  // namespace vkrope::detail
