// vkrope rope: RoPE of a .npy file.
//   vkrope rope --input X.npy --output Y.npy [--positions P.npy | --offset N]
//     [--layout neox|interleaved] [--rotary-dim R] [--theta T] [--scaling S]
//     [--max-position-embeddings N] [--hf-config config.json] [--inverse] [--device SEL]
// Everything is read and checked before the device is touched, and the output is written
// (atomically) only after the op succeeded, so a bad input never creates it.
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.hpp"
#include "io/npy.hpp"
#include "vkrope/rope.hpp"

namespace vkrope::cli {

namespace {

struct RopeArgs {
  std::string input, output, positions, scaling, hf_config, layout;
  std::optional<std::int64_t> offset, rotary_dim, max_position_embeddings;
  std::optional<double> theta;
  bool inverse = false;
};

// --scaling takes a file holding a rope_scaling JSON object, or the object inline.
nlohmann::json read_scaling(const std::string& value) {
  std::string text = value;
  if (value.find('{') == std::string::npos) {
    std::ifstream in(value);
    if (!in) throw Error(ErrorKind::Io, "--scaling: cannot read " + value + " (neither a file nor a JSON object)");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorKind::InvalidArgument, "--scaling: not valid JSON: " + std::string(e.what()));
  }
}

RopeConfig make_config(const RopeArgs& a, std::int64_t head_dim) {
  RopeConfig config;
  if (!a.hf_config.empty()) {
    config = RopeConfig::from_hf_config_file(a.hf_config);
    if (config.head_dim != head_dim)
      throw Error(ErrorKind::InvalidArgument, "--hf-config " + a.hf_config + " has head_dim " +
                                                  std::to_string(config.head_dim) + " but the input's last dimension is " +
                                                  std::to_string(head_dim));
  }
  config.head_dim = head_dim;
  if (a.layout == "interleaved") config.layout = RopeLayout::Interleaved;
  else if (a.layout == "neox") config.layout = RopeLayout::Neox;
  if (a.rotary_dim) config.rotary_dim = *a.rotary_dim;
  if (a.theta) config.theta = *a.theta;
  if (a.max_position_embeddings) config.max_position_embeddings = *a.max_position_embeddings;
  if (!a.scaling.empty()) config.scaling = RopeScaling::from_json(read_scaling(a.scaling));
  config.validate();
  return config;
}

int run_rope(const GlobalOptions& global, const RopeArgs& a) {
  const io::NpyArray x = io::read_npy(a.input);
  if (x.type != io::NpyType::f32 && x.type != io::NpyType::f16)
    throw Error(ErrorKind::InvalidArgument, a.input + ": dtype " + std::string(io::to_string(x.type)) +
                                                "; expected float32 or float16");
  if (x.shape.size() != 3 && x.shape.size() != 4)
    throw Error(ErrorKind::InvalidArgument, a.input + ": shape " + shape_to_string(x.shape) +
                                                "; expected [seq, heads, head_dim] or [batch, seq, heads, head_dim]");
  const std::int64_t batch = x.shape.size() == 4 ? x.shape[0] : 1;
  const std::int64_t seq = x.shape[x.shape.size() - 3];

  RopePositions positions;
  if (!a.positions.empty()) {
    const io::NpyArray p = io::read_npy(a.positions);
    const bool shared = p.shape == std::vector<std::int64_t>{seq};
    const bool per_batch = p.shape == std::vector<std::int64_t>{batch, seq};
    if (!shared && !per_batch)
      throw Error(ErrorKind::InvalidArgument, a.positions + ": shape " + shape_to_string(p.shape) + "; expected [" +
                                                  std::to_string(seq) + "] or [" + std::to_string(batch) + ", " +
                                                  std::to_string(seq) + "]");
    positions.values = io::to_int64s(p);
  } else if (a.offset) {
    positions.offset = *a.offset;
  }
  const RopeConfig config = make_config(a, x.shape.back());

  const Context context = Context::create(context_options(global));
  const DType dtype = x.type == io::NpyType::f32 ? DType::f32 : DType::f16;
  const Tensor t = Tensor::empty(context, dtype, x.shape);
  t.upload_raw(x.data);
  rope(config, {t, std::nullopt, std::nullopt, std::nullopt}, positions, a.inverse);
  io::write_npy(a.output, x.type, x.shape, t.download_raw());
  fmt::print("rope: {} {} {} -> {} on {}\n", io::to_string(x.type), shape_to_string(x.shape), to_string(config.layout),
             a.output, context.device().name);
  return 0;
}

}  // namespace

Run add_rope_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("rope", "apply rotary position embedding to a .npy file");
  auto a = std::make_shared<RopeArgs>();
  sub->add_option("--input", a->input, "float32/float16 .npy, [seq, heads, head_dim] or [batch, seq, heads, head_dim]")
      ->required();
  sub->add_option("--output", a->output, ".npy to write (X's dtype and shape)")->required();
  auto* pos = sub->add_option("--positions", a->positions, "int32/int64 .npy, [seq] or [batch, seq]");
  sub->add_option("--offset", a->offset, "positions are offset + token index (default 0)")->excludes(pos);
  sub->add_option("--layout", a->layout, "neox (default) or interleaved")->check(CLI::IsMember({"neox", "interleaved"}));
  sub->add_option("--rotary-dim", a->rotary_dim, "rotate the first R dims (even; default head_dim)");
  sub->add_option("--theta", a->theta, "frequency base (default 10000)");
  sub->add_option("--scaling", a->scaling, "a transformers rope_scaling JSON object, inline or in a file");
  sub->add_option("--max-position-embeddings", a->max_position_embeddings, "the model's trained context length");
  sub->add_option("--hf-config", a->hf_config, "take theta, rotary dim, scaling, max positions from a config.json");
  sub->add_flag("--inverse", a->inverse, "rotate by the negative angle");
  return [&global, a] { return run_rope(global, *a); };
}

}  // namespace vkrope::cli
