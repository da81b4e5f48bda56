// Reading a whole text file (config.json, a rope_scaling object, a conformance report).
#pragma once

#include <string>

namespace vkrope::io {

// The file's contents. Throws Error(Io) naming `path` when it is missing, a directory or
// unreadable; `what` ("config file", "--compare report") leads the message.
std::string read_text_file(const std::string& path, const std::string& what);

}  // namespace vkrope::io
