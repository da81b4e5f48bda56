// `vkrope conformance` as a user runs it: exit codes, the JSON report's schema and counts,
// a forced failure (a tolerance scaled far below any real error) reported as failed,
// replay of a case from its seed, --compare on saved reports, and bad input. Also the case
// matrix itself (ids, the quick subset, seeds).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "conformance/report.hpp"
#include "support/cli_fixture.hpp"

namespace vkrope::test {
namespace {

using nlohmann::json;

// One case of each family: quick to run on every device under validation.
const char* kFewCases =
    "--case rope/yarn/neox/f32/partial/far/forward --case rope/llama3/interleaved/f16/full/far/inverse "
    "--case attention/prefill/sq7-skv63/h8-1/d72/f32/causal --case attention/decode/sq1-skv1000/h8-2/d128/qf32-kvf16 "
    "--case attention/option/all/prefill/f16 --case kv_cache/decode20/neox/f16 "
    "--case position_embedding/learned/f16-table-f32/bsd/clamp --case linear_attention/decode-state/f16";

std::size_t expected_devices() {
  const char* n = std::getenv("VKROPE_EXPECTED_DEVICES");
  return n ? static_cast<std::size_t>(std::stoul(n)) : 1;
}

TEST(ConformanceMatrix, IdsAreUniqueAndQuickIsASubsetOfEveryFamily) {
  const auto& cases = conformance::all_cases();
  std::set<std::string> ids, families, quick_families;
  for (const auto& c : cases) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    families.insert(c.op);
    if (c.quick) quick_families.insert(c.op);
    EXPECT_TRUE(c.params.is_object()) << c.id;
  }
  EXPECT_EQ(families, (std::set<std::string>{"rope", "position_embedding", "attention", "attention_decode", "kv_cache",
                                             "linear_attention"}));
  EXPECT_EQ(quick_families, families);
  const auto quick = conformance::select_cases(true, {});
  EXPECT_LT(quick.size(), cases.size() / 5);
  EXPECT_EQ(conformance::select_cases(false, {"kv_cache"}).size(), 14u);
  EXPECT_EQ(conformance::select_cases(false, {"position_embedding"}).size(), 24u);
  EXPECT_EQ(conformance::select_cases(false, {"linear_attention"}).size(), 14u);
  EXPECT_THROW(conformance::select_cases(false, {"kv_cach"}), Error);  // a prefix must end at a '/'
  EXPECT_EQ(conformance::case_seed(7, "a"), conformance::case_seed(7, "a"));
  EXPECT_NE(conformance::case_seed(7, "a"), conformance::case_seed(7, "b"));
  EXPECT_NE(conformance::case_seed(7, "a"), conformance::case_seed(8, "a"));
}

TEST_F(CliTest, ConformanceWritesTheReportForEveryDevice) {
  const std::string report = path("report.json");
  const CliRun r = run(std::string("conformance --device all --validation --seed 12345 --json ") + report + " " +
                       kFewCases);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("8 of 8 cases passed"), std::string::npos) << r.out;
  const json j = json::parse(slurp(report));
  EXPECT_TRUE(j["vkrope_version"].is_string());
  EXPECT_TRUE(j["git_revision"].is_string());
  EXPECT_EQ(j["seed"], 12345);
  ASSERT_GE(j["devices"].size(), expected_devices());
  for (const json& d : j["devices"]) {
    for (const char* key : {"name", "driver_name", "driver_info", "api_version", "emulation"})
      EXPECT_TRUE(d[key].is_string()) << key;
    EXPECT_TRUE(d["vendor_id"].is_number_unsigned());
    EXPECT_EQ(d["summary"]["cases"], 8);
    EXPECT_EQ(d["summary"]["passed"], 8);
    EXPECT_EQ(d["summary"]["failed"], 0);
    EXPECT_GT(d["summary"]["worst_rel_err"].get<double>(), 0.0);  // random inputs are never exact
    ASSERT_EQ(d["cases"].size(), 8u);
    for (const json& c : d["cases"]) {
      EXPECT_TRUE(c["id"].is_string());
      EXPECT_TRUE(c["op"].is_string());
      EXPECT_TRUE(c["storage"].is_string());
      EXPECT_TRUE(c["params"].is_object());
      EXPECT_TRUE(c["seed"].is_number_unsigned());
      EXPECT_TRUE(c["passed"].get<bool>()) << c.dump();
      EXPECT_GT(c["rel_err"].get<double>(), 0.0);
      EXPECT_GE(c["max_abs_err"].get<double>(), 0.0);
      EXPECT_GT(c["tolerance"].get<double>(), 0.0);
      // RoPE and attention cases name the kernels that ran: RoPE's one dispatch; a flash
      // variant first, then, when the keys were split, the combine pass (the CPU drivers
      // pick tokens, rows or rows_texel and serial; a GPU heads, team, decode or coopmat, and
      // parallel).
      const bool cpu = d["name"].get<std::string>().find("llvmpipe") != std::string::npos ||
                       d["name"].get<std::string>().find("SwiftShader") != std::string::npos;
      if (c["op"] == "rope") {
        ASSERT_EQ(c["kernels"].size(), 1u) << c.dump();
        const std::string rope_kernel = c["kernels"][0].get<std::string>();
        EXPECT_TRUE(cpu ? rope_kernel == "tokens" : rope_kernel == "tokens" || rope_kernel == "heads") << c.dump();
      }
      if (c["op"].get<std::string>().rfind("attention", 0) == 0) {
        ASSERT_TRUE(c["kernels"].is_array()) << c.dump();
        ASSERT_FALSE(c["kernels"].empty()) << c.dump();
        const std::string flash = c["kernels"][0].get<std::string>();
        // lavapipe reads K/V through texel views where the case allows (rows_texel);
        // SwiftShader's texel limit is too small for that to be its default.
        if (d["name"].get<std::string>().find("SwiftShader") != std::string::npos) EXPECT_EQ(flash, "rows") << c.dump();
        else if (cpu) EXPECT_TRUE(flash == "rows" || flash == "rows_texel") << c.dump();
        else EXPECT_TRUE(flash == "team" || flash == "decode" || flash == "coopmat") << c.dump();
        for (std::size_t i = 1; i < c["kernels"].size(); ++i)
          EXPECT_EQ(c["kernels"][i].get<std::string>().rfind("combine[", 0), 0u) << c.dump();
      }
    }
  }
}

