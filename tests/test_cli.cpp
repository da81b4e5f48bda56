// The CLI as a user runs it: exit codes (0 ok, 2 usage or input error, 1 failure), one-line
// errors on stderr, outputs never created on error, and `vkrope rope` and `vkrope attention`
// against the references. The binary's path comes from CMake (VKROPE_CLI_PATH).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "io/npy.hpp"
#include "support/cli_fixture.hpp"
#include "support/cli_npy_fixture.hpp"
#include "support/device_matrix.hpp"
#include "support/gguf_writer.hpp"
#include "vkrope/check.hpp"
#include "vkrope/reference.hpp"

namespace vkrope::test {
namespace {

TEST_F(CliTest, DevicesMarksTheDefaultAndRefusesAnUnknownSelector) {
  const CliRun r = run("devices");
  EXPECT_EQ(r.code, 0) << r.err;
  // Only structures a device reports are chained, so SwiftShader prints no
  // "WARNING: UNSUPPORTED: pProperties->pNext" lines: stderr is vkrope's alone.
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("* ["), std::string::npos) << r.out;
  // Every device says what its tensor cores run ("none" on the CPU drivers here).
  EXPECT_NE(r.out.find("cooperative matrix "), std::string::npos) << r.out;
  // Selecting another device by a case-insensitive piece of its name moves the default mark
  // (to SwiftShader here; in the trixie chroot, with lavapipe alone, it stays).
  const CliRun json = run("devices --json");
  EXPECT_EQ(json.code, 0);
  const nlohmann::json listed = nlohmann::json::parse(json.out);
  const std::size_t other = listed["devices"].size() > 1 && listed["default"] == 0 ? 1 : 0;
  const std::string name = listed["devices"][other]["name"].get<std::string>();
  const std::string word = name.substr(0, name.find(' '));
  std::string upper = word;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const CliRun chosen = run("devices --device " + upper);
  EXPECT_EQ(chosen.code, 0) << chosen.err;
  EXPECT_NE(chosen.out.find("* [" + std::to_string(other) + "] " + word), std::string::npos) << chosen.out;
  EXPECT_NE(json.out.find("\"default\""), std::string::npos);
  EXPECT_NE(json.out.find("\"cooperative_matrix\": ["), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"max_subgroup_size\""), std::string::npos);
  EXPECT_NE(json.out.find("\"compute_units\""), std::string::npos);
  expect_usage_error("devices --device no-such-gpu", "no-such-gpu");
}

TEST_F(CliTest, UsageErrorsExitTwoWithOneLine) {
  expect_usage_error("no-such-command", "no-such-command");
  expect_usage_error("devices --no-such-flag", "no-such-flag");
  expect_usage_error("", "subcommand");
  expect_usage_error("--emulate fast devices", "fast");
  EXPECT_EQ(run("--help").code, 0);
}

TEST_F(CliTest, RopeMatchesTheReference) {
  std::mt19937 rng(fresh_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const std::vector<std::int64_t> shape{2, 3, 4, 64};
  std::vector<float> x(2 * 3 * 4 * 64);
  for (float& v : x) v = dist(rng);
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, shape, x);
  const std::vector<std::int64_t> pos{7, 70000, 3, 1, 2, 900};  // [batch, seq]
  io::write_npy(path("p.npy"), io::NpyType::i64, std::vector<std::int64_t>{2, 3},
                std::as_bytes(std::span(pos)));
  const CliRun r = run("rope --input " + path("x.npy") + " --output " + path("y.npy") + " --positions " + path("p.npy") +
                    " --layout interleaved --rotary-dim 32 --theta 500000");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto y = io::to_floats(io::read_npy(path("y.npy")));
  RopeConfig config;
  config.head_dim = 64;
  config.rotary_dim = 32;
  config.layout = RopeLayout::Interleaved;
  config.theta = 500000;
  const std::vector<double> xd(x.begin(), x.end());
  const auto ref = reference::rope(xd, 2, 3, 4, config, pos);
  EXPECT_LE(compare(y, ref).max_abs_err, 1e-6) << compare(y, ref).to_string();
}

