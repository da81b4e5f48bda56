// GGUF reading: the metadata parser (src/io/gguf_reader) on files of every value type and
// version, and on a matrix of hostile files, each of which must be refused with an
// InvalidArgument naming the offset and key (never a crash, a hang or a huge allocation);
// and read_gguf_model on files shaped like real models' metadata (Llama 3, Qwen2, Qwen2-VL,
// Qwen3-VL, Gemma 3, gpt-oss, Phi-3), checked against what llama.cpp would read from them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "io/gguf_reader.hpp"
#include "support/gguf_writer.hpp"
#include "vkrope/dtype.hpp"
#include "vkrope/error.hpp"
#include "vkrope/gguf.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {
namespace {

namespace fs = std::filesystem;
using io::GgufFile;
using test::GgufBytes;
using test::GgufWriter;
namespace gt = test::gguf_type;

constexpr std::uint64_t kHuge = std::numeric_limits<std::uint64_t>::max();

// A file under the test temp directory, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(fs::path(::testing::TempDir()) / ("vkrope_gguf_" + std::to_string(::getpid()) + "_" + name)) {}
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

GgufModel read_model(const GgufWriter& writer, const std::string& name = "model.gguf") {
  TempFile file(name);
  writer.write(file.path());
  return read_gguf_model(file.str());
}

std::string error_of(const std::function<void()>& call, ErrorKind expected = ErrorKind::InvalidArgument) {
  try {
    call();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), expected) << e.what();
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a vkrope::Error: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no error";
  return "";
}

