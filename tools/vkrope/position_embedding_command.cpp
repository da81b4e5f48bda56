// vkrope position-embedding: absolute position embeddings added to a .npy file of token vectors.
//   vkrope position-embedding --kind sinusoidal|learned --input X.npy --output Y.npy [--table T.npy]
//     [--positions P.npy | --offset N] [--base B] [--scale | --x-scale F] [--clamp] [--device SEL]
// Files and flags are read and checked before the device is touched, and the output is
// written (atomically) only after the op succeeded, so a bad input never creates it.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "commands.hpp"
#include "io/npy.hpp"
#include "output_path.hpp"
#include "vkrope/position_embedding.hpp"

namespace vkrope::cli {

namespace {

struct PositionEmbeddingArgs {
  std::string kind, input, output, table, positions;
  std::optional<std::int64_t> offset;
  std::optional<double> base, x_scale;
  bool scale = false, clamp = false;
};

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::InvalidArgument, message); }

DType float_dtype(const io::NpyArray& a, const std::string& path) {
  if (a.type == io::NpyType::f32) return DType::f32;
  if (a.type == io::NpyType::f16) return DType::f16;
  fail(path + ": dtype " + std::string(io::to_string(a.type)) + "; expected float32 or float16");
}

Tensor to_device(const Context& context, const io::NpyArray& a, DType dtype) {
  const Tensor t = Tensor::empty(context, dtype, a.shape);
  t.upload_raw(a.data);
  return t;
}

int run_position_embedding(const GlobalOptions& global, const PositionEmbeddingArgs& a) {
  const bool learned = a.kind == "learned";
  if (learned && a.table.empty()) fail("--kind learned: expected --table T.npy ([max_positions, d])");
  if (!learned && !a.table.empty()) fail("--table: given with --kind sinusoidal; expected --kind learned");
  if (learned && a.base) fail("--base: applies to --kind sinusoidal only");
  if (!learned && a.clamp) fail("--clamp: applies to --kind learned only");
  check_output_file("--output", a.output);

  const io::NpyArray x = io::read_npy(a.input);
  const DType x_dtype = float_dtype(x, a.input);
  if (x.shape.size() != 2 && x.shape.size() != 3)
    fail(a.input + ": shape " + shape_to_string(x.shape) + "; expected [seq, d] or [batch, seq, d]");
  const std::int64_t batch = x.shape.size() == 3 ? x.shape[0] : 1;
  const std::int64_t seq = x.shape[x.shape.size() - 2], d = x.shape.back();

  PositionEmbeddingConfig config;
  config.kind = learned ? PositionEmbeddingKind::Learned : PositionEmbeddingKind::Sinusoidal;
  if (a.base) config.base = *a.base;
  config.clamp = a.clamp;
  if (a.scale) config.x_scale = sqrt_dim_scale(d);
  if (a.x_scale) config.x_scale = *a.x_scale;
  config.validate();
  if (!learned && d % 2 != 0)
    fail(a.input + ": d = " + std::to_string(d) + "; sinusoidal embeddings come in (sin, cos) pairs: expected an even d");

  std::optional<io::NpyArray> table;
  if (learned) {
    table = io::read_npy(a.table);
    float_dtype(*table, a.table);
    if (table->shape.size() != 2 || table->shape[1] != d)
      fail(a.table + ": shape " + shape_to_string(table->shape) + "; expected [max_positions, " + std::to_string(d) +
           "] (d of " + a.input + ")");
  }

  RopePositions positions;
  if (!a.positions.empty()) {
    const io::NpyArray p = io::read_npy(a.positions);
    const std::vector<std::vector<std::int64_t>> accepted = {{seq}, {batch, seq}};
    if (std::find(accepted.begin(), accepted.end(), p.shape) == accepted.end())
      fail(a.positions + ": shape " + shape_to_string(p.shape) + "; expected " + shape_to_string(accepted[0]) + " or " +
           shape_to_string(accepted[1]));
    positions.values = io::to_int64s(p);
  } else if (a.offset) {
    positions.offset = *a.offset;
  }

  const Context context = Context::create(context_options(global));
  const Tensor t = to_device(context, x, x_dtype);
  std::optional<Tensor> table_tensor;
  if (table) table_tensor = to_device(context, *table, float_dtype(*table, a.table));
  position_embedding(config, {t, std::nullopt, table_tensor}, positions);
  io::write_npy(a.output, x.type, x.shape, t.download_raw());
  fmt::print("position-embedding: {} {} {} -> {} on {}\n", to_string(config.kind), io::to_string(x.type),
             shape_to_string(x.shape), a.output, context.device().name);
  return 0;
}

}  // namespace

Run add_position_embedding_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("position-embedding",
                                 "add absolute position embeddings (sinusoidal or a learned table) to a .npy file");
  auto a = std::make_shared<PositionEmbeddingArgs>();
  sub->add_option("--kind", a->kind, "sinusoidal (Vaswani et al.) or learned (a table by position)")
      ->required()
      ->check(CLI::IsMember({"sinusoidal", "learned"}));
  sub->add_option("--input", a->input, "float32/float16 .npy, [seq, d] or [batch, seq, d]")->required();
  sub->add_option("--output", a->output, ".npy to write (X's dtype and shape)")->required();
  sub->add_option("--table", a->table, "--kind learned: float32/float16 .npy, [max_positions, d]");
  auto* pos = sub->add_option("--positions", a->positions, "int32/int64 .npy, [seq] or [batch, seq]");
  sub->add_option("--offset", a->offset, "positions are offset + token index (default 0)")->excludes(pos);
  sub->add_option("--base", a->base, "--kind sinusoidal: wavelength base (default 10000)");
  auto* scale = sub->add_flag("--scale", a->scale, "multiply X by sqrt(d) first, as the original transformer");
  sub->add_option("--x-scale", a->x_scale, "multiply X by this first (default 1)")->excludes(scale);
  sub->add_flag("--clamp", a->clamp, "--kind learned: positions past the table take its last row (default: an error)");
  return [&global, a] { return run_position_embedding(global, *a); };
}

}  // namespace vkrope::cli
