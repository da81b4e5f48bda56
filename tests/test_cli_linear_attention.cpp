// `vkrope linear-attention` as a user runs it: the output against the double-precision
// reference, with and without RoPE and causal; bad input exits 2 with one line and creates
// nothing.
#include <gtest/gtest.h>

#include <random>

#include "io/npy.hpp"
#include "support/cli_fixture.hpp"
#include "support/cli_npy_fixture.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

class CliLinearAttentionTest : public CliNpyTest {
 protected:
  std::string files(const std::string& out) const {
    return "linear-attention --q " + path("q.npy") + " --k " + path("k.npy") + " --v " + path("v.npy") +
           " --output " + out;
  }
};

TEST_F(CliLinearAttentionTest, MatchesTheReference) {
  const std::int64_t B = 2, S = 21, H = 4, Hkv = 2, D = 32, Dv = 16;
  for (io::NpyType type : {io::NpyType::f32, io::NpyType::f16}) {
    const auto q = write_random("q.npy", type, {B, S, H, D});
    const auto k = write_random("k.npy", type, {B, S, Hkv, D});
    const auto v = write_random("v.npy", type, {B, S, Hkv, Dv});
    struct Case {
      std::string flags;
      LinearAttentionConfig config;
    };
    LinearAttentionConfig causal_rope;
    causal_rope.causal = true;
    causal_rope.rope = RopeConfig{};
    causal_rope.rope->head_dim = D;
    causal_rope.rope->layout = RopeLayout::Interleaved;
    causal_rope.rope->theta = 500.0;
    LinearAttentionConfig relu;
    relu.feature = LinearFeature::Relu;
    for (const Case& c : {Case{"", {}}, Case{"--feature relu", relu},
                          Case{"--causal --chunk 5 --rope --layout interleaved --theta 500", causal_rope}}) {
      const CliRun r = run(files(path("o.npy")) + " " + c.flags);
      ASSERT_EQ(r.code, 0) << c.flags << "\n" << r.err;
      EXPECT_NE(r.out.find("linear-attention:"), std::string::npos) << r.out;
      const io::NpyArray o = io::read_npy(path("o.npy"));
      EXPECT_EQ(o.type, type);
      EXPECT_EQ(o.shape, (std::vector<std::int64_t>{B, S, H, Dv}));
      const auto expected = reference::linear_attention(q, k, v, B, S, S, H, Hkv, D, Dv, c.config);
      const CompareReport report = compare(io::to_floats(o), expected);
      // The op's tolerances (linear_attention_plan.hpp): f32 1e-5, f16 output 2e-3.
      EXPECT_LE(report.rel_err, type == io::NpyType::f32 ? 1e-5 : 2e-3)
          << c.flags << ": " << report.to_string() << " (seed " << seed_ << ")";
    }
  }
}

TEST_F(CliLinearAttentionTest, BadInputExitsTwoAndCreatesNothing) {
  write_random("q.npy", io::NpyType::f32, {1, 8, 4, 16});
  write_random("k.npy", io::NpyType::f32, {1, 8, 2, 16});
  write_random("v.npy", io::NpyType::f32, {1, 8, 2, 16});
  write_random("k9.npy", io::NpyType::f32, {1, 9, 2, 16});
  write_random("v3.npy", io::NpyType::f32, {1, 8, 3, 16});
  write_random("vh.npy", io::NpyType::f16, {1, 8, 2, 16});
  const std::string out = path("never.npy");
  const std::string base = files(out);
  const std::string q = path("q.npy"), k = path("k.npy"), v = path("v.npy");
  const auto with = [&](const std::string& q_file, const std::string& k_file, const std::string& v_file) {
    return "linear-attention --q " + q_file + " --k " + k_file + " --v " + v_file + " --output " + out;
  };
  expect_usage_error(with(q, path("k9.npy"), path("k9.npy")) + " --causal", "causal with 8 queries and 9 keys", out);
  expect_usage_error(with(q, k, path("v3.npy")), "differ in length or heads", out);
  expect_usage_error(with(q, k, path("vh.npy")), "expected one dtype", out);
  expect_usage_error(base + " --feature tanh", "tanh", out);
  expect_usage_error(base + " --chunk 40 --causal", "chunk 40", out);
  expect_usage_error(base + " --theta 500", "--rope", out);
  expect_usage_error(base + " --rope --rotary-dim 3", "rotary", out);
  expect_usage_error(with(path("missing.npy"), k, v), "missing.npy", out);
  expect_usage_error("linear-attention --q " + q + " --k " + k + " --output " + out, "--v", out);
}

}  // namespace
}  // namespace vkrope::test
