// C API: RoPE configurations and the rope op (vkrope.h "RoPE").
#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "vkrope/gguf.hpp"

namespace vkrope::capi {

RopePositions to_positions(const std::int64_t* values, std::size_t count, std::int64_t offset) {
  return RopePositions{array(values, count, "positions"), offset};
}

namespace {

void apply(const vkrope_rope_params& p, RopeConfig& c) {
  c.head_dim = p.head_dim;
  c.rotary_dim = p.rotary_dim;
  c.layout = enum_value<RopeLayout>(p.layout, VKROPE_ROPE_INTERLEAVED, "params->layout");
  c.theta = p.theta;
  c.max_position_embeddings = p.max_position_embeddings;
  RopeScaling& s = c.scaling;
  s.type = enum_value<RopeScalingType>(p.scaling_type, VKROPE_ROPE_SCALING_LONGROPE, "params->scaling_type");
  s.factor = p.factor;
  s.original_max_position_embeddings =
      p.has_original_max_position_embeddings ? std::optional(p.original_max_position_embeddings) : std::nullopt;
  s.beta_fast = p.beta_fast;
  s.beta_slow = p.beta_slow;
  s.mscale = p.has_mscale ? std::optional(p.mscale) : std::nullopt;
  s.mscale_all_dim = p.has_mscale_all_dim ? std::optional(p.mscale_all_dim) : std::nullopt;
  s.truncate = p.truncate != 0;
  s.attention_factor = p.has_attention_factor ? std::optional(p.attention_factor) : std::nullopt;
  s.low_freq_factor = p.low_freq_factor;
  s.high_freq_factor = p.high_freq_factor;
  c.mrope_interleaved = p.mrope_interleaved != 0;
  c.vision = enum_value<RopeVision>(p.vision, VKROPE_ROPE_VISION_PIXTRAL, "params->vision");
}

vkrope_rope_params params_of(const RopeConfig& c) {
  vkrope_rope_params p;
  vkrope_rope_params_init(&p);
  p.head_dim = c.head_dim;
  p.rotary_dim = c.rotary_dim;
  p.layout = static_cast<vkrope_rope_layout>(c.layout);
  p.theta = c.theta;
  p.max_position_embeddings = c.max_position_embeddings;
  const RopeScaling& s = c.scaling;
  p.scaling_type = static_cast<vkrope_rope_scaling_type>(s.type);
  p.factor = s.factor;
  p.has_original_max_position_embeddings = s.original_max_position_embeddings.has_value();
  p.original_max_position_embeddings = s.original_max_position_embeddings.value_or(0);
  p.beta_fast = s.beta_fast;
  p.beta_slow = s.beta_slow;
  p.has_mscale = s.mscale.has_value();
  p.mscale = s.mscale.value_or(0.0);
  p.has_mscale_all_dim = s.mscale_all_dim.has_value();
  p.mscale_all_dim = s.mscale_all_dim.value_or(0.0);
  p.truncate = s.truncate;
  p.has_attention_factor = s.attention_factor.has_value();
  p.attention_factor = s.attention_factor.value_or(0.0);
  p.low_freq_factor = s.low_freq_factor;
  p.high_freq_factor = s.high_freq_factor;
  p.mrope_interleaved = c.mrope_interleaved;
  p.vision = static_cast<vkrope_rope_vision>(c.vision);
  return p;
}

// One of the config's tables; Config is RopeConfig or const RopeConfig.
template <class Config>
auto& table_of(Config& c, vkrope_rope_table table) {
  switch (enum_value<vkrope_rope_table>(table, VKROPE_ROPE_FREQ_FACTORS, "table")) {
    case VKROPE_ROPE_SHORT_FACTOR: return c.scaling.short_factor;
    case VKROPE_ROPE_LONG_FACTOR: return c.scaling.long_factor;
    case VKROPE_ROPE_FREQ_FACTORS:
    case VKROPE_ROPE_TABLE_MAX_ENUM: break;  // not a table; enum_value refused it above
  }
  return c.freq_factors;
}

// Copies up to *count values out; *count := how many there are (the Vulkan idiom).
template <class T>
void copy_out(const std::vector<T>& from, T* values, std::size_t* count) {
  std::size_t& n = need(count, "count");
  if (values) std::copy_n(from.begin(), std::min(n, from.size()), values);
  n = from.size();
}

HfConfigPart to_part(vkrope_hf_part part) {
  return enum_value<HfConfigPart>(part, VKROPE_HF_VISION, "part");
}

}  // namespace
}  // namespace vkrope::capi

using namespace vkrope;
using namespace vkrope::capi;

