// FileParser: a pure, zero-copy reader of a capture file that is already in memory (classic pcap
// in either byte order with micro- or nanosecond stamps, and pcapng with any number of sections
// and interfaces). It owns nothing but a cursor: every Frame borrows its bytes from the caller's
// buffer (usually a MappedFile), so the buffer must outlive the frames. Damage stops the walk:
// frames before it have been returned, error() says what broke and at which absolute offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/link_type.h"
#include "core/result.h"
#include "core/time.h"

namespace warden::capture {

// LINKTYPE_* values (tcpdump.org/linktypes.html): what the first byte of a frame is.
// Link types (kLinkEthernet, ...) are warden::kLink* from core/link_type.h.

// Short lowercase name ("ethernet", "linux-sll"); "unknown" for anything else.
std::string_view link_type_name(std::uint32_t link_type);

// Frames larger than this are treated as damage: libpcap's own maximum snapshot length, so no
// real capture holds a bigger one and a garbage length is caught before it is trusted.
inline constexpr std::uint32_t kMaxFrameLength = 256 * 1024;
// pcapng blocks larger than this are damage (Wireshark uses the same cap).
inline constexpr std::uint32_t kMaxBlockLength = 16 * 1024 * 1024;
// Interfaces per pcapng section; bounds the one allocation the parser makes.
inline constexpr std::size_t kMaxInterfaces = 65536;

enum class FileFormat { kPcap, kPcapNg };

struct Frame {
  Bytes data;                  // captured bytes, borrowed from the file buffer
  std::uint32_t wire_length;   // original length on the wire (>= data.size())
  Timestamp ts;                // ns since epoch (core/time.h)
  std::uint32_t link_type;     // LINKTYPE_* value of this frame's interface
  std::uint32_t interface_id;  // pcapng interface index (0 for pcap)
};

class FileParser {
 public:
  // Checks the magic and the file (pcap) or first section (pcapng) header. The error's offset is
  // 0 for an unknown magic; describe_error() renders it with the magic for a human.
  static ParseResult<FileParser> open(Bytes file);

  // The next packet, or nullopt at the end of the file or at damage (see error()). Skips
  // statistics, name-resolution and unknown blocks. Allocates nothing and copies nothing.
  std::optional<Frame> next();

  // Set when next() stopped at damage: a static reason and the absolute offset of the damaged
  // record or block (a truncated capture reports the offset of its last, partial record).
  const std::optional<ParseError>& error() const { return error_; }
  std::size_t offset() const { return off_; }  // bytes consumed so far
  FileFormat format() const { return format_; }
  // The pcap header's snapshot length (0 for pcapng, where each interface has its own).
  std::uint32_t snaplen() const { return snaplen_; }

 private:
  // How one interface's timestamp units become nanoseconds: precomputed when the interface is
  // declared so a packet costs one multiply (or divide, or shift) and one add.
  struct TsConv {
    enum class Kind : std::uint8_t { kMul, kDiv, kPow2 };
    Kind kind = Kind::kMul;
    std::uint8_t exponent = 0;    // kPow2: units are 2^-exponent s
    std::uint64_t factor = 1000;  // kMul: ns per unit; kDiv: units per ns (0: always 0 ns)
    std::uint64_t offset_ns = 0;  // if_tsoffset, wrapped into unsigned arithmetic
    Timestamp to_ns(std::uint64_t units) const;
  };
  struct Interface {
    std::uint32_t link_type = 0;
    std::uint32_t snaplen = 0;
    TsConv ts;
  };

  explicit FileParser(Bytes file) : file_(file) {}
  std::optional<Frame> next_pcap();
  std::optional<Frame> next_pcapng();
  std::optional<Frame> fail(std::string_view reason, std::size_t at);
  // Validates the section header block at `at` and adopts its byte order; a new section also
  // forgets the previous section's interfaces. Used by open() and for later sections.
  std::optional<ParseError> read_section_header(std::size_t at, std::size_t& block_len);
  std::optional<ParseError> read_interface(ByteReader body, std::size_t at);

  Bytes file_;
  std::size_t off_ = 0;
  FileFormat format_ = FileFormat::kPcap;
  bool big_endian_ = false;
  bool done_ = false;
  std::optional<ParseError> error_;

  // Classic pcap.
  std::size_t record_header_len_ = 16;  // 24 for the modified (Kuznetzov) format
  std::uint32_t ts_frac_to_ns_ = 1000;  // 1 for the nanosecond magic
  std::uint8_t lengths_swapped_ = 0;    // 1: pre-2.3 order; 2: 2.3, maybe swapped
  std::uint32_t link_type_ = 0;
  std::uint32_t snaplen_ = 0;

  // pcapng: interfaces of the current section, and the previous packet's time (an SPB has none).
  std::vector<Interface> interfaces_;
  Timestamp last_ts_ = 0;
};

// A one-line description of an error from open() or error(), e.g.
// "not a pcap or pcapng file (magic 0x504b0304)" or "... at byte offset 1234".
std::string describe_error(const ParseError& error, Bytes file);

}  // namespace warden::capture
