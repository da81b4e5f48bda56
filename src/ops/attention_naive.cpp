// Host side of attention_naive.comp: the cross-checking path that materializes the scores.
// Fused RoPE goes through rope() into temporaries, so this path shares neither the flash
// kernel's tiling nor its in-kernel rotation.
#include <algorithm>

#include "ops/attention_plan.hpp"
#include "ops/dispatch_size.hpp"
#include "ops/kv_formats.hpp"
#include "vkrope/quantize.hpp"
#include "runtime/context_state.hpp"
#include "vkrope/attention.hpp"

namespace vkrope {

namespace {

std::string naive_shader(DType q, DType k, DType v) {
  const std::string kv = detail::needs_kv_formats(k, v) ? "any" : std::string(to_string(k));
  return "naive_q" + std::string(to_string(q)) + "_kv" + kv;
}

std::vector<std::int64_t> iota_from(std::int64_t first, std::int64_t count) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) v[static_cast<std::size_t>(i)] = first + i;
  return v;
}

}  // namespace

void attention_naive(const AttentionConfig& config, const Tensor& q, const Tensor& k, const Tensor& v,
                     const Tensor& out) {
  const detail::AttentionCall call = detail::prepare_attention(config, q, k, v, out);
  const std::int64_t scores = call.q.batch * call.q.heads * call.q.seq * call.k.seq;
  if (scores > kMaxNaiveScores || call.k.seq > kMaxNaiveKeys)
    throw Error(ErrorKind::InvalidArgument, "attention_naive: " + std::to_string(scores) + " scores over " +
                                                std::to_string(call.k.seq) + " keys; the naive path takes at most " +
                                                std::to_string(kMaxNaiveScores) + " scores and " +
                                                std::to_string(kMaxNaiveKeys) + " keys");
  const std::vector<std::int64_t> qpos =
      call.explicit_positions ? config.query_positions : iota_from(call.k.seq - call.q.seq, call.q.seq);
  const std::vector<std::int64_t> kpos = call.explicit_positions ? config.key_positions : iota_from(0, call.k.seq);

  const Context& context = q.context();
  Batch batch(context);
  detail::BatchState& state = batch.state();
  const DeviceInfo& info = state.ctx.effective;
  std::optional<Tensor> q_rot, k_rot;
  // Rotation positions: the masks' ones in every stream, or the explicit position streams.
  const auto streams_of = [&](const std::vector<std::int64_t>& p, const std::vector<std::int64_t>& given) {
    if (!given.empty()) return given;
    std::vector<std::int64_t> all;
    for (std::int64_t s = 0; config.rope && s < config.rope->position_streams(); ++s) all.insert(all.end(), p.begin(), p.end());
    return all;
  };
  const std::vector<std::int64_t> q_rope = streams_of(qpos, config.query_rope_positions);
  const std::vector<std::int64_t> k_rope = streams_of(kpos, config.key_rope_positions);
  if (config.rope) {  // rotated copies, by the RoPE op (its frequencies: each list's own largest position)
    q_rot = Tensor::empty(context, q.dtype(), q.shape());
    rope(batch, *config.rope, {q, *q_rot, {}, {}}, {q_rope, 0});
    if (k.dtype() == DType::f32 || k.dtype() == DType::f16) {
      k_rot = Tensor::empty(context, k.dtype(), k.shape());
      rope(batch, *config.rope, {k, *k_rot, {}, {}}, {k_rope, 0});
    } else {  // RoPE takes f32 / f16: the stored keys' values first (exactly what a kernel reads)
      if (!k.is_contiguous())
        throw Error(ErrorKind::InvalidArgument, "attention_naive: fused RoPE over a strided " +
                                                    std::string(to_string(k.dtype())) + " k; expected a contiguous one");
      const Tensor k_values = Tensor::empty(context, DType::f32, k.shape());
      dequantize(batch, k, k_values);
      k_rot = Tensor::empty(context, DType::f32, k.shape());
      rope(batch, *config.rope, {k_values, *k_rot, {}, {}}, {k_rope, 0});
    }
  }
  const Tensor& qq = q_rot ? *q_rot : q;
  const Tensor& kk = k_rot ? *k_rot : k;
  detail::AttentionCall rotated = call;
  if (config.rope) {  // the temporaries are contiguous
    rotated.q = detail::layout4(qq, "attention_naive", "q");
    rotated.k = detail::layout4(kk, "attention_naive", "k");
  }
  const detail::AttentionPush push = detail::attention_push(rotated, config);

  std::vector<std::int32_t> positions;
  for (const auto* list : {&qpos, &kpos})
    for (std::int64_t p : *list) positions.push_back(static_cast<std::int32_t>(p));
  const detail::Binding none = detail::placeholder_buffer(state);
  const detail::Binding pos = detail::side_buffer(state, positions);
  const detail::Binding sinks = config.sinks.empty() ? none : detail::side_buffer(state, config.sinks);
  const detail::Binding slopes = config.alibi ? detail::alibi_buffer(state, call.q.heads) : none;
  const detail::Binding score_out = state.scratch(static_cast<std::uint64_t>(scores) * 4);
  detail::Binding score_in = score_out;
  score_in.writes = false;

  const std::uint32_t wg = detail::default_workgroup_size(info);
  const auto groups = [&](std::int64_t items) {
    // One item per invocation where the grid allows (the output pass loops over the keys).
    return static_cast<std::uint32_t>(
        std::clamp<std::int64_t>((items + wg - 1) / wg, 1, info.max_workgroup_count[0]));
  };
  const std::string label = "attention_naive " + shape_to_string(q.shape());
  for (std::uint32_t pass : {0u, 1u}) {
    std::vector<std::uint32_t> constants(24, 0u);
    constants[0] = wg;
    constants[1] = static_cast<std::uint32_t>(call.q.dim);
    constants[3] = config.causal;
    constants[4] = config.window.has_value();
    constants[5] = config.alibi;
    constants[6] = config.softcap > 0.0;
    constants[7] = !config.sinks.empty();
    constants[15] = pass;
    constants[detail::kKFormatConstant] = detail::format_code(kk.dtype());
    constants[detail::kVFormatConstant] = detail::format_code(v.dtype());
    const detail::ComputePipeline& pipeline =
        state.ctx.pipelines->get({naive_shader(q.dtype(), kk.dtype(), v.dtype()), 8, sizeof(push), constants});
    const detail::Binding bindings[] = {detail::reads(qq), detail::reads(kk),     detail::reads(v),
                                        pass == 1 ? detail::writes(out) : none,   pos,
                                        sinks,     slopes,   pass == 0 ? score_out : score_in};
    const std::int64_t items = pass == 0 ? scores : call.q.batch * call.q.seq * call.q.heads * (call.q.dim / 2);
    state.dispatch(pipeline, bindings, &push, {groups(items), 1, 1}, label + (pass == 0 ? " scores" : " output"));
  }
  batch.submit();
}

}  // namespace vkrope
