// Checking an output path before a long run, so a typo fails at once and nothing is left
// half-written.
#pragma once

#include <string>

namespace vkrope::cli {

// Throws Error (Io) naming `flag` when `path` is a directory or its directory does not exist
// or is not writable.
void check_output_file(const std::string& flag, const std::string& path);
// The same for a directory that will receive files: it exists, or can be created where its
// nearest existing ancestor is. Creates nothing (a run that fails leaves nothing behind).
void check_output_dir(const std::string& flag, const std::string& path);
// Creates it (when the results are ready). Throws Error (Io) naming `flag`.
void make_output_dir(const std::string& flag, const std::string& path);

}  // namespace vkrope::cli
