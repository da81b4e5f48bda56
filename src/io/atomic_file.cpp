#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "vkrope/error.hpp"

namespace vkrope::io {

namespace {

[[noreturn]] void io_failure(const std::string& path, const std::string& what, int err) {
  throw Error(ErrorKind::Io, path + ": " + what + ": " + std::strerror(err));
}

}  // namespace

TempFile::TempFile(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  const std::string stem = "." + target.filename().string() + ".tmp." + std::to_string(::getpid()) + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    path_ = target.parent_path() / (stem + std::to_string(counter++));
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);  // umask applies
    if (fd_ >= 0 || errno != EEXIST) break;
  }
  if (fd_ < 0) io_failure(target.string(), "cannot create a file in its directory", errno);
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(path_.c_str());
}

void TempFile::write(std::span<const std::byte> bytes, const std::string& target) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) io_failure(target, "write failed", errno);
    done += static_cast<std::size_t>(put);
  }
}

void TempFile::commit(const std::filesystem::path& target) {
  const std::string name = target.string();
  // fsync before rename: otherwise a crash can leave the new name on an empty file.
  if (::fsync(fd_) != 0) io_failure(name, "fsync failed", errno);
  if (::close(std::exchange(fd_, -1)) != 0) io_failure(name, "close failed", errno);
  if (::rename(path_.c_str(), target.c_str()) != 0) io_failure(name, "cannot rename the temporary file into place", errno);
  committed_ = true;
}

void write_file_atomically(const std::string& path, std::span<const std::byte> bytes) {
  const std::filesystem::path target(path);
  struct stat st {};
  if (target.filename().empty() || (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)))
    throw Error(ErrorKind::Io, path + ": is a directory; expected a file name to write");
  TempFile temp(target);
  temp.write(bytes, path);
  temp.commit(target);
}

void write_file_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size())));
}

}  // namespace vkrope::io
