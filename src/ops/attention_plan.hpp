// What an attention call resolves to once its arguments are checked: shapes, positions,
// RoPE frequencies, and how the work is cut (key tile, split-KV). Shared by the dispatch
// (attention.cpp), checked mode (attention_check.cpp) and the KvCache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ops/attention_variants.hpp"
#include "ops/side_inputs.hpp"
#include "ops/tensor_layout.hpp"
#include "runtime/batch_state.hpp"
#include "runtime/memory.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/device_info.hpp"

namespace vkrope::detail {

struct AttentionCall {
  Layout4 q, k, v, out;
  std::int64_t group = 1;  // query heads per kv head
  bool kv_f16 = false;     // k and v stored as f16
  bool kv_formats = false; // k and v read by a KV_FORMATS build (kv_formats.hpp)
  bool sequence_tables = false;  // a ragged or paged batch (RAGGED / KEY_ROWS tables)
  DType k_dtype = DType::f32, v_dtype = DType::f32;
  bool q_f16 = false;      // q and out stored as f16
  double scale = 1.0;
  bool explicit_positions = false;
  std::optional<RopeFrequencies> rope;  // frequencies at the largest position of the call
};

// Validates config and tensors; throws InvalidArgument naming what is wrong and what was
// expected.
AttentionCall prepare_attention(const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
                                const Tensor& out);

// How one flash dispatch is shaped on a device (the variant from attention_variants.hpp):
//  - team (flash_attention.comp): each query row is served by a team of head_dim / slice
//    invocations, rows * team invocations per workgroup, K and V streaming through shared
//    memory key_tile keys at a time;
//  - rows (flash_attention_rows.comp): an invocation per lane_rows rows, lanes sharing rows
//    in phases when rows are few;
//  - decode (flash_decode.comp): one workgroup per (batch, kv head, key range) serving all
//    decode_rows = Sq * H / Hkv rows; teams of `team` subgroup lanes each take key_tile /
//    (workgroup / team) keys per step;
//  - coopmat (flash_attention_coopmat.comp): row_blocks subgroups each taking cm_m query
//    rows, multiplying cm_m x cm_k by cm_k x cm_n f16 tiles; key_tile keys per tile.
struct FlashShape {
  FlashVariant variant = FlashVariant::Team;
  std::uint32_t slice = 32;     // head dims per invocation (team, decode)
  std::uint32_t team = 1;       // invocations per row (team) or per key (decode)
  std::uint32_t workgroup = 64; // invocations
  std::uint32_t key_tile = 16;  // keys per tile (team, rows); decode: keys per workgroup step
  std::int64_t max_keys_per_pass = 0;  // keys one workgroup may cover (0: no limit)
  std::uint32_t phases = 1;     // Rows: lanes sharing a row, each taking every phases-th key
  std::uint32_t lane_rows = 1;  // Rows: query rows per lane
  bool unroll_logits = false;   // RowsTexel: the logit loop over the head dim unrolled
  bool unroll_values = false;   // RowsTexel: the P V loop over the head dim unrolled
  std::uint32_t decode_rows = 0;  // Decode: query rows per workgroup (all of a kv head's)
  std::uint64_t shared_bytes = 0;  // shared memory a workgroup declares (team, decode)
  bool subgroup_sums = false;  // Team: team sums through subgroup shuffles (flash_sg_*)
  std::uint32_t cm_m = 0, cm_n = 0, cm_k = 0;  // CoopMat: the matrix shape
  std::uint32_t row_blocks = 0;                // CoopMat: subgroups of cm_m rows each
  std::uint32_t rows_per_workgroup() const {
    if (variant == FlashVariant::CoopMat) return row_blocks * cm_m;
    return variant == FlashVariant::Decode ? decode_rows : workgroup / team / phases * lane_rows;
  }
};
// What the shape depends on in a call.
struct FlashRequest {
  std::int64_t head_dim = 64;
  std::int64_t sq = 1;            // queries
  std::int64_t skv = 1;           // keys
  std::int64_t group = 1;         // H / Hkv
  bool rope_keys = false;         // fused RoPE rotates the keys as they are read
  bool kv_texel_viewable = false; // k's and v's buffers fit one texel view each (rows_texel)
  std::int64_t rope_half = 1;     // rotary_dim / 2
  bool kv_vec4_aligned = true;    // K and V offsets and strides in multiples of 4 elements
  bool kv_f16 = false;            // K and V stored as f16 (the team kernel's tiles stay f16)
  bool kv_formats = false;        // K and V in a KV_FORMATS build: no coopmat, no texel views
  bool q_f16 = false;             // q (and out) f16
};
FlashRequest flash_request(const AttentionCall& call, const AttentionConfig& config, bool rotate_keys);

// The shape of a call: the forced variant where the call can take it
// (force_flash_variant), else the device's pick (the table in attention_variants.hpp).
// A CPU driver's workgroup shrinks to fit the rows.
FlashShape flash_shape(const DeviceInfo& info, const FlashRequest& request);

// How many key ranges to split the keys into: 1 (one pass) unless the query rows alone
// give the device too few workgroups (decode); `requested` (AttentionConfig::key_splits)
// overrides the choice, except that no range exceeds shape.max_keys_per_pass. The result
// divides the keys into ranges of whole tiles, at most kMaxKeySplits of them (more only when
// max_keys_per_pass demands it).
inline constexpr std::int64_t kMaxKeySplits = 64;
struct KeySplit {
  std::uint32_t splits = 1;
  std::uint32_t keys_per_split = 0;
};
KeySplit choose_key_split(const DeviceInfo& info, const AttentionCall& call, const FlashShape& shape,
                          std::int64_t requested);

// Mirrors AttentionPush in shaders/common/attention_params.glsl.
struct AttentionPush {
  std::uint32_t batch, sq, skv, heads, kv_heads;
  float scale;
  std::uint32_t window;
  float softcap;
  std::uint32_t splits, split_keys;
  std::uint32_t q[4], k[4], v[4], o[4];  // offset, batch, seq, head strides
  std::uint32_t group[3];                 // first workgroup of this dispatch (see for_each_dispatch)
};
static_assert(sizeof(AttentionPush) == 116 && offsetof(AttentionPush, q) == 40 && offsetof(AttentionPush, o) == 88 &&
              offsetof(AttentionPush, group) == 104);

// The push constants of a call, one pass over all keys (splits 1).
AttentionPush attention_push(const AttentionCall& call, const AttentionConfig& config);


// A KV cache's sequences as attention reads them (KvCache: ragged and paged):
//  - lengths[b]: sequence b's keys (<= Skv); its Sq queries are its last Sq tokens
//    (bottom-right aligned per sequence);
//  - rows (paged; empty otherwise): key j of sequence b at row rows[b * L + j] of k and v,
//    L = rows.size() / batch the longest length, k and v then being the page pool viewed as
//    [B, pool rows, Hkv, D] with batch stride 0 (the call is planned for L keys).
struct SequenceTables {
  std::vector<std::int64_t> lengths;
  std::vector<std::int32_t> rows;
};

// Records the attention dispatches. rotate_keys false: with fused RoPE only q is rotated,
// the keys being stored rotated already (KvCache::append). tables: see SequenceTables;
// config's explicit positions must then be unset.
void dispatch_attention(Batch& batch, const AttentionConfig& config, const Tensor& q, const Tensor& k,
                        const Tensor& v, const Tensor& out, bool rotate_keys,
                        const SequenceTables* tables = nullptr);

}  // namespace vkrope::detail