TEST_F(CliTest, RopeReadsScalingAndHfConfig) {
  std::vector<float> x(5 * 2 * 96, 0.5f);
  io::write_npy_floats(path("x16.npy"), io::NpyType::f16, std::vector<std::int64_t>{5, 2, 96}, x);
  {
    std::ofstream(path("config.json")) << R"({"hidden_size": 3072, "num_attention_heads": 32,
      "max_position_embeddings": 131072, "original_max_position_embeddings": 4096, "rope_theta": 10000.0,
      "rope_scaling": {"type": "longrope", "short_factor": [)" +
                                              [] {
                                                std::string s;
                                                for (int i = 0; i < 48; ++i) s += (i ? ",1.0" : "1.0");
                                                return s;
                                              }() + R"(], "long_factor": [)" +
                                              [] {
                                                std::string s;
                                                for (int i = 0; i < 48; ++i) s += (i ? ",2.0" : "2.0");
                                                return s;
                                              }() + "]}}";
  }
  const CliRun r = run("rope --input " + path("x16.npy") + " --output " + path("y16.npy") + " --offset 5000 --hf-config " +
                    path("config.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const io::NpyArray y = io::read_npy(path("y16.npy"));
  EXPECT_EQ(y.type, io::NpyType::f16);
  EXPECT_EQ(y.shape, (std::vector<std::int64_t>{5, 2, 96}));
  const CliRun inline_scaling = run("rope --input " + path("x16.npy") + " --output " + path("z.npy") +
                                 " --scaling '{\"rope_type\": \"linear\", \"factor\": 4.0}'");
  EXPECT_EQ(inline_scaling.code, 0) << inline_scaling.err;
}

TEST_F(CliTest, RopeBadInputExitsTwoAndCreatesNothing) {
  std::vector<float> x(3 * 2 * 8, 1.0f);
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, std::vector<std::int64_t>{3, 2, 8}, x);
  const std::string out = path("never.npy");
  const std::string base = "rope --input " + path("x.npy") + " --output " + out;
  expect_usage_error("rope --input " + path("missing.npy") + " --output " + out, "missing.npy", out);
  expect_usage_error(base + " --rotary-dim 3", "rotary", out);
  expect_usage_error(base + " --rotary-dim 16", "rotary", out);
  expect_usage_error(base + " --offset -4", "offset", out);
  expect_usage_error(base + " --offset 16777215", "2^24", out);
  expect_usage_error(base + " --scaling '{\"rope_type\": \"warp\", \"factor\": 2}'", "warp", out);
  expect_usage_error(base + " --scaling '{\"rope_type\": \"linear\"'", "JSON", out);
  expect_usage_error(base + " --scaling '{\"rope_type\": \"linear\", \"factor\": -1}'", "factor", out);
  expect_usage_error(base + " --layout sideways", "sideways", out);
  expect_usage_error(base + " --hf-config " + path("nope.json"), "nope.json", out);
  const std::vector<std::int64_t> wrong{0, 1};
  io::write_npy(path("p2.npy"), io::NpyType::i64, std::vector<std::int64_t>{2}, std::as_bytes(std::span(wrong)));
  expect_usage_error(base + " --positions " + path("p2.npy"), "expected [3]", out);
  { std::ofstream(path("bad.npy")) << "\x93NUMPY garbage"; }
  expect_usage_error("rope --input " + path("bad.npy") + " --output " + out, "bad.npy", out);
  io::write_npy_floats(path("x2d.npy"), io::NpyType::f32, std::vector<std::int64_t>{6, 8}, std::vector<float>(48, 1.0f));
  expect_usage_error("rope --input " + path("x2d.npy") + " --output " + out, "expected [seq", out);
}

// M-RoPE positions as transformers' position_ids ([3, seq] / [3, batch, seq]) and 2D vision
// positions as (row, column) pairs ([seq, 2] / [batch, seq, 2]), against the reference.
TEST_F(CliTest, RopeTakesMultimodalAndVisionPositions) {
  std::mt19937 rng(fresh_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(2 * 5 * 2 * 64);
  for (float& v : x) v = dist(rng);
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, std::vector<std::int64_t>{2, 5, 2, 64}, x);
  const std::vector<double> xd(x.begin(), x.end());
  std::uniform_int_distribution<std::int64_t> pos(0, 5000);

  // M-RoPE, per batch: [3, 2, 5], stream-major as RopePositions takes it.
  std::vector<std::int64_t> mpos(3 * 2 * 5);
  for (auto& p : mpos) p = pos(rng);
  io::write_npy(path("m.npy"), io::NpyType::i64, std::vector<std::int64_t>{3, 2, 5}, std::as_bytes(std::span(mpos)));
  const CliRun m = run("rope --input " + path("x.npy") + " --output " + path("ym.npy") + " --positions " +
                       path("m.npy") + " --mrope-section 12,10,10 --mrope-interleaved");
  ASSERT_EQ(m.code, 0) << m.err;
  RopeConfig mrope;
  mrope.head_dim = 64;
  mrope.mrope_section = {12, 10, 10};
  mrope.mrope_interleaved = true;
  const auto ym = io::to_floats(io::read_npy(path("ym.npy")));
  const auto mref = reference::rope(xd, 2, 5, 2, mrope, mpos);
  EXPECT_LE(compare(ym, mref).max_abs_err, 1e-6) << compare(ym, mref).to_string();  // f32: 1e-6 of max|x| <= 1

  // Vision, shared by the batch: [5, 2] (row, column) pairs.
  std::vector<std::int64_t> vpos(5 * 2);
  for (auto& p : vpos) p = pos(rng) % 64;
  io::write_npy(path("v.npy"), io::NpyType::i64, std::vector<std::int64_t>{5, 2}, std::as_bytes(std::span(vpos)));
  const CliRun v = run("rope --input " + path("x.npy") + " --output " + path("yv.npy") + " --positions " +
                       path("v.npy") + " --vision pixtral");
  ASSERT_EQ(v.code, 0) << v.err;
  RopeConfig vision;
  vision.head_dim = 64;
  vision.vision = RopeVision::Pixtral;
  std::vector<std::int64_t> expanded(2 * 2 * 5);  // [stream][batch * seq]
  for (int st = 0; st < 2; ++st)
    for (int t = 0; t < 10; ++t) expanded[static_cast<std::size_t>(st * 10 + t)] = vpos[static_cast<std::size_t>(2 * (t % 5) + st)];
  const auto yv = io::to_floats(io::read_npy(path("yv.npy")));
  const auto vref = reference::rope(xd, 2, 5, 2, vision, expanded);
  EXPECT_LE(compare(yv, vref).max_abs_err, 1e-6) << compare(yv, vref).to_string();

  // Wrong shapes and fields: exit 2, nothing written.
  const std::string out = path("never.npy");
  const std::string base = "rope --input " + path("x.npy") + " --output " + out;
  expect_usage_error(base + " --positions " + path("v.npy") + " --mrope-section 8,12,12", "expected [3, 5]", out);
  expect_usage_error(base + " --positions " + path("m.npy") + " --vision qwen2vl", "expected [5, 2]", out);
  expect_usage_error(base + " --mrope-section 8,12,11", "sums to 31", out);
  expect_usage_error(base + " --mrope-section 8,12", "mrope-section", out);
  expect_usage_error(base + " --mrope-interleaved", "without mrope_section", out);
  expect_usage_error(base + " --vision pixtral --rotary-dim 22", "multiple of 4", out);
  expect_usage_error(base + " --vision sideways", "sideways", out);
  expect_usage_error(base + " --vision-tower", "--hf-config", out);
  expect_usage_error(base + " --rotary-dim 0", "--rotary-dim 0", out);
}

// The flags and --hf-config derive every value by one code path: the same numbers give the
// same bytes (Qwen2.5-VL's M-RoPE with YaRN, and Llama 3's scaling).
TEST_F(CliTest, RopeFlagsAndHfConfigGiveTheSameBytes) {
  std::mt19937 rng(fresh_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(4 * 2 * 128);
  for (float& v : x) v = dist(rng);
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, std::vector<std::int64_t>{4, 2, 128}, x);
  const std::vector<std::int64_t> pos = {7, 900, 40000, 3, 1, 2, 5, 6, 7, 4, 4, 4};  // [3, 4]
  io::write_npy(path("p.npy"), io::NpyType::i64, std::vector<std::int64_t>{3, 4}, std::as_bytes(std::span(pos)));
  { std::ofstream(path("vl.json")) << R"({"model_type": "qwen2_5_vl", "head_dim": 128, "rope_theta": 1000000.0,
      "max_position_embeddings": 128000, "rope_scaling": {"type": "yarn", "factor": 4.0,
      "original_max_position_embeddings": 32000, "mrope_section": [16, 24, 24]}})"; }
  const std::string base = "rope --input " + path("x.npy") + " --positions " + path("p.npy");
  const CliRun a = run(base + " --output " + path("a.npy") + " --hf-config " + path("vl.json"));
  ASSERT_EQ(a.code, 0) << a.err;
  const CliRun b = run(base + " --output " + path("b.npy") + " --theta 1000000 --max-position-embeddings 128000 " +
                       "--mrope-section 16,24,24 --scaling '{\"type\": \"yarn\", \"factor\": 4.0, " +
                       "\"original_max_position_embeddings\": 32000}'");
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(io::read_npy(path("a.npy")).data, io::read_npy(path("b.npy")).data);
}

// --gguf: the RoPE of a GGUF model's metadata, the same as the config it describes; in
// attention it implies --rope and the head counts must be the model's.
TEST_F(CliTest, RopeAndAttentionReadGguf) {
  test::GgufWriter w;
  w.add_string("general.architecture", "qwen2")
      .add_u32("qwen2.context_length", 32768)
      .add_u32("qwen2.embedding_length", 256)
      .add_u32("qwen2.attention.head_count", 4)
      .add_u32("qwen2.attention.head_count_kv", 2)
      .add_f32("qwen2.rope.freq_base", 1000000.0f);
  w.write(path("model.gguf"));
  std::mt19937 rng(fresh_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(6 * 4 * 64);
  for (float& v : x) v = dist(rng);
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, std::vector<std::int64_t>{6, 4, 64}, x);
  const CliRun r = run("rope --input " + path("x.npy") + " --output " + path("y.npy") + " --offset 100 --gguf " +
                       path("model.gguf"));
  ASSERT_EQ(r.code, 0) << r.err;
  RopeConfig config;  // what llama.cpp reads: neox for qwen2, theta 1e6
  config.head_dim = 64;
  config.theta = 1e6;
  config.max_position_embeddings = 32768;
  const std::vector<double> xd(x.begin(), x.end());
  const auto ref = reference::rope(xd, 1, 6, 4, config, std::vector<std::int64_t>{100, 101, 102, 103, 104, 105});
  const auto y = io::to_floats(io::read_npy(path("y.npy")));
  EXPECT_LE(compare(y, ref).max_abs_err, 1e-6) << compare(y, ref).to_string();

  std::vector<float> kv(6 * 2 * 64, 0.25f);
  io::write_npy_floats(path("k.npy"), io::NpyType::f32, std::vector<std::int64_t>{6, 2, 64}, kv);
  const std::string files = "--q " + path("x.npy") + " --k " + path("k.npy") + " --v " + path("k.npy");
  const CliRun a = run("attention " + files + " --output " + path("o.npy") + " --causal --gguf " + path("model.gguf"));
  EXPECT_EQ(a.code, 0) << a.err;
  const std::string out = path("never.npy");
  io::write_npy_floats(path("k3.npy"), io::NpyType::f32, std::vector<std::int64_t>{6, 1, 64}, std::vector<float>(6 * 64, 0.5f));
  expect_usage_error("attention --q " + path("x.npy") + " --k " + path("k3.npy") + " --v " + path("k3.npy") +
                         " --output " + out + " --gguf " + path("model.gguf"),
                     "2 kv heads", out);
  expect_usage_error("rope --input " + path("x.npy") + " --output " + out + " --gguf " + path("x.npy"), "x.npy", out);
  expect_usage_error("rope --input " + path("x.npy") + " --output " + out + " --gguf " + path("model.gguf") +
                         " --hf-config " + path("model.gguf"),
                     "excludes", out);
}

// File and path problems through every command that reads or writes files: exit 2, one
// line naming the path, nothing created. (Directories stand in for unwritable paths: the
// tests may run as root, where permissions are not enforced.)
TEST_F(CliTest, PathProblemsInEveryCommandExitTwoAndCreateNothing) {
  io::write_npy_floats(path("x.npy"), io::NpyType::f32, std::vector<std::int64_t>{3, 2, 8}, std::vector<float>(48, 0.5f));
  io::write_npy_floats(path("q.npy"), io::NpyType::f32, std::vector<std::int64_t>{1, 2, 2, 8}, std::vector<float>(32, 0.5f));
  // A header promising 48 floats over a file holding 47.
  fs::copy_file(path("x.npy"), path("short.npy"));
  fs::resize_file(path("short.npy"), fs::file_size(path("short.npy")) - 4);
  fs::create_directories(path("dir.npy"));
  { std::ofstream(path("file")) << "x"; }
  { std::ofstream(path("typed.json")) << R"({"head_dim": 8, "rope_theta": "10000"})"; }
  const std::string out = path("o.npy"), under_file = path("file/o.npy"), missing_dir = path("none/o.npy");
  const std::string rope = "rope --input " + path("x.npy") + " --output ";
  const std::string attn = "attention --q " + path("q.npy") + " --k " + path("q.npy") + " --v " + path("q.npy");
  struct Case {
    std::string args, words, never_created;
  };
  const std::vector<Case> cases = {
      {rope + path("dir.npy"), "dir.npy", ""},
      {rope + under_file, "file/o.npy", under_file},
      {rope + missing_dir, "none/o.npy", missing_dir},
      {"rope --input " + path("dir.npy") + " --output " + out, "dir.npy", out},
      {"rope --input " + path("short.npy") + " --output " + out, "truncated .npy data", out},
      {rope + out + " --hf-config " + path("dir.npy"), "dir.npy", out},
      {rope + out + " --hf-config " + path("typed.json"), "rope_theta", out},
      {rope + out + " --scaling " + path("dir.npy"), "dir.npy", out},
      {attn + " --output " + path("dir.npy"), "dir.npy", ""},
      {attn + " --output " + under_file, "file/o.npy", under_file},
      {"attention --q " + path("short.npy") + " --k " + path("q.npy") + " --v " + path("q.npy") + " --output " + out,
       "truncated .npy data", out},
      {attn + " --output " + out + " --sinks " + path("dir.npy"), "dir.npy", out},
      {"conformance --quick --case rope --json " + path("dir.npy"), "dir.npy", ""},
      {"conformance --quick --case rope --json " + under_file, "file/o.npy", under_file},
      {"conformance --compare " + path("dir.npy") + " " + path("short.npy"), "dir.npy", ""},
      {"bench --json " + under_file, "file/o.npy", under_file},
      {"bench --json " + path("dir.npy"), "dir.npy", ""},
      {"bench --plot " + path("file"), "file", ""},
  };
  for (const Case& c : cases) expect_usage_error(c.args, c.words, c.never_created);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(path("dir.npy"))) << "something was written into the directory";
}

