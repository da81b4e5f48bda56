// RopeConfig: validation, and reading Hugging Face config.json files the way transformers
// does (its RotaryEmbeddingConfigMixin and the model config classes, newest form). Every
// problem is an InvalidArgument naming the JSON field or struct member, the value found and
// what was expected; nlohmann's own exceptions never escape.
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "rope/position_streams.hpp"
#include "vkrope/error.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {

namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::InvalidArgument, message); }

// Shortest text that reads back as the same double ("0.707", "-2", "inf", "nan").
std::string format(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string format(std::int64_t value) { return std::to_string(value); }

bool finite_positive(double value) { return std::isfinite(value) && value > 0.0; }

// The largest head_dim RoPE takes: real models stop at 256 (512 at most); 4096 keeps the
// angle tables (1024 rows of head_dim / 2 pairs, 16 MiB here) within every device's
// storage-buffer range, and a corrupt config.json from asking for terabytes (a fuzzer found
// head_dim 12822222222220).
constexpr std::int64_t kMaxHeadDim = 4096;

void check_head_dim(std::int64_t head_dim) {
  if (head_dim <= 0 || head_dim % 2 != 0 || head_dim > kMaxHeadDim)
    fail("head_dim = " + format(head_dim) + ": expected a positive even number <= " + format(kMaxHeadDim));
}

void require_finite_positive(const std::string& field, double value) {
  if (!finite_positive(value)) fail(field + " = " + format(value) + ": expected a finite number > 0");
}

// ---- validation -----------------------------------------------------------------------

// yarn, llama3 and longrope need the pretraining context length: the scaling's own field,
// or else max_position_embeddings (transformers' fallback).
std::int64_t require_original_length(const RopeConfig& config) {
  const auto& original = config.scaling.original_max_position_embeddings;
  if (original) return *original;
  if (config.max_position_embeddings > 0) return config.max_position_embeddings;
  fail("rope_scaling.original_max_position_embeddings is unset and max_position_embeddings = 0: rope_type '" +
       std::string(to_string(config.scaling.type)) +
       "' needs the pretraining context length from one of them (expected a positive integer)");
}

void validate_pair_table(const std::string& field, const std::vector<double>& table, std::int64_t rotary_dim) {
  const auto expected = static_cast<std::size_t>(rotary_dim / 2);
  if (table.size() != expected) {
    fail(field + " has " + std::to_string(table.size()) + " entries: expected rotary_dim / 2 = " +
         std::to_string(expected) + " (one per rotated pair)");
  }
  for (std::size_t i = 0; i < table.size(); ++i) {
    require_finite_positive(field + "[" + std::to_string(i) + "]", table[i]);
  }
}

void validate_scaling(const RopeConfig& config) {
  const RopeScaling& s = config.scaling;
  if (s.type == RopeScalingType::Default) return;

  // transformers only warns for factor < 1 (every version), and the formulas stay finite
  // for any positive factor, so (0, 1) is accepted too.
  require_finite_positive("rope_scaling.factor", s.factor);
  if (s.original_max_position_embeddings && *s.original_max_position_embeddings <= 0) {
    fail("rope_scaling.original_max_position_embeddings = " + format(*s.original_max_position_embeddings) +
         ": expected a positive integer");
  }
  const bool uses_attention_factor = s.type == RopeScalingType::Yarn || s.type == RopeScalingType::LongRope;
  if (uses_attention_factor && s.attention_factor) {
    require_finite_positive("rope_scaling.attention_factor", *s.attention_factor);
  }

  switch (s.type) {
    case RopeScalingType::Default:
    case RopeScalingType::Linear: break;
    case RopeScalingType::Dynamic:
      if (config.max_position_embeddings <= 0) {
        fail("max_position_embeddings = " + format(config.max_position_embeddings) +
             ": rope_type 'dynamic' needs it as its threshold (expected a positive integer)");
      }
      // The base is raised to dim / (dim - 2); Python raises ZeroDivisionError for dim 2.
      if (config.effective_rotary_dim() < 4) {
        fail("rotary_dim = " + format(config.effective_rotary_dim()) +
             ": rope_type 'dynamic' raises the base to rotary_dim / (rotary_dim - 2) (expected >= 4)");
      }
      break;
    case RopeScalingType::Yarn:
      require_original_length(config);
      require_finite_positive("rope_scaling.beta_fast", s.beta_fast);
      require_finite_positive("rope_scaling.beta_slow", s.beta_slow);
      if (s.mscale && !std::isfinite(*s.mscale)) {
        fail("rope_scaling.mscale = " + format(*s.mscale) + ": expected a finite number");
      }
      if (s.mscale_all_dim && !std::isfinite(*s.mscale_all_dim)) {
        fail("rope_scaling.mscale_all_dim = " + format(*s.mscale_all_dim) + ": expected a finite number");
      }
      break;
    case RopeScalingType::Llama3:
      require_original_length(config);
      require_finite_positive("rope_scaling.low_freq_factor", s.low_freq_factor);
      require_finite_positive("rope_scaling.high_freq_factor", s.high_freq_factor);
      if (!(s.high_freq_factor > s.low_freq_factor)) {
        fail("rope_scaling.high_freq_factor = " + format(s.high_freq_factor) +
             ": expected a number greater than rope_scaling.low_freq_factor = " + format(s.low_freq_factor));
      }
      break;
    case RopeScalingType::LongRope: {
      // The default attention factor divides by ln(original).
      const std::int64_t original = require_original_length(config);
      if (original < 2) {
        fail("rope_scaling.original_max_position_embeddings = " + format(original) +
             ": rope_type 'longrope' divides by its logarithm (expected an integer >= 2)");
      }
      validate_pair_table("rope_scaling.short_factor", s.short_factor, config.effective_rotary_dim());
      validate_pair_table("rope_scaling.long_factor", s.long_factor, config.effective_rotary_dim());
      break;
    }
  }
}

// ---- reading JSON values --------------------------------------------------------------

// A JSON value as it appears in a message. dump() throws on invalid UTF-8 (possible in a
// json built in C++), so such bytes are replaced instead.
std::string describe(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// transformers reads optional fields with dict.get(), so a null counts as absent.
const json* find(const json& object, const std::string& key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string path_of(const std::string& object_name, const std::string& key) {
  return object_name.empty() ? key : object_name + "." + key;
}

std::optional<double> get_number(const json& object, const std::string& object_name, const std::string& key) {
  const json* value = find(object, key);
  if (!value) return std::nullopt;
  if (!value->is_number()) fail(path_of(object_name, key) + " = " + describe(*value) + ": expected a number");
  return value->get<double>();
}

double require_number(const json& object, const std::string& object_name, const std::string& key,
                      std::string_view rope_type) {
  const auto value = get_number(object, object_name, key);
  if (!value) {
    fail(path_of(object_name, key) + " is missing: rope_type '" + std::string(rope_type) + "' requires a number");
  }
  return *value;
}

// Integers written as 4096.0 are accepted; 4096.5 and 1e30 are not.
std::optional<std::int64_t> get_integer(const json& object, const std::string& object_name, const std::string& key) {
  const json* value = find(object, key);
  if (!value) return std::nullopt;
  if (value->is_number_unsigned()) {
    const auto u = value->get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return static_cast<std::int64_t>(u);
  } else if (value->is_number_integer()) {
    return value->get<std::int64_t>();
  } else if (value->is_number_float()) {
    const double d = value->get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  fail(path_of(object_name, key) + " = " + describe(*value) + ": expected an integer");
}

std::optional<bool> get_bool(const json& object, const std::string& object_name, const std::string& key) {
  const json* value = find(object, key);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) fail(path_of(object_name, key) + " = " + describe(*value) + ": expected true or false");
  return value->get<bool>();
}

std::optional<std::string> get_string(const json& object, const std::string& object_name, const std::string& key) {
  const json* value = find(object, key);
  if (!value) return std::nullopt;
  if (!value->is_string()) fail(path_of(object_name, key) + " = " + describe(*value) + ": expected a string");
  return value->get<std::string>();
}

std::vector<double> require_number_list(const json& object, const std::string& object_name, const std::string& key,
                                        std::string_view rope_type) {
  const json* value = find(object, key);
  const std::string path = path_of(object_name, key);
  if (!value) {
    fail(path + " is missing: rope_type '" + std::string(rope_type) + "' requires a list of numbers");
  }
  if (!value->is_array()) fail(path + " = " + describe(*value) + ": expected a list of numbers");
  std::vector<double> numbers;
  numbers.reserve(value->size());
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    if (!item.is_number()) fail(path + "[" + std::to_string(i) + "] = " + describe(item) + ": expected a number");
    numbers.push_back(item.get<double>());
  }
  return numbers;
}

// ---- rope_scaling / rope_parameters ---------------------------------------------------

// What from_hf_config knows that a bare rope_scaling object does not.
struct ScalingContext {
  std::string model_type;
  // max_position_embeddings / original_max_position_embeddings: transformers' value for a
  // yarn factor given as null and a longrope factor left out (the Phi-3 form).
  std::optional<double> derived_factor;
};

RopeScalingType parse_type(const json& object, const std::string& object_name, const ScalingContext& context) {
  // "rope_type" wins over the legacy "type"; neither means the unscaled default.
  std::string key = "rope_type";
  auto name = get_string(object, object_name, key);
  if (!name) {
    key = "type";
    name = get_string(object, object_name, key);
  }
  // "mrope" (Qwen2-VL's first configs) is unscaled RoPE with an mrope_section.
  if (!name || *name == "default" || *name == "mrope") return RopeScalingType::Default;
  if (*name == "linear") return RopeScalingType::Linear;
  if (*name == "dynamic") return RopeScalingType::Dynamic;
  if (*name == "llama3") return RopeScalingType::Llama3;
  // Early Phi-3 long-context configs said "su", and Phi3Config also renames "yarn" for
  // backward compatibility; both mean longrope there.
  if (*name == "longrope" || *name == "su") return RopeScalingType::LongRope;
  if (*name == "yarn") return context.model_type == "phi3" ? RopeScalingType::LongRope : RopeScalingType::Yarn;
  fail(path_of(object_name, key) + " = \"" + *name +
       "\": expected one of default, linear, dynamic, yarn, longrope, llama3 (or mrope)");
}

// The factor, with transformers' rules for when it may be left out.
double parse_factor(const json& object, const std::string& object_name, RopeScalingType type,
                    const ScalingContext& context) {
  const std::string_view type_name = to_string(type);
  const auto factor = get_number(object, object_name, "factor");
  double value = 0.0;
  if (factor) {
    value = *factor;
  } else if (type == RopeScalingType::LongRope) {
    value = context.derived_factor.value_or(1.0);
  } else if (type == RopeScalingType::Yarn && object.contains("factor") && context.derived_factor) {
    value = *context.derived_factor;  // an explicit null: transformers derives it
  } else {
    fail(path_of(object_name, "factor") + " is missing: rope_type '" + std::string(type_name) +
         "' requires a number");
  }
  require_finite_positive(path_of(object_name, "factor"), value);
  return value;
}

RopeScaling parse_scaling(const json& object, const std::string& object_name, const ScalingContext& context) {
  if (!object.is_object()) fail(object_name + " = " + describe(object) + ": expected an object");
  RopeScaling s;
  s.type = parse_type(object, object_name, context);
  if (s.type == RopeScalingType::Default) return s;
  const std::string_view type_name = to_string(s.type);

  s.factor = parse_factor(object, object_name, s.type, context);
  s.original_max_position_embeddings = get_integer(object, object_name, "original_max_position_embeddings");
  if (s.type == RopeScalingType::Yarn || s.type == RopeScalingType::LongRope) {
    s.attention_factor = get_number(object, object_name, "attention_factor");
  }
  switch (s.type) {
    case RopeScalingType::Yarn: {
      // transformers reads `get("beta_fast") or 32`: a zero also takes the default.
      const auto beta_fast = get_number(object, object_name, "beta_fast");
      const auto beta_slow = get_number(object, object_name, "beta_slow");
      if (beta_fast && *beta_fast != 0.0) s.beta_fast = *beta_fast;
      if (beta_slow && *beta_slow != 0.0) s.beta_slow = *beta_slow;
      s.mscale = get_number(object, object_name, "mscale");
      s.mscale_all_dim = get_number(object, object_name, "mscale_all_dim");
      s.truncate = get_bool(object, object_name, "truncate").value_or(true);
      break;
    }
    case RopeScalingType::Llama3:
      // Required by transformers' validation, although Meta's values are 1 and 4.
      s.low_freq_factor = require_number(object, object_name, "low_freq_factor", type_name);
      s.high_freq_factor = require_number(object, object_name, "high_freq_factor", type_name);
      break;
    case RopeScalingType::LongRope:
      s.short_factor = require_number_list(object, object_name, "short_factor", type_name);
      s.long_factor = require_number_list(object, object_name, "long_factor", type_name);
      break;
    default: break;
  }
  return s;
}

// ---- config.json ----------------------------------------------------------------------

// transformers takes rope_scaling when it is a non-empty object, else rope_parameters.
// Returns null when neither is there (unscaled RoPE). Models that mix attention types
// (Gemma 3, ...) may keep one object per layer type: `layer_type` picks one.
const json* find_rope_object(const json& config, const std::string& scope, const std::string& layer_type,
                             std::string& name) {
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    const json* value = find(config, key);
    const std::string path = path_of(scope, key);
    if (!value) continue;
    if (!value->is_object()) fail(path + " = " + describe(*value) + ": expected an object or null");
    if (value->empty()) continue;
    bool nested = true;
    for (const auto& item : value->items()) nested = nested && item.value().is_object();
    if (nested) {
      const json* chosen = find(*value, layer_type);
      if (!chosen) {
        std::string keys;
        for (const auto& item : value->items()) keys += (keys.empty() ? "" : ", ") + item.key();
        fail(path + " holds one object per layer type (" + keys + "): expected one named " + layer_type);
      }
      name = path_of(path, layer_type);
      return chosen;
    }
    name = path;
    return value;
  }
  return nullptr;
}

// head_dim, or width / heads (transformers reads `getattr(config, "head_dim", None) or
// hidden_size // heads`: 0 derives too).
std::int64_t head_dim_of(const json& config, const std::string& scope, const std::string& width_key,
                         const std::string& heads_key) {
  if (const auto head_dim = get_integer(config, scope, "head_dim"); head_dim && *head_dim != 0) return *head_dim;
  const auto width = get_integer(config, scope, width_key);
  const auto heads = get_integer(config, scope, heads_key);
  if (!width || !heads) {
    fail(path_of(scope, "head_dim") + " is missing and so is " + path_of(scope, width ? heads_key : width_key) +
         ": expected head_dim, or " + width_key + " and " + heads_key);
  }
  if (*heads <= 0) fail(path_of(scope, heads_key) + " = " + format(*heads) + ": expected a positive integer");
  if (*width % *heads != 0) {
    fail(path_of(scope, width_key) + " = " + format(*width) + " is not divisible by " + path_of(scope, heads_key) +
         " = " + format(*heads) + ": expected a multiple, so that head_dim = " + width_key + " / " + heads_key +
         " (or give head_dim)");
  }
  return *width / *heads;
}

// What transformers' config class supplies when config.json leaves a field out: published
// files often carry only the fields that differ from the class (Gemma 3's holds no
// head_dim, rope_theta or rope_local_base_freq at all).
struct ModelDefaults {
  std::string_view model_type;
  std::int64_t head_dim;    // 0: derived from the widths
  double theta;
  double local_theta;       // the sliding-window layers' base; 0: the same as theta
};
constexpr ModelDefaults kModelDefaults[] = {
    {"gemma", 256, 10000.0, 0.0},
    {"gemma2", 256, 10000.0, 0.0},
    {"gemma3_text", 256, 1000000.0, 10000.0},
    {"gemma3", 256, 1000000.0, 10000.0},
};
const ModelDefaults* model_defaults(const std::string& model_type) {
  for (const ModelDefaults& d : kModelDefaults)
    if (d.model_type == model_type) return &d;
  return nullptr;
}

// The width RoPE sees: MLA models (DeepSeek-V2/V3) rotate only their qk_rope_head_dim slice,
// and their config classes set head_dim to it; others give head_dim or imply it.
std::int64_t parse_head_dim(const json& config, const std::string& scope, const std::string& model_type) {
  if (const auto rope_head_dim = get_integer(config, scope, "qk_rope_head_dim")) return *rope_head_dim;
  if (const ModelDefaults* d = model_defaults(model_type); d && d->head_dim && !find(config, "head_dim"))
    return d->head_dim;
  // GPT-J and CodeGen spell the widths n_embd and n_head.
  if (find(config, "n_embd") && !find(config, "hidden_size")) return head_dim_of(config, scope, "n_embd", "n_head");
  return head_dim_of(config, scope, "hidden_size", "num_attention_heads");
}

// GPT-NeoX spells partial_rotary_factor "rotary_pct" and defaults it to 0.25.
double parse_partial_rotary_factor(const json& config, const std::string& scope, const json* rope,
                                   const std::string& rope_name, const std::string& model_type) {
  // A top-level value overrides the rope object's (standardize_rope_params).
  std::optional<double> factor = get_number(config, scope, "partial_rotary_factor");
  std::string field = path_of(scope, "partial_rotary_factor");
  if (!factor && rope) {
    factor = get_number(*rope, rope_name, "partial_rotary_factor");
    field = path_of(rope_name, "partial_rotary_factor");
  }
  if (!factor) {
    factor = get_number(config, scope, "rotary_pct");
    field = path_of(scope, "rotary_pct");
  }
  if (!factor) return model_type == "gpt_neox" ? 0.25 : 1.0;
  if (!(*factor > 0.0 && *factor <= 1.0)) fail(field + " = " + format(*factor) + ": expected a number in (0, 1]");
  return *factor;
}

// The rotary pairs' layout. transformers rotates DeepSeek-V2 as complex numbers over adjacent
// elements, and DeepSeek-V3 (rope_interleave, default true) regroups adjacent elements before
// rotate_half; both pair (2i, 2i + 1). Every other model uses rotate_half on (i, i + d/2).
RopeLayout parse_layout(const json& config, const std::string& scope, const std::string& model_type) {
  if (const auto interleave = get_bool(config, scope, "rope_interleave")) {
    return *interleave ? RopeLayout::Interleaved : RopeLayout::Neox;
  }
  if (model_type == "deepseek_v2" || model_type == "deepseek_v3") return RopeLayout::Interleaved;
  // GPT-J and CodeGen rotate adjacent pairs (rotate_every_two).
  if (model_type == "gptj" || model_type == "codegen") return RopeLayout::Interleaved;
  return RopeLayout::Neox;
}

// M-RoPE: mrope_section in the rope object (Qwen2-VL's rope_scaling, Qwen3-VL's
// text_config.rope_scaling), mrope_interleaved there or beside it.
void parse_mrope(const json& config, const std::string& scope, const json* rope, const std::string& rope_name,
                 RopeConfig& out) {
  if (!rope) return;
  const std::string path = path_of(rope_name, "mrope_section");
  if (const json* section = find(*rope, "mrope_section")) {
    if (!section->is_array()) fail(path + " = " + describe(*section) + ": expected a list of three integers");
    for (std::size_t i = 0; i < section->size(); ++i) {
      const json& item = (*section)[i];
      if (!item.is_number_integer() && !item.is_number_unsigned())
        fail(path + "[" + std::to_string(i) + "] = " + describe(item) + ": expected an integer");
      out.mrope_section.push_back(item.get<std::int64_t>());
    }
  }
  auto interleaved = get_bool(*rope, rope_name, "mrope_interleaved");
  if (!interleaved) interleaved = get_bool(config, scope, "mrope_interleaved");
  out.mrope_interleaved = interleaved.value_or(false) && !out.mrope_section.empty();
}

// The vision tower's 2D RoPE (HfConfigPart::Vision). transformers hard-codes theta 10000
// for the Qwen VL towers (VisionRotaryEmbedding) and reads rope_theta for Pixtral; the
// rotation covers the whole head.
RopeConfig parse_vision_tower(const json& config) {
  const json* vision = find(config, "vision_config");
  if (!vision || !vision->is_object())
    fail("vision_config is missing: expected a vision-language model's config.json (its vision tower's settings)");
  const std::string scope = "vision_config";
  const std::string model_type = get_string(config, "", "model_type").value_or("");
  const std::string vision_type = get_string(*vision, scope, "model_type").value_or("");
  RopeConfig out;
  const auto is_one_of = [](const std::string& value, std::initializer_list<const char*> names) {
    for (const char* name : names)
      if (value == name) return true;
    return false;
  };
  if (is_one_of(model_type, {"qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe"}) ||
      is_one_of(vision_type, {"qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe"})) {
    out.vision = RopeVision::Qwen2VL;
    // Qwen2-VL calls the tower's width embed_dim (its hidden_size is the merger's output).
    const bool embed = find(*vision, "embed_dim") != nullptr;
    out.head_dim = head_dim_of(*vision, scope, embed ? "embed_dim" : "hidden_size", "num_heads");
  } else if (vision_type == "pixtral" || is_one_of(model_type, {"pixtral", "mistral3"})) {
    out.vision = RopeVision::Pixtral;
    out.head_dim = head_dim_of(*vision, scope, "hidden_size", "num_attention_heads");
    out.theta = get_number(*vision, scope, "rope_theta").value_or(10000.0);
  } else {
    fail("vision_config.model_type = \"" + vision_type + "\" (model_type \"" + model_type +
         "\"): expected a vision tower with 2D RoPE (Qwen2-VL, Qwen2.5-VL, Qwen3-VL or Pixtral)");
  }
  check_head_dim(out.head_dim);
  return out;
}

}  // namespace

