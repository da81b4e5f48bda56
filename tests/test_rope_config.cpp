// RopeConfig::from_hf_config on objects shaped like real config.json files, and the errors
// of bad input: each must be an InvalidArgument (Io for a missing file) naming the field.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "support/device_matrix.hpp"
#include "vkrope/error.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {
namespace {

using nlohmann::json;

json numbers(int count, double first, double step) {
  json list = json::array();
  for (int i = 0; i < count; ++i) list.push_back(first + step * i);
  return list;
}

// ---- real configurations --------------------------------------------------------------

json llama31_8b() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
    "intermediate_size": 14336, "num_attention_heads": 32, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "max_position_embeddings": 131072, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "torch_dtype": "bfloat16", "vocab_size": 128256})");
}

TEST(RopeConfigJson, DeepSeekV3RopeInterleaveFalseIsNeox) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "model_type": "deepseek_v3", "qk_rope_head_dim": 64, "rope_interleave": false, "rope_theta": 10000})"));
  EXPECT_EQ(c.layout, RopeLayout::Neox);
  EXPECT_EQ(c.head_dim, 64);
}

json phi3_mini_128k() {
  json config = json::parse(R"({
    "model_type": "phi3", "hidden_size": 3072, "num_attention_heads": 32, "num_key_value_heads": 32,
    "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
    "rope_theta": 10000.0, "sliding_window": 262144})");
  config["rope_scaling"] = {{"type", "longrope"}, {"short_factor", numbers(48, 1.0, 0.01)},
                            {"long_factor", numbers(48, 1.0, 0.5)}};
  return config;
}

TEST(RopeConfigJson, Phi3LongRopeWithTopLevelOriginal) {
  const RopeConfig c = RopeConfig::from_hf_config(phi3_mini_128k());
  EXPECT_EQ(c.head_dim, 96);
  EXPECT_EQ(c.rotary_dim, 96);
  EXPECT_EQ(c.layout, RopeLayout::Neox);
  EXPECT_EQ(c.theta, 10000.0);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.scaling.type, RopeScalingType::LongRope);
  EXPECT_EQ(c.scaling.original_max_position_embeddings, 4096);
  EXPECT_EQ(c.scaling.factor, 32.0);  // derived: 131072 / 4096
  EXPECT_FALSE(c.scaling.attention_factor.has_value());
  ASSERT_EQ(c.scaling.short_factor.size(), 48u);
  ASSERT_EQ(c.scaling.long_factor.size(), 48u);
  EXPECT_EQ(c.scaling.short_factor[47], 1.0 + 0.01 * 47);
  EXPECT_EQ(c.scaling.long_factor[47], 1.0 + 0.5 * 47);
  EXPECT_NEAR(rope_frequencies(c, 0).attention_factor, std::sqrt(17.0 / 12.0), 1e-15);
}

TEST(RopeConfigJson, Phi3ExplicitFactorWinsOverTheRatio) {
  json config = phi3_mini_128k();
  config["rope_scaling"]["factor"] = 16.0;
  EXPECT_EQ(RopeConfig::from_hf_config(config).scaling.factor, 16.0);
}

TEST(RopeConfigJson, Phi3LegacySuAndYarnMeanLongRope) {
  json config = phi3_mini_128k();
  config["rope_scaling"]["type"] = "su";
  EXPECT_EQ(RopeConfig::from_hf_config(config).scaling.type, RopeScalingType::LongRope);
  config["rope_scaling"]["type"] = "yarn";
  EXPECT_EQ(RopeConfig::from_hf_config(config).scaling.type, RopeScalingType::LongRope);
}

json pythia_70m() {
  // GPT-NeoX's own spelling: rotary_pct and rotary_emb_base.
  return json::parse(R"({
    "model_type": "gpt_neox", "hidden_size": 512, "num_attention_heads": 8,
    "max_position_embeddings": 2048, "rotary_emb_base": 10000, "rotary_pct": 0.25})");
}

TEST(RopeConfigJson, GptNeoxRotaryPct) {
  const RopeConfig c = RopeConfig::from_hf_config(pythia_70m());
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.rotary_dim, 16);
  EXPECT_EQ(c.layout, RopeLayout::Neox);
  EXPECT_EQ(c.theta, 10000.0);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Default);
}

