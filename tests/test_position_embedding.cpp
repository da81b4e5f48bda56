// Absolute position embeddings on every device against the double-precision reference:
// sinusoidal and learned, f32/f16 x, f32/f16 tables, [S, d] and [B, S, d], the three
// position forms, strided views, in place, x scaled by sqrt(d), clamp; exactness at
// positions near 2^24; chained calls in one batch; checked mode; and every bad input.
//
// Tolerances (src/ops/position_embedding_check.hpp), by the output's storage:
//  - f32: max abs error <= 2e-6 * max |reference| and L2 relative error <= 1e-6. The
//    sinusoid comes from exact-angle tables within a few float32 ulps of 1, and x * x_scale
//    + PE rounds once or twice more (measured ~1e-7).
//  - f16: max abs error <= (2^-11 + 2e-6) * max |reference|, relative <= 5e-4: the output is
//    the f32 result rounded once to 11 significant bits, at most half an ulp (2^-11 of the
//    value) away. The reference reads the stored (rounded) inputs, so input rounding is free.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "conformance/position_embedding_case.hpp"
#include "ops/position_embedding_check.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/position_embedding.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

using conformance::PositionEmbeddingCase;
using conformance::PositionEmbeddingResult;
using conformance::PositionMode;
using Kind = PositionEmbeddingKind;

using PositionEmbeddingTest = DeviceTest;

