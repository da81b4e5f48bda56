#include "rope_flags.hpp"

#include <nlohmann/json.hpp>

#include "io/text_file.hpp"
#include "vkrope/error.hpp"

namespace vkrope::cli {

namespace {

// --scaling takes a file holding a rope_scaling JSON object, or the object inline.
nlohmann::json read_scaling(const std::string& value) {
  const std::string text = value.find('{') == std::string::npos ? io::read_text_file(value, "--scaling file") : value;
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorKind::InvalidArgument, "--scaling: not valid JSON: " + std::string(e.what()));
  }
}

}  // namespace

std::vector<CLI::Option*> add_rope_flags(CLI::App& sub, RopeFlags& f) {
  std::vector<CLI::Option*> options = {
      sub.add_option("--layout", f.layout, "neox (default) or interleaved")
          ->check(CLI::IsMember({"neox", "interleaved"})),
      sub.add_option("--rotary-dim", f.rotary_dim, "rotate the first R dims (even; default head_dim)"),
      sub.add_option("--theta", f.theta, "frequency base (default 10000)"),
      sub.add_option("--scaling", f.scaling, "a transformers rope_scaling JSON object, inline or in a file"),
      sub.add_option("--max-position-embeddings", f.max_position_embeddings, "the model's trained context length"),
      sub.add_option("--hf-config", f.hf_config, "take theta, rotary dim, scaling, max positions from a config.json"),
      sub.add_flag("--vision-tower", f.vision_tower,
                   "with --hf-config: the vision tower's 2D RoPE (vision_config) instead of the language model's"),
      sub.add_option("--mrope-section", f.mrope_section,
                     "M-RoPE: frequency pairs per position stream, temporal,height,width (summing to rotary_dim / 2)")
          ->delimiter(',')
          ->expected(3),
      sub.add_flag("--mrope-interleaved", f.mrope_interleaved, "M-RoPE with interleaved sections (Qwen3-VL)"),
      sub.add_option("--vision", f.vision, "2D vision RoPE over (row, column) positions: qwen2vl or pixtral")
          ->check(CLI::IsMember({"qwen2vl", "pixtral"})),
  };
  CLI::Option* gguf = sub.add_option("--gguf", f.gguf,
                                     "take theta, rotary dim, layout, scaling, max positions from a GGUF model's metadata");
  gguf->excludes(sub.get_option("--hf-config"));
  options.push_back(gguf);
  return options;
}

RopeConfig make_rope_config(const RopeFlags& f, std::int64_t head_dim) {
  if (f.rotary_dim && *f.rotary_dim == 0)
    throw Error(ErrorKind::InvalidArgument, "--rotary-dim 0: expected an even number in 2.." + std::to_string(head_dim) +
                                                " (leave it out to rotate all of head_dim)");
  if (f.vision_tower && f.hf_config.empty())
    throw Error(ErrorKind::InvalidArgument, "--vision-tower: expected --hf-config too (it picks that file's vision tower)");
  RopeConfig config;
  const std::string& file = f.hf_config.empty() ? f.gguf : f.hf_config;
  if (!file.empty()) {
    config = f.hf_config.empty()
                 ? RopeConfig::from_gguf(f.gguf)
                 : RopeConfig::from_hf_config_file(f.hf_config, f.vision_tower ? HfConfigPart::Vision : HfConfigPart::Text);
    if (config.head_dim != head_dim)
      throw Error(ErrorKind::InvalidArgument, std::string(f.hf_config.empty() ? "--gguf " : "--hf-config ") + file +
                                                  " has head_dim " + std::to_string(config.head_dim) +
                                                  " but the input's last dimension is " + std::to_string(head_dim));
  }
  config.head_dim = head_dim;
  if (f.layout == "interleaved") config.layout = RopeLayout::Interleaved;
  else if (f.layout == "neox") config.layout = RopeLayout::Neox;
  if (f.rotary_dim) config.rotary_dim = *f.rotary_dim;
  if (f.theta) config.theta = *f.theta;
  if (f.max_position_embeddings) config.max_position_embeddings = *f.max_position_embeddings;
  if (!f.scaling.empty()) config.scaling = RopeScaling::from_json(read_scaling(f.scaling));
  if (!f.mrope_section.empty()) config.mrope_section = f.mrope_section;
  if (f.mrope_interleaved) config.mrope_interleaved = true;
  if (f.vision == "qwen2vl") config.vision = RopeVision::Qwen2VL;
  else if (f.vision == "pixtral") config.vision = RopeVision::Pixtral;
  config.validate();
  return config;
}

}  // namespace vkrope::cli
