// A per-process scratch file for fuzz targets whose reader takes a path: the input is
// written there and read back (in $TMPDIR, or /tmp).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace vkrope::fuzz {

// "<tmp>/vkrope-fuzz-<stem>-<pid>.<extension>".
inline std::string scratch_path(const std::string& stem, const std::string& extension) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/vkrope-fuzz-" + stem + "-" + std::to_string(::getpid()) + "." + extension;
}

}  // namespace vkrope::fuzz
