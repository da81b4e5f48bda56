// The bad-input matrix of the C++ API, one row per problem: each call must throw a
// vkrope::Error of the stated kind whose message contains the stated words, leave the
// poisoned output untouched, and leave the Context able to run a correct call. (Finer
// cases per op: test_tensor, test_rope_gpu, test_attention_gpu, test_kv_cache, test_npy,
// test_rope_config; the CLI's matrix: test_cli.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "conformance/rope_case.hpp"
#include "io/npy.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/attention.hpp"
#include "vkrope/error.hpp"
#include "vkrope/kernel.hpp"
#include "vkrope/kv_cache.hpp"
#include "vkrope/rope.hpp"

namespace vkrope::test {
namespace {

namespace fs = std::filesystem;

// The tensors every row may use: q [1, 4, 4, 64], k and v [1, 4, 2, 64], out like q
// (poisoned), and a fused buffer to cut overlapping views from.
struct Arguments {
  Context ctx;
  Tensor q, k, v, out, fused;
  RopeConfig rope;
  std::string dir;
};

struct Row {
  const char* problem;
  ErrorKind kind;
  const char* words;
  std::function<void(Arguments&)> call;
};

AttentionConfig causal() {
  AttentionConfig c;
  c.causal = true;
  return c;
}

RopeTensors qk(const Tensor& q, const std::optional<Tensor>& k, std::optional<Tensor> q_out = std::nullopt,
               std::optional<Tensor> k_out = std::nullopt) {
  return {q, std::move(q_out), k, std::move(k_out)};
}

const RopePositions kFour{{0, 1, 2, 3}, 0};

std::vector<Row> rows() {
  using enum ErrorKind;
  return {
      // Tensors
      {"empty tensor", InvalidArgument, "<= 0", [](Arguments& a) { Tensor::empty(a.ctx, DType::f32, {2, 0, 64}); }},
      {"tensor past maxStorageBufferRange", InvalidArgument, "maxStorageBufferRange",
       [](Arguments& a) {
         Tensor::empty(a.ctx, DType::f16, {static_cast<std::int64_t>(a.ctx.device().max_storage_buffer_range / 2 + 1)});
       }},
      {"upload of the wrong size", InvalidArgument, "upload of 3", [](Arguments& a) { a.out.upload(std::vector<float>{1.f, 2.f, 3.f}); }},
      {"view past its buffer", InvalidArgument, "past the", [](Arguments& a) { a.q.view({1, 4, 4, 65}, {1024, 256, 64, 1}); }},
      // RoPE
      {"rope: odd head_dim", InvalidArgument, "head_dim",
       [](Arguments& a) { RopeConfig c = a.rope; c.head_dim = 63; rope(c, qk(a.q, a.k), kFour); }},
      {"rope: rotary_dim past head_dim", InvalidArgument, "rotary",
       [](Arguments& a) { RopeConfig c = a.rope; c.rotary_dim = 66; rope(c, qk(a.q, a.k), kFour); }},
      {"rope: theta not positive", InvalidArgument, "theta",
       [](Arguments& a) { RopeConfig c = a.rope; c.theta = 0; rope(c, qk(a.q, a.k), kFour); }},
      {"rope: tensor of rank 2", InvalidArgument, "expected [batch",
       [](Arguments& a) { rope(a.rope, qk(Tensor::empty(a.ctx, DType::f32, {4, 64}), std::nullopt), kFour); }},
      {"rope: q and k dtypes differ", InvalidArgument, "expected one dtype",
       [](Arguments& a) { rope(a.rope, qk(a.q, Tensor::empty(a.ctx, DType::f16, {1, 4, 2, 64})), kFour); }},
      {"rope: negative position", InvalidArgument, "position[2] = -1",
       [](Arguments& a) { rope(a.rope, qk(a.q, a.k), {{0, 1, -1, 3}, 0}); }},
      {"rope: position past 2^24", InvalidArgument, "outside [0, 2^24]",
       [](Arguments& a) { rope(a.rope, qk(a.q, a.k), {{0, 1, 2, (1 << 24) + 1}, 0}); }},
      {"rope: offset taking tokens past 2^24", InvalidArgument, "offset",
       [](Arguments& a) { rope(a.rope, qk(a.q, a.k), {{}, (1 << 24) - 2}); }},
      {"rope: wrong number of positions", InvalidArgument, "3 positions",
       [](Arguments& a) { rope(a.rope, qk(a.q, a.k), {{0, 1, 2}, 0}); }},
      {"rope: k the same view as q", InvalidArgument, "same view as q",
       [](Arguments& a) { rope(a.rope, qk(a.q, a.q), kFour); }},
      {"rope: q_out overlapping q but not q itself", InvalidArgument, "q_out (bytes",
       [](Arguments& a) {
         const Tensor shifted = a.fused.view({1, 4, 4, 64}, {1024, 256, 64, 1}, 64);
         rope(a.rope, qk(a.fused.view({1, 4, 4, 64}, {1024, 256, 64, 1}), std::nullopt, shifted), kFour);
       }},
      {"rope: k_out overlapping q", InvalidArgument, "overlaps q",
       [](Arguments& a) { rope(a.rope, qk(a.q, a.k, std::nullopt, a.q.view({1, 4, 2, 64}, {1024, 256, 64, 1})), kFour); }},
      {"rope: tensors of another Context", InvalidArgument, "another Context",
       [](Arguments& a) {
         const Context other = Context::create(a.ctx.options());
         rope(a.rope, qk(a.q, Tensor::empty(other, DType::f32, {1, 4, 2, 64})), kFour);
       }},
      // Attention
      {"attention: heads not a multiple of kv heads", InvalidArgument, "not a multiple",
       [](Arguments& a) {
         const Tensor k3 = Tensor::empty(a.ctx, DType::f32, {1, 4, 3, 64});
         attention({}, a.q, k3, k3, a.out);
       }},
      {"attention: head_dim not a multiple of 8", InvalidArgument, "multiple of 8",
       [](Arguments& a) {
         const Tensor q = a.q.view({1, 4, 4, 60}, {1024, 256, 64, 1});
         const Tensor k = a.k.view({1, 4, 2, 60}, {512, 128, 64, 1});
         attention({}, q, k, k, Tensor::empty(a.ctx, DType::f32, {1, 4, 4, 60}));
       }},
      {"attention: q stored as q8_0", InvalidArgument, "expected f32 or f16 queries",
       [](Arguments& a) {
         const Tensor q = Tensor::empty(a.ctx, DType::q8_0, {1, 4, 4, 64});
         attention({}, q, a.k, a.k, Tensor::empty(a.ctx, DType::q8_0, {1, 4, 4, 64}));
       }},
      {"attention: causal with more queries than keys", InvalidArgument, "explicit positions",
       [](Arguments& a) {
         const Tensor k = Tensor::empty(a.ctx, DType::f32, {1, 2, 2, 64});
         attention(causal(), a.q, k, k, a.out);
       }},
      {"attention: window 0", InvalidArgument, "window",
       [](Arguments& a) { AttentionConfig c; c.window = 0; attention(c, a.q, a.k, a.v, a.out); }},
      {"attention: NaN scale", InvalidArgument, "scale",
       [](Arguments& a) { AttentionConfig c; c.scale = std::nan(""); attention(c, a.q, a.k, a.v, a.out); }},
      {"attention: sinks for the wrong head count", InvalidArgument, "sinks",
       [](Arguments& a) { AttentionConfig c; c.sinks = {0.f, 0.f, 0.f}; attention(c, a.q, a.k, a.v, a.out); }},
      {"attention: fused RoPE past 2^24", InvalidArgument, "outside [0, 16777216]",
       [](Arguments& a) {
         AttentionConfig c;
         c.rope = a.rope;
         c.query_positions = {0, 1, 2, 1 << 25};
         c.key_positions = {0, 1, 2, 3};
         attention(c, a.q, a.k, a.v, a.out);
       }},
      {"attention: out overlapping q", InvalidArgument, "out overlaps q",
       [](Arguments& a) { attention({}, a.q, a.k, a.v, a.q); }},
      {"attention: out of the wrong dtype", InvalidArgument, "out is",
       [](Arguments& a) { attention({}, a.q, a.k, a.v, Tensor::empty(a.ctx, DType::f16, {1, 4, 4, 64})); }},
      // KV cache
      {"kv cache: head_dim not a multiple of 8", InvalidArgument, "head_dim",
       [](Arguments& a) { KvCache(a.ctx, {.capacity = 8, .kv_heads = 2, .head_dim = 60}); }},
      {"kv cache: append past capacity", InvalidArgument, "capacity",
       [](Arguments& a) {
         KvCache cache(a.ctx, {.capacity = 3, .kv_heads = 2, .head_dim = 64});
         cache.append(0, a.k, a.v);
       }},
      {"kv cache: layer out of range", InvalidArgument, "layer 1",
       [](Arguments& a) {
         KvCache cache(a.ctx, {.capacity = 8, .kv_heads = 2, .head_dim = 64});
         cache.append(1, a.k, a.v);
       }},
      // Caller kernels
      {"kernel: words that are not SPIR-V", InvalidArgument, "SPIR-V",
       [](Arguments& a) { Kernel(a.ctx, "junk", {1, 2, 3, 4, 5, 6}, 1); }},
      // Files
      {"npy: header promising more data than the file holds", InvalidArgument, "truncated .npy data",
       [](Arguments& a) {
         const std::vector<float> six(6, 1.0f);
         const std::string path = a.dir + "/short.npy";
         io::write_npy_floats(path, io::NpyType::f32, std::vector<std::int64_t>{2, 3}, six);
         fs::resize_file(path, fs::file_size(path) - 4);
         io::read_npy(path);
       }},
      {"npy: reading a directory", Io, "directory", [](Arguments& a) { io::read_npy(a.dir); }},
      {"npy: writing onto a directory", Io, "directory",
       [](Arguments& a) {
         fs::create_directories(a.dir + "/d.npy");
         io::write_npy_floats(a.dir + "/d.npy", io::NpyType::f32, std::vector<std::int64_t>{1}, std::vector<float>{1});
       }},
      {"npy: writing under a regular file", Io, "x.npy",
       [](Arguments& a) {
         std::ofstream(a.dir + "/file") << "x";
         io::write_npy_floats(a.dir + "/file/x.npy", io::NpyType::f32, std::vector<std::int64_t>{1}, std::vector<float>{1});
       }},
      {"config.json: value of the wrong JSON type", InvalidArgument, "rope_theta",
       [](Arguments&) {
         RopeConfig::from_hf_config(nlohmann::json::parse(R"({"head_dim": 64, "rope_theta": "1e4"})"));
       }},
      {"config.json: missing file", Io, "nope.json",
       [](Arguments& a) { RopeConfig::from_hf_config_file(a.dir + "/nope.json"); }},
  };
}

class BadInputTest : public DeviceTest {};

TEST_P(BadInputTest, EveryRowIsRefusedAndTheContextStillWorks) {
  const Context& ctx = context();
  Arguments a{ctx,
              Tensor::from_floats(ctx, DType::f32, {1, 4, 4, 64}, random_floats(1024)),
              Tensor::from_floats(ctx, DType::f32, {1, 4, 2, 64}, random_floats(512)),
              Tensor::from_floats(ctx, DType::f32, {1, 4, 2, 64}, random_floats(512)),
              Tensor::empty(ctx, DType::f32, {1, 4, 4, 64}),
              Tensor::from_floats(ctx, DType::f32, {1, 4, 4, 80}, random_floats(1280)),
              conformance::rope_config(RopeScalingType::Default, RopeLayout::Neox, false),
              (fs::temp_directory_path() / ("vkrope-bad-input-" + std::to_string(seed()))).string()};
  fs::create_directories(a.dir);
  a.out.fill_bytes(0x7F);
  const std::vector<std::byte> poisoned = a.out.download_raw();
  const std::vector<std::byte> q_before = a.q.download_raw();
  int refused = 0;
  for (const Row& row : rows()) {
    SCOPED_TRACE(row.problem);
    try {
      row.call(a);
      ADD_FAILURE() << "no error; expected one mentioning '" << row.words << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), row.kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(row.words), std::string::npos) << e.what();
      ++refused;
    }
    EXPECT_EQ(a.out.download_raw(), poisoned) << "a refused call wrote the output";
    EXPECT_EQ(a.q.download_raw(), q_before) << "a refused call wrote q";
    expect_rope_works(ctx, seed());
  }
  fs::remove_all(a.dir);
  RecordProperty("bad_inputs", refused);
  std::printf("%d bad inputs refused, the Context checked after each\n", refused);
}

INSTANTIATE_TEST_SUITE_P(Devices, BadInputTest, testing::ValuesIn(native_device_cases()), case_name);

}  // namespace
}  // namespace vkrope::test