// A measured error for RecordProperty (which takes strings and ints), in %g.
std::string g(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// Every combination: kind x x dtype x table dtype (learned) x rank x position form x
// strided x in place, with x scaled on every other case and clamp on every third learned
// one; d 64 (and an odd d, 37, for learned f32, whose last pair has one element),
// sinusoidal positions up to 2^24. 176 calls per device.
TEST_P(PositionEmbeddingTest, MatchesReferenceInEveryCombination) {
  std::mt19937 rng(seed());
  struct Worst {
    double rel = 0, abs_over_ref = 0;
    int cases = 0;
  };
  std::map<std::string, Worst> worst;  // by storage, for the record
  int index = 0;
  for (Kind kind : {Kind::Sinusoidal, Kind::Learned})
    for (DType x_dtype : {DType::f32, DType::f16})
      for (DType table_dtype : {DType::f32, DType::f16})
        for (bool three_dim : {true, false})
          for (PositionMode mode : {PositionMode::Shared, PositionMode::PerBatch, PositionMode::Offset})
            for (bool strided : {false, true})
              for (bool in_place : {false, true}) {
                if (kind == Kind::Sinusoidal && table_dtype == DType::f16) continue;
                PositionEmbeddingCase c;
                c.kind = kind;
                c.x_dtype = x_dtype;
                c.table_dtype = table_dtype;
                c.three_dim = three_dim;
                c.positions = mode;
                c.strided = strided;
                c.in_place = in_place;
                c.scale = index % 2 == 1;
                c.clamp = kind == Kind::Learned && index % 3 == 0;
                c.seq = 3 + index % 5;  // ragged
                c.max_position = index % 2 ? (std::int64_t{1} << 24) : 300;
                if (kind == Kind::Learned && x_dtype == DType::f32 && table_dtype == DType::f32 && index % 4 == 0)
                  c.dim = 37;
                ++index;
                const PositionEmbeddingResult r = run_position_embedding_case(context(), c, rng);
                EXPECT_LE(r.max_abs_err, r.max_abs_tolerance) << c.describe() << ": " << r.detail << " (seed " << seed()
                                                              << ")";
                EXPECT_LE(r.rel_err, r.rel_tolerance) << c.describe() << ": " << r.detail << " (seed " << seed() << ")";
                EXPECT_TRUE(r.untouched) << c.describe() << ": " << r.detail << " (seed " << seed() << ")";
                const std::string storage =
                    std::string(to_string(x_dtype)) +
                    (kind == Kind::Learned ? "/table " + std::string(to_string(table_dtype)) : " sinusoidal");
                Worst& w = worst[storage];
                w.rel = std::max(w.rel, r.rel_err);
                w.abs_over_ref = std::max(w.abs_over_ref, r.max_abs_err / r.max_abs_ref);
                ++w.cases;
              }
  EXPECT_EQ(index, 144);
  for (const auto& [storage, w] : worst) {
    std::printf("  %-22s %3d cases  worst rel %.3g  worst max abs / max|ref| %.3g\n", storage.c_str(), w.cases, w.rel,
                w.abs_over_ref);
    RecordProperty("worst_rel_" + storage, g(w.rel));
  }
}

// --- Exactness at long positions ----------------------------------------------------------

// Positions near 2^24 (and a spread below), d 128, f32: within the f32 bound of the double
// reference, where float32 sin(float(p) * w) misses it by orders of magnitude.
TEST_P(PositionEmbeddingTest, SinusoidalIsExactNearTwoToTheTwentyFour) {
  const std::int64_t D = 128, top = std::int64_t{1} << 24;
  std::vector<std::int64_t> positions = {top, top - 1, top - 2, top - 3, top - 255, top - 256, top - 65537, 1 << 20};
  std::mt19937 rng(seed());
  for (int i = 0; i < 24; ++i) positions.push_back(std::uniform_int_distribution<std::int64_t>(0, top)(rng));
  const auto S = static_cast<std::int64_t>(positions.size());
  const std::vector<float> x = random_floats(static_cast<std::size_t>(S * D));
  const Tensor t = Tensor::from_floats(context(), DType::f32, {S, D}, x);
  PositionEmbeddingConfig config;
  position_embedding(config, {t, std::nullopt, std::nullopt}, {positions, 0});
  const std::vector<double> xd(x.begin(), x.end());
  const std::vector<double> ref = reference::position_embedding(xd, 1, S, D, config, positions);
  const CompareReport r = compare(t.download(), ref);
  EXPECT_LE(r.max_abs_err, 2e-6 * r.max_abs_ref) << r.to_string();
  EXPECT_LE(r.rel_err, 1e-6) << r.to_string();
  RecordProperty("far_max_abs_err_over_max_ref", g(r.max_abs_err / r.max_abs_ref));

  // The plain float32 recipe on the same positions.
  double naive = 0;
  for (std::size_t s = 0; s < positions.size(); ++s)
    for (std::int64_t e = 0; e < D; ++e) {
      const float w = static_cast<float>(1.0 / std::pow(10000.0, static_cast<double>(e - e % 2) / D));
      const float angle = static_cast<float>(positions[s]) * w;
      const float pe = e % 2 ? std::cos(angle) : std::sin(angle);
      const std::size_t i = s * static_cast<std::size_t>(D) + static_cast<std::size_t>(e);
      naive = std::max(naive, std::abs(static_cast<double>(x[i] + pe) - ref[i]));
    }
  EXPECT_GT(naive, 100 * 2e-6 * r.max_abs_ref) << "the float32 recipe unexpectedly met the bound";
  RecordProperty("float32_recipe_max_abs_err_over_max_ref", g(naive / r.max_abs_ref));
}

// --- Learned tables -----------------------------------------------------------------------

// With clamp, a position at or past the table takes its last row: bit for bit what the last
// row's own position gives.
TEST_P(PositionEmbeddingTest, ClampGivesPositionsPastTheTableTheLastRow) {
  const std::int64_t rows = 10, D = 16;
  const Tensor table = Tensor::from_floats(context(), DType::f32, {rows, D}, random_floats(rows * D));
  const std::vector<float> row = random_floats(D);
  std::vector<float> x;
  for (int i = 0; i < 4; ++i) x.insert(x.end(), row.begin(), row.end());
  const Tensor t = Tensor::from_floats(context(), DType::f32, {4, D}, x);
  PositionEmbeddingConfig config;
  config.kind = Kind::Learned;
  config.clamp = true;
  position_embedding(config, {t, std::nullopt, table}, {{rows - 1, rows, rows + 7, 1 << 24}, 0});
  const std::vector<float> y = t.download();
  for (std::size_t tok = 1; tok < 4; ++tok)
    for (std::size_t e = 0; e < static_cast<std::size_t>(D); ++e)
      EXPECT_EQ(y[tok * D + e], y[e]) << "token " << tok << " element " << e;
  // Without clamp the same call is refused (below, BadInputIsRefusedAndLeavesOutputUntouched).
}

// Two calls in one batch, the second reading the first's output (a barrier between them),
// the second in place: x + PE_sin + table row, against the reference applied twice.
TEST_P(PositionEmbeddingTest, ChainedCallsInOneBatch) {
  const std::int64_t B = 2, S = 6, D = 32, rows = 20;
  const std::vector<float> x = random_floats(static_cast<std::size_t>(B * S * D));
  const std::vector<float> tv = random_floats(static_cast<std::size_t>(rows * D));
  const Tensor xin = Tensor::from_floats(context(), DType::f32, {B, S, D}, x);
  const Tensor mid = Tensor::empty(context(), DType::f32, {B, S, D});
  const Tensor table = Tensor::from_floats(context(), DType::f32, {rows, D}, tv);
  PositionEmbeddingConfig sin_config;
  sin_config.x_scale = sqrt_dim_scale(D);
  PositionEmbeddingConfig learned;
  learned.kind = Kind::Learned;
  Batch batch(context());
  position_embedding(batch, sin_config, {xin, mid, std::nullopt}, {{}, 1000});
  position_embedding(batch, learned, {mid, std::nullopt, table}, {{}, 3});
  batch.submit();
  std::vector<std::int64_t> p1, p2;
  for (std::int64_t i = 0; i < B * S; ++i) {
    p1.push_back(1000 + i % S);
    p2.push_back(3 + i % S);
  }
  const std::vector<double> xd(x.begin(), x.end()), td(tv.begin(), tv.end());
  const auto once = reference::position_embedding(xd, B, S, D, sin_config, p1);
  const auto twice = reference::position_embedding(once, B, S, D, learned, p2, td);
  const CompareReport r = compare(mid.download(), twice);
  EXPECT_LE(r.max_abs_err, 4e-6 * r.max_abs_ref) << r.to_string();  // two f32 calls: twice the bound
}

// f16 views that do not fall on 32-bit words (an odd offset, an odd d for a learned table)
// need native 16-bit storage: computed there, refused with Unsupported elsewhere. Between
// them the native builds with every x / table storage pairing run.
TEST_P(PositionEmbeddingTest, F16ViewsOffWordBoundariesNeedNative16BitStorage) {
  const bool native = context().device().storage_16bit;
  struct Odd {
    Kind kind;
    DType x_dtype, table_dtype;
    std::int64_t offset, dim;
  };
  for (const Odd odd : {Odd{Kind::Sinusoidal, DType::f16, DType::f16, 1, 64}, Odd{Kind::Learned, DType::f16, DType::f16, 0, 33},
                        Odd{Kind::Learned, DType::f16, DType::f16, 3, 16}, Odd{Kind::Learned, DType::f32, DType::f16, 0, 33},
                        Odd{Kind::Learned, DType::f16, DType::f32, 1, 16}}) {
    const std::int64_t S = 5, D = odd.dim, rows = 8;
    const Tensor base = Tensor::empty(context(), odd.x_dtype, {odd.offset + S * D});
    const Tensor x = base.view({S, D}, {D, 1}, odd.offset);
    x.upload(random_floats(static_cast<std::size_t>(S * D)));
    const std::vector<float> stored = x.download();
    PositionEmbeddingConfig config;
    config.kind = odd.kind;
    std::optional<Tensor> table;
    std::vector<double> table_values;
    if (odd.kind == Kind::Learned) {
      table = Tensor::from_floats(context(), odd.table_dtype, {rows, D}, random_floats(static_cast<std::size_t>(rows * D)));
      const std::vector<float> t = table->download();
      table_values.assign(t.begin(), t.end());
    }
    const std::vector<std::int64_t> positions = {0, 7, 2, 5, 1};
    const PositionEmbeddingTensors tensors{x, std::nullopt, table};
    if (!native) {
      try {
        position_embedding(config, tensors, {positions, 0});
        ADD_FAILURE() << "accepted an f16 view off word boundaries without 16-bit storage";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
        EXPECT_NE(std::string(e.what()).find("16-bit storage"), std::string::npos) << e.what();
      }
      EXPECT_EQ(x.download(), stored) << "a refused call changed x";
      continue;
    }
    position_embedding(config, tensors, {positions, 0});
    const std::vector<double> xd(stored.begin(), stored.end());
    const auto ref = reference::position_embedding(xd, 1, S, D, config, positions, table_values);
    const CompareReport r = compare(x.download(), ref);
    EXPECT_LE(r.max_abs_err, detail::position_embedding_max_abs_tolerance(odd.x_dtype) * r.max_abs_ref)
        << "offset " << odd.offset << " d " << D << ": " << r.to_string();
  }
}

// --- Checked mode -------------------------------------------------------------------------

TEST_P(PositionEmbeddingTest, CheckedModeCatchesAWrongResult) {
  const Tensor x = Tensor::from_floats(context(), DType::f32, {4, 32}, random_floats(4 * 32));
  const PositionEmbeddingConfig config;
  const PositionEmbeddingTensors t{x, std::nullopt, std::nullopt};
  const RopePositions p{{10, 20, 30, 40}, 0};
  const detail::PositionEmbeddingSnapshot before = detail::snapshot_position_embedding_input(t);
  Batch batch(context());
  position_embedding(batch, config, t, p);
  batch.submit();
  detail::check_position_embedding(config, t, p, before);  // the right answer passes
  auto values = x.download();
  values[77] += 1e-3f;  // far past the tolerance
  x.upload(values);
  try {
    detail::check_position_embedding(config, t, p, before);
    FAIL() << "a corrupted result passed the check";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Mismatch);
    EXPECT_NE(std::string(e.what()).find("element 77"), std::string::npos) << e.what();
  }
}

