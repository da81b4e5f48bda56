// RopeConfig::from_hf_config_file on published config.json files (tests/data/configs, each
// one's source named in SOURCES.md there), field by field, for the language model, its
// local (sliding-window) layers and the vision tower; then the nested forms VLM configs
// use, built inline where no published file was at hand.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "support/device_matrix.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {
namespace {

using nlohmann::json;

RopeConfig read(const std::string& name, HfConfigPart part = HfConfigPart::Text) {
  return RopeConfig::from_hf_config_file(std::string(VKROPE_CONFIGS_DIR) + "/" + name, part);
}

// What every model here leaves at its default: no M-RoPE, no vision form, no factors.
void expect_text_only(const RopeConfig& c) {
  EXPECT_TRUE(c.mrope_section.empty());
  EXPECT_FALSE(c.mrope_interleaved);
  EXPECT_EQ(c.vision, RopeVision::None);
  EXPECT_TRUE(c.freq_factors.empty());
}

TEST(PublishedConfigs, Llama31_8B) {
  const RopeConfig c = read("llama-3.1-8b.json");
  EXPECT_EQ(c.head_dim, 128);  // 4096 / 32
  EXPECT_EQ(c.rotary_dim, 128);
  EXPECT_EQ(c.layout, RopeLayout::Neox);
  EXPECT_EQ(c.theta, 500000.0);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Llama3);
  EXPECT_EQ(c.scaling.factor, 8.0);
  EXPECT_EQ(c.scaling.low_freq_factor, 1.0);
  EXPECT_EQ(c.scaling.high_freq_factor, 4.0);
  EXPECT_EQ(c.scaling.original_max_position_embeddings, 8192);
  expect_text_only(c);
}

TEST(PublishedConfigs, Llama32_1B) {
  const RopeConfig c = read("llama-3.2-1b.json");  // CRLF line endings, as found
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.rotary_dim, 64);
  EXPECT_EQ(c.theta, 500000.0);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Llama3);
  EXPECT_EQ(c.scaling.factor, 32.0);
  EXPECT_EQ(c.scaling.original_max_position_embeddings, 8192);
  expect_text_only(c);
}

TEST(PublishedConfigs, Qwen25_7B_WithAndWithoutYarn) {
  const RopeConfig plain = read("qwen2.5-7b.json");
  EXPECT_EQ(plain.head_dim, 128);  // 3584 / 28
  EXPECT_EQ(plain.rotary_dim, 128);
  EXPECT_EQ(plain.layout, RopeLayout::Neox);
  EXPECT_EQ(plain.theta, 1000000.0);
  EXPECT_EQ(plain.max_position_embeddings, 32768);
  EXPECT_EQ(plain.scaling.type, RopeScalingType::Default);
  expect_text_only(plain);
  const RopeConfig yarn = read("qwen2.5-7b-yarn.json");
  EXPECT_EQ(yarn.theta, 1000000.0);
  EXPECT_EQ(yarn.scaling.type, RopeScalingType::Yarn);
  EXPECT_EQ(yarn.scaling.factor, 4.0);
  EXPECT_EQ(yarn.scaling.original_max_position_embeddings, 32768);
  EXPECT_EQ(yarn.scaling.beta_fast, 32.0);
  EXPECT_EQ(yarn.scaling.beta_slow, 1.0);
  EXPECT_FALSE(yarn.scaling.mscale.has_value());
  EXPECT_FALSE(yarn.scaling.mscale_all_dim.has_value());
  EXPECT_TRUE(yarn.scaling.truncate);
  EXPECT_FALSE(yarn.scaling.attention_factor.has_value());  // derived: 0.1 ln 4 + 1
  EXPECT_NEAR(rope_frequencies(yarn, 0).attention_factor, 0.1 * std::log(4.0) + 1.0, 1e-12);
}

