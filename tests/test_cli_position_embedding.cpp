// `vkrope position-embedding` as a user runs it: both kinds against the double reference,
// and bad input: exit 2, one line on stderr, no output file. (Part of test_cli.)
#include <gtest/gtest.h>

#include <random>

#include "io/npy.hpp"
#include "support/cli_fixture.hpp"
#include "support/cli_npy_fixture.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

using CliPositionEmbeddingTest = CliNpyTest;

// Sinusoidal over [batch, seq, d] f32 at per-batch positions near 2^24, x scaled by sqrt(d):
// the f32 bound (2e-6 of max |reference|).
TEST_F(CliPositionEmbeddingTest, SinusoidalMatchesTheReference) {
  const auto x = write_random("x.npy", io::NpyType::f32, {2, 3, 64});
  const std::vector<std::int64_t> pos{7, 70000, 3, (1 << 24) - 2, 2, 1 << 24};  // [batch, seq]
  io::write_npy(path("p.npy"), io::NpyType::i64, std::vector<std::int64_t>{2, 3}, std::as_bytes(std::span(pos)));
  const CliRun r = run("position-embedding --kind sinusoidal --input " + path("x.npy") + " --output " + path("y.npy") +
                       " --positions " + path("p.npy") + " --scale --base 20000");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("position-embedding: sinusoidal float32 [2, 3, 64]"), std::string::npos) << r.out;
  const io::NpyArray y = io::read_npy(path("y.npy"));
  EXPECT_EQ(y.shape, (std::vector<std::int64_t>{2, 3, 64}));
  PositionEmbeddingConfig config;
  config.base = 20000;
  config.x_scale = 8.0;  // sqrt(64)
  const auto ref = reference::position_embedding(x, 2, 3, 64, config, pos);
  const CompareReport c = compare(io::to_floats(y), ref);
  EXPECT_LE(c.max_abs_err, 2e-6 * c.max_abs_ref) << c.to_string();
}

// Learned over [seq, d] f16 with an f32 table, offset positions running past the table,
// clamped: the f16 bound (half an ulp of the output, 2^-11 of max |reference|).
TEST_F(CliPositionEmbeddingTest, LearnedWithClampMatchesTheReference) {
  const auto x = write_random("x16.npy", io::NpyType::f16, {5, 32});
  const auto table = write_random("t.npy", io::NpyType::f32, {8, 32});
  const CliRun r = run("position-embedding --kind learned --input " + path("x16.npy") + " --output " + path("y16.npy") +
                       " --table " + path("t.npy") + " --offset 5 --clamp --x-scale 0.5");
  ASSERT_EQ(r.code, 0) << r.err;
  const io::NpyArray y = io::read_npy(path("y16.npy"));
  EXPECT_EQ(y.type, io::NpyType::f16);
  PositionEmbeddingConfig config;
  config.kind = PositionEmbeddingKind::Learned;
  config.clamp = true;
  config.x_scale = 0.5;
  const auto ref = reference::position_embedding(x, 1, 5, 32, config, std::vector<std::int64_t>{5, 6, 7, 8, 9}, table);
  const CompareReport c = compare(io::to_floats(y), ref);
  EXPECT_LE(c.max_abs_err, (0x1p-11 + 2e-6) * c.max_abs_ref) << c.to_string();
}

TEST_F(CliPositionEmbeddingTest, BadInputExitsTwoAndCreatesNothing) {
  write_random("x.npy", io::NpyType::f32, {2, 3, 8});
  write_random("odd.npy", io::NpyType::f32, {3, 7});
  write_random("t.npy", io::NpyType::f32, {4, 8});
  write_random("wide.npy", io::NpyType::f32, {4, 10});
  const std::vector<std::int64_t> pos{0, 1};
  io::write_npy(path("p2.npy"), io::NpyType::i64, std::vector<std::int64_t>{2}, std::as_bytes(std::span(pos)));
  const std::string out = path("never.npy");
  const std::string sin = "position-embedding --kind sinusoidal --input " + path("x.npy") + " --output " + out;
  const std::string learned = "position-embedding --kind learned --input " + path("x.npy") + " --output " + out;
  expect_usage_error(learned, "expected --table", out);
  expect_usage_error(learned + " --table " + path("wide.npy"), "expected [max_positions, 8]", out);
  expect_usage_error(learned + " --table " + path("t.npy") + " --offset 2", "past the learned table's 4 rows", out);
  expect_usage_error(learned + " --table " + path("t.npy") + " --base 100", "--base", out);
  expect_usage_error(sin + " --table " + path("t.npy"), "--kind learned", out);
  expect_usage_error(sin + " --clamp", "--clamp", out);
  expect_usage_error(sin + " --offset -1", "offset -1", out);
  expect_usage_error(sin + " --base 1", "base = 1", out);
  expect_usage_error(sin + " --positions " + path("p2.npy"), "expected [3] or [2, 3]", out);
  expect_usage_error(sin + " --scale --x-scale 2", "excludes", out);
  expect_usage_error("position-embedding --kind rotary --input " + path("x.npy") + " --output " + out, "rotary", out);
  expect_usage_error("position-embedding --kind sinusoidal --input " + path("odd.npy") + " --output " + out,
                     "expected an even d", out);
  expect_usage_error("position-embedding --kind sinusoidal --input " + path("missing.npy") + " --output " + out,
                     "missing.npy", out);
  expect_usage_error("position-embedding --kind sinusoidal --input " + path("x.npy") + " --output " + path("none/o.npy"),
                     "none/o.npy", path("none/o.npy"));
}

}  // namespace
}  // namespace vkrope::test
