// read_gguf_model and RopeConfig::from_gguf: a GGUF model's RoPE and attention shape, read
// the way llama.cpp reads them (the key names of its src/llama-arch.cpp, the defaults of
// llama_model::load_hparams, the layout of llama_model_rope_type). docs/gguf.md is the
// user-facing version of this file; keep the two in step.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "io/gguf_reader.hpp"
#include "vkrope/error.hpp"
#include "vkrope/gguf.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {

namespace {

// How the frequency pairs take their positions: one stream, or M-RoPE's three.
enum class MRope {
  None,
  Contiguous,   // LLAMA_ROPE_TYPE_MROPE: sections of consecutive pairs (Qwen2-VL)
  Interleaved,  // LLAMA_ROPE_TYPE_IMROPE: pairs cycle t, h, w (Qwen3-VL)
};

struct ArchitectureRope {
  std::string_view name;  // general.architecture
  RopeLayout layout;
  MRope mrope = MRope::None;
};

constexpr RopeLayout kNorm = RopeLayout::Interleaved;
constexpr RopeLayout kNeox = RopeLayout::Neox;

// llama_model_rope_type in llama.cpp's src/llama-model.cpp (ggml-org/llama.cpp at
// 00342301d01add50835550e8a916f12097d94517; the qwen3vl rows from ggml-org/llama.cpp pull
// request #16780, release b6887), with the architecture names of src/llama-arch.cpp (at
// 00395eb285c7c6821ff372e3ca41dae9da33c2c7). Architectures without RoPE are left out.
// One line per group of names reads better than one name per line:
// clang-format off
constexpr ArchitectureRope kArchitectures[] = {
    // LLAMA_ROPE_TYPE_NORM rotates adjacent pairs (2i, 2i + 1). For the Llama family this is
    // not the model's own layout: convert_hf_to_gguf.py permutes the rows of Q and K so that
    // adjacent pairs of the GGUF weights are transformers' rotate_half pairs of the original.
    // Rotating the GGUF model's q and k therefore takes the interleaved layout.
    {"llama", kNorm}, {"llama4", kNorm}, {"llada", kNorm}, {"deci", kNorm}, {"baichuan", kNorm},
    {"starcoder", kNorm}, {"internlm2", kNorm}, {"minicpm", kNorm}, {"xverse", kNorm}, {"command-r", kNorm},
    {"cohere2", kNorm}, {"olmo", kNorm}, {"arctic", kNorm}, {"deepseek", kNorm}, {"chatglm", kNorm},
    {"glm4", kNorm}, {"granite", kNorm}, {"granitemoe", kNorm}, {"granitehybrid", kNorm}, {"chameleon", kNorm},
    {"bailingmoe", kNorm}, {"neo-bert", kNorm}, {"smollm3", kNorm}, {"arcee", kNorm}, {"ernie4_5", kNorm},
    {"ernie4_5-moe", kNorm},
    // LLAMA_ROPE_TYPE_NEOX rotates (i, i + rotary_dim / 2): transformers' rotate_half, the
    // weights converted unpermuted.
    {"falcon", kNeox}, {"falcon-h1", kNeox}, {"grok", kNeox}, {"dbrx", kNeox}, {"bert", kNeox},
    {"jina-bert-v3", kNeox}, {"nomic-bert", kNeox}, {"nomic-bert-moe", kNeox}, {"stablelm", kNeox},
    {"bitnet", kNeox}, {"qwen", kNeox}, {"qwen2", kNeox}, {"dream", kNeox}, {"qwen2moe", kNeox},
    {"qwen3", kNeox}, {"qwen3moe", kNeox}, {"qwen3next", kNeox}, {"llada-moe", kNeox}, {"olmo2", kNeox},
    {"olmoe", kNeox}, {"phi2", kNeox}, {"phi3", kNeox}, {"phimoe", kNeox}, {"plamo", kNeox},
    {"plamo2", kNeox}, {"gemma", kNeox}, {"gemma2", kNeox}, {"gemma3", kNeox}, {"gemma3n", kNeox},
    {"gemma-embedding", kNeox}, {"starcoder2", kNeox}, {"openelm", kNeox}, {"gptneox", kNeox},
    {"codeshell", kNeox}, {"orion", kNeox}, {"nemotron", kNeox}, {"exaone", kNeox}, {"exaone4", kNeox},
    {"bailingmoe2", kNeox}, {"dots1", kNeox}, {"hunyuan-moe", kNeox}, {"gpt-oss", kNeox},
    {"hunyuan-dense", kNeox}, {"lfm2", kNeox}, {"lfm2moe", kNeox}, {"smallthinker", kNeox},
    {"glm4moe", kNeox}, {"seed_oss", kNeox}, {"grovemoe", kNeox}, {"apertus", kNeox},
    // LLAMA_ROPE_TYPE_MROPE and _IMROPE: the neox pairing, three position streams, the
    // sections from <arch>.rope.dimension_sections.
    {"qwen2vl", kNeox, MRope::Contiguous},
    {"qwen3vl", kNeox, MRope::Interleaved},
    {"qwen3vlmoe", kNeox, MRope::Interleaved},
};
// clang-format on

// Architectures llama.cpp rotates that one RopeConfig cannot describe.
struct Refused {
  std::string_view name;
  std::string_view reason;
};
constexpr Refused kRefused[] = {
    {"deepseek2", "multi-head latent attention rotates a separate rope slice of each head (key_length_mla)"},
    {"minicpm3", "multi-head latent attention rotates a separate rope slice of each head"},
    {"plm", "multi-head latent attention rotates a separate rope slice of each head"},
};

const ArchitectureRope& find_architecture(const io::GgufFile& file, const std::string& name) {
  for (const ArchitectureRope& arch : kArchitectures)
    if (arch.name == name) return arch;
  const std::uint64_t at = file.find("general.architecture")->offset;
  for (const Refused& refused : kRefused) {
    if (refused.name == name)
      file.fail(at, "general.architecture",
                "architecture '" + name + "' is not supported: " + std::string(refused.reason));
  }
  std::string known;
  for (const ArchitectureRope& arch : kArchitectures) known += (known.empty() ? "" : ", ") + std::string(arch.name);
  file.fail(at, "general.architecture",
            "unknown architecture '" + name + "': vkrope knows the RoPE layout of " + known + " (see docs/gguf.md)");
}

// ---- typed keys with their constraints ------------------------------------------------------

[[noreturn]] void missing(const io::GgufFile& file, const std::string& key, const std::string& what) {
  throw Error(ErrorKind::InvalidArgument, file.name() + ": the key '" + key + "' is missing (" + what + ")");
}

std::uint64_t offset_of(const io::GgufFile& file, const std::string& key) { return file.find(key)->offset; }

std::optional<std::int64_t> non_negative(const io::GgufFile& file, const std::string& key) {
  const auto value = file.get_int(key);
  if (value && *value < 0)
    file.fail(offset_of(file, key), key, std::to_string(*value) + ": expected a non-negative integer");
  return value;
}

// A count that may be per layer: the largest entry, which must be positive.
std::optional<std::int64_t> largest_count(const io::GgufFile& file, const std::string& key) {
  const auto values = file.get_ints(key, /*max_count=*/65536);
  if (!values) return std::nullopt;
  const std::int64_t largest = values->empty() ? 0 : *std::max_element(values->begin(), values->end());
  if (largest <= 0) {
    file.fail(offset_of(file, key), key,
              (values->size() == 1 ? std::to_string(largest) : "largest entry " + std::to_string(largest)) +
                  ": expected a positive integer");
  }
  return largest;
}

std::vector<double> tensor_table(const io::GgufFile& file, const std::string& tensor, std::int64_t rotary_dim) {
  const std::vector<float> values = file.read_tensor_floats(tensor);
  if (static_cast<std::int64_t>(values.size()) != rotary_dim / 2) {
    throw Error(ErrorKind::InvalidArgument,
                file.name() + ": tensor '" + tensor + "' has " + std::to_string(values.size()) +
                    " values: expected rotary_dim / 2 = " + std::to_string(rotary_dim / 2) + " (one per rotated pair)");
  }
  return {values.begin(), values.end()};
}

// ---- the parts of the model -----------------------------------------------------------------

// llama.cpp: the type defaults to "linear", and a factor of 0 (or none) means unscaled; the
// factor is rope.scaling.factor or the older rope.scale_linear. Phi-3's long-context models
// carry longrope as the two rope_factors tensors, without a type key.
RopeScaling read_scaling(const io::GgufFile& file, const std::string& arch, const RopeConfig& rope) {
  const std::string type_key = arch + ".rope.scaling.type";
  const std::optional<std::string> type_value = file.get_string(type_key);
  const std::string type = type_value.value_or("linear");
  // 0 when absent, as in llama.cpp, which reads the older key only without the newer.
  const std::string factor_key = arch + ".rope.scaling.factor";
  const double factor =
      file.find(factor_key) ? *file.get_float(factor_key) : file.get_float(arch + ".rope.scale_linear").value_or(0.0);
  const std::string original_key = arch + ".rope.scaling.original_context_length";
  const auto original = non_negative(file, original_key);
  const auto attention_factor = file.get_float(arch + ".rope.scaling.attn_factor");
  const bool longrope_tensors =
      file.find_tensor("rope_factors_long.weight") && file.find_tensor("rope_factors_short.weight");

  RopeScaling out;
  if (type == "longrope" || (!type_value && longrope_tensors)) {
    out.type = RopeScalingType::LongRope;
    if (!original) missing(file, original_key, "longrope needs the pretraining context length");
    out.original_max_position_embeddings = *original;
    // transformers' default: max_position_embeddings / original_max_position_embeddings.
    if (factor != 0.0) {
      out.factor = factor;
    } else if (rope.max_position_embeddings > 0 && *original > 0) {
      out.factor = static_cast<double>(rope.max_position_embeddings) / static_cast<double>(*original);
    }
    out.attention_factor = attention_factor;
    out.long_factor = tensor_table(file, "rope_factors_long.weight", rope.effective_rotary_dim());
    out.short_factor = tensor_table(file, "rope_factors_short.weight", rope.effective_rotary_dim());
  } else if (type == "none" || (type == "linear" && (factor == 0.0 || factor == 1.0))) {
    out.type = RopeScalingType::Default;
  } else if (type == "linear") {
    out.type = RopeScalingType::Linear;
    out.factor = factor;
  } else if (type == "yarn") {
    out.type = RopeScalingType::Yarn;
    if (factor == 0.0) missing(file, arch + ".rope.scaling.factor", "yarn scaling needs its factor");
    out.factor = factor;
    if (original) out.original_max_position_embeddings = *original;  // else: context_length
    out.beta_fast = file.get_float(arch + ".rope.scaling.yarn_beta_fast").value_or(out.beta_fast);
    out.beta_slow = file.get_float(arch + ".rope.scaling.yarn_beta_slow").value_or(out.beta_slow);
    out.attention_factor = attention_factor;
  } else {
    file.fail(offset_of(file, type_key), type_key,
              "unknown scaling type '" + type + "': expected none, linear, yarn or longrope");
  }
  return out;
}

void read_mrope(const io::GgufFile& file, const std::string& arch, MRope mrope, RopeConfig& rope) {
  if (mrope == MRope::None) return;
  const std::string key = arch + ".rope.dimension_sections";
  const auto sections = file.get_ints(key, /*max_count=*/8);
  if (!sections) missing(file, key, "M-RoPE's temporal, height and width sections");
  // llama.cpp stores four (t, h, w and e, the last unused by text); the first three are
  // transformers' mrope_section.
  if (sections->size() < 3 || sections->size() > 4) {
    file.fail(offset_of(file, key), key,
              std::to_string(sections->size()) + " sections: expected 3 or 4 (temporal, height, width[, extra])");
  }
  rope.mrope_section.assign(sections->begin(), sections->begin() + 3);
  rope.mrope_interleaved = mrope == MRope::Interleaved;
}

void read_attention_shape(const io::GgufFile& file, const std::string& arch, GgufModel& model) {
  const std::string heads_key = arch + ".attention.head_count";
  const auto heads = largest_count(file, heads_key);
  if (!heads) missing(file, heads_key, "the number of attention heads");
  model.heads = *heads;
  model.kv_heads = largest_count(file, arch + ".attention.head_count_kv").value_or(model.heads);

  const std::string key_length = arch + ".attention.key_length";
  if (const auto head_dim = non_negative(file, key_length); head_dim && *head_dim > 0) {
    model.head_dim = *head_dim;
  } else {
    const std::string embedding_key = arch + ".embedding_length";
    const auto embedding = non_negative(file, embedding_key);
    if (!embedding) missing(file, key_length, "the head size; nor is " + embedding_key + " there to derive it from");
    if (*embedding == 0 || *embedding % model.heads != 0) {
      file.fail(offset_of(file, embedding_key), embedding_key,
                std::to_string(*embedding) + " is not a positive multiple of " + heads_key + " = " +
                    std::to_string(model.heads) + " (the head size is their quotient without " + key_length + ")");
    }
    model.head_dim = *embedding / model.heads;
  }
  model.context_length = non_negative(file, arch + ".context_length").value_or(0);
  model.sliding_window = non_negative(file, arch + ".attention.sliding_window").value_or(0);
}

// RopeConfig::validate() names struct fields; a GGUF user needs the key or tensor they came from.
struct FieldSource {
  std::string_view field;   // how validate() starts its message
  std::string_view source;  // "key '<arch>.<suffix>'" or a tensor
  bool is_key = true;
};
constexpr FieldSource kFieldSources[] = {
    {"theta", "rope.freq_base"},
    {"rotary_dim", "rope.dimension_count"},
    {"head_dim", "attention.key_length"},
    {"max_position_embeddings", "context_length"},
    {"rope_scaling.factor", "rope.scaling.factor"},
    {"rope_scaling.original_max_position_embeddings", "rope.scaling.original_context_length"},
    {"rope_scaling.attention_factor", "rope.scaling.attn_factor"},
    {"rope_scaling.beta_fast", "rope.scaling.yarn_beta_fast"},
    {"rope_scaling.beta_slow", "rope.scaling.yarn_beta_slow"},
    {"rope_scaling.long_factor", "rope_factors_long.weight", false},
    {"rope_scaling.short_factor", "rope_factors_short.weight", false},
    {"freq_factors", "rope_freqs.weight", false},
    {"mrope_section", "rope.dimension_sections"},
};

std::string with_source(const std::string& message, const std::string& arch) {
  for (const FieldSource& f : kFieldSources) {
    const bool starts = message.compare(0, f.field.size(), f.field) == 0 && message.size() > f.field.size() &&
                        std::string_view(" =[").find(message[f.field.size()]) != std::string_view::npos;
    if (!starts) continue;
    return message + (f.is_key ? " (key '" + arch + "." + std::string(f.source) + "')"
                               : " (tensor '" + std::string(f.source) + "')");
  }
  return message;
}

GgufModel model_of(const io::GgufFile& file) {
  GgufModel model;
  const auto architecture = file.get_string("general.architecture");
  if (!architecture) missing(file, "general.architecture", "the model's architecture, such as \"llama\"");
  model.architecture = *architecture;
  const ArchitectureRope& kind = find_architecture(file, model.architecture);
  const std::string& arch = model.architecture;
  read_attention_shape(file, arch, model);

  RopeConfig& rope = model.rope;
  rope.head_dim = model.head_dim;
  // llama.cpp's n_rot: rope.dimension_count, defaulting to the head size.
  const auto rotary = non_negative(file, arch + ".rope.dimension_count");
  rope.rotary_dim = rotary && *rotary > 0 ? *rotary : model.head_dim;
  rope.layout = kind.layout;
  rope.theta = file.get_float(arch + ".rope.freq_base").value_or(10000.0);
  rope.max_position_embeddings = model.context_length;
  rope.scaling = read_scaling(file, arch, rope);
  read_mrope(file, arch, kind.mrope, rope);
  // Llama 3's scaling, precomputed by convert_hf_to_gguf.py as per-pair divisors.
  if (file.find_tensor("rope_freqs.weight"))
    rope.freq_factors = tensor_table(file, "rope_freqs.weight", rope.effective_rotary_dim());
  try {
    rope.validate();
  } catch (const Error& e) {
    throw Error(e.kind(), file.name() + ": " + with_source(e.what(), arch));
  }
  return model;
}

}  // namespace

GgufModel read_gguf_model(const std::string& path) { return model_of(io::GgufFile::open(path)); }

RopeConfig RopeConfig::from_gguf(const std::string& path) { return read_gguf_model(path).rope; }

}  // namespace vkrope
