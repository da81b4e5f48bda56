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

void check_output_dir(const std::string& flag, const std::string& path) {
  const fs::path p = fs::absolute(fs::path(path));
  if (fs::exists(p) && !fs::is_directory(p))
    throw Error(ErrorKind::Io, flag + " " + path + ": is a file; expected a directory");
  // The directory, or the nearest ancestor that exists (where it would be created).
  fs::path existing = p;
  while (!fs::exists(existing) && existing.has_parent_path() && existing != existing.parent_path())
    existing = existing.parent_path();
  if (!fs::is_directory(existing))
    throw Error(ErrorKind::Io, flag + " " + path + ": cannot create the directory (" + existing.string() +
                                   " is not a directory)");
  if (access(existing.c_str(), W_OK) != 0)
    throw Error(ErrorKind::Io, flag + " " + path + ": directory " + existing.string() + " is not writable");
}

void make_output_dir(const std::string& flag, const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error(ErrorKind::Io, flag + " " + path + ": cannot create the directory (" + ec.message() + ")");
}

}  // namespace vkrope::cli
