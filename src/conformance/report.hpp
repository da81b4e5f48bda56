// Running the case matrix on one device and the JSON report `vkrope conformance --json`
// writes (schema in the README), and comparing two reports.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "conformance/case_matrix.hpp"

namespace vkrope::conformance {

struct RunOptions {
  std::uint32_t seed = 0;          // the run's seed; each case's seed derives from it
  double tolerance_scale = 1.0;    // multiplies every tolerance
  // Called before each case (index, count, id), e.g. for a progress bar.
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

// The cases to run: all, the --quick subset, or those whose id equals or starts with one of
// `selectors` followed by '/' (a family such as "attention/decode"). Throws InvalidArgument
// when a selector matches no case.
std::vector<const Case*> select_cases(bool quick, const std::vector<std::string>& selectors);

// Runs `cases` on `context`: one entry of the report's "devices" array, {name, vendor_id,
// driver_name, driver_info, api_version, emulation, summary, cases}. A case that throws
// InvalidArgument, Unsupported or Mismatch fails with the error as its detail; with
// validation on, a case during which the layer reported anything fails too. A device or
// runtime failure (DeviceLost, OutOfMemory, Internal) ends the run: rethrown, naming the case.
nlohmann::json run_on_device(const Context& context, const std::vector<const Case*>& cases, const RunOptions& options);

// A row of the per-device table: one op family in one storage type ("attention f16").
struct FamilySummary {
  std::string op;
  int cases = 0, passed = 0;
  double worst_rel_err = 0.0;
  std::string worst_case;
};
std::vector<FamilySummary> summarize(const nlohmann::json& device_report);

// Where two reports differ, per device pair (devices paired by name and emulation, then the
// rest in order): cases present on one side only, cases failing on one side only, and the
// ratio of relative errors (B / A) of cases present in both.
struct DeviceComparison {
  std::string a_device, b_device;
  std::vector<std::string> only_in_a, only_in_b;
  std::vector<std::string> fail_only_in_a, fail_only_in_b;
  struct Ratio {
    std::string id;
    double a_rel_err, b_rel_err, ratio;
  };
  std::vector<Ratio> ratios;  // sorted, largest |log ratio| first
  double geomean_ratio = 1.0;
};
std::vector<DeviceComparison> compare_reports(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace vkrope::conformance