TEST_P(PositionEmbeddingTest, CheckedContextRunsTheReference) {
  ContextOptions options = validated_options(GetParam());
  options.checked = true;
  const Context checked = Context::create(options);
  PositionEmbeddingConfig config;
  config.kind = Kind::Learned;
  config.x_scale = sqrt_dim_scale(64);
  const Tensor table = Tensor::from_floats(checked, DType::f16, {100, 64}, random_floats(100 * 64));
  const Tensor x = Tensor::from_floats(checked, DType::f16, {2, 3, 64}, random_floats(2 * 3 * 64));
  position_embedding(config, {x, std::nullopt, table}, {{}, 50});  // passes the check
  config.kind = Kind::Sinusoidal;
  position_embedding(config, {x, std::nullopt, std::nullopt}, {{}, 4000});
  EXPECT_TRUE(checked.validation_messages().empty());
}

// --- Bad input ----------------------------------------------------------------------------

// Every refused call names what was wrong and what was expected, and leaves the output
// (poisoned beforehand) as it was.
TEST_P(PositionEmbeddingTest, BadInputIsRefusedAndLeavesOutputUntouched) {
  const Context& c = context();
  const std::int64_t B = 2, S = 3, D = 8, rows = 16;
  const Tensor x = Tensor::from_floats(c, DType::f32, {B, S, D}, random_floats(B * S * D));
  const Tensor out = Tensor::empty(c, DType::f32, {B, S, D});
  out.fill_bytes(0xff);
  const std::vector<std::byte> out_before = out.download_raw(), x_before = x.download_raw();
  const Tensor table = Tensor::from_floats(c, DType::f32, {rows, D}, random_floats(rows * D));
  const Tensor x_odd = Tensor::from_floats(c, DType::f32, {S, 7}, random_floats(S * 7));
  const Tensor x_f16 = Tensor::empty(c, DType::f16, {B, S, D});
  const Tensor x_bf16 = Tensor::empty(c, DType::bf16, {B, S, D});
  const Tensor table_bf16 = Tensor::empty(c, DType::bf16, {rows, D});
  const Tensor table_narrow = Tensor::empty(c, DType::f32, {rows, D - 2});
  const Tensor table_wide = Tensor::empty(c, DType::f32, {rows, D + 2});
  const Tensor table_3d = Tensor::empty(c, DType::f32, {1, rows, D});
  const Tensor out_short = Tensor::empty(c, DType::f32, {B, S - 1, D});
  const Tensor big = Tensor::empty(c, DType::f32, {rows * D + B * S * D});
  const Tensor x_in_big = big.view({B, S, D}, {S * D, D, 1}, 0);
  const Tensor out_in_big = big.view({B, S, D}, {S * D, D, 1}, 4);  // half a row past x: overlaps it
  const Tensor table_in_big = big.view({rows, D}, {D, 1}, 0);
  const Tensor out_after_table = big.view({B, S, D}, {S * D, D, 1}, 8);
  const Tensor x_4d = Tensor::empty(c, DType::f32, {1, B, S, D});
  const Tensor x_strided_last = x.view({B, S, D / 2}, {S * D, D, 2}, 0);
  const Context other = Context::create(validated_options(GetParam()));
  const Tensor out_other = Tensor::empty(other, DType::f32, {B, S, D});
  const Tensor table_other = Tensor::empty(other, DType::f32, {rows, D});

  PositionEmbeddingConfig sin;
  PositionEmbeddingConfig learned;
  learned.kind = Kind::Learned;
  auto with = [](PositionEmbeddingConfig cfg, auto edit) {
    edit(cfg);
    return cfg;
  };
  const RopePositions three{{0, 1, 2}, 0};
  struct Row {
    const char* what;
    ErrorKind kind;
    std::function<void()> call;
    std::string words;
  };
  const auto invalid = ErrorKind::InvalidArgument;
  const std::vector<Row> table_rows = {
      {"odd d, sinusoidal", invalid, [&] { position_embedding(sin, {x_odd, std::nullopt, std::nullopt}, three); },
       "expected an even d"},
      {"base <= 1", invalid, [&] { position_embedding(with(sin, [](auto& k) { k.base = 1.0; }), {x, out, std::nullopt}, three); },
       "base = 1"},
      {"x_scale NaN", invalid,
       [&] { position_embedding(with(sin, [](auto& k) { k.x_scale = std::nan(""); }), {x, out, std::nullopt}, three); },
       "x_scale"},
      {"x_scale past float32", invalid,
       [&] { position_embedding(with(sin, [](auto& k) { k.x_scale = 1e300; }), {x, out, std::nullopt}, three); },
       "within float32's range"},
      {"learned, no table", invalid, [&] { position_embedding(learned, {x, out, std::nullopt}, three); },
       "needs a [max_positions, 8] table"},
      {"sinusoidal with a table", invalid, [&] { position_embedding(sin, {x, out, table}, three); },
       "kind is sinusoidal"},
      {"table narrower than d", invalid, [&] { position_embedding(learned, {x, out, table_narrow}, three); },
       "expected [max_positions, 8]"},
      {"table wider than d", invalid, [&] { position_embedding(learned, {x, out, table_wide}, three); },
       "expected [max_positions, 8]"},
      {"table of rank 3", invalid, [&] { position_embedding(learned, {x, out, table_3d}, three); },
       "expected [max_positions, 8]"},
      {"table bf16", invalid, [&] { position_embedding(learned, {x, out, table_bf16}, three); },
       "table is bf16[16, 8]; expected f32 or f16"},
      {"x bf16", invalid, [&] { position_embedding(sin, {x_bf16, std::nullopt, std::nullopt}, three); },
       "expected f32 or f16"},
      {"x of rank 4", invalid, [&] { position_embedding(sin, {x_4d, std::nullopt, std::nullopt}, three); },
       "expected [batch, seq, d] or [seq, d]"},
      {"x strided last dimension", invalid,
       [&] { position_embedding(sin, {x_strided_last, out.view({B, S, D / 2}, {S * D, D, 1}, 0), std::nullopt}, three); },
       "stride 2; expected 1"},
      {"position past the table", invalid,
       [&] { position_embedding(learned, {x, out, table}, {{0, rows, 2}, 0}); },
       "position[1] = 16 is past the learned table's 16 rows"},
      {"offset past the table", invalid, [&] { position_embedding(learned, {x, out, table}, {{}, rows - 2}); },
       "offset 14 + seq 3 - 1 = 16 is past the learned table's 16 rows"},
      {"negative position", invalid, [&] { position_embedding(sin, {x, out, std::nullopt}, {{0, -1, 2}, 0}); },
       "position[1] = -1 is outside [0, 2^24]"},
      {"position past 2^24", invalid,
       [&] { position_embedding(sin, {x, out, std::nullopt}, {{0, (1 << 24) + 1, 2}, 0}); }, "outside [0, 2^24]"},
      {"negative offset", invalid, [&] { position_embedding(sin, {x, out, std::nullopt}, {{}, -1}); },
       "position offset -1"},
      {"offset past 2^24", invalid, [&] { position_embedding(sin, {x, out, std::nullopt}, {{}, (1 << 24) - 1}); },
       "outside [0, 2^24] (seq 3)"},
      {"wrong positions count", invalid, [&] { position_embedding(sin, {x, out, std::nullopt}, {{0, 1}, 0}); },
       "2 positions for batch 2 x seq 3; expected 3 (shared) or 6 (per batch)"},
      {"out shape", invalid, [&] { position_embedding(sin, {x, out_short, std::nullopt}, three); },
       "out is f32[2, 2, 8]; expected x's f32[2, 3, 8]"},
      {"out dtype", invalid, [&] { position_embedding(sin, {x, x_f16, std::nullopt}, three); },
       "out is f16[2, 3, 8]; expected x's f32[2, 3, 8]"},
      {"out overlaps x", invalid, [&] { position_embedding(sin, {x_in_big, out_in_big, std::nullopt}, three); },
       "overlaps x"},
      {"out overlaps the table", invalid, [&] { position_embedding(learned, {x, out_after_table, table_in_big}, three); },
       "overlaps the table"},
      {"in place over the table", invalid, [&] { position_embedding(learned, {x_in_big, std::nullopt, table_in_big}, three); },
       "overlaps the table"},
      {"out of another Context", invalid, [&] { position_embedding(sin, {x, out_other, std::nullopt}, three); },
       "another Context"},
      {"table of another Context", invalid, [&] { position_embedding(learned, {x, out, table_other}, three); },
       "another Context"},
      {"batch of another Context", invalid,
       [&] {
         Batch batch(other);
         position_embedding(batch, sin, {x, out, std::nullopt}, three);
       },
       "another Context than the batch"},
      {"sqrt_dim_scale(0)", invalid, [&] { sqrt_dim_scale(0); }, "expected >= 1"},
  };
  for (const Row& row : table_rows) {
    try {
      row.call();
      ADD_FAILURE() << row.what << ": accepted; expected an error mentioning '" << row.words << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), row.kind) << row.what << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(row.words), std::string::npos) << row.what << ": " << e.what();
    }
    EXPECT_EQ(out.download_raw(), out_before) << row.what << ": changed the output";
    EXPECT_EQ(x.download_raw(), x_before) << row.what << ": changed x";
  }
  // The edges that are accepted: position 2^24, the table's last row, in place, and the
  // same call with clamp.
  position_embedding(sin, {x, out, std::nullopt}, {{0, 1, 1 << 24}, 0});
  position_embedding(learned, {x, out, table}, {{0, rows - 1, 2}, 0});
  position_embedding(with(learned, [](auto& k) { k.clamp = true; }), {x, out, table}, {{0, rows, 2}, 0});
  position_embedding(sin, {x_in_big, x_in_big, std::nullopt}, three);
  EXPECT_TRUE(other.validation_messages().empty());
}