TEST(RopeConfigJson, GptNeoxRotaryEmbBaseAndDefaultPct) {
  json config = pythia_70m();
  config["rotary_emb_base"] = 40000;
  config.erase("rotary_pct");  // GPTNeoXConfig's default is 0.25, not 1
  const RopeConfig c = RopeConfig::from_hf_config(config);
  EXPECT_EQ(c.theta, 40000.0);
  EXPECT_EQ(c.rotary_dim, 16);
}

TEST(RopeConfigJson, GptNeoxPartialRotaryFactor) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "model_type": "gpt_neox", "hidden_size": 6144, "num_attention_heads": 64,
    "max_position_embeddings": 2048, "rope_theta": 25000, "partial_rotary_factor": 0.25})"));
  EXPECT_EQ(c.head_dim, 96);
  EXPECT_EQ(c.rotary_dim, 24);
  EXPECT_EQ(c.theta, 25000.0);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Default);
}

TEST(RopeConfigJson, RopeParametersForm) {
  // Llama 3.2 1B as transformers v5 saves it: rope_theta inside rope_parameters.
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "model_type": "llama", "hidden_size": 2048, "num_attention_heads": 32, "head_dim": 64,
    "max_position_embeddings": 131072,
    "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
                        "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                        "original_max_position_embeddings": 8192}})"));
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.rotary_dim, 64);
  EXPECT_EQ(c.theta, 500000.0);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Llama3);
  EXPECT_EQ(c.scaling.factor, 32.0);
  EXPECT_EQ(c.scaling.low_freq_factor, 1.0);
  EXPECT_EQ(c.scaling.high_freq_factor, 4.0);
  EXPECT_EQ(c.scaling.original_max_position_embeddings, 8192);
}

TEST(RopeConfigJson, RopeParametersDefaultWithPartialFactorInside) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "model_type": "qwen3", "hidden_size": 4096, "num_attention_heads": 32, "head_dim": 128,
    "max_position_embeddings": 40960, "rope_theta": 10000,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1000000, "partial_rotary_factor": 0.5}})"));
  EXPECT_EQ(c.theta, 1e6);  // rope_parameters' value wins over the top-level one
  EXPECT_EQ(c.rotary_dim, 64);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Default);
}

TEST(RopeConfigJson, RopeScalingWinsOverRopeParametersUnlessEmpty) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "head_dim": 128, "max_position_embeddings": 4096,
    "rope_scaling": {"rope_type": "linear", "factor": 2.0},
    "rope_parameters": {"rope_type": "dynamic", "factor": 3.0, "rope_theta": 20000}})"));
  EXPECT_EQ(c.scaling.type, RopeScalingType::Linear);
  EXPECT_EQ(c.scaling.factor, 2.0);
  EXPECT_EQ(c.theta, 10000.0);
  const RopeConfig d = RopeConfig::from_hf_config(json::parse(R"({
    "head_dim": 128, "max_position_embeddings": 4096, "rope_scaling": {},
    "rope_parameters": {"rope_type": "dynamic", "factor": 3.0, "rope_theta": 20000}})"));
  EXPECT_EQ(d.scaling.type, RopeScalingType::Dynamic);
  EXPECT_EQ(d.theta, 20000.0);
}

TEST(RopeConfigJson, LegacyTypeKey) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
    "max_position_embeddings": 4096, "rope_scaling": {"type": "linear", "factor": 4.0}})"));
  EXPECT_EQ(c.theta, 10000.0);  // transformers' default
  EXPECT_EQ(c.scaling.type, RopeScalingType::Linear);
  EXPECT_EQ(c.scaling.factor, 4.0);
  const RopeConfig d = RopeConfig::from_hf_config(json::parse(R"({
    "hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 4096,
    "rope_scaling": {"type": "dynamic", "factor": 2.0}})"));
  EXPECT_EQ(d.scaling.type, RopeScalingType::Dynamic);
  EXPECT_EQ(d.scaling.factor, 2.0);
}

TEST(RopeConfigJson, RopeTypeWinsOverType) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 4096,
    "rope_scaling": {"type": "linear", "rope_type": "dynamic", "factor": 2.0}})"));
  EXPECT_EQ(c.scaling.type, RopeScalingType::Dynamic);
}

