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
  return {
      sub.add_option("--layout", f.layout, "neox (default) or interleaved")
          ->check(CLI::IsMember({"neox", "interleaved"})),
      sub.add_option("--rotary-dim", f.rotary_dim, "rotate the first R dims (even; default head_dim)"),
      sub.add_option("--theta", f.theta, "frequency base (default 10000)"),
      sub.add_option("--scaling", f.scaling, "a transformers rope_scaling JSON object, inline or in a file"),
      sub.add_option("--max-position-embeddings", f.max_position_embeddings, "the model's trained context length"),
      sub.add_option("--hf-config", f.hf_config, "take theta, rotary dim, scaling, max positions from a config.json"),
  };
}

RopeConfig make_rope_config(const RopeFlags& f, std::int64_t head_dim) {
  RopeConfig config;
  if (!f.hf_config.empty()) {
    config = RopeConfig::from_hf_config_file(f.hf_config);
    if (config.head_dim != head_dim)
      throw Error(ErrorKind::InvalidArgument, "--hf-config " + f.hf_config + " has head_dim " +
                                                  std::to_string(config.head_dim) +
                                                  " but the input's last dimension is " + std::to_string(head_dim));
  }
  config.head_dim = head_dim;
  if (f.layout == "interleaved") config.layout = RopeLayout::Interleaved;
  else if (f.layout == "neox") config.layout = RopeLayout::Neox;
  if (f.rotary_dim) config.rotary_dim = *f.rotary_dim;
  if (f.theta) config.theta = *f.theta;
  if (f.max_position_embeddings) config.max_position_embeddings = *f.max_position_embeddings;
  if (!f.scaling.empty()) config.scaling = RopeScaling::from_json(read_scaling(f.scaling));
  config.validate();
  return config;
}

}  // namespace vkrope::cli