INSTANTIATE_TEST_SUITE_P(Devices, PositionEmbeddingTest, testing::ValuesIn(device_cases()), case_name);

// --- The reference itself -----------------------------------------------------------------

// The paper's values at small positions, by hand: PE(0) = (0, 1, 0, 1, ...), PE(1, 0) =
// sin 1, PE(1, 1) = cos 1; the last pair of d = 4 at p = 100: 100 / 10000^(2/4) = 1 rad.
TEST(PositionEmbeddingReference, MatchesThePaperAtSmallPositions) {
  const std::vector<double> x(3 * 4, 0.25);
  PositionEmbeddingConfig config;
  config.x_scale = 2.0;
  const auto y = reference::position_embedding(x, 1, 3, 4, config, std::vector<std::int64_t>{0, 1, 100});
  const double expected[12] = {0.5,           1.5,           0.5,        1.5,
                               0.5 + std::sin(1.0), 0.5 + std::cos(1.0), 0.5 + std::sin(0.01), 0.5 + std::cos(0.01),
                               0.5 + std::sin(100.0), 0.5 + std::cos(100.0), 0.5 + std::sin(1.0), 0.5 + std::cos(1.0)};
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(y[static_cast<std::size_t>(i)], expected[i], 1e-15) << i;
  PositionEmbeddingConfig learned;
  learned.kind = PositionEmbeddingKind::Learned;
  const std::vector<double> table = {1, 2, 3, 4, 5, 6, 7, 8};  // 2 rows of d 4
  EXPECT_THROW(reference::position_embedding(x, 1, 3, 4, learned, std::vector<std::int64_t>{0, 1, 2}, table), Error);
  learned.clamp = true;
  const auto z = reference::position_embedding(x, 1, 3, 4, learned, std::vector<std::int64_t>{0, 1, 2}, table);
  EXPECT_EQ(z[8], 0.25 + 5);  // position 2 clamped to row 1
}

}  // namespace
}  // namespace vkrope::test
