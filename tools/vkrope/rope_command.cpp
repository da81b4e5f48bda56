// vkrope rope: RoPE of a .npy file.
//   vkrope rope --input X.npy --output Y.npy [--positions P.npy | --offset N]
//     [--layout neox|interleaved] [--rotary-dim R] [--theta T] [--scaling S]
//     [--max-position-embeddings N] [--hf-config config.json [--vision-tower] | --gguf FILE]
//     [--mrope-section T,H,W [--mrope-interleaved] | --vision qwen2vl|pixtral] [--inverse] [--device SEL]
// Everything is read and checked before the device is touched, and the output is written
// (atomically) only after the op succeeded, so a bad input never creates it.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "commands.hpp"
#include "io/npy.hpp"
#include "rope_flags.hpp"
#include "vkrope/rope.hpp"

namespace vkrope::cli {

namespace {

struct RopeArgs {
  std::string input, output, positions;
  std::optional<std::int64_t> offset;
  RopeFlags rope;
  bool inverse = false;
};

std::string dims(const std::vector<std::int64_t>& shape) { return shape_to_string(shape); }

// --positions: [seq] or [batch, seq]; M-RoPE [3, seq] or [3, batch, seq]; 2D vision
// [seq, 2] or [batch, seq, 2] (row, column), transposed here to the stream-major order
// RopePositions takes.
std::vector<std::int64_t> read_positions(const std::string& path, const RopeConfig& config, std::int64_t batch,
                                         std::int64_t seq) {
  const io::NpyArray p = io::read_npy(path);
  const std::int64_t streams = config.position_streams();
  std::vector<std::vector<std::int64_t>> accepted;
  if (streams == 1) accepted = {{seq}, {batch, seq}};
  else if (config.vision == RopeVision::None) accepted = {{streams, seq}, {streams, batch, seq}};
  else accepted = {{seq, streams}, {batch, seq, streams}};
  if (std::find(accepted.begin(), accepted.end(), p.shape) == accepted.end()) {
    const char* what = streams == 1                           ? ""
                       : config.vision == RopeVision::None ? " (M-RoPE: temporal, height, width streams)"
                                                           : " (2D vision: row, column per token)";
    throw Error(ErrorKind::InvalidArgument, path + ": shape " + dims(p.shape) + "; expected " + dims(accepted[0]) +
                                                " or " + dims(accepted[1]) + what);
  }
  std::vector<std::int64_t> values = io::to_int64s(p);
  if (config.vision == RopeVision::None) return values;
  const auto tokens = values.size() / 2;  // [tokens][2] -> [2][tokens]
  std::vector<std::int64_t> out(values.size());
  for (std::size_t t = 0; t < tokens; ++t) {
    out[t] = values[2 * t];
    out[tokens + t] = values[2 * t + 1];
  }
  return out;
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

  const RopeConfig config = make_rope_config(a.rope, x.shape.back());
  RopePositions positions;
  if (!a.positions.empty()) {
    positions.values = read_positions(a.positions, config, batch, seq);
  } else if (a.offset) {
    positions.offset = *a.offset;
  }

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
  auto* pos = sub->add_option("--positions", a->positions,
                              "int32/int64 .npy, [seq] or [batch, seq]; M-RoPE [3, seq] or [3, batch, seq]; "
                              "--vision [seq, 2] or [batch, seq, 2] (row, column)");
  sub->add_option("--offset", a->offset, "positions are offset + token index (default 0)")->excludes(pos);
  add_rope_flags(*sub, a->rope);
  sub->add_flag("--inverse", a->inverse, "rotate by the negative angle");
  return [&global, a] { return run_rope(global, *a); };
}

}  // namespace vkrope::cli
