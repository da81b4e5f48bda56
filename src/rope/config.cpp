// RopeConfig: validation, and reading Hugging Face config.json files the way transformers
// does (its RotaryEmbeddingConfigMixin and the model config classes, newest form). Every
// problem is an InvalidArgument naming the JSON field or struct member, the value found and
// what was expected; nlohmann's own exceptions never escape.
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

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

void validate_longrope_table(const std::string& field, const std::vector<double>& table, std::int64_t rotary_dim) {
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
      validate_longrope_table("rope_scaling.short_factor", s.short_factor, config.effective_rotary_dim());
      validate_longrope_table("rope_scaling.long_factor", s.long_factor, config.effective_rotary_dim());
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
  if (!name || *name == "default") return RopeScalingType::Default;
  if (*name == "linear") return RopeScalingType::Linear;
  if (*name == "dynamic") return RopeScalingType::Dynamic;
  if (*name == "llama3") return RopeScalingType::Llama3;
  // Early Phi-3 long-context configs said "su", and Phi3Config also renames "yarn" for
  // backward compatibility; both mean longrope there.
  if (*name == "longrope" || *name == "su") return RopeScalingType::LongRope;
  if (*name == "yarn") return context.model_type == "phi3" ? RopeScalingType::LongRope : RopeScalingType::Yarn;
  fail(path_of(object_name, key) + " = \"" + *name +
       "\": expected one of default, linear, dynamic, yarn, longrope, llama3");
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
// Returns null when neither is there (unscaled RoPE).
const json* find_rope_object(const json& config, std::string& name) {
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    const json* value = find(config, key);
    if (!value) continue;
    if (!value->is_object()) fail(std::string(key) + " = " + describe(*value) + ": expected an object or null");
    if (value->empty()) continue;
    // Models that mix attention types (Gemma 3, ...) keep one object per layer type.
    bool nested = true;
    for (const auto& item : value->items()) nested = nested && item.value().is_object();
    if (nested) {
      fail(std::string(key) + " holds one object per layer type (" + value->begin().key() +
           ", ...): expected a single set of RoPE parameters; pass that layer type's object as " + key);
    }
    name = key;
    return value;
  }
  return nullptr;
}

// The width RoPE sees: MLA models (DeepSeek-V2/V3) rotate only their qk_rope_head_dim slice,
// and their config classes set head_dim to it; others give head_dim or imply it.
std::int64_t parse_head_dim(const json& config) {
  if (const auto rope_head_dim = get_integer(config, "", "qk_rope_head_dim")) return *rope_head_dim;
  // transformers reads `getattr(config, "head_dim", None) or hidden_size // heads`: 0 derives too.
  if (const auto head_dim = get_integer(config, "", "head_dim"); head_dim && *head_dim != 0) return *head_dim;
  const auto hidden_size = get_integer(config, "", "hidden_size");
  const auto heads = get_integer(config, "", "num_attention_heads");
  if (!hidden_size || !heads) {
    fail(std::string("head_dim is missing and so is ") + (hidden_size ? "num_attention_heads" : "hidden_size") +
         ": expected head_dim, or hidden_size and num_attention_heads");
  }
  if (*heads <= 0) fail("num_attention_heads = " + format(*heads) + ": expected a positive integer");
  if (*hidden_size % *heads != 0) {
    fail("hidden_size = " + format(*hidden_size) + " is not divisible by num_attention_heads = " + format(*heads) +
         ": expected a multiple, so that head_dim = hidden_size / num_attention_heads (or give head_dim)");
  }
  return *hidden_size / *heads;
}

// GPT-NeoX spells partial_rotary_factor "rotary_pct" and defaults it to 0.25.
double parse_partial_rotary_factor(const json& config, const json* rope, const std::string& rope_name,
                                   const std::string& model_type) {
  // A top-level value overrides the rope object's (standardize_rope_params).
  std::optional<double> factor = get_number(config, "", "partial_rotary_factor");
  std::string field = "partial_rotary_factor";
  if (!factor && rope) {
    factor = get_number(*rope, rope_name, "partial_rotary_factor");
    field = path_of(rope_name, "partial_rotary_factor");
  }
  if (!factor) {
    factor = get_number(config, "", "rotary_pct");
    field = "rotary_pct";
  }
  if (!factor) return model_type == "gpt_neox" ? 0.25 : 1.0;
  if (!(*factor > 0.0 && *factor <= 1.0)) fail(field + " = " + format(*factor) + ": expected a number in (0, 1]");
  return *factor;
}

// The rotary pairs' layout. transformers rotates DeepSeek-V2 as complex numbers over adjacent
// elements, and DeepSeek-V3 (rope_interleave, default true) regroups adjacent elements before
// rotate_half; both pair (2i, 2i + 1). Every other model uses rotate_half on (i, i + d/2).
RopeLayout parse_layout(const json& config, const std::string& model_type) {
  if (const auto interleave = get_bool(config, "", "rope_interleave")) {
    return *interleave ? RopeLayout::Interleaved : RopeLayout::Neox;
  }
  if (model_type == "deepseek_v2" || model_type == "deepseek_v3") return RopeLayout::Interleaved;
  return RopeLayout::Neox;
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
}

RopeScaling RopeScaling::from_json(const nlohmann::json& rope_scaling) {
  return parse_scaling(rope_scaling, "rope_scaling", ScalingContext{});
}

RopeConfig RopeConfig::from_hf_config(const nlohmann::json& config) {
  if (!config.is_object()) fail(std::string("config: expected a JSON object, got ") + config.type_name());
  const std::string model_type = get_string(config, "", "model_type").value_or("");
  std::string rope_name;
  const json* rope = find_rope_object(config, rope_name);

  RopeConfig out;
  out.layout = parse_layout(config, model_type);
  out.head_dim = parse_head_dim(config);
  check_head_dim(out.head_dim);  // before rotary_dim, whose message would be less direct
  const double partial = parse_partial_rotary_factor(config, rope, rope_name, model_type);
  // int(head_dim * partial_rotary_factor), truncating as Python's int() does.
  out.rotary_dim = static_cast<std::int64_t>(static_cast<double>(out.head_dim) * partial);
  if (out.rotary_dim % 2 != 0 || out.rotary_dim < 2) {
    fail("partial_rotary_factor = " + format(partial) + " with head_dim = " + format(out.head_dim) +
         " gives rotary_dim = " + format(out.rotary_dim) + ": expected an even number >= 2");
  }

  // The rope object's rope_theta wins over the top-level one (setdefault in transformers);
  // GPT-NeoX calls it rotary_emb_base.
  std::string theta_field = path_of(rope_name, "rope_theta");
  std::optional<double> theta = rope ? get_number(*rope, rope_name, "rope_theta") : std::nullopt;
  for (const char* key : {"rope_theta", "rotary_emb_base"}) {
    if (theta) break;
    theta = get_number(config, "", key);
    theta_field = key;
  }
  out.theta = theta.value_or(10000.0);
  if (!(std::isfinite(out.theta) && out.theta > 1.0)) {
    fail(theta_field + " = " + format(out.theta) + ": expected a finite number > 1");
  }

  out.max_position_embeddings = get_integer(config, "", "max_position_embeddings").value_or(0);
  // Phi-3 keeps original_max_position_embeddings at the top level; transformers then gives
  // it priority over the rope object's (standardize_rope_params).
  const auto top_original = get_integer(config, "", "original_max_position_embeddings");
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
      }
    }
    throw Error(e.kind(), message);
  }
  return out;
}


}  // namespace vkrope