TEST(PublishedConfigs, Qwen25_VL_7B_TextAndVisionTower) {
  const RopeConfig text = read("qwen2.5-vl-7b.json");  // the flat form: no text_config
  EXPECT_EQ(text.head_dim, 128);
  EXPECT_EQ(text.rotary_dim, 128);
  EXPECT_EQ(text.layout, RopeLayout::Neox);
  EXPECT_EQ(text.theta, 1000000.0);
  EXPECT_EQ(text.max_position_embeddings, 128000);
  EXPECT_EQ(text.scaling.type, RopeScalingType::Default);  // "type": "mrope"
  EXPECT_EQ(text.mrope_section, (std::vector<std::int64_t>{16, 24, 24}));
  EXPECT_FALSE(text.mrope_interleaved);
  EXPECT_EQ(text.vision, RopeVision::None);
  EXPECT_EQ(text.position_streams(), 3);

  const RopeConfig vision = read("qwen2.5-vl-7b.json", HfConfigPart::Vision);
  EXPECT_EQ(vision.head_dim, 80);  // 1280 / 16
  EXPECT_EQ(vision.rotary_dim, 0);
  EXPECT_EQ(vision.layout, RopeLayout::Neox);
  EXPECT_EQ(vision.theta, 10000.0);
  EXPECT_EQ(vision.vision, RopeVision::Qwen2VL);
  EXPECT_TRUE(vision.mrope_section.empty());
  EXPECT_EQ(vision.scaling.type, RopeScalingType::Default);
  EXPECT_EQ(vision.position_streams(), 2);
}

// Gemma 3's published file holds no head_dim, rope_theta or rope_local_base_freq: the
// class defaults (256, 1e6, 1e4) apply. Global layers: linear x 8; local layers: unscaled
// at 1e4. Its SigLIP tower has no RoPE.
TEST(PublishedConfigs, Gemma3_GlobalLocalAndNoVisionRope) {
  const RopeConfig global = read("gemma-3.json");
  EXPECT_EQ(global.head_dim, 256);
  EXPECT_EQ(global.rotary_dim, 256);
  EXPECT_EQ(global.theta, 1000000.0);
  EXPECT_EQ(global.scaling.type, RopeScalingType::Linear);
  EXPECT_EQ(global.scaling.factor, 8.0);
  expect_text_only(global);
  const RopeConfig local = read("gemma-3.json", HfConfigPart::TextLocal);
  EXPECT_EQ(local.head_dim, 256);
  EXPECT_EQ(local.theta, 10000.0);
  EXPECT_EQ(local.scaling.type, RopeScalingType::Default);
  test::expect_invalid_argument([] { read("gemma-3.json", HfConfigPart::Vision); }, "siglip_vision_model");
}

TEST(PublishedConfigs, DeepSeekV2Lite) {
  const RopeConfig c = read("deepseek-v2-lite.json");
  EXPECT_EQ(c.head_dim, 64);  // qk_rope_head_dim
  EXPECT_EQ(c.rotary_dim, 64);
  EXPECT_EQ(c.layout, RopeLayout::Interleaved);
  EXPECT_EQ(c.theta, 10000.0);
  EXPECT_EQ(c.max_position_embeddings, 163840);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Yarn);
  EXPECT_EQ(c.scaling.factor, 40.0);
  EXPECT_EQ(c.scaling.original_max_position_embeddings, 4096);
  EXPECT_EQ(c.scaling.mscale, 0.707);
  EXPECT_EQ(c.scaling.mscale_all_dim, 0.707);
  EXPECT_EQ(c.scaling.beta_fast, 32.0);
  EXPECT_EQ(c.scaling.beta_slow, 1.0);
  EXPECT_FALSE(c.scaling.attention_factor.has_value());
  // DeepSeek's form: mscale(40, 0.707) / mscale(40, 0.707) = 1 (the softmax scale takes the rest).
  EXPECT_EQ(rope_frequencies(c, 0).attention_factor, 1.0);
  expect_text_only(c);
}

