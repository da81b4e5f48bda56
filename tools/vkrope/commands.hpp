// The CLI's subcommands. Each registers its options on the parser and returns the function
// that runs it; main() maps errors to exit codes (0 ok, 2 usage or input, 1 failure).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "vkrope/context.hpp"

namespace vkrope::cli {

// Options every subcommand shares.
struct GlobalOptions {
  std::string device;  // --device, overrides VKROPE_DEVICE
  std::string emulate;  // --emulate, overrides VKROPE_EMULATE
};

// ContextOptions from the environment with the global flags applied on top.
ContextOptions context_options(const GlobalOptions& global);

using Run = std::function<int()>;
Run add_devices_command(CLI::App& app, const GlobalOptions& global);
Run add_demo_command(CLI::App& app, const GlobalOptions& global);
Run add_bench_command(CLI::App& app, const GlobalOptions& global);
Run add_rope_command(CLI::App& app, const GlobalOptions& global);
Run add_position_embedding_command(CLI::App& app, const GlobalOptions& global);
Run add_attention_command(CLI::App& app, const GlobalOptions& global);
Run add_linear_attention_command(CLI::App& app, const GlobalOptions& global);
Run add_conformance_command(CLI::App& app, const GlobalOptions& global);

nlohmann::json device_to_json(const DeviceInfo& info);

// The conformance command's terminal output, shared with the demo: a progress bar on
// stderr, and one device's table (op family, cases, passed, worst error, failures with the
// command that replays them).
void print_conformance_progress(std::size_t done, std::size_t total, const std::string& id);
void print_conformance_table(const nlohmann::json& device_report, std::uint32_t seed, const std::string& selector);

}  // namespace vkrope::cli
