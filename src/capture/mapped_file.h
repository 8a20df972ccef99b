// MappedFile: a whole file mapped read-only into memory, owned for the object's lifetime. It is
// what FileParser reads from: frames borrow straight from the page cache, so a capture of any size
// is parsed without a copy. Movable, not copyable; unmapped on destruction.
#pragma once

#include <cstddef>
#include <string>

#include "core/bytes.h"
#include "core/result.h"

namespace warden::capture {

class MappedFile {
 public:
  // Fails with "<path>: <strerror>" (or "<path>: not a regular file"). An empty file maps to an
  // empty span rather than failing, so the caller reports it as an empty capture.
  static Result<MappedFile, std::string> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Valid while this object lives (moving it keeps the mapping, and so the span, valid).
  Bytes bytes() const { return Bytes(static_cast<const std::byte*>(data_), size_); }
  std::size_t size() const { return size_; }

  // Tells the kernel the bytes before `offset` will not be read again, so their page-cache
  // pages leave this process's resident set. Without it, reading a 10 GB capture would show
  // 10 GB of RSS (file-backed, reclaimable, but alarming and counted by memory limits).
  // The caller must hold no view into the released range.
  void release_before(std::size_t offset);

 private:
  MappedFile(void* data, std::size_t size) : data_(data), size_(size) {}
  void reset();

  void* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t released_ = 0;
};

}  // namespace warden::capture