extern "C" {

void vkrope_rope_params_init(vkrope_rope_params* params) {
  if (!params) return;
  *params = vkrope_rope_params{};
  params->struct_size = sizeof *params;
  // RopeConfig's own defaults, so the two cannot drift apart.
  const RopeConfig defaults;
  params->theta = defaults.theta;
  params->factor = defaults.scaling.factor;
  params->beta_fast = defaults.scaling.beta_fast;
  params->beta_slow = defaults.scaling.beta_slow;
  params->truncate = defaults.scaling.truncate;
  params->low_freq_factor = defaults.scaling.low_freq_factor;
  params->high_freq_factor = defaults.scaling.high_freq_factor;
}

void vkrope_gguf_info_init(vkrope_gguf_info* info) {
  if (!info) return;
  *info = vkrope_gguf_info{};
  info->struct_size = sizeof *info;
}

void vkrope_rope_args_init(vkrope_rope_args* args) {
  if (!args) return;
  *args = vkrope_rope_args{};
  args->struct_size = sizeof *args;
}

vkrope_status vkrope_rope_config_create(const vkrope_rope_params* params, vkrope_rope_config** out) {
  return guard(__func__, [&] {
    vkrope_rope_config*& result = out_handle(out);
    RopeConfig config;
    apply(read_struct(params, "params", vkrope_rope_params_init), config);
    result = new vkrope_rope_config{std::move(config)};
  });
}

vkrope_status vkrope_rope_config_from_hf_file(const char* path, vkrope_hf_part part, vkrope_rope_config** out) {
  return guard(__func__, [&] {
    vkrope_rope_config*& result = out_handle(out);
    result = new vkrope_rope_config{RopeConfig::from_hf_config_file(&need(path, "path"), to_part(part))};
  });
}

vkrope_status vkrope_rope_config_from_hf_json(const char* json_text, vkrope_hf_part part, vkrope_rope_config** out) {
  return guard(__func__, [&] {
    vkrope_rope_config*& result = out_handle(out);
    // Parsed without exceptions: a syntax error is the caller's, not an internal one.
    const nlohmann::json json = nlohmann::json::parse(&need(json_text, "json_text"), nullptr, false);
    if (json.is_discarded()) invalid("json_text is not valid JSON");
    result = new vkrope_rope_config{RopeConfig::from_hf_config(json, to_part(part))};
  });
}

vkrope_status vkrope_rope_config_from_gguf(const char* path, vkrope_gguf_info* info, vkrope_rope_config** out) {
  return guard(__func__, [&] {
    vkrope_rope_config*& result = out_handle(out);
    GgufModel model = read_gguf_model(&need(path, "path"));
    if (info) {
      vkrope_gguf_info c;
      vkrope_gguf_info_init(&c);
      const std::size_t n = std::min(model.architecture.size(), sizeof c.architecture - 1);
      std::memcpy(c.architecture, model.architecture.data(), n);
      c.heads = model.heads;
      c.kv_heads = model.kv_heads;
      c.head_dim = model.head_dim;
      c.context_length = model.context_length;
      c.sliding_window = model.sliding_window;
      write_struct(info, c, "info");
    }
    result = new vkrope_rope_config{std::move(model.rope)};
  });
}

void vkrope_rope_config_destroy(vkrope_rope_config* config) { delete config; }

vkrope_status vkrope_rope_config_get_params(const vkrope_rope_config* config, vkrope_rope_params* params) {
  return guard(__func__, [&] { write_struct(params, params_of(need(config, "config").config), "params"); });
}

vkrope_status vkrope_rope_config_set_params(vkrope_rope_config* config, const vkrope_rope_params* params) {
  return guard(__func__, [&] {
    RopeConfig& c = need(config, "config").config;
    RopeConfig changed = c;  // all or nothing: a bad enum leaves the config as it was
    apply(read_struct(&need(params, "params"), "params", vkrope_rope_params_init), changed);
    c = std::move(changed);
  });
}

vkrope_status vkrope_rope_config_set_table(vkrope_rope_config* config, vkrope_rope_table table, const double* values,
                                           size_t count) {
  return guard(__func__, [&] {
    RopeConfig& c = need(config, "config").config;
    std::vector<double> v = array(values, count, "values");
    table_of(c, table) = std::move(v);
  });
}

vkrope_status vkrope_rope_config_get_table(const vkrope_rope_config* config, vkrope_rope_table table, double* values,
                                           size_t* count) {
  return guard(__func__, [&] {
    copy_out(table_of(need(config, "config").config, table), values, count);
  });
}

vkrope_status vkrope_rope_config_set_mrope_section(vkrope_rope_config* config, const int64_t* section, size_t count) {
  return guard(__func__, [&] {
    RopeConfig& c = need(config, "config").config;
    if (count != 0 && count != 3) invalid("mrope section of " + std::to_string(count) + " counts; expected 3 (t, h, w) or 0");
    c.mrope_section = array(section, count, "section");
  });
}

vkrope_status vkrope_rope_config_get_mrope_section(const vkrope_rope_config* config, int64_t* section, size_t* count) {
  return guard(__func__, [&] { copy_out(need(config, "config").config.mrope_section, section, count); });
}

vkrope_status vkrope_rope_config_validate(const vkrope_rope_config* config) {
  return guard(__func__, [&] { need(config, "config").config.validate(); });
}

vkrope_status vkrope_rope_config_position_streams(const vkrope_rope_config* config, int64_t* streams) {
  return guard(__func__, [&] {
    int64_t& result = need(streams, "streams");
    result = need(config, "config").config.position_streams();
  });
}

vkrope_status vkrope_rope(vkrope_batch* batch, const vkrope_rope_config* config, const vkrope_rope_args* args) {
  return guard(__func__, [&] {
    const RopeConfig& c = need(config, "config").config;
    const vkrope_rope_args a = read_struct(&need(args, "args"), "args", vkrope_rope_args_init);
    const auto optional = [](const vkrope_tensor* t) { return t ? std::optional(t->tensor) : std::nullopt; };
    const RopeTensors tensors{need(a.q, "args->q").tensor, optional(a.q_out), optional(a.k), optional(a.k_out)};
    const RopePositions positions = to_positions(a.positions, a.position_count, a.position_offset);
    if (batch)
      rope(batch->batch, c, tensors, positions, a.inverse != 0);
    else
      rope(c, tensors, positions, a.inverse != 0);
  });
}

}  // extern "C"
