#include "output_path.hpp"

#include <unistd.h>

#include <filesystem>

#include "vkrope/error.hpp"

namespace vkrope::cli {

namespace fs = std::filesystem;

void check_output_file(const std::string& flag, const std::string& path) {
  const fs::path p(path);
  if (fs::is_directory(p)) throw Error(ErrorKind::Io, flag + " " + path + ": is a directory; expected a file path");
  const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(parent))
    throw Error(ErrorKind::Io, flag + " " + path + ": directory " + parent.string() + " does not exist");
  if (access(parent.c_str(), W_OK) != 0)
    throw Error(ErrorKind::Io, flag + " " + path + ": directory " + parent.string() + " is not writable");
}

void prepare_output_dir(const std::string& flag, const std::string& path) {
  const fs::path p(path);
  if (fs::exists(p) && !fs::is_directory(p))
    throw Error(ErrorKind::Io, flag + " " + path + ": is a file; expected a directory");
  if (!fs::exists(p)) {
    std::error_code ec;
    fs::create_directories(p, ec);
    if (ec) throw Error(ErrorKind::Io, flag + " " + path + ": cannot create the directory (" + ec.message() + ")");
  }
  if (access(p.c_str(), W_OK) != 0) throw Error(ErrorKind::Io, flag + " " + path + ": directory is not writable");
}

}  // namespace vkrope::cli