TEST(RopeConfigJson, NullOrAbsentScalingIsDefault) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "hidden_size": 4096, "num_attention_heads": 32, "rope_scaling": null, "head_dim": null})"));
  EXPECT_EQ(c.scaling.type, RopeScalingType::Default);
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.max_position_embeddings, 0);
}

TEST(RopeConfigJson, YarnNullFactorIsDerived) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "head_dim": 64, "max_position_embeddings": 163840,
    "rope_scaling": {"type": "yarn", "factor": null, "original_max_position_embeddings": 4096}})"));
  EXPECT_EQ(c.scaling.factor, 40.0);
}

TEST(RopeConfigJson, YarnOptionsAndZeroBetasTakeDefaults) {
  const RopeConfig c = RopeConfig::from_hf_config(json::parse(R"({
    "head_dim": 64, "max_position_embeddings": 131072,
    "rope_scaling": {"rope_type": "yarn", "factor": 32.0, "original_max_position_embeddings": 4096,
                     "beta_fast": 0, "beta_slow": null, "truncate": false, "attention_factor": 1.1}})"));
  EXPECT_EQ(c.scaling.beta_fast, 32.0);
  EXPECT_EQ(c.scaling.beta_slow, 1.0);
  EXPECT_FALSE(c.scaling.truncate);
  EXPECT_EQ(c.scaling.attention_factor, 1.1);
}

TEST(RopeScalingJson, FromJsonAlone) {
  const RopeScaling s = RopeScaling::from_json(json::parse(R"({
    "rope_type": "yarn", "factor": 40, "beta_fast": 16, "beta_slow": 2, "mscale": 1.0,
    "mscale_all_dim": 0.707, "original_max_position_embeddings": 4096.0})"));
  EXPECT_EQ(s.type, RopeScalingType::Yarn);
  EXPECT_EQ(s.factor, 40.0);
  EXPECT_EQ(s.beta_fast, 16.0);
  EXPECT_EQ(s.beta_slow, 2.0);
  EXPECT_EQ(s.mscale, 1.0);
  EXPECT_EQ(s.mscale_all_dim, 0.707);
  EXPECT_EQ(s.original_max_position_embeddings, 4096);
  EXPECT_EQ(RopeScaling::from_json(json::object()).type, RopeScalingType::Default);
  EXPECT_EQ(RopeScaling::from_json(json::parse(R"({"rope_type": "default"})")).type, RopeScalingType::Default);
}

TEST(RopeConfigJson, ReadsAFile) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("vkrope-config-" + std::to_string(test::fresh_seed()) + ".json"))
                               .string();
  {
    std::ofstream out(path);
    out << llama31_8b().dump(2);
  }
  const RopeConfig c = RopeConfig::from_hf_config_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Llama3);
  EXPECT_EQ(c.head_dim, 128);
}

// ---- bad input ------------------------------------------------------------------------

// Passes when `action` throws vkrope::Error of `kind` whose message contains every one of `words`.
testing::AssertionResult rejects(const std::function<void()>& action, std::initializer_list<std::string> words,
                                 ErrorKind kind = ErrorKind::InvalidArgument) {
  try {
    action();
  } catch (const Error& e) {
    if (e.kind() != kind) {
      return testing::AssertionFailure() << "kind " << to_string(e.kind()) << ", expected " << to_string(kind)
                                         << ": " << e.what();
    }
    const std::string message = e.what();
    for (const std::string& word : words) {
      if (message.find(word) == std::string::npos) {
        return testing::AssertionFailure() << "message lacks '" << word << "': " << message;
      }
    }
    return testing::AssertionSuccess() << message;
  } catch (const std::exception& e) {
    return testing::AssertionFailure() << "not a vkrope::Error: " << e.what();
  }
  return testing::AssertionFailure() << "no exception";
}

std::function<void()> load(const std::string& text) {
  return [text] { RopeConfig::from_hf_config(json::parse(text)); };
}

std::function<void()> check(RopeConfig config) {
  return [config] { config.validate(); };
}

RopeConfig valid_config() {
  RopeConfig c;
  c.head_dim = 128;
  c.max_position_embeddings = 4096;
  return c;
}