// --- vkrope attention ---------------------------------------------------------------------

// The shapes of one attention run; three_dim drops the batch dimension from the files.
struct AttentionDims {
  std::int64_t batch = 1, sq = 1, skv = 1, heads = 1, kv_heads = 1, head_dim = 64;
  bool three_dim = false;
  std::vector<std::int64_t> q_shape() const { return shape(sq, heads); }
  std::vector<std::int64_t> kv_shape() const { return shape(skv, kv_heads); }
  std::vector<std::int64_t> shape(std::int64_t seq, std::int64_t h) const {
    if (three_dim) return {seq, h, head_dim};
    return {batch, seq, h, head_dim};
  }
};

// q, k, v as stored in their files (f16 rounded), for the reference.
struct StoredQkv {
  std::vector<double> q, k, v;
};

class CliAttentionTest : public CliNpyTest {
 protected:

  StoredQkv write_qkv(const AttentionDims& d, io::NpyType q_type, io::NpyType kv_type) {
    return {write_random("q.npy", q_type, d.q_shape()), write_random("k.npy", kv_type, d.kv_shape()),
            write_random("v.npy", kv_type, d.kv_shape())};
  }

  std::string qkv_args(const std::string& output) const {
    return "attention --q " + path("q.npy") + " --k " + path("k.npy") + " --v " + path("v.npy") + " --output " + output;
  }

