#include "core/file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace warden {
namespace {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string errno_text(std::string_view what, std::string_view path) {
  std::string out(what);
  out += ' ';
  out += path;
  out += ": ";
  out += std::strerror(errno);
  return out;
}

Result<bool, std::string> write_file_durable(const std::string& path, std::string_view data,
                                             mode_t mode) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // A leading '.' keeps the temporary out of directory listings that skip hidden names.
  const std::string tmp =
      (dir / ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()))).string();
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode & 0777);
  if (fd < 0) return unexpected(errno_text("cannot write", tmp));
  // open() applies the umask; fchmod makes the mode exactly what the caller asked for.
  bool ok = ::fchmod(fd, mode & 0777) == 0 && write_all(fd, data) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = saved;
    return unexpected(errno_text("cannot write", tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = errno_text("cannot rename to", path);
    ::unlink(tmp.c_str());
    return unexpected(std::move(err));
  }
  // The rename is durable only once the directory entry is on disk.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return unexpected(errno_text("cannot open directory", dir.string()));
  ok = ::fsync(dfd) == 0;
  ::close(dfd);
  if (!ok) return unexpected(errno_text("cannot sync directory", dir.string()));
  return true;
}

Result<std::string, std::string> read_file(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected(errno_text("cannot open", path));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return unexpected(std::string("not a regular file: ") + path);
  }
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return unexpected(path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = errno_text("cannot read", path);
      ::close(fd);
      return unexpected(std::move(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {  // the file grew while we read it
      ::close(fd);
      return unexpected(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace warden

namespace warden {

Result<FileLock, std::string> FileLock::acquire(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unexpected(errno_text("cannot open", path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return unexpected(path + " is locked by another process");
    errno = err;
    return unexpected(errno_text("cannot lock", path));
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace warden