TEST(RopeConfigErrors, UnknownRopeType) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_scaling": {"rope_type": "warp", "factor": 2}})"),
                      {"rope_scaling.rope_type", "warp"}));
}

TEST(RopeConfigErrors, UnknownLegacyType) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_scaling": {"type": "ntk-by-parts"}})"), {"rope_scaling.type"}));
}

TEST(RopeConfigErrors, MissingFactor) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_scaling": {"type": "linear"}})"),
                      {"rope_scaling.factor", "missing"}));
}

TEST(RopeConfigErrors, MissingYarnFactor) {
  EXPECT_TRUE(rejects([] { RopeScaling::from_json(json::parse(R"({"rope_type": "yarn"})")); }, {"factor"}));
}

TEST(RopeConfigErrors, MissingLlama3FreqFactor) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "max_position_embeddings": 131072, "rope_scaling":
                               {"rope_type": "llama3", "factor": 8, "high_freq_factor": 4}})"),
                      {"low_freq_factor", "missing"}));
}

TEST(RopeConfigErrors, NegativeFactor) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_scaling": {"rope_type": "linear", "factor": -2}})"),
                      {"rope_scaling.factor = -2", "> 0"}));
}

TEST(RopeConfigErrors, ZeroFactor) {
  RopeConfig c = valid_config();
  c.scaling.type = RopeScalingType::Linear;
  c.scaling.factor = 0.0;
  EXPECT_TRUE(rejects(check(c), {"factor = 0"}));
}

TEST(RopeConfigErrors, NanTheta) {
  RopeConfig c = valid_config();
  c.theta = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(rejects(check(c), {"theta = nan"}));
}

TEST(RopeConfigErrors, InfiniteTheta) {
  RopeConfig c = valid_config();
  c.theta = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(rejects(check(c), {"theta = inf"}));
}

TEST(RopeConfigErrors, ThetaNotAboveOne) {
  RopeConfig c = valid_config();
  c.theta = 1.0;
  EXPECT_TRUE(rejects(check(c), {"theta = 1"}));
}

TEST(RopeConfigErrors, OddRotaryDim) {
  RopeConfig c = valid_config();
  c.rotary_dim = 63;
  EXPECT_TRUE(rejects(check(c), {"rotary_dim = 63"}));
}

TEST(RopeConfigErrors, OddRotaryDimFromPartialFactor) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 64, "partial_rotary_factor": 0.3})"), {"partial_rotary_factor", "19"}));
}

TEST(RopeConfigErrors, RotaryDimAboveHeadDim) {
  RopeConfig c = valid_config();
  c.rotary_dim = 130;
  EXPECT_TRUE(rejects(check(c), {"rotary_dim = 130", "head_dim = 128"}));
}

TEST(RopeConfigErrors, PartialFactorAboveOne) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 64, "partial_rotary_factor": 1.5})"), {"partial_rotary_factor = 1.5"}));
}

TEST(RopeConfigErrors, OddHeadDim) {
  RopeConfig c = valid_config();
  c.head_dim = 127;
  EXPECT_TRUE(rejects(check(c), {"head_dim = 127"}));
}

TEST(RopeConfigErrors, OddHeadDimFromJson) {
  EXPECT_TRUE(rejects(load(R"({"hidden_size": 381, "num_attention_heads": 3})"), {"head_dim = 127"}));
}

// Found by the config fuzzer: a head_dim of 12822222222220 reached the frequency tables and
// asked for terabytes (fuzz/regressions/config/huge-head-dim.json).
TEST(RopeConfigErrors, OversizeHeadDim) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 12822222222220, "num_attention_heads": 16})"),
                      {"head_dim = 12822222222220", "<= 4096"}));
  EXPECT_TRUE(rejects(load(R"({"head_dim": 4098})"), {"head_dim = 4098", "<= 4096"}));
  RopeConfig config;
  config.head_dim = 8192;
  EXPECT_THROW(config.validate(), Error);
}

TEST(RopeConfigErrors, HiddenSizeNotDivisible) {
  EXPECT_TRUE(rejects(load(R"({"hidden_size": 4097, "num_attention_heads": 32})"),
                      {"hidden_size = 4097", "num_attention_heads = 32"}));
}

TEST(RopeConfigErrors, NoHeadDimAtAll) {
  EXPECT_TRUE(rejects(load(R"({"rope_theta": 10000})"), {"head_dim", "hidden_size"}));
}