  // Runs `vkrope attention` on q/k/v.npy with `flags` on the default device and compares
  // the output with the double-precision reference under `config`.
  void expect_matches_reference(const std::string& flags, const AttentionDims& d, const StoredQkv& in,
                                io::NpyType q_type, const AttentionConfig& config) {
    const CliRun r = run(qkv_args(path("o.npy")) + " " + flags);
    ASSERT_EQ(r.code, 0) << flags << "\n" << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("attention:"), std::string::npos) << r.out;
    const io::NpyArray o = io::read_npy(path("o.npy"));
    EXPECT_EQ(o.type, q_type);
    EXPECT_EQ(o.shape, d.q_shape());
    const auto expected = reference::attention(in.q, in.k, in.v, d.batch, d.sq, d.skv, d.heads, d.kv_heads,
                                               d.head_dim, config);
    const CompareReport report = compare(io::to_floats(o), expected);
    // The f32-output tolerance of the op (src/ops/attention_check.hpp): float32 dot
    // products, running max, sum and accumulator are a few ulps per term, ~1e-6 in
    // practice. f16 inputs are compared as stored, so their rounding is not error.
    EXPECT_LE(report.rel_err, 1e-5) << flags << ": " << report.to_string() << " (seed " << seed_ << ")";
  }

};

