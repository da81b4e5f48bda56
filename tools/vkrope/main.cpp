// vkrope: the command-line tool. Exit codes: 0 success; 2 usage or input error (unknown
// subcommand or flag, malformed value, bad file, a selector that matches no device);
// 1 internal or device failure. Errors are one line on stderr; results go to stdout.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "vkrope/error.hpp"

namespace vkrope::cli {

ContextOptions context_options(const GlobalOptions& global) {
  ContextOptions options = ContextOptions::from_environment();
  if (!global.device.empty()) options.device = global.device;
  if (!global.emulate.empty()) {
    if (global.emulate == "baseline") options.emulation = Emulation::Baseline;
    else if (global.emulate == "none") options.emulation = Emulation::None;
    else throw Error(ErrorKind::InvalidArgument, "--emulate '" + global.emulate + "': expected baseline or none");
  }
  if (options.pipeline_cache_dir.empty()) options.pipeline_cache_dir = default_pipeline_cache_dir();
  return options;
}

namespace {

// Errors carry newlines only by accident (driver strings); keep the promise of one line.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

}  // namespace vkrope::cli

int main(int argc, char** argv) {
  using namespace vkrope;
  CLI::App app{"vkrope: RoPE and attention on any Vulkan device"};
  app.require_subcommand(1);
  app.fallthrough();  // `vkrope devices --device X` as well as `vkrope --device X devices`
  cli::GlobalOptions global;
  app.add_option("--device", global.device,
                 "device index or case-insensitive name substring (overrides VKROPE_DEVICE)");
  app.add_option("--emulate", global.emulate, "baseline: hide optional features (overrides VKROPE_EMULATE)");
  std::vector<std::pair<CLI::App*, cli::Run>> commands;
  auto add = [&](auto adder) {
    const std::size_t before = app.get_subcommands({}).size();
    cli::Run run = adder(app, global);
    commands.emplace_back(app.get_subcommands({})[before], std::move(run));
  };
  add(cli::add_devices_command);
  add(cli::add_demo_command);
  add(cli::add_rope_command);
  add(cli::add_attention_command);
  add(cli::add_conformance_command);
  add(cli::add_bench_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // prints help to stdout, exit 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // "A subcommand is required" is unhelpful when the user typed a wrong one: name it.
    const std::vector<std::string> extra = app.remaining();
    if (!extra.empty() && !extra.front().empty() && extra.front()[0] != '-') {
      std::string known;
      for (const auto& [sub, run] : commands) known += (known.empty() ? "" : ", ") + sub->get_name();
      fmt::print(stderr, "vkrope: unknown command '{}'; expected one of: {}\n", extra.front(), known);
    } else {
      fmt::print(stderr, "vkrope: {}\n", cli::one_line(e.what()));
    }
    return 2;
  }

  try {
    for (auto& [sub, run] : commands)
      if (sub->parsed()) return run();
    return 2;
  } catch (const Error& e) {
    fmt::print(stderr, "vkrope: {}: {}\n", to_string(e.kind()), cli::one_line(e.what()));
    return e.kind() == ErrorKind::InvalidArgument || e.kind() == ErrorKind::Io ? 2 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "vkrope: internal error: {}\n", cli::one_line(e.what()));
    return 1;
  }
}