TEST(RopeConfigErrors, LongRopeTableTooShort) {
  json config = phi3_mini_128k();
  config["rope_scaling"]["short_factor"] = numbers(47, 1.0, 0.01);
  EXPECT_TRUE(rejects([config] { RopeConfig::from_hf_config(config); }, {"short_factor", "47", "48"}));
}

TEST(RopeConfigErrors, LongRopeTableEntryNotPositive) {
  json config = phi3_mini_128k();
  config["rope_scaling"]["long_factor"][5] = 0.0;
  EXPECT_TRUE(rejects([config] { RopeConfig::from_hf_config(config); }, {"long_factor[5] = 0"}));
}

TEST(RopeConfigErrors, LongRopeTableMissing) {
  json config = phi3_mini_128k();
  config["rope_scaling"].erase("long_factor");
  EXPECT_TRUE(rejects([config] { RopeConfig::from_hf_config(config); }, {"long_factor", "missing"}));
}

TEST(RopeConfigErrors, Llama3HighNotAboveLow) {
  json config = llama31_8b();
  config["rope_scaling"]["high_freq_factor"] = 1.0;
  config["rope_scaling"]["low_freq_factor"] = 4.0;
  EXPECT_TRUE(rejects([config] { RopeConfig::from_hf_config(config); },
                      {"high_freq_factor = 1", "low_freq_factor = 4"}));
}

TEST(RopeConfigErrors, DynamicWithoutMaxPositions) {
  RopeConfig c = valid_config();
  c.max_position_embeddings = 0;
  c.scaling.type = RopeScalingType::Dynamic;
  c.scaling.factor = 2.0;
  EXPECT_TRUE(rejects(check(c), {"max_position_embeddings"}));
}

TEST(RopeConfigErrors, DynamicWithRotaryDimTwo) {
  RopeConfig c = valid_config();
  c.rotary_dim = 2;
  c.scaling.type = RopeScalingType::Dynamic;
  c.scaling.factor = 2.0;
  EXPECT_TRUE(rejects(check(c), {"rotary_dim = 2"}));
}

TEST(RopeConfigErrors, YarnWithoutAnyOriginalLength) {
  RopeConfig c = valid_config();
  c.max_position_embeddings = 0;
  c.scaling.type = RopeScalingType::Yarn;
  c.scaling.factor = 4.0;
  EXPECT_TRUE(rejects(check(c), {"original_max_position_embeddings"}));
}

TEST(RopeConfigErrors, ThetaNotAboveOneFromJson) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_theta": 0.5})"), {"rope_theta = 0.5"}));
}

TEST(RopeConfigErrors, InfiniteThetaInAJsonObject) {
  // Text cannot hold inf (see NumberOverflowInFile), but a json built in C++ can.
  json config = {{"head_dim", 128}, {"rope_parameters", {{"rope_theta", std::numeric_limits<double>::infinity()}}}};
  EXPECT_TRUE(rejects([config] { RopeConfig::from_hf_config(config); }, {"rope_parameters.rope_theta = inf"}));
}

TEST(RopeConfigErrors, ScalingFieldNamedWhereItCameFrom) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "max_position_embeddings": 131072, "rope_parameters":
                               {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1}})"),
                      {"rope_parameters.high_freq_factor = 1", "rope_parameters.low_freq_factor = 4"}));
}

TEST(RopeConfigErrors, ThetaOfWrongType) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_theta": "big"})"), {"rope_theta = \"big\"", "number"}));
}

TEST(RopeConfigErrors, FactorOfWrongType) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_scaling": {"rope_type": "linear", "factor": "8"}})"),
                      {"rope_scaling.factor = \"8\""}));
}

TEST(RopeConfigErrors, MaxPositionsNotAnInteger) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "max_position_embeddings": 4096.5})"),
                      {"max_position_embeddings = 4096.5", "integer"}));
}

TEST(RopeConfigErrors, TableEntryOfWrongType) {
  json config = phi3_mini_128k();
  config["rope_scaling"]["short_factor"][3] = "x";
  EXPECT_TRUE(rejects([config] { RopeConfig::from_hf_config(config); }, {"short_factor[3] = \"x\""}));
}