TEST_F(CliAttentionTest, MatchesTheReference) {
  const AttentionDims d{.batch = 2, .sq = 5, .skv = 12, .heads = 4, .kv_heads = 2};  // GQA, group 2
  const StoredQkv in = write_qkv(d, io::NpyType::f32, io::NpyType::f32);
  expect_matches_reference("", d, in, io::NpyType::f32, {});
  AttentionConfig scaled;
  scaled.scale = 0.3;
  expect_matches_reference("--scale 0.3", d, in, io::NpyType::f32, scaled);
}

TEST_F(CliAttentionTest, Float32QueriesOverFloat16KeysAndValues) {
  // [S, H, D] files, multi-query (one kv head).
  const AttentionDims d{.sq = 8, .skv = 33, .heads = 4, .kv_heads = 1, .three_dim = true};
  const StoredQkv in = write_qkv(d, io::NpyType::f32, io::NpyType::f16);
  AttentionConfig causal;
  causal.causal = true;
  expect_matches_reference("--causal", d, in, io::NpyType::f32, causal);
}

// --kv-format / --k-format / --v-format: K and V quantized on the device (the bytes the
// host encoder writes, test_kv_formats.cpp), so the reference takes the host's decoded values.
TEST_F(CliAttentionTest, KvFormatsStoreKAndVAsAsked) {
  const AttentionDims d{.sq = 3, .skv = 40, .heads = 4, .kv_heads = 2};
  const StoredQkv in = write_qkv(d, io::NpyType::f32, io::NpyType::f32);
  const auto stored = [](const std::vector<double>& x, DType format) {
    const std::vector<float> f(x.begin(), x.end());
    std::vector<std::byte> bytes(storage_bytes(format, f.size()));
    encode(format, f, bytes);
    std::vector<float> back(f.size());
    decode(format, bytes, back);
    return std::vector<double>(back.begin(), back.end());
  };
  AttentionConfig causal;
  causal.causal = true;
  expect_matches_reference("--causal --kv-format q8_0", d, {in.q, stored(in.k, DType::q8_0), stored(in.v, DType::q8_0)},
                           io::NpyType::f32, causal);
  expect_matches_reference("--k-format bf16 --v-format q4_0", d, {in.q, stored(in.k, DType::bf16), stored(in.v, DType::q4_0)},
                           io::NpyType::f32, {});
}

