// The vkrope command line as an object: the parser with every subcommand registered, and
// the run that maps errors to exit codes. main() is one call; the CLI fuzzer builds the
// parser alone and feeds it arguments.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "commands.hpp"

namespace vkrope::cli {

struct CliApp {
  CLI::App app{"vkrope: RoPE and attention on any Vulkan device"};
  GlobalOptions global;
  std::vector<std::pair<CLI::App*, Run>> commands;
};

// A parser with every subcommand; heap-allocated because the options point into it.
std::unique_ptr<CliApp> make_app();

// Parses argv and runs the chosen subcommand. Exit codes: 0 success; 2 usage or input error
// (unknown subcommand or flag, malformed value, bad file, a selector that matches no
// device); 1 internal or device failure. Errors are one line on stderr.
int run(CliApp& cli, int argc, char** argv);

}  // namespace vkrope::cli
