#include "common/sample.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace vkrope::sample {

namespace {
int failures = 0;
}

Options parse(int argc, char** argv, const std::string& description, bool frames_flag) {
  CLI::App app{description};
  Options o;
  app.add_option("--out", o.out, "directory for the pictures (created if missing)");
  app.add_option("--device", o.device, "device index or name substring (default: VKROPE_DEVICE or the best)");
  if (frames_flag) app.add_option("--frames", o.frames, "also write N animation frames")->check(CLI::Range(0, 1000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e) == 0 ? 0 : 2);
  }
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (!std::filesystem::is_directory(o.out)) {
    std::fprintf(stderr, "--out %s: not a directory and cannot be created\n", o.out.c_str());
    std::exit(2);
  }
  return o;
}

Context make_context(const Options& options) {
  ContextOptions c = ContextOptions::from_environment();
  if (!options.device.empty()) c.device = options.device;
  return Context::create(c);
}

std::string output_path(const Options& options, const std::string& name) {
  return (std::filesystem::path(options.out) / name).string();
}

void check(bool ok, const std::string& what, const std::string& detail) {
  std::printf("check %s: %s%s%s\n", what.c_str(), ok ? "ok" : "FAILED", detail.empty() ? "" : " ", detail.c_str());
  if (!ok) ++failures;
}

int exit_code() { return failures == 0 ? 0 : 1; }

}  // namespace vkrope::sample
