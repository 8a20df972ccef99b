#include "capture/pcap_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "capture/file_format.h"

namespace warden::capture {

namespace {
// Large enough that a write(2) per buffer is negligible, small enough to stay in L2/L3.
constexpr std::size_t kBufferSize = 1 << 20;
constexpr std::size_t kRecordHeaderLen = 16;
static_assert(kBufferSize >= kMaxFrameLength + kRecordHeaderLen);
}  // namespace

Result<PcapWriter, std::string> PcapWriter::open(const std::string& path, std::uint32_t link_type,
                                                 bool nanosecond, std::uint32_t snaplen) {
  if (snaplen == 0 || snaplen > kMaxFrameLength) {
    return unexpected(path + ": snaplen must be 1.." + std::to_string(kMaxFrameLength));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return unexpected(path + ": " + std::strerror(errno));
  PcapWriter w(fd, path, nanosecond, snaplen);
  w.put_le32(nanosecond ? 0xa1b23c4d : 0xa1b2c3d4);
  w.put_le32(2 | (4u << 16));  // version 2.4 as two little-endian u16
  w.put_le32(0);               // thiszone
  w.put_le32(0);               // sigfigs
  w.put_le32(snaplen);
  w.put_le32(link_type);
  return w;
}

PcapWriter::PcapWriter(int fd, std::string path, bool nanosecond, std::uint32_t snaplen)
    : fd_(fd),
      path_(std::move(path)),
      nanosecond_(nanosecond),
      snaplen_(snaplen),
      buf_(std::make_unique_for_overwrite<std::byte[]>(kBufferSize)) {}

PcapWriter::PcapWriter(PcapWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      nanosecond_(other.nanosecond_),
      snaplen_(other.snaplen_),
      buf_(std::move(other.buf_)),
      used_(std::exchange(other.used_, 0)),
      packets_(other.packets_),
      error_(std::move(other.error_)) {}

PcapWriter& PcapWriter::operator=(PcapWriter&& other) noexcept {
  if (this != &other) {
    (void)close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    nanosecond_ = other.nanosecond_;
    snaplen_ = other.snaplen_;
    buf_ = std::move(other.buf_);
    used_ = std::exchange(other.used_, 0);
    packets_ = other.packets_;
    error_ = std::move(other.error_);
  }
  return *this;
}

PcapWriter::~PcapWriter() { (void)close(); }

void PcapWriter::put_le32(std::uint32_t v) {
  std::byte* p = buf_.get() + used_;
  p[0] = static_cast<std::byte>(v);
  p[1] = static_cast<std::byte>(v >> 8);
  p[2] = static_cast<std::byte>(v >> 16);
  p[3] = static_cast<std::byte>(v >> 24);
  used_ += 4;
}

void PcapWriter::write(Timestamp ts, Bytes data, std::uint32_t wire_length) {
  if (fd_ < 0 || !error_.empty()) return;
  auto caplen = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), snaplen_));
  // Floor division so a negative stamp still has a fraction in [0, 1 s).
  Timestamp sec = ts / kNsPerSec;
  Timestamp frac = ts % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --sec;
  }
  if (!nanosecond_) frac /= 1000;
  if (used_ + kRecordHeaderLen + caplen > kBufferSize) flush();
  put_le32(static_cast<std::uint32_t>(sec));
  put_le32(static_cast<std::uint32_t>(frac));
  put_le32(caplen);
  put_le32(std::max(wire_length, caplen));
  if (caplen != 0) std::memcpy(buf_.get() + used_, data.data(), caplen);
  used_ += caplen;
  ++packets_;
}

void PcapWriter::flush() {
  std::size_t done = 0;
  while (done < used_ && error_.empty()) {
    ssize_t n = ::write(fd_, buf_.get() + done, used_ - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = path_ + ": " + std::strerror(errno);
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  used_ = 0;
}

Result<std::monostate, std::string> PcapWriter::close() {
  if (fd_ >= 0) {
    flush();
    if (::close(fd_) != 0 && error_.empty()) error_ = path_ + ": " + std::strerror(errno);
    fd_ = -1;
  }
  if (!error_.empty()) return unexpected(error_);
  return std::monostate{};
}

}  // namespace warden::capture
