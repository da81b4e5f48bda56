// Writing a file so that it appears whole or not at all: the bytes go to a hidden temporary
// beside the target, which is renamed into place only once everything is written and
// flushed. A failure (or an exception while writing) leaves no file and no temporary.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace vkrope::io {

// The temporary a write goes to: a hidden sibling of the target, created exclusively and
// removed by the destructor unless commit() renamed it into place.
class TempFile {
 public:
  // Throws Error(Io) naming `target` when its directory cannot take a new file.
  explicit TempFile(const std::filesystem::path& target);
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();  // never throws: cleanup after a failure that is already being reported
  int fd() const noexcept { return fd_; }
  // Appends `bytes`; throws Error(Io) naming `target`.
  void write(std::span<const std::byte> bytes, const std::string& target);
  // fsync, close, rename onto `target`; throws Error(Io).
  void commit(const std::filesystem::path& target);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

// The whole file at once. Throws Error(Io) naming `path` (a directory, an unwritable place).
void write_file_atomically(const std::string& path, std::span<const std::byte> bytes);
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace vkrope::io
