#include "io/text_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vkrope/error.hpp"

namespace vkrope::io {

std::string read_text_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  // An ifstream opens a directory and fails only on the first read, with an exception
  // from the stream buffer rather than a failed state: check first.
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorKind::Io, "cannot read " + what + " '" + path + "': it is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorKind::Io, "cannot open " + what + " '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw Error(ErrorKind::Io, "cannot read " + what + " '" + path + "'");
  return text.str();
}

}  // namespace vkrope::io