void RopeConfig::validate() const {
  check_head_dim(head_dim);
  if (rotary_dim != 0 && (rotary_dim < 2 || rotary_dim > head_dim || rotary_dim % 2 != 0)) {
    fail("rotary_dim = " + format(rotary_dim) + ": expected 0 (all of head_dim) or an even number in 2..head_dim = " +
         format(head_dim));
  }
  if (!(std::isfinite(theta) && theta > 1.0)) fail("theta = " + format(theta) + ": expected a finite number > 1");
  if (max_position_embeddings < 0) {
    fail("max_position_embeddings = " + format(max_position_embeddings) +
         ": expected a positive integer, or 0 (unset)");
  }
  validate_scaling(*this);
  if (!freq_factors.empty()) validate_pair_table("freq_factors", freq_factors, effective_rotary_dim());
  detail::validate_position_streams(*this);
}

RopeScaling RopeScaling::from_json(const nlohmann::json& rope_scaling) {
  return parse_scaling(rope_scaling, "rope_scaling", ScalingContext{});
}

RopeConfig RopeConfig::from_hf_config(const nlohmann::json& top, HfConfigPart part) {
  if (!top.is_object()) fail(std::string("config: expected a JSON object, got ") + top.type_name());
  if (part == HfConfigPart::Vision) {
    RopeConfig out = parse_vision_tower(top);
    out.validate();
    return out;
  }
  // VLM configs (Qwen2.5-VL in recent transformers, Qwen3-VL, Gemma 3, Llama 4) nest the
  // language model under text_config; transformers then reads it alone.
  const json* nested = find(top, "text_config");
  if (nested && !nested->is_object()) fail("text_config = " + describe(*nested) + ": expected an object");
  const json& config = nested ? *nested : top;
  const std::string scope = nested ? "text_config" : "";
  std::string model_type = get_string(config, scope, "model_type").value_or("");
  if (model_type.empty()) model_type = get_string(top, "", "model_type").value_or("");
  const bool local = part == HfConfigPart::TextLocal;
  std::string rope_name;
  const json* rope = find_rope_object(config, scope, local ? "sliding_attention" : "full_attention", rope_name);
  // Gemma 3's older form: local layers rotate at rope_local_base_freq (its class default
  // when absent), unscaled.
  const ModelDefaults* defaults = model_defaults(model_type);
  // (Plain doubles with a flag here and for theta below: GCC 12 and 14 warn
  // maybe-uninitialized, wrongly, about reassigned std::optional<double>s in this function.)
  bool has_local_theta = false;
  double local_theta = 0.0;
  if (local) {
    if (const auto given = get_number(config, scope, "rope_local_base_freq")) {
      has_local_theta = true;
      local_theta = *given;
    } else if (defaults && defaults->local_theta > 0.0 && !find(config, "rope_parameters")) {
      has_local_theta = true;
      local_theta = defaults->local_theta;
    }
  }
  if (has_local_theta) rope = nullptr;

  RopeConfig out;
  out.layout = parse_layout(config, scope, model_type);
  out.head_dim = parse_head_dim(config, scope, model_type);
  check_head_dim(out.head_dim);  // before rotary_dim, whose message would be less direct
  const double partial = parse_partial_rotary_factor(config, scope, rope, rope_name, model_type);
  // int(head_dim * partial_rotary_factor), truncating as Python's int() does; GPT-J and
  // CodeGen give rotary_dim itself (null: the whole head).
  out.rotary_dim = static_cast<std::int64_t>(static_cast<double>(out.head_dim) * partial);
  if (model_type == "gptj" || model_type == "codegen") {
    out.rotary_dim = get_integer(config, scope, "rotary_dim").value_or(out.head_dim);
  } else if (out.rotary_dim % 2 != 0 || out.rotary_dim < 2) {
    fail("partial_rotary_factor = " + format(partial) + " with head_dim = " + format(out.head_dim) +
         " gives rotary_dim = " + format(out.rotary_dim) + ": expected an even number >= 2");
  }

  // The rope object's rope_theta wins over the top-level one (setdefault in transformers);
  // GPT-NeoX calls it rotary_emb_base.
  out.theta = defaults ? defaults->theta : 10000.0;
  std::string theta_field = "the default rope_theta";
  const auto take_theta = [&](const std::optional<double>& value, std::string field) {
    if (!value) return false;
    out.theta = *value;
    theta_field = std::move(field);
    return true;
  };
  if (has_local_theta) {
    out.theta = local_theta;
    theta_field = path_of(scope, "rope_local_base_freq");
  }
  [[maybe_unused]] const bool found_theta =
      has_local_theta ||
      (rope && take_theta(get_number(*rope, rope_name, "rope_theta"), path_of(rope_name, "rope_theta"))) ||
      take_theta(get_number(config, scope, "rope_theta"), path_of(scope, "rope_theta")) ||
      take_theta(get_number(config, scope, "rotary_emb_base"), path_of(scope, "rotary_emb_base"));
  if (!(std::isfinite(out.theta) && out.theta > 1.0)) {
    fail(theta_field + " = " + format(out.theta) + ": expected a finite number > 1");
  }
  parse_mrope(config, scope, rope, rope_name, out);

  out.max_position_embeddings = get_integer(config, scope, "max_position_embeddings").value_or(0);
  // Phi-3 keeps original_max_position_embeddings at the top level; transformers then gives
  // it priority over the rope object's (standardize_rope_params).
  const auto top_original = get_integer(config, scope, "original_max_position_embeddings");
  if (rope) {
    const auto rope_original = get_integer(*rope, rope_name, "original_max_position_embeddings");
    const std::int64_t original = top_original.value_or(rope_original.value_or(out.max_position_embeddings));
    ScalingContext context{model_type, std::nullopt};
    if (original > 0 && out.max_position_embeddings > 0) {
      context.derived_factor = static_cast<double>(out.max_position_embeddings) / static_cast<double>(original);
    }
    out.scaling = parse_scaling(*rope, rope_name, context);
    if (top_original) out.scaling.original_max_position_embeddings = top_original;
  }
  try {
    out.validate();
  } catch (const Error& e) {
    // validate() names scaling fields as rope_scaling.*; say where they really came from.
    std::string message = e.what();
    const std::string prefix = "rope_scaling.";
    if (rope_name != "rope_scaling") {
      for (auto at = message.find(prefix); at != std::string::npos; at = message.find(prefix, at)) {
        message.replace(at, prefix.size(), rope_name + ".");
        at += rope_name.size() + 1;  // past the name, which may itself contain the prefix
      }
    }
    throw Error(e.kind(), message);
  }
  return out;
}


}  // namespace vkrope