// gpt-oss: YaRN (truncate false) on every layer; its sliding window and sinks are
// attention's, not RoPE's, so the local layers rotate the same way.
TEST(PublishedConfigs, GptOss20B) {
  for (HfConfigPart part : {HfConfigPart::Text, HfConfigPart::TextLocal}) {
    const RopeConfig c = read("gpt-oss-20b.json", part);
    EXPECT_EQ(c.head_dim, 64);
    EXPECT_EQ(c.rotary_dim, 64);
    EXPECT_EQ(c.layout, RopeLayout::Neox);
    EXPECT_EQ(c.theta, 150000.0);
    EXPECT_EQ(c.max_position_embeddings, 131072);
    EXPECT_EQ(c.scaling.type, RopeScalingType::Yarn);
    EXPECT_EQ(c.scaling.factor, 32.0);
    EXPECT_EQ(c.scaling.original_max_position_embeddings, 4096);
    EXPECT_FALSE(c.scaling.truncate);
    expect_text_only(c);
  }
}

TEST(PublishedConfigs, Phi2PartialRotary) {
  const RopeConfig c = read("phi-2.json");
  EXPECT_EQ(c.head_dim, 80);    // 2560 / 32
  EXPECT_EQ(c.rotary_dim, 32);  // int(80 * 0.4)
  EXPECT_EQ(c.layout, RopeLayout::Neox);
  EXPECT_EQ(c.theta, 10000.0);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Default);
}

TEST(PublishedConfigs, GptJ6B) {
  const RopeConfig c = read("gpt-j-6b.json");
  EXPECT_EQ(c.head_dim, 256);   // n_embd 4096 / n_head 16
  EXPECT_EQ(c.rotary_dim, 64);  // rotary_dim itself
  EXPECT_EQ(c.layout, RopeLayout::Interleaved);
  EXPECT_EQ(c.theta, 10000.0);
  EXPECT_EQ(c.scaling.type, RopeScalingType::Default);
}

// Qwen3-VL nests the language model under text_config, with interleaved M-RoPE.
TEST(PublishedConfigs, Qwen3VL_32B_TextConfigAndVisionTower) {
  const RopeConfig text = read("qwen3-vl.json");
  EXPECT_EQ(text.head_dim, 128);
  EXPECT_EQ(text.rotary_dim, 128);
  EXPECT_EQ(text.layout, RopeLayout::Neox);
  EXPECT_EQ(text.theta, 5000000.0);
  EXPECT_EQ(text.max_position_embeddings, 262144);
  EXPECT_EQ(text.scaling.type, RopeScalingType::Default);
  EXPECT_EQ(text.mrope_section, (std::vector<std::int64_t>{24, 20, 20}));
  EXPECT_TRUE(text.mrope_interleaved);
  EXPECT_EQ(text.vision, RopeVision::None);
  const RopeConfig vision = read("qwen3-vl.json", HfConfigPart::Vision);
  EXPECT_EQ(vision.head_dim, 72);  // 1152 / 16
  EXPECT_EQ(vision.theta, 10000.0);
  EXPECT_EQ(vision.vision, RopeVision::Qwen2VL);
}

TEST(PublishedConfigs, TextModelsHaveNoVisionTower) {
  test::expect_invalid_argument([] { read("llama-3.1-8b.json", HfConfigPart::Vision); }, "vision_config is missing");
}

// --- Nested forms, built inline in the shapes recent transformers writes ---------------

// Qwen3-VL (transformers >= 4.57): the language model under text_config, interleaved
// M-RoPE in its rope_scaling, the vision tower's width as hidden_size.
TEST(NestedConfigs, Qwen3VlTextConfigAndVisionTower) {
  const json config = json::parse(R"({
    "model_type": "qwen3_vl",
    "text_config": {"model_type": "qwen3_vl_text", "head_dim": 128, "hidden_size": 4096,
                    "num_attention_heads": 32, "max_position_embeddings": 262144, "rope_theta": 5000000,
                    "rope_scaling": {"mrope_interleaved": true, "mrope_section": [24, 20, 20],
                                     "rope_type": "default"}},
    "vision_config": {"model_type": "qwen3_vl", "hidden_size": 1152, "num_heads": 16}})");
  const RopeConfig text = RopeConfig::from_hf_config(config);
  EXPECT_EQ(text.head_dim, 128);
  EXPECT_EQ(text.theta, 5000000.0);
  EXPECT_EQ(text.max_position_embeddings, 262144);
  EXPECT_EQ(text.mrope_section, (std::vector<std::int64_t>{24, 20, 20}));
  EXPECT_TRUE(text.mrope_interleaved);
  const RopeConfig vision = RopeConfig::from_hf_config(config, HfConfigPart::Vision);
  EXPECT_EQ(vision.head_dim, 72);  // 1152 / 16
  EXPECT_EQ(vision.vision, RopeVision::Qwen2VL);
}

