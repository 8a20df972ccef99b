// Small, careful file I/O for state that must survive a crash or hold secrets: keys, CA serials,
// update metadata, list stores. Writes go to a temporary name beside the target, are fsynced,
// renamed over it, and the directory is fsynced, so a reader sees the old file or the new one,
// never half of one, and "done" means on disk.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace warden {

// Replaces `path` with `data` durably (write, fsync, rename, fsync directory). The file gets
// `mode` (0600 for private keys) from its creation on, so a secret is never readable by others,
// not even for a moment. The temporary file is removed on any failure.
Result<bool, std::string> write_file_durable(const std::string& path, std::string_view data,
                                             mode_t mode = 0644);

// Reads a whole regular file of at most `max_bytes`; a larger file is an error, not truncated.
Result<std::string, std::string> read_file(const std::string& path,
                                           std::size_t max_bytes = 16u << 20);

// An exclusive flock(2) on `path` (created 0600 if missing), held until the object goes. For
// state directories one process must own at a time (an update agent's slots, a repository
// being signed): a second owner gets an error at once instead of interleaving renames.
class FileLock {
 public:
  static Result<FileLock, std::string> acquire(const std::string& path);
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// "<what> <path>: <strerror(errno)>".
std::string errno_text(std::string_view what, std::string_view path);

}  // namespace warden
