#include "conformance/position_embedding_case.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "ops/position_embedding_check.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::conformance {

namespace {

constexpr std::uint8_t kGuard = 0xa5;
constexpr std::int64_t kGuardElements = 8;  // even: views stay word-aligned (packed f16)

std::vector<float> random_values(std::size_t n, std::mt19937& rng, float bound) {
  std::uniform_real_distribution<float> dist(-bound, bound);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// A view in the middle of its own buffer: kGuardElements before and after, and with
// `padding` elements after each row (a strided view) when asked.
struct Placed {
  Tensor arena;
  Tensor view;
};

Placed place(const Context& ctx, DType dtype, const Shape& shape, std::int64_t padding) {
  const std::int64_t row = shape.back() + padding;
  std::int64_t rows = 1;
  for (std::size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
  Strides strides(shape.size(), 1);
  for (std::size_t i = shape.size() - 1; i-- > 0;)
    strides[i] = i + 2 == shape.size() ? row : strides[i + 1] * shape[i + 1];
  Tensor arena = Tensor::empty(ctx, dtype, {rows * row + 2 * kGuardElements});
  Tensor view = arena.view(shape, strides, kGuardElements);
  return {arena, view};
}

// Whether every byte of `arena` outside the elements of `view` is as it was.
bool outside_unchanged(const std::vector<std::byte>& before, const std::vector<std::byte>& after, const Tensor& view) {
  if (before.size() != after.size()) return false;
  const std::size_t element = view.dtype() == DType::f32 ? 4 : 2;
  std::vector<bool> inside(before.size() / element, false);
  const Shape& shape = view.shape();
  std::vector<std::int64_t> index(shape.size(), 0);
  for (std::int64_t n = 0; n < view.numel(); ++n) {
    std::int64_t e = view.offset();
    for (std::size_t i = 0; i < shape.size(); ++i) e += index[i] * view.strides()[i];
    inside[static_cast<std::size_t>(e)] = true;
    for (std::size_t i = shape.size(); i-- > 0;) {
      if (++index[i] < shape[i]) break;
      index[i] = 0;
    }
  }
  for (std::size_t i = 0; i < before.size(); ++i)
    if (!inside[i / element] && before[i] != after[i]) return false;
  return true;
}

}  // namespace

PositionEmbeddingConfig PositionEmbeddingCase::config() const {
  PositionEmbeddingConfig config;
  config.kind = kind;
  config.base = base;
  config.clamp = clamp;
  config.x_scale = scale ? sqrt_dim_scale(dim) : 1.0;
  return config;
}

std::string PositionEmbeddingCase::describe() const {
  static const char* modes[] = {"shared", "per-batch", "offset"};
  const bool learned = kind == PositionEmbeddingKind::Learned;
  return std::string(to_string(kind)) + " x " + std::string(to_string(x_dtype)) +
         (learned ? " table " + std::string(to_string(table_dtype)) + "[" + std::to_string(table_rows) + "]" : "") +
         (three_dim ? " B" + std::to_string(batch) : "") + " S" + std::to_string(seq) + " d" + std::to_string(dim) +
         " positions " + modes[static_cast<int>(positions)] + (strided ? " strided" : "") +
         (in_place ? " in-place" : " out-of-place") + (scale ? " scale" : "") + (clamp ? " clamp" : "") +
         (learned ? "" : " max_pos " + std::to_string(max_position));
}

PositionEmbeddingResult run_position_embedding_case(const Context& ctx, const PositionEmbeddingCase& c,
                                                    std::mt19937& rng) {
  const bool learned = c.kind == PositionEmbeddingKind::Learned;
  const std::int64_t B = c.three_dim ? c.batch : 1, S = c.seq, D = c.dim;
  const Shape shape = c.three_dim ? Shape{B, S, D} : Shape{S, D};
  const std::size_t n = static_cast<std::size_t>(B * S * D);

  // x: random values everywhere in its buffer (the gaps of a strided view too).
  Placed x = place(ctx, c.x_dtype, shape, c.strided ? 6 : 0);
  x.arena.upload(random_values(static_cast<std::size_t>(x.arena.numel()), rng, 2.0f));
  const std::vector<float> x_in = x.view.download();  // as stored (f16 rounded)
  const std::vector<std::byte> x_before = x.arena.download_raw();

  // out: guard bytes around and between its rows, NaN in its elements.
  std::optional<Placed> out;
  std::vector<std::byte> out_before;
  if (!c.in_place) {
    out = place(ctx, c.x_dtype, shape, c.strided ? 6 : 0);
    out->arena.fill_bytes(kGuard);
    out->view.upload_raw(std::vector<std::byte>(n * (c.x_dtype == DType::f32 ? 4 : 2), std::byte{0xff}));
    out_before = out->arena.download_raw();
  }

  std::optional<Placed> table;
  std::vector<double> table_values;
  std::vector<std::byte> table_before;
  if (learned) {
    table = place(ctx, c.table_dtype, {c.table_rows, D}, c.strided ? 4 : 0);
    table->arena.upload(random_values(static_cast<std::size_t>(table->arena.numel()), rng, 1.0f));
    const std::vector<float> stored = table->view.download();
    table_values.assign(stored.begin(), stored.end());
    table_before = table->arena.download_raw();
  }

  // Positions: learned ones within the table (past it, up to 20 rows, with clamp).
  const std::int64_t max_position = learned ? c.table_rows - 1 + (c.clamp ? 20 : 0) : c.max_position;
  RopePositions positions;
  std::vector<std::int64_t> expanded(static_cast<std::size_t>(B * S));
  if (c.positions == PositionMode::Offset) {
    positions.offset = std::uniform_int_distribution<std::int64_t>(0, max_position - S + 1)(rng);
    for (std::int64_t t = 0; t < B * S; ++t) expanded[static_cast<std::size_t>(t)] = positions.offset + t % S;
  } else {
    std::uniform_int_distribution<std::int64_t> pos(0, max_position);
    const std::int64_t count = c.positions == PositionMode::Shared ? S : B * S;
    for (std::int64_t i = 0; i < count; ++i) positions.values.push_back(pos(rng));
    for (std::int64_t t = 0; t < B * S; ++t)
      expanded[static_cast<std::size_t>(t)] = positions.values[static_cast<std::size_t>(t % count)];
  }

  const PositionEmbeddingConfig config = c.config();
  PositionEmbeddingTensors tensors{x.view, out ? std::optional(out->view) : std::nullopt,
                                   table ? std::optional(table->view) : std::nullopt};
  Batch batch(ctx);
  position_embedding(batch, config, tensors, positions);
  batch.submit();

  const std::vector<double> xd(x_in.begin(), x_in.end());
  const std::vector<double> ref = reference::position_embedding(xd, B, S, D, config, expanded, table_values);
  const CompareReport r = compare((out ? out->view : x.view).download(), ref);

  PositionEmbeddingResult result;
  result.rel_err = r.rel_err;
  result.max_abs_err = r.max_abs_err;
  result.max_abs_ref = r.max_abs_ref;
  result.max_abs_tolerance = detail::position_embedding_max_abs_tolerance(c.x_dtype) * r.max_abs_ref;
  result.rel_tolerance = detail::position_embedding_rel_tolerance(c.x_dtype);
  result.detail = r.to_string();
  // Bytes the call must not touch: around and between out's elements, all of x when out
  // of place (its gaps when in place), all of the table.
  if (out) {
    result.untouched = outside_unchanged(out_before, out->arena.download_raw(), out->view) &&
                       x.arena.download_raw() == x_before;
  } else {
    result.untouched = outside_unchanged(x_before, x.arena.download_raw(), x.view);
  }
  if (table) result.untouched = result.untouched && table->arena.download_raw() == table_before;
  if (!result.untouched) result.detail = "wrote outside its output; " + result.detail;
  return result;
}

}  // namespace vkrope::conformance