// Qwen2-VL calls its tower's width embed_dim; its hidden_size is the merger's output.
TEST(NestedConfigs, Qwen2VlVisionTowerReadsEmbedDim) {
  const RopeConfig vision = RopeConfig::from_hf_config(json::parse(R"({"model_type": "qwen2_vl",
    "hidden_size": 3584, "num_attention_heads": 28,
    "vision_config": {"embed_dim": 1280, "hidden_size": 3584, "num_heads": 16}})"), HfConfigPart::Vision);
  EXPECT_EQ(vision.head_dim, 80);
  EXPECT_EQ(vision.vision, RopeVision::Qwen2VL);
}

TEST(NestedConfigs, PixtralVisionTower) {
  const RopeConfig vision = RopeConfig::from_hf_config(json::parse(R"({"model_type": "llava",
    "text_config": {"model_type": "mistral", "head_dim": 128, "hidden_size": 5120, "num_attention_heads": 32,
                    "rope_theta": 1000000000.0},
    "vision_config": {"model_type": "pixtral", "hidden_size": 1024, "num_attention_heads": 16,
                      "head_dim": 64, "rope_theta": 10000.0}})"), HfConfigPart::Vision);
  EXPECT_EQ(vision.head_dim, 64);
  EXPECT_EQ(vision.theta, 10000.0);
  EXPECT_EQ(vision.vision, RopeVision::Pixtral);
}

// Newer transformers keep one rope_parameters object per layer type (Gemma 3, ...).
TEST(NestedConfigs, RopeParametersPerLayerType) {
  const json config = json::parse(R"({"model_type": "gemma3_text", "head_dim": 256,
    "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000},
                        "sliding_attention": {"rope_type": "default", "rope_theta": 10000}}})");
  const RopeConfig global = RopeConfig::from_hf_config(config);
  EXPECT_EQ(global.theta, 1000000.0);
  EXPECT_EQ(global.scaling.type, RopeScalingType::Linear);
  const RopeConfig local = RopeConfig::from_hf_config(config, HfConfigPart::TextLocal);
  EXPECT_EQ(local.theta, 10000.0);
  EXPECT_EQ(local.scaling.type, RopeScalingType::Default);
  test::expect_invalid_argument(
      [] {
        RopeConfig::from_hf_config(json::parse(R"({"head_dim": 64,
          "rope_parameters": {"full_attention": {"rope_theta": 10000}, "chunked_attention": {"rope_theta": 500}}})"),
                                   HfConfigPart::TextLocal);
      },
      "expected one named sliding_attention");
}

TEST(NestedConfigs, ErrorsNameTheNestedField) {
  test::expect_invalid_argument(
      [] { RopeConfig::from_hf_config(json::parse(R"({"text_config": [1, 2]})")); }, "text_config = [1,2]");
  test::expect_invalid_argument(
      [] { RopeConfig::from_hf_config(json::parse(R"({"text_config": {"head_dim": 64, "rope_theta": -3}})")); },
      "text_config.rope_theta = -3");
  test::expect_invalid_argument(
      [] {
        RopeConfig::from_hf_config(json::parse(R"({"text_config": {"head_dim": 64,
          "rope_scaling": {"type": "mrope", "mrope_section": [8, "12", 12]}}})"));
      },
      "text_config.rope_scaling.mrope_section[1]");
  test::expect_invalid_argument(
      [] {
        RopeConfig::from_hf_config(json::parse(R"({"head_dim": 128,
          "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 23]}})"));
      },
      "sums to 63");
  test::expect_invalid_argument(
      [] {
        RopeConfig::from_hf_config(json::parse(R"({"model_type": "qwen2_vl", "vision_config": {"num_heads": 16}})"),
                                   HfConfigPart::Vision);
      },
      "vision_config.head_dim is missing");
}

}  // namespace
}  // namespace vkrope