TEST_F(CliAttentionTest, EveryOptionAtOnce) {
  const AttentionDims d{.sq = 4, .skv = 40, .heads = 4, .kv_heads = 2};
  const StoredQkv in = write_qkv(d, io::NpyType::f32, io::NpyType::f32);
  const std::vector<float> sinks{0.5f, -1.0f, 2.0f, 0.0f};
  io::write_npy_floats(path("s.npy"), io::NpyType::f32, std::vector<std::int64_t>{4}, sinks);
  AttentionConfig config;
  config.causal = true;
  config.window = 9;
  config.alibi = true;
  config.softcap = 2.5;
  config.sinks = sinks;
  RopeConfig rope;
  rope.head_dim = 64;
  rope.rotary_dim = 32;
  rope.layout = RopeLayout::Interleaved;
  rope.theta = 500000;
  config.rope = rope;
  expect_matches_reference("--causal --window 9 --alibi --softcap 2.5 --sinks " + path("s.npy") +
                               " --rope --layout interleaved --rotary-dim 32 --theta 500000",
                           d, in, io::NpyType::f32, config);
}

TEST_F(CliAttentionTest, BadInputExitsTwoAndCreatesNothing) {
  const AttentionDims d{.sq = 4, .skv = 8, .heads = 4, .kv_heads = 2};
  write_qkv(d, io::NpyType::f32, io::NpyType::f32);
  const std::string out = path("never.npy");
  const std::string base = qkv_args(out);
  const std::string q = path("q.npy"), k = path("k.npy"), v = path("v.npy");
  const auto with = [&](const std::string& q_file, const std::string& k_file, const std::string& v_file) {
    return "attention --q " + q_file + " --k " + k_file + " --v " + v_file + " --output " + out;
  };
  write_random("k3.npy", io::NpyType::f32, d.shape(8, 3));
  write_random("k32.npy", io::NpyType::f32, {1, 8, 2, 32});
  write_random("v9.npy", io::NpyType::f32, d.shape(9, 2));
  write_random("q16.npy", io::NpyType::f32, d.shape(16, 4));
  write_random("s3.npy", io::NpyType::f32, {3});
  write_random("s16.npy", io::NpyType::f16, {4});
  const std::vector<std::int32_t> ints(4 * 4 * 64, 1);
  io::write_npy(path("qi.npy"), io::NpyType::i32, d.q_shape(), std::as_bytes(std::span(ints)));

  expect_usage_error(with(q, path("k3.npy"), path("k3.npy")), "not a multiple", out);
  expect_usage_error(with(q, path("k32.npy"), path("k32.npy")), "head_dim", out);
  expect_usage_error(with(q, k, path("v9.npy")), "differ", out);
  expect_usage_error(with(path("q16.npy"), k, v) + " --causal", "Sq = 16 > Skv = 8", out);
  // Flags the op refuses: each is named in the message.
  for (const char* flag : {"--window 0", "--window -2", "--scale nan", "--scale inf", "--softcap inf"}) {
    const std::string name = std::string(flag).substr(2, std::string(flag).find(' ') - 2);
    expect_usage_error(base + " " + flag, name, out);
  }
  expect_usage_error(base + " --sinks " + path("s3.npy"), "expected float32 [4]", out);
  expect_usage_error(base + " --sinks " + path("s16.npy"), "expected float32 [4]", out);
  expect_usage_error(base + " --sinks " + path("missing.npy"), "missing.npy", out);
  expect_usage_error(with(path("missing.npy"), k, v), "missing.npy", out);
  expect_usage_error(with(path("qi.npy"), k, v), "int32", out);
  write_random("k40.npy", io::NpyType::f32, {1, 8, 2, 40});
  expect_usage_error(with(q, path("k40.npy"), path("k40.npy")) + " --kv-format q8_0", "multiple of 32", out);
  expect_usage_error(base + " --kv-format q5_0", "q5_0", out);
  expect_usage_error(base + " --kv-format q8_0 --k-format f16", "excludes", out);
  expect_usage_error(base + " --theta 500000", "--rope", out);  // a RoPE flag without --rope
  expect_usage_error(base + " --rope --rotary-dim 3", "rotary", out);
  expect_usage_error("attention --q " + q + " --k " + k + " --output " + out, "--v", out);
}

}  // namespace
}  // namespace vkrope::test
