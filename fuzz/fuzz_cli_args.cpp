// libFuzzer target: the CLI's argument parser. The input is split at NUL bytes into
// arguments and parsed by the real parser with every subcommand registered (nothing runs:
// no device is touched, no file read). Parsing must accept the arguments or throw
// CLI::ParseError; a crash, a sanitizer report or another exception is a finding. The
// validators that run during parsing (IsMember, Range, the --shape checks are not among
// them) are exercised with it.
#include <cstdint>
#include <string>
#include <vector>

#include "app.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{""};
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) args.emplace_back();
    else args.back().push_back(static_cast<char>(data[i]));
  }
  if (args.size() > 64) return 0;
  std::vector<char*> argv{const_cast<char*>("vkrope")};
  for (std::string& a : args) argv.push_back(a.data());
  const auto cli = vkrope::cli::make_app();
  try {
    cli->app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    // Refused: the CLI prints it and exits 2 (or prints help).
  }
  return 0;
}
