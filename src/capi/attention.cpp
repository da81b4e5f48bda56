// C API: attention (vkrope.h "Attention").
#include "capi/guard.hpp"
#include "capi/handles.hpp"

namespace vkrope::capi {

AttentionConfig to_attention_config(const vkrope_attention_config* config) {
  const vkrope_attention_config c = read_struct(config, "config", vkrope_attention_config_init);
  AttentionConfig a;
  if (c.has_scale) a.scale = c.scale;
  a.causal = c.causal != 0;
  // 0 is "no window" in C; any other value goes to the C++ check (W >= 1).
  if (c.window != 0) a.window = c.window;
  a.alibi = c.alibi != 0;
  a.softcap = c.softcap;
  a.sinks = array(c.sinks, c.sink_count, "config->sinks");
  if (c.rope) a.rope = c.rope->config;
  a.query_positions = array(c.query_positions, c.query_position_count, "config->query_positions");
  a.key_positions = array(c.key_positions, c.key_position_count, "config->key_positions");
  a.query_rope_positions =
      array(c.query_rope_positions, c.query_rope_position_count, "config->query_rope_positions");
  a.key_rope_positions = array(c.key_rope_positions, c.key_rope_position_count, "config->key_rope_positions");
  a.key_splits = c.key_splits;
  return a;
}

}  // namespace vkrope::capi

using namespace vkrope;
using namespace vkrope::capi;

extern "C" {

void vkrope_attention_config_init(vkrope_attention_config* config) {
  if (!config) return;
  *config = vkrope_attention_config{};
  config->struct_size = sizeof *config;
}

vkrope_status vkrope_attention(vkrope_batch* batch, const vkrope_attention_config* config, const vkrope_tensor* q,
                               const vkrope_tensor* k, const vkrope_tensor* v, vkrope_tensor* out) {
  return guard(__func__, [&] {
    const AttentionConfig c = to_attention_config(config);
    const Tensor& tq = need(q, "q").tensor;
    const Tensor& tk = need(k, "k").tensor;
    const Tensor& tv = need(v, "v").tensor;
    const Tensor& to = need(out, "out").tensor;
    if (batch)
      attention(batch->batch, c, tq, tk, tv, to);
    else
      attention(c, tq, tk, tv, to);
  });
}

vkrope_status vkrope_attention_naive(const vkrope_attention_config* config, const vkrope_tensor* q,
                                     const vkrope_tensor* k, const vkrope_tensor* v, vkrope_tensor* out) {
  return guard(__func__, [&] {
    attention_naive(to_attention_config(config), need(q, "q").tensor, need(k, "k").tensor, need(v, "v").tensor,
                    need(out, "out").tensor);
  });
}

vkrope_status vkrope_alibi_slopes(int64_t heads, double* slopes, size_t count) {
  return guard(__func__, [&] {
    need(slopes, "slopes");
    if (heads < 1) invalid("heads is " + std::to_string(heads) + "; expected >= 1");
    if (count != static_cast<std::size_t>(heads))
      invalid("count is " + std::to_string(count) + "; expected heads = " + std::to_string(heads));
    const std::vector<double> s = alibi_slopes(heads);
    std::copy(s.begin(), s.end(), slopes);
  });
}

}  // extern "C"
