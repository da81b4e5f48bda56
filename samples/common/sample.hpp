// What every sample shares: `--out DIR` (where pictures go, created if missing) and
// `--device SEL` (as the vkrope CLI), a Context on that device, and a check that prints
// and counts failures so a sample can exit 1 when the GPU disagrees with the CPU.
#pragma once

#include <string>

#include "vkrope/context.hpp"

namespace vkrope::sample {

struct Options {
  std::string out = ".";
  std::string device;  // empty: VKROPE_DEVICE or the best device
  int frames = 0;      // samples that animate: --frames N
};

// Parses argv (CLI11); prints help or a one-line error and exits (0 / 2) on its own.
Options parse(int argc, char** argv, const std::string& description, bool frames_flag = false);

Context make_context(const Options& options);

// out/name, for a file the sample writes.
std::string output_path(const Options& options, const std::string& name);

// Prints "check <what>: ok" or "check <what>: FAILED (<detail>)" and remembers failures.
void check(bool ok, const std::string& what, const std::string& detail = "");
int exit_code();  // 0 when every check passed

}  // namespace vkrope::sample