TEST_F(CliTest, ConformanceReportsAForcedFailureAndReplaysIt) {
  const std::string report = path("failing.json");
  const std::string id = "attention/option/window/prefill/f32";
  const CliRun r = run("conformance --seed 99 --tolerance-scale 1e-9 --json " + report + " --case " + id);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAILED " + id), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replay: vkrope conformance"), std::string::npos) << r.out;
  const json j = json::parse(slurp(report));
  const json& c = j["devices"][0]["cases"][0];
  EXPECT_FALSE(c["passed"].get<bool>());
  EXPECT_GT(c["rel_err"].get<double>(), c["tolerance"].get<double>());
  EXPECT_EQ(j["devices"][0]["summary"]["failed"], 1);

  // The same seed and case give the same inputs, hence the same error.
  const std::string again = path("again.json");
  ASSERT_EQ(run("conformance --seed 99 --json " + again + " --case " + id).code, 0);
  EXPECT_EQ(json::parse(slurp(again))["devices"][0]["cases"][0]["rel_err"], c["rel_err"]);
}

json report_with(const std::vector<std::tuple<std::string, bool, double>>& cases) {
  json d = {{"name", "Some GPU"}, {"emulation", "none"}, {"cases", json::array()}};
  for (const auto& [id, passed, rel] : cases)
    d["cases"].push_back({{"id", id}, {"op", "rope"}, {"passed", passed}, {"rel_err", rel}});
  return {{"devices", json::array({d})}};
}

TEST_F(CliTest, ConformanceCompareNamesTheDifferences) {
  const std::string a = path("a.json"), b = path("b.json");
  std::ofstream(a) << report_with({{"x", true, 1e-7}, {"y", false, 1e-2}, {"w", true, 1e-6}}).dump();
  std::ofstream(b) << report_with({{"x", false, 1e-3}, {"y", true, 1e-7}, {"z", true, 1e-7}}).dump();
  const CliRun r = run("conformance --compare " + a + " " + b);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("fails in A only (1):\n    y"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fails in B only (1):\n    x"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in A only (1):\n    w"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in B only (1):\n    z"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x1e+04"), std::string::npos) << r.out;  // x: 1e-3 / 1e-7
  const CliRun same = run("conformance --compare " + a + " " + a);
  EXPECT_EQ(same.code, 0) << same.out;
  EXPECT_NE(same.out.find("geometric mean 1"), std::string::npos) << same.out;
}

TEST_F(CliTest, ConformanceBadInputExitsTwo) {
  const std::string out = path("never.json");
  expect_usage_error("conformance --case no/such/case --json " + out, "no/such/case", out);
  expect_usage_error("conformance --quick --json " + dir_.string(), "is a directory");
  expect_usage_error("conformance --quick --json " + path("missing-dir/r.json"), "does not exist");
  expect_usage_error("conformance --tolerance-scale 0 --case kv_cache --json " + out, "--tolerance-scale", out);
  expect_usage_error("conformance --compare " + path("nope.json") + " " + path("nope.json"), "cannot open --compare report");
  std::ofstream(path("not-a-report.json")) << "{\"devices\": 3}";
  expect_usage_error("conformance --compare " + path("not-a-report.json") + " " + path("not-a-report.json"),
                     "no \"devices\" array");
  std::ofstream(path("garbage.json")) << "{ not json";
  expect_usage_error("conformance --compare " + path("garbage.json") + " " + path("garbage.json"),
                     "not a conformance report");
  expect_usage_error("conformance --compare " + path("garbage.json"), "--compare");
}

}  // namespace
}  // namespace vkrope::test
