// `vkrope bench` as a user runs it, on small shapes: the JSON report's fields are present
// and positive, --plot writes PNGs that decode at the stated sizes, --shape and output-path
// errors exit 2 before anything runs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli_fixture.hpp"

namespace vkrope::test {
namespace {

using nlohmann::json;

TEST_F(CliTest, BenchCustomShapesWriteJsonAndCharts) {
  const std::string report = path("bench.json"), plots = path("plots");
  const CliRun r = run("bench --repetitions 1 --json " + report + " --plot " + plots +
                       " --shape b=1,sq=1,skv=128,h=4,hkv=2,d=64,q=f32,kv=f16"
                       " --shape b=1,sq=1,skv=512,h=4,hkv=2,d=64,q=f32,kv=f16 --shape b=1,sq=16,h=4,d=64,causal=1");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const json j = json::parse(slurp(report));
  EXPECT_TRUE(j["device"]["name"].is_string());
  EXPECT_GT(j["floors"]["copy_gbps"].get<double>(), 0.0);
  EXPECT_GT(j["floors"]["transfer_copy_gbps"].get<double>(), 0.0);
  EXPECT_GT(j["floors"]["read_storage_gbps"].get<double>(), 0.0);
  EXPECT_GT(j["floors"]["read_texel_gbps"].get<double>(), 0.0);
  EXPECT_GT(j["floors"]["peak_gflops"].get<double>(), 0.0);
  ASSERT_EQ(j["results"].size(), 3u);
  for (const json& x : j["results"]) {
    EXPECT_EQ(x["op"], "attention");
    EXPECT_TRUE(x["case"].is_string());
    EXPECT_TRUE(x["dtype"].is_string());
    EXPECT_GT(x["median_ms"].get<double>(), 0.0);
    EXPECT_GT(x["ratio_to_floor"].get<double>(), 0.0);
    const bool peak = x["floor"] == "peak";
    EXPECT_TRUE(peak || x["floor"] == "copy");
    EXPECT_GT(x[peak ? "gflops" : "gbps"].get<double>(), 0.0) << x.dump();
    if (!peak) {  // memory-bound: against both the shader copy and vkCmdCopyBuffer
      EXPECT_GT(x["transfer_floor_ms"].get<double>(), 0.0) << x.dump();
      EXPECT_NEAR(x["ratio_to_transfer"].get<double>(),
                  x["transfer_floor_ms"].get<double>() / x["median_ms"].get<double>(), 1e-9) << x.dump();
    }
  }
  EXPECT_EQ(j["results"][2]["floor"], "peak");  // Sq 16: prefill
  // Sizes as the README states them: 1500 x (256 + 30 per case), 1000 x 600.
  EXPECT_EQ(png_size(plots + "/ratio_to_floor.png"), std::make_pair(1500, 256 + 30 * 3));
  EXPECT_EQ(png_size(plots + "/decode_time.png"), std::make_pair(1000, 600));
}

TEST_F(CliTest, BenchRopeReportsTheAngleErrorTable) {
  const std::string report = path("rope.json"), plots = path("plots");
  const CliRun r =
      run("bench --op rope --filter 'decode B1 ' --repetitions 1 --json " + report + " --plot " + plots);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const json j = json::parse(slurp(report));
  ASSERT_EQ(j["results"].size(), 2u);  // f32 and f16
  for (const json& x : j["results"]) {
    EXPECT_GT(x["gbps"].get<double>(), 0.0);
    EXPECT_GT(x["ratio_to_transfer"].get<double>(), 0.0);
  }
  ASSERT_EQ(j["rope_angle_error"].size(), 4u);
  for (const json& e : j["rope_angle_error"]) {
    EXPECT_GT(e["position"].get<double>(), 0.0);
    EXPECT_GT(e["vkrope_max_abs_err"].get<double>(), 0.0);
    EXPECT_GT(e["float32_recipe_max_abs_err"].get<double>(), e["vkrope_max_abs_err"].get<double>());
  }
  EXPECT_EQ(png_size(plots + "/rope_angle_error.png"), std::make_pair(1000, 600));
  EXPECT_EQ(png_size(plots + "/ratio_to_floor.png"), std::make_pair(1500, 256 + 30 * 2));
}

// bench linear at the first two lengths (the filter "S256 " also matches no decode shape):
// both ops at 256, linear alone at 512 (softmax runs at a length only after the half
// length), the crossover key, and the time-against-length chart.
TEST_F(CliTest, BenchLinearTimesBothOpsAndSkipsSoftmaxPastTheFilter) {
  const std::string report = path("linear.json"), plots = path("plots");
  const CliRun r = run("bench linear --filter 'S256 ' --repetitions 1 --json " + report + " --plot " + plots);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const json j = json::parse(slurp(report));
  ASSERT_EQ(j["results"].size(), 2u) << j.dump();
  EXPECT_EQ(j["results"][0]["op"], "linear attention");
  EXPECT_EQ(j["results"][1]["op"], "softmax attention");
  for (const json& x : j["results"]) {
    EXPECT_EQ(x["skv"], 256);
    EXPECT_GT(x["median_ms"].get<double>(), 0.0);
  }
  EXPECT_TRUE(j["linear_crossover"].is_number_integer());
  EXPECT_EQ(png_size(plots + "/linear_vs_softmax.png"), std::make_pair(1000, 600));

  const CliRun longer = run("bench linear --filter 'S512 ' --repetitions 1 --json " + report);
  ASSERT_EQ(longer.code, 0) << longer.out << longer.err;
  const json k = json::parse(slurp(report));
  ASSERT_EQ(k["results"].size(), 1u) << k.dump();
  EXPECT_EQ(k["results"][0]["op"], "linear attention");
}

TEST_F(CliTest, BenchBadInputExitsTwoBeforeRunning) {
  const std::string out = path("never.json");
  expect_usage_error("bench --shape b=1,h=8 --json " + out, "sq is missing", out);
  expect_usage_error("bench --shape sq=4,h=6,hkv=4 --json " + out, "h=6 is not a multiple of hkv=4", out);
  expect_usage_error("bench --shape sq=4,h=8,d=60 --json " + out, "d=60", out);
  expect_usage_error("bench --shape sq=4,h=8,q=bf16 --json " + out, "q=bf16 is not f32 or f16", out);
  expect_usage_error("bench --shape sq=4,h=8,heads=3 --json " + out, "unknown key 'heads'", out);
  expect_usage_error("bench --shape sq=9,skv=4,h=8 --json " + out, "causal with sq=9 > skv=4", out);
  expect_usage_error("bench --op rope --shape sq=4,h=8 --json " + out, "op is rope", out);
  expect_usage_error("bench --op rope --json " + path("no-dir/x.json"), "does not exist");
  std::ofstream(path("a-file")) << "x";
  expect_usage_error("bench --op rope --plot " + path("a-file"), "is a file");
}

}  // namespace
}  // namespace vkrope::test