void expect_error(const std::function<void()>& call, std::initializer_list<std::string> parts,
                  ErrorKind expected = ErrorKind::InvalidArgument) {
  const std::string message = error_of(call, expected);
  for (const std::string& part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

// Parses in memory, as "hostile.gguf"; the returned file must not outlive `bytes`.
void expect_refused(const std::vector<std::byte>& bytes, std::initializer_list<std::string> parts) {
  expect_error([&] { GgufFile::parse(bytes, "hostile.gguf"); }, parts);
}

// ---- model metadata like real conversions -----------------------------------------------------

// Llama 3.1's per-pair divisors (convert_hf_to_gguf.py's rope_freqs for factor 8, low 1,
// high 4, original 8192, theta 500000), rounded to f32: 1 for the fast pairs, 8 for the slow.
std::vector<float> llama3_freq_factors() {
  std::vector<float> factors;
  for (int i = 0; i < 64; ++i) factors.push_back(i < 32 ? 1.0f : (i < 48 ? 1.0f + 7.0f * float(i - 32) / 16.0f : 8.0f));
  return factors;
}

GgufWriter llama31_8b(std::uint32_t version = 3) {
  GgufWriter w(version);
  w.add_string("general.architecture", "llama")
      .add_string("general.name", "Meta Llama 3.1 8B Instruct")
      .add_u32("llama.block_count", 32)
      .add_u32("llama.context_length", 131072)
      .add_u32("llama.embedding_length", 4096)
      .add_u32("llama.feed_forward_length", 14336)
      .add_u32("llama.attention.head_count", 32)
      .add_u32("llama.attention.head_count_kv", 8)
      .add_f32("llama.rope.freq_base", 500000.0f)
      .add_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
      .add_u32("llama.attention.key_length", 128)
      .add_u32("llama.attention.value_length", 128)
      .add_u32("llama.rope.dimension_count", 128)
      .add_string_array("tokenizer.ggml.tokens", {"<|begin_of_text|>", "hello", "world", ""})
      .add_array<float>("tokenizer.ggml.scores", gt::f32, {0.0f, -1.0f, -2.0f, -3.0f})
      .add_u32("general.quantization_version", 2);
  w.add_f32_tensor("rope_freqs.weight", llama3_freq_factors());
  // A quantized tensor the reader only describes: q8_0, blocks of 32 elements in 34 bytes.
  w.add_tensor({"token_embd.weight", {64, 2}, 8, std::vector<std::byte>(2 * 2 * 34, std::byte{7}), std::nullopt});
  return w;
}

TEST(GgufModel, Llama31WithRopeFreqs) {
  const GgufModel m = read_model(llama31_8b());
  EXPECT_EQ(m.architecture, "llama");
  EXPECT_EQ(m.heads, 32);
  EXPECT_EQ(m.kv_heads, 8);
  EXPECT_EQ(m.head_dim, 128);
  EXPECT_EQ(m.context_length, 131072);
  EXPECT_EQ(m.sliding_window, 0);
  const RopeConfig& r = m.rope;
  EXPECT_EQ(r.layout, RopeLayout::Interleaved);  // LLAMA_ROPE_TYPE_NORM on permuted weights
  EXPECT_EQ(r.theta, 500000.0);
  EXPECT_EQ(r.head_dim, 128);
  EXPECT_EQ(r.rotary_dim, 128);
  EXPECT_EQ(r.max_position_embeddings, 131072);
  EXPECT_EQ(r.scaling.type, RopeScalingType::Default);  // Llama 3's scaling is in rope_freqs
  const std::vector<float> expected = llama3_freq_factors();
  ASSERT_EQ(r.freq_factors.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(r.freq_factors[i], double(expected[i])) << i;
  EXPECT_TRUE(r.mrope_section.empty());
}

TEST(GgufModel, FromGgufIsTheModelsRope) {
  TempFile file("from_gguf.gguf");
  llama31_8b().write(file.path());
  const RopeConfig r = RopeConfig::from_gguf(file.str());
  EXPECT_EQ(r.layout, RopeLayout::Interleaved);
  EXPECT_EQ(r.freq_factors.size(), 64u);
}

TEST(GgufModel, HeadDimFromEmbeddingLength) {
  GgufWriter w;
  w.add_string("general.architecture", "llama")
      .add_u32("llama.embedding_length", 2048)
      .add_u32("llama.attention.head_count", 16)
      .add_u32("llama.context_length", 4096);
  const GgufModel m = read_model(w);
  EXPECT_EQ(m.head_dim, 128);
  EXPECT_EQ(m.kv_heads, 16);         // head_count_kv defaults to head_count
  EXPECT_EQ(m.rope.theta, 10000.0);  // llama.cpp's default freq_base
  EXPECT_EQ(m.rope.rotary_dim, 128);
}

TEST(GgufModel, Qwen2WithYarn) {
  GgufWriter w;
  w.add_string("general.architecture", "qwen2")
      .add_u32("qwen2.context_length", 131072)
      .add_u32("qwen2.embedding_length", 3584)
      .add_u32("qwen2.attention.head_count", 28)
      .add_u32("qwen2.attention.head_count_kv", 4)
      .add_f32("qwen2.rope.freq_base", 1000000.0f)
      .add_string("qwen2.rope.scaling.type", "yarn")
      .add_f32("qwen2.rope.scaling.factor", 4.0f)
      .add_u32("qwen2.rope.scaling.original_context_length", 32768)
      .add_f32("qwen2.rope.scaling.yarn_beta_fast", 16.0f)
      .add_f32("qwen2.rope.scaling.yarn_beta_slow", 2.0f);
  const GgufModel m = read_model(w);
  EXPECT_EQ(m.heads, 28);
  EXPECT_EQ(m.kv_heads, 4);
  EXPECT_EQ(m.head_dim, 128);
  const RopeConfig& r = m.rope;
  EXPECT_EQ(r.layout, RopeLayout::Neox);
  EXPECT_EQ(r.theta, 1e6);
  EXPECT_EQ(r.scaling.type, RopeScalingType::Yarn);
  EXPECT_EQ(r.scaling.factor, 4.0);
  EXPECT_EQ(r.scaling.original_max_position_embeddings, 32768);
  EXPECT_EQ(r.scaling.beta_fast, 16.0);
  EXPECT_EQ(r.scaling.beta_slow, 2.0);
  EXPECT_FALSE(r.scaling.attention_factor);  // transformers' default, 0.1 ln(factor) + 1
}

TEST(GgufModel, Qwen2VlSections) {
  GgufWriter w;
  w.add_string("general.architecture", "qwen2vl")
      .add_u32("qwen2vl.context_length", 128000)
      .add_u32("qwen2vl.embedding_length", 3584)
      .add_u32("qwen2vl.attention.head_count", 28)
      .add_u32("qwen2vl.attention.head_count_kv", 4)
      .add_f32("qwen2vl.rope.freq_base", 1000000.0f)
      .add_array<std::int32_t>("qwen2vl.rope.dimension_sections", gt::i32, {16, 24, 24, 0});
  const RopeConfig r = read_model(w).rope;
  EXPECT_EQ(r.layout, RopeLayout::Neox);
  EXPECT_EQ(r.mrope_section, (std::vector<std::int64_t>{16, 24, 24}));
  EXPECT_FALSE(r.mrope_interleaved);
  EXPECT_EQ(r.position_streams(), 3);
}

TEST(GgufModel, Qwen3VlInterleavedSections) {
  GgufWriter w;
  w.add_string("general.architecture", "qwen3vl")
      .add_u32("qwen3vl.context_length", 262144)
      .add_u32("qwen3vl.embedding_length", 4096)
      .add_u32("qwen3vl.attention.head_count", 32)
      .add_u32("qwen3vl.attention.head_count_kv", 8)
      .add_u32("qwen3vl.attention.key_length", 128)
      .add_f32("qwen3vl.rope.freq_base", 5000000.0f)
      .add_array<std::int32_t>("qwen3vl.rope.dimension_sections", gt::i32, {24, 20, 20, 0});
  const RopeConfig r = read_model(w).rope;
  EXPECT_EQ(r.layout, RopeLayout::Neox);
  EXPECT_EQ(r.mrope_section, (std::vector<std::int64_t>{24, 20, 20}));
  EXPECT_TRUE(r.mrope_interleaved);
}

TEST(GgufModel, Gemma3SlidingWindowAndLinearScaling) {
  GgufWriter w;
  w.add_string("general.architecture", "gemma3")
      .add_u32("gemma3.context_length", 131072)
      .add_u32("gemma3.embedding_length", 2560)
      .add_u32("gemma3.attention.head_count", 8)
      .add_u32("gemma3.attention.head_count_kv", 4)
      .add_u32("gemma3.attention.key_length", 256)
      .add_u32("gemma3.attention.sliding_window", 1024)
      .add_f32("gemma3.rope.freq_base", 1000000.0f)
      .add_string("gemma3.rope.scaling.type", "linear")
      .add_f32("gemma3.rope.scaling.factor", 8.0f);
  const GgufModel m = read_model(w);
  EXPECT_EQ(m.sliding_window, 1024);
  EXPECT_EQ(m.head_dim, 256);  // key_length, not embedding_length / heads (320)
  EXPECT_EQ(m.rope.layout, RopeLayout::Neox);
  EXPECT_EQ(m.rope.scaling.type, RopeScalingType::Linear);
  EXPECT_EQ(m.rope.scaling.factor, 8.0);
}

TEST(GgufModel, GptOssYarnAndSlidingWindow) {
  GgufWriter w;
  w.add_string("general.architecture", "gpt-oss")
      .add_u32("gpt-oss.context_length", 131072)
      .add_u32("gpt-oss.embedding_length", 2880)
      .add_u32("gpt-oss.attention.head_count", 64)
      .add_u32("gpt-oss.attention.head_count_kv", 8)
      .add_u32("gpt-oss.attention.key_length", 64)
      .add_u32("gpt-oss.attention.sliding_window", 128)
      .add_f32("gpt-oss.rope.freq_base", 150000.0f)
      .add_string("gpt-oss.rope.scaling.type", "yarn")
      .add_f32("gpt-oss.rope.scaling.factor", 32.0f)
      .add_u32("gpt-oss.rope.scaling.original_context_length", 4096);
  const GgufModel m = read_model(w);
  EXPECT_EQ(m.sliding_window, 128);
  EXPECT_EQ(m.head_dim, 64);
  EXPECT_EQ(m.rope.layout, RopeLayout::Neox);
  EXPECT_EQ(m.rope.scaling.type, RopeScalingType::Yarn);
  EXPECT_EQ(m.rope.scaling.factor, 32.0);
  EXPECT_EQ(m.rope.scaling.original_max_position_embeddings, 4096);
}

TEST(GgufModel, Phi3LongRopeFromFactorTensors) {
  std::vector<float> long_factor, short_factor;
  for (int i = 0; i < 48; ++i) {
    long_factor.push_back(1.0f + float(i));
    short_factor.push_back(1.0f + 0.01f * float(i));
  }
  GgufWriter w;
  w.add_string("general.architecture", "phi3")
      .add_u32("phi3.context_length", 131072)
      .add_u32("phi3.embedding_length", 3072)
      .add_u32("phi3.attention.head_count", 32)
      .add_u32("phi3.rope.dimension_count", 96)
      .add_u32("phi3.rope.scaling.original_context_length", 4096)
      .add_f32("phi3.rope.scaling.attn_factor", 1.190238f);
  w.add_f32_tensor("rope_factors_long.weight", long_factor).add_f32_tensor("rope_factors_short.weight", short_factor);
  const RopeConfig r = read_model(w).rope;
  EXPECT_EQ(r.layout, RopeLayout::Neox);
  EXPECT_EQ(r.scaling.type, RopeScalingType::LongRope);
  EXPECT_EQ(r.scaling.factor, 32.0);  // context_length / original
  EXPECT_EQ(r.scaling.original_max_position_embeddings, 4096);
  ASSERT_TRUE(r.scaling.attention_factor);
  EXPECT_EQ(*r.scaling.attention_factor, double(1.190238f));
  EXPECT_EQ(r.scaling.long_factor.size(), 48u);
  EXPECT_EQ(r.scaling.short_factor[1], double(1.01f));
}

TEST(GgufModel, PerLayerHeadCountsTakeTheLargest) {
  GgufWriter w;
  w.add_string("general.architecture", "openelm")
      .add_u32("openelm.embedding_length", 1280)
      .add_array<std::uint32_t>("openelm.attention.head_count", gt::u32, {12, 16, 20})
      .add_array<std::uint32_t>("openelm.attention.head_count_kv", gt::u32, {0, 4, 5})
      .add_u32("openelm.attention.key_length", 64);
  const GgufModel m = read_model(w);
  EXPECT_EQ(m.heads, 20);
  EXPECT_EQ(m.kv_heads, 5);
}

TEST(GgufModel, OlderScaleLinearKey) {
  GgufWriter w;
  w.add_string("general.architecture", "llama")
      .add_u32("llama.embedding_length", 4096)
      .add_u32("llama.attention.head_count", 32)
      .add_u32("llama.context_length", 16384)
      .add_f32("llama.rope.scale_linear", 4.0f);
  const RopeConfig r = read_model(w).rope;
  EXPECT_EQ(r.scaling.type, RopeScalingType::Linear);  // llama.cpp's type default is linear
  EXPECT_EQ(r.scaling.factor, 4.0);
}

TEST(GgufModel, RopeFreqsInF16) {
  GgufWriter w;
  w.add_string("general.architecture", "llama")
      .add_u32("llama.embedding_length", 64)
      .add_u32("llama.attention.head_count", 4);
  std::vector<std::uint16_t> bits;
  for (int i = 0; i < 8; ++i) bits.push_back(float_to_half(1.0f + 0.5f * float(i)));
  w.add_f16_tensor("rope_freqs.weight", bits);
  const RopeConfig r = read_model(w).rope;
  ASSERT_EQ(r.freq_factors.size(), 8u);
  EXPECT_EQ(r.freq_factors[3], 2.5);
}

// ---- versions, alignment, value types ----------------------------------------------------------

TEST(GgufFile, Versions2And3ReadAlike) {
  for (const std::uint32_t version : {2u, 3u}) {
    const std::vector<std::byte> bytes = llama31_8b(version).bytes();
    const GgufFile file = GgufFile::parse(bytes);
    EXPECT_EQ(file.version(), version);
    EXPECT_EQ(file.tensors().size(), 2u);
    EXPECT_EQ(file.data_offset() % 32, 0u);
    EXPECT_EQ(read_model(llama31_8b(version)).rope.freq_factors.size(), 64u) << "version " << version;
  }
}

TEST(GgufFile, AlignmentOtherThan32) {
  for (const std::uint32_t alignment : {1u, 8u, 64u, 4096u}) {
    GgufWriter w = llama31_8b();
    w.alignment(alignment);
    w.add_f32_tensor("extra.weight", {1.0f, 2.0f, 3.0f});
    const std::vector<std::byte> bytes = w.bytes();
    const GgufFile file = GgufFile::parse(bytes);
    EXPECT_EQ(file.alignment(), alignment);
    EXPECT_EQ(file.data_offset() % alignment, 0u);
    EXPECT_EQ(file.read_tensor_floats("extra.weight"), (std::vector<float>{1.0f, 2.0f, 3.0f})) << alignment;
    EXPECT_EQ(file.read_tensor_floats("rope_freqs.weight"), llama3_freq_factors()) << alignment;
  }
}

TEST(GgufFile, EveryValueType) {
  GgufWriter w(2);
  w.add_u8("t.u8", 200)
      .add_i8("t.i8", -5)
      .add_u16("t.u16", 60000)
      .add_i16("t.i16", -30000)
      .add_u32("t.u32", 4000000000u)
      .add_i32("t.i32", -7)
      .add_f32("t.f32", 1.5f)
      .add_bool("t.bool", true)
      .add_string("t.string", "hello")
      .add_u64("t.u64", kHuge)
      .add_i64("t.i64", -(std::int64_t{1} << 40))
      .add_f64("t.f64", 0.1)
      .add_array<std::uint8_t>("t.array_u8", gt::u8, {1, 2, 3})
      .add_array<std::int16_t>("t.array_i16", gt::i16, {-1, 2})
      .add_array<double>("t.array_f64", gt::f64, {0.5})
      .add_string_array("t.array_string", {"a", "", "ccc"})
      .add_nested_i32_array("t.array_nested", {{1, 2}, {}, {3}});
  const std::vector<std::byte> bytes = w.bytes();
  const GgufFile file = GgufFile::parse(bytes);
  EXPECT_EQ(file.metadata().size(), 17u);
  EXPECT_EQ(file.get_int("t.u8"), 200);
  EXPECT_EQ(file.get_int("t.i8"), -5);
  EXPECT_EQ(file.get_int("t.u16"), 60000);
  EXPECT_EQ(file.get_int("t.i16"), -30000);
  EXPECT_EQ(file.get_int("t.u32"), 4000000000);
  EXPECT_EQ(file.get_int("t.i32"), -7);
  EXPECT_EQ(file.get_float("t.f32"), 1.5);
  EXPECT_EQ(std::get<bool>(file.find("t.bool")->data), true);
  EXPECT_EQ(file.get_string("t.string"), "hello");
  EXPECT_EQ(std::get<std::uint64_t>(file.find("t.u64")->data), kHuge);
  EXPECT_EQ(file.get_int("t.i64"), -(std::int64_t{1} << 40));
  EXPECT_EQ(file.get_float("t.f64"), 0.1);
  EXPECT_EQ(file.get_ints("t.array_u8"), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(file.get_ints("t.array_i16"), (std::vector<std::int64_t>{-1, 2}));
  EXPECT_EQ(file.get_ints("t.i32"), (std::vector<std::int64_t>{-7}));  // a scalar reads as one element
  const auto& strings = std::get<io::GgufArray>(file.find("t.array_string")->data);
  EXPECT_EQ(strings.element_type, io::GgufType::string);
  EXPECT_EQ(strings.count, 3u);
  const auto& nested = std::get<io::GgufArray>(file.find("t.array_nested")->data);
  EXPECT_EQ(nested.element_type, io::GgufType::array);
  EXPECT_EQ(nested.count, 3u);
  EXPECT_FALSE(file.get_int("absent"));

  // Typed reads refuse other types, naming the key and its offset.
  const std::string offset = "offset " + std::to_string(file.find("t.string")->offset);
  expect_error([&] { file.get_int("t.string"); }, {"<memory>: " + offset, "key 't.string'", "expected an integer"});
  expect_error([&] { file.get_string("t.u8"); }, {"key 't.u8'", "expected a string"});
  expect_error([&] { file.get_int("t.u64"); }, {"key 't.u64'", "too large"});
  expect_error([&] { file.get_ints("t.array_f64"); }, {"key 't.array_f64'", "array of 1 f64"});
  expect_error([&] { file.get_ints("t.array_u8", 2); }, {"key 't.array_u8'", "at most 2 elements"});
}

TEST(GgufFile, FileAndMemoryAgree) {
  const GgufWriter w = llama31_8b();
  TempFile path("agree.gguf");
  w.write(path.path());
  const std::vector<std::byte> bytes = w.bytes();
  const GgufFile in_memory = GgufFile::parse(bytes);
  const GgufFile on_disk = GgufFile::open(path.str());
  EXPECT_EQ(on_disk.size(), bytes.size());
  EXPECT_EQ(on_disk.data_offset(), in_memory.data_offset());
  EXPECT_EQ(on_disk.metadata().size(), in_memory.metadata().size());
  EXPECT_EQ(on_disk.read_tensor_floats("rope_freqs.weight"), in_memory.read_tensor_floats("rope_freqs.weight"));
  expect_error([&] { on_disk.read_tensor_floats("token_embd.weight"); },
               {path.str(), "tensor 'token_embd.weight'", "ggml type 8"});
  expect_error([&] { on_disk.read_tensor_floats("absent.weight"); }, {"tensor 'absent.weight' is not in the file"});
}

// ---- hostile files ------------------------------------------------------------------------------

std::vector<std::byte> header(std::uint64_t tensors, std::uint64_t kvs, std::uint32_t version = 3) {
  GgufBytes b;
  b.u8('G').u8('G').u8('U').u8('F').u32(version).u64(tensors).u64(kvs);
  return b.data;
}

TEST(GgufHostile, WrongMagicAndVersions) {
  GgufWriter w = llama31_8b();
  w.magic = {'G', 'G', 'M', 'L'};
  expect_refused(w.bytes(), {"hostile.gguf: offset 0", "not a GGUF file", "\"GGML\""});
  expect_refused(llama31_8b(1).bytes(), {"offset 4", "version 1 is not supported", "32-bit counts"});
  expect_refused(llama31_8b(4).bytes(), {"offset 4", "version 4 is not supported", "expected version 2 or 3"});
  expect_refused(llama31_8b(0x03000000).bytes(), {"big-endian"});
  expect_refused({}, {"offset 0", "magic (4 bytes) runs past the end of the file (0 bytes)"});
}

// Every proper prefix of a valid file (metadata of every kind, two tensors) is refused.
TEST(GgufHostile, TruncatedAtEveryByte) {
  GgufWriter w = llama31_8b();
  w.add_nested_i32_array("t.nested", {{1}, {2, 3}}).add_bool("t.bool", false).add_f64("t.f64", 2.0);
  const std::vector<std::byte> bytes = w.bytes();
  ASSERT_NO_THROW(GgufFile::parse(bytes));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    try {
      GgufFile::parse(prefix, "cut.gguf");
      ADD_FAILURE() << "a prefix of " << n << " of " << bytes.size() << " bytes was accepted";
    } catch (const Error& e) {
      ASSERT_EQ(e.kind(), ErrorKind::InvalidArgument) << n << ": " << e.what();
      ASSERT_NE(std::string(e.what()).find("cut.gguf: offset "), std::string::npos) << n << ": " << e.what();
    }
  }
  // Through a file, read_gguf_model names the path.
  TempFile path("cut.gguf");
  const std::vector<std::byte> half(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
  {
    std::ofstream out(path.path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(half.data()), static_cast<std::streamsize>(half.size()));
  }
  expect_error([&] { read_gguf_model(path.str()); }, {path.str() + ": offset "});
}

TEST(GgufHostile, HugeStringLength) {
  const std::string key = "llama.rope.freq_base";
  GgufBytes b;
  b.bytes(header(0, 1)).str(key).u32(gt::string).u64(kHuge).zeros(16);
  const std::uint64_t length_at = 24 + 8 + key.size() + 4;
  expect_refused(b.data, {"hostile.gguf: offset " + std::to_string(length_at) +
                          ", key 'llama.rope.freq_base': "
                          "string length 18446744073709551615 runs past the end of the file (" +
                          std::to_string(b.data.size()) + " bytes)"});
  // The key's own length.
  GgufBytes k;
  k.bytes(header(0, 1)).u64(kHuge).zeros(16);
  expect_refused(k.data, {"offset 24, metadata entry 0 of 1: key length 18446744073709551615 runs past"});
  // A tensor name's.
  GgufBytes t;
  t.bytes(header(1, 0)).u64(std::uint64_t{1} << 40).zeros(32);
  expect_refused(t.data, {"offset 24, tensor info 0 of 1: tensor name length 1099511627776 runs past"});
}

TEST(GgufHostile, HugeCounts) {
  GgufWriter kvs = llama31_8b();
  kvs.kv_count_override = std::uint64_t{1} << 63;
  expect_refused(kvs.bytes(), {"offset 16", "metadata count 9223372036854775808 needs at least 13 bytes each"});
  GgufWriter tensors = llama31_8b();
  tensors.tensor_count_override = kHuge;
  expect_refused(tensors.bytes(), {"offset 8", "tensor count 18446744073709551615"});

  // An array whose count times its element size exceeds the file.
  GgufBytes array;
  array.u32(gt::u32).u64(std::uint64_t{1} << 62);
  expect_refused(GgufWriter().add_raw("t.huge", gt::array, array.data).bytes(),
                 {"key 't.huge'", "array of u32 count 4611686018427387904 needs at least 4 bytes each"});
  GgufBytes strings;
  strings.u32(gt::string).u64(1000).u64(1);
  expect_refused(GgufWriter().add_raw("t.strings", gt::array, strings.data).bytes(),
                 {"key 't.strings'", "array of string count 1000"});
  // Counts that fit, but one element's string runs out.
  GgufBytes short_string;
  short_string.u32(gt::string).u64(2).str("ab").u64(100);
  expect_refused(GgufWriter().add_raw("t.cut", gt::array, short_string.data).bytes(),
                 {"key 't.cut'", "string element 1 length 100 runs past"});
}

TEST(GgufHostile, UnknownTypesAndNesting) {
  GgufBytes nothing;
  nothing.zeros(8);
  expect_refused(GgufWriter().add_raw("t.type13", 13, nothing.data).bytes(),
                 {"offset " + std::to_string(24 + 8 + 8), "key 't.type13'", "unknown value type 13"});
  GgufBytes element;
  element.u32(13).u64(1).zeros(8);
  expect_refused(GgufWriter().add_raw("t.elem13", gt::array, element.data).bytes(),
                 {"key 't.elem13'", "unknown array element type 13"});
  // One level of nesting is read; two are refused.
  GgufBytes deep;
  deep.u32(gt::array).u64(1).u32(gt::array).u64(1).u32(gt::u8).u64(1).u8(1);
  expect_refused(GgufWriter().add_raw("t.deep", gt::array, deep.data).bytes(),
                 {"key 't.deep'", "nested more than one level"});
  GgufBytes flag;
  flag.u8(2);
  expect_refused(GgufWriter().add_raw("t.bool", gt::boolean, flag.data).bytes(), {"key 't.bool'", "bool value 2"});
}

TEST(GgufHostile, DuplicatesAndEmptyKeys) {
  GgufWriter keys = llama31_8b();
  keys.add_u32("llama.attention.head_count", 16);
  expect_refused(keys.bytes(), {"key 'llama.attention.head_count'", "duplicate key"});
  GgufWriter tensors = llama31_8b();
  tensors.add_f32_tensor("rope_freqs.weight", {1.0f});
  expect_refused(tensors.bytes(), {"tensor 'rope_freqs.weight'", "duplicate tensor name"});
  expect_refused(GgufWriter().add_u8("", 1).bytes(), {"empty key"});
}

TEST(GgufHostile, Alignment) {
  expect_refused(GgufWriter().add_u32("general.alignment", 48).bytes(),
                 {"key 'general.alignment'", "alignment 48: expected a power of two"});
  expect_refused(GgufWriter().add_u32("general.alignment", 0).bytes(), {"alignment 0"});
  expect_refused(GgufWriter().add_u64("general.alignment", 64).bytes(), {"u64 64: expected a u32"});
  GgufWriter w;
  w.add_tensor({"t", {4}, 0, {}, 16});
  expect_refused(w.bytes(), {"tensor 't'", "data offset 16 is not a multiple of the alignment 32"});
}

TEST(GgufHostile, TensorInfos) {
  GgufWriter dims = llama31_8b();
  dims.add_tensor({"five.weight", {1, 1, 1, 1, 1}, 0, {}, 0});
  expect_refused(dims.bytes(), {"tensor 'five.weight'", "n_dims 5: expected at most 4"});
  GgufWriter overflow;
  overflow.add_tensor({"big", {std::uint64_t{1} << 40, std::uint64_t{1} << 40}, 0, {}, 0});
  expect_refused(overflow.bytes(), {"tensor 'big'", "multiply to more than int64"});
  GgufWriter blocks;
  blocks.add_tensor({"q8", {33}, 8, std::vector<std::byte>(68), std::nullopt});
  expect_refused(blocks.bytes(), {"tensor 'q8'", "blocks of 32 elements, but dimension 0 is 33"});
  // Data past the end: an offset beyond the file, and a file cut inside the last tensor.
  GgufWriter far = llama31_8b();
  far.add_tensor({"far.weight", {16}, 0, {}, 4096});
  expect_refused(far.bytes(), {"tensor 'far.weight'", "runs past the end of the file"});
  std::vector<std::byte> cut = llama31_8b().bytes();
  cut.pop_back();
  expect_refused(cut, {"tensor 'token_embd.weight'", "136 bytes, runs past the end of the file"});
  // A type this reader has no block size for is accepted, its data only checked to start in the file.
  GgufWriter newer;
  newer.add_tensor({"nvfp4", {64}, 40, std::vector<std::byte>(8), std::nullopt});
  const std::vector<std::byte> newer_bytes = newer.bytes();
  EXPECT_FALSE(GgufFile::parse(newer_bytes).tensors()[0].nbytes);
}

// ---- the model mapping's refusals ---------------------------------------------------------------

GgufWriter minimal(std::string_view arch) {
  GgufWriter w;
  const std::string a(arch);
  w.add_string("general.architecture", arch)
      .add_u32(a + ".embedding_length", 512)
      .add_u32(a + ".attention.head_count", 8);
  return w;
}

TEST(GgufModelErrors, ArchitectureAndRequiredKeys) {
  GgufWriter none;
  none.add_u32("llama.attention.head_count", 8);
  expect_error([&] { read_model(none, "noarch.gguf"); }, {"noarch.gguf", "'general.architecture' is missing"});
  GgufWriter number;
  number.add_u32("general.architecture", 1);
  expect_error([&] { read_model(number); }, {"key 'general.architecture'", "u32 1: expected a string"});
  expect_error([&] { read_model(minimal("mamba-x")); },
               {"key 'general.architecture'", "unknown architecture 'mamba-x'", "llama, llama4", "qwen3vlmoe"});
  expect_error([&] { read_model(minimal("deepseek2")); }, {"'deepseek2' is not supported", "latent attention"});
  GgufWriter heads;
  heads.add_string("general.architecture", "qwen2").add_u32("qwen2.embedding_length", 512);
  expect_error([&] { read_model(heads); }, {"'qwen2.attention.head_count' is missing"});
  GgufWriter size;
  size.add_string("general.architecture", "qwen2").add_u32("qwen2.attention.head_count", 8);
  expect_error([&] { read_model(size); }, {"'qwen2.attention.key_length' is missing", "qwen2.embedding_length"});
  GgufWriter ragged = minimal("qwen2");
  ragged.add_u32("qwen2.attention.head_count_kv", 0);
  expect_error([&] { read_model(ragged); }, {"key 'qwen2.attention.head_count_kv'", "0: expected a positive integer"});
  GgufWriter negative = minimal("qwen2");
  negative.add_i32("qwen2.context_length", -1);
  expect_error([&] { read_model(negative); }, {"key 'qwen2.context_length'", "-1: expected a non-negative integer"});
}

TEST(GgufModelErrors, RopeKeys) {
  GgufWriter scaling = minimal("llama");
  scaling.add_string("llama.rope.scaling.type", "dynamic");
  expect_error([&] { read_model(scaling); },
               {"key 'llama.rope.scaling.type'", "unknown scaling type 'dynamic'", "none, linear, yarn or longrope"});
  GgufWriter yarn = minimal("llama");
  yarn.add_string("llama.rope.scaling.type", "yarn");
  expect_error([&] { read_model(yarn); }, {"'llama.rope.scaling.factor' is missing"});
  expect_error([&] { read_model(minimal("qwen2vl")); }, {"'qwen2vl.rope.dimension_sections' is missing"});
  GgufWriter sections = minimal("qwen2vl");
  sections.add_array<std::int32_t>("qwen2vl.rope.dimension_sections", gt::i32, {16, 24});
  expect_error([&] { read_model(sections); }, {"key 'qwen2vl.rope.dimension_sections'", "2 sections"});
  GgufWriter freqs = minimal("llama");
  freqs.add_f32_tensor("rope_freqs.weight", {1.0f, 2.0f});
  expect_error([&] { read_model(freqs); }, {"tensor 'rope_freqs.weight' has 2 values: expected rotary_dim / 2 = 32"});
  GgufWriter zero = minimal("llama");
  zero.add_f32_tensor("rope_freqs.weight", std::vector<float>(32, 0.0f));
  expect_error([&] { read_model(zero); }, {"freq_factors[0]", "(tensor 'rope_freqs.weight')"});
  GgufWriter theta = minimal("llama");
  theta.add_f32("llama.rope.freq_base", 0.5f);
  expect_error([&] { read_model(theta, "theta.gguf"); },
               {"theta.gguf: ", "theta = 0.5", "(key 'llama.rope.freq_base')"});
  GgufWriter quantized = minimal("llama");
  quantized.add_tensor({"rope_freqs.weight", {32}, 8, std::vector<std::byte>(34), std::nullopt});
  expect_error([&] { read_model(quantized); },
               {"tensor 'rope_freqs.weight'", "ggml type 8: expected f32 (0) or f16 (1)"});
}

TEST(GgufModelErrors, UnreadableFiles) {
  const std::string missing = (fs::path(::testing::TempDir()) / "vkrope_no_such_model.gguf").string();
  expect_error([&] { read_gguf_model(missing); }, {"cannot open GGUF file '" + missing + "'"}, ErrorKind::Io);
  expect_error([&] { read_gguf_model(::testing::TempDir()); }, {"it is a directory"}, ErrorKind::Io);
}

// ---- the fuzz seed corpus ------------------------------------------------------------------------

// Writes fuzz/corpus/gguf: VKROPE_GGUF_CORPUS=<dir> test_gguf --gtest_also_run_disabled_tests
// --gtest_filter='GgufCorpus.*'. Each seed is a small valid file (< 4 KB).
TEST(GgufCorpus, DISABLED_WriteSeeds) {
  const char* dir = std::getenv("VKROPE_GGUF_CORPUS");
  if (!dir) GTEST_SKIP() << "set VKROPE_GGUF_CORPUS to the corpus directory";
  llama31_8b().write(fs::path(dir) / "llama31_v3.gguf");
  llama31_8b(2).write(fs::path(dir) / "llama31_v2.gguf");
  GgufWriter qwen = minimal("qwen2vl");
  qwen.alignment(64)
      .add_u32("qwen2vl.context_length", 32768)
      .add_string("qwen2vl.rope.scaling.type", "yarn")
      .add_f32("qwen2vl.rope.scaling.factor", 4.0f)
      .add_array<std::int32_t>("qwen2vl.rope.dimension_sections", gt::i32, {8, 12, 12, 0});
  qwen.add_f16_tensor("blk.0.attn_norm.weight", std::vector<std::uint16_t>(16, 0x3c00));
  qwen.write(fs::path(dir) / "qwen2vl_yarn_align64.gguf");
  GgufWriter types(2);
  types.add_string("general.architecture", "gemma3")
      .add_u32("gemma3.attention.head_count", 4)
      .add_u32("gemma3.attention.key_length", 32)
      .add_u32("gemma3.attention.sliding_window", 512)
      .add_u8("t.u8", 1)
      .add_i8("t.i8", -1)
      .add_u16("t.u16", 2)
      .add_i16("t.i16", -2)
      .add_i64("t.i64", -3)
      .add_u64("t.u64", 3)
      .add_f64("t.f64", 0.25)
      .add_bool("t.bool", true)
      .add_string_array("t.strings", {"x", "yz"})
      .add_nested_i32_array("t.nested", {{1, 2}, {3}});
  types.write(fs::path(dir) / "gemma3_every_type.gguf");
}

}  // namespace
}  // namespace vkrope
