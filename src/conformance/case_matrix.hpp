// The conformance case matrix: every RoPE and attention case `vkrope conformance` runs,
// each with a stable id, its parameters, and a runner that checks the device against the
// double-precision CPU reference with the case's documented tolerance.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "vkrope/context.hpp"

namespace vkrope::conformance {

struct CaseOutcome {
  double rel_err = 0.0;      // L2 relative error against the reference
  double max_abs_err = 0.0;  // max |device - reference|
  std::string metric;        // what `tolerance` bounds: "rel_err" or "max_abs_err"
  double tolerance = 0.0;    // the bound, already multiplied by the run's tolerance scale
  bool passed = false;
  std::string detail;        // the comparison (worst element), or the error a case threw
  std::vector<std::string> kernels;  // the kernel variant of each dispatch, in order (rope, attention)
};

struct Case {
  std::string id;          // e.g. "attention/prefill/sq64-skv300/h8-2/d128/f32/causal"
  std::string op;          // family: rope, attention, attention_decode, kv_cache
  std::string storage;     // "f32", "f16", or "f32/f16" (f32 queries over f16 keys and values)
  nlohmann::json params;   // the shape, dtypes and options, for the report
  bool quick = false;      // in the --quick subset
  // Runs on `context` with inputs drawn from `rng`; `tolerance_scale` multiplies the
  // tolerance (1 normally; tests use a tiny scale to force failures).
  std::function<CaseOutcome(const Context& context, std::mt19937& rng, double tolerance_scale)> run;
};

// Every case, in a fixed order (ids unique).
const std::vector<Case>& all_cases();

// The seed of one case: from the run's seed and the case id, so a case draws the same
// inputs whichever other cases run (`--seed S --case ID` replays it).
std::uint32_t case_seed(std::uint32_t run_seed, std::string_view id);

}  // namespace vkrope::conformance
