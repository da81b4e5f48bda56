// A per-process scratch file for fuzz targets whose reader takes a path: the input is
// written there and read back (in $TMPDIR, or /tmp).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace vkrope::fuzz {

// "<tmp>/vkrope-fuzz-<stem>-<pid>.<extension>".
inline std::string scratch_path(const std::string& stem, const std::string& extension) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/vkrope-fuzz-" + stem + "-" + std::to_string(::getpid()) + "." + extension;
}

// Writes the input to `path` whole (aborting on failure: a fuzzing set-up problem).
inline void write_scratch(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

}  // namespace vkrope::fuzz
