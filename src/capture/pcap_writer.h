// PcapWriter: writes a classic little-endian pcap file (micro- or nanosecond stamps) through its
// own large buffer, so writing millions of packets costs a memcpy each and a write(2) per MiB.
// Owns the file descriptor and the buffer; movable, not copyable. The destructor closes (and
// flushes) the file but cannot report an error: call close() when the result matters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "core/bytes.h"
#include "core/result.h"
#include "core/time.h"

namespace warden::capture {

class PcapWriter {
 public:
  // Creates or truncates `path`. snaplen must be 1..262144; longer packets are cut to it.
  static Result<PcapWriter, std::string> open(const std::string& path, std::uint32_t link_type,
                                              bool nanosecond = false,
                                              std::uint32_t snaplen = 262144);

  PcapWriter(PcapWriter&& other) noexcept;
  PcapWriter& operator=(PcapWriter&& other) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();

  // Appends one record: data cut to the snap length; wire_length raised to at least the captured
  // length so the file stays valid. Stamps before 1970 or after 2106 wrap (pcap has u32 seconds).
  // An I/O error is sticky: later writes are dropped and close() reports it.
  void write(Timestamp ts, Bytes data, std::uint32_t wire_length);
  void write(Timestamp ts, Bytes data) { write(ts, data, static_cast<std::uint32_t>(data.size())); }

  // Flushes and closes; the first I/O error, if any, is returned. Idempotent.
  Result<std::monostate, std::string> close();

  std::uint64_t packets() const { return packets_; }

 private:
  PcapWriter(int fd, std::string path, bool nanosecond, std::uint32_t snaplen);
  void flush();
  void put_le32(std::uint32_t v);

  int fd_ = -1;
  std::string path_;
  bool nanosecond_ = false;
  std::uint32_t snaplen_ = 0;
  std::unique_ptr<std::byte[]> buf_;
  std::size_t used_ = 0;
  std::uint64_t packets_ = 0;
  std::string error_;
};

}  // namespace warden::capture