TEST(RopeConfigErrors, RopeScalingNotAnObject) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_scaling": [1, 2]})"), {"rope_scaling"}));
}

TEST(RopeConfigErrors, RopeTypeNotAString) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_scaling": {"rope_type": 3}})"), {"rope_scaling.rope_type = 3"}));
}

TEST(RopeConfigErrors, TruncateNotABool) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "max_position_embeddings": 4096,
                               "rope_scaling": {"rope_type": "yarn", "factor": 2, "truncate": "no"}})"),
                      {"rope_scaling.truncate"}));
}

TEST(RopeConfigErrors, PerLayerRopeParametersWithoutTheLayerType) {
  EXPECT_TRUE(rejects(load(R"({"head_dim": 128, "rope_parameters": {
                               "chunked_attention": {"rope_type": "default", "rope_theta": 1000000},
                               "sliding_attention": {"rope_type": "default", "rope_theta": 10000}}})"),
                      {"rope_parameters", "layer type", "full_attention"}));
}

TEST(RopeConfigErrors, ConfigNotAnObject) {
  EXPECT_TRUE(rejects(load("[1, 2, 3]"), {"config", "object"}));
}

std::string temp_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() / (stem + "-" + std::to_string(test::fresh_seed()) + ".json"))
      .string();
}

TEST(RopeConfigErrors, MalformedJsonFile) {
  const std::string path = temp_path("vkrope-malformed");
  {
    std::ofstream out(path);
    out << "{\n  \"hidden_size\": 4096,\n  \"rope_theta\": ,\n}\n";
  }
  const auto result = rejects([path] { RopeConfig::from_hf_config_file(path); }, {path, "line 3"});
  std::filesystem::remove(path);
  EXPECT_TRUE(result);
}

TEST(RopeConfigErrors, NumberOverflowInFile) {
  const std::string path = temp_path("vkrope-overflow");
  {
    std::ofstream out(path);
    out << R"({"head_dim": 128, "rope_theta": 1e999})";
  }
  const auto result = rejects([path] { RopeConfig::from_hf_config_file(path); }, {path, "1e999"});
  std::filesystem::remove(path);
  EXPECT_TRUE(result);
}

TEST(RopeConfigErrors, BadValueInFileNamesPathAndField) {
  const std::string path = temp_path("vkrope-bad-value");
  {
    std::ofstream out(path);
    out << R"({"head_dim": 128, "rope_theta": "big"})";
  }
  const auto result = rejects([path] { RopeConfig::from_hf_config_file(path); }, {path, "rope_theta"});
  std::filesystem::remove(path);
  EXPECT_TRUE(result);
}

TEST(RopeConfigErrors, MissingFile) {
  const std::string path = temp_path("vkrope-does-not-exist");
  EXPECT_TRUE(rejects([path] { RopeConfig::from_hf_config_file(path); }, {path}, ErrorKind::Io));
}

TEST(RopeConfigErrors, DirectoryIsNotAFile) {
  const std::string path = std::filesystem::temp_directory_path().string();
  EXPECT_TRUE(rejects([path] { RopeConfig::from_hf_config_file(path); }, {path}, ErrorKind::Io));
}

}  // namespace
// config.json values of the wrong JSON type: an Error naming the field, not a json exception.
TEST(RopeConfigErrors, WrongJsonTypesNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"hidden_size": 4096, "num_attention_heads": 32, "rope_theta": "10000"})", "rope_theta"},
      {R"({"hidden_size": "4096", "num_attention_heads": 32})", "hidden_size"},
      {R"({"head_dim": 128, "rope_scaling": {"rope_type": "linear", "factor": "4"}})", "factor"},
      {R"({"head_dim": 128, "rope_scaling": {"rope_type": 3, "factor": 4}})", "rope_type"},
      {R"({"head_dim": 128, "rope_scaling": [1, 2]})", "rope_scaling"},
      {R"({"head_dim": 128, "max_position_embeddings": 2.5})", "max_position_embeddings"},
  };
  for (const auto& [text, field] : cases) {
    try {
      (void)RopeConfig::from_hf_config(nlohmann::json::parse(text));
      ADD_FAILURE() << "no error for " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << text << " -> " << e.what();
    }
  }
}

}  // namespace vkrope
