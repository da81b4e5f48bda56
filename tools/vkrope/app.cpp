// The vkrope command line: the global options, every subcommand, and how errors become exit
// codes (app.hpp).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "app.hpp"
#include "vkrope/error.hpp"
#include "vkrope/fault_injection.hpp"

namespace vkrope::cli {

ContextOptions context_options(const GlobalOptions& global) {
  ContextOptions options = ContextOptions::from_environment();
  if (!global.device.empty()) options.device = global.device;
  if (!global.emulate.empty()) options.emulation = parse_emulation(global.emulate, "--emulate");
  if (options.pipeline_cache_dir.empty()) options.pipeline_cache_dir = default_pipeline_cache_dir();
  // Worked-around problems (a stale pipeline cache file): one line each, the run goes on.
  options.on_warning = [](std::string_view line) { fmt::print(stderr, "vkrope: warning: {}\n", line); };
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

std::unique_ptr<CliApp> make_app() {
  auto cli = std::make_unique<CliApp>();
  CLI::App& app = cli->app;
  app.require_subcommand(1);
  app.fallthrough();  // `vkrope devices --device X` as well as `vkrope --device X devices`
  app.add_option("--device", cli->global.device,
                 "device index or case-insensitive name substring (overrides VKROPE_DEVICE)");
  app.add_option("--emulate", cli->global.emulate, "baseline (hide optional features), discrete (a discrete GPU's memory) or "
                 "baseline,discrete; overrides VKROPE_EMULATE");
  auto add = [&](auto adder) {
    const std::size_t before = app.get_subcommands({}).size();
    Run run = adder(app, cli->global);
    cli->commands.emplace_back(app.get_subcommands({})[before], std::move(run));
  };
  add(add_devices_command);
  add(add_demo_command);
  add(add_rope_command);
  add(add_position_embedding_command);
  add(add_attention_command);
  add(add_linear_attention_command);
  add(add_conformance_command);
  add(add_bench_command);
  return cli;
}

int run(CliApp& cli, int argc, char** argv) {
  CLI::App& app = cli.app;
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
      for (const auto& [sub, command] : cli.commands) known += (known.empty() ? "" : ", ") + sub->get_name();
      fmt::print(stderr, "vkrope: unknown command '{}'; expected one of: {}\n", extra.front(), known);
    } else {
      fmt::print(stderr, "vkrope: {}\n", one_line(e.what()));
    }
    return 2;
  }

  try {
    // VKROPE_FAULT=CALL[:N[:RESULT]]: fail one Vulkan call, to see the CLI's behaviour under a
    // driver failure (vkrope/fault_injection.hpp). Malformed: a usage error, exit 2.
    if (const char* spec = std::getenv("VKROPE_FAULT"); spec && *spec) {
      try {
        fault::arm(fault::parse_fault(spec));
      } catch (const Error& e) {
        throw Error(e.kind(), std::string("VKROPE_FAULT: ") + e.what());
      }
    }
    for (auto& [sub, command] : cli.commands)
      if (sub->parsed()) return command();
    return 2;
  } catch (const Error& e) {
    fmt::print(stderr, "vkrope: {}: {}\n", to_string(e.kind()), one_line(e.what()));
    return e.kind() == ErrorKind::InvalidArgument || e.kind() == ErrorKind::Io ? 2 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "vkrope: internal error: {}\n", one_line(e.what()));
    return 1;
  }
}

}  // namespace vkrope::cli
