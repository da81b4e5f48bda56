// vkrope: the command-line tool (app.hpp has the parser and the exit codes). Results go
// to stdout, errors to stderr as one line.
#include "app.hpp"

int main(int argc, char** argv) {
  const auto cli = vkrope::cli::make_app();
  return vkrope::cli::run(*cli, argc, argv);
}
