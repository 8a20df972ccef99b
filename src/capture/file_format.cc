#include "capture/file_format.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <span>

namespace warden::capture {

namespace {

constexpr std::uint32_t kPcapMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kPcapMagicNano = 0xa1b23c4d;
// Alexey Kuznetzov's patched libpcap: 8 more bytes per record (ifindex, protocol, packet type).
constexpr std::uint32_t kPcapMagicModified = 0xa1b2cd34;
constexpr std::uint32_t kPcapNgShb = 0x0a0d0d0a;  // a palindrome: readable before the byte order
constexpr std::uint32_t kPcapNgByteOrderMagic = 0x1a2b3c4d;

constexpr std::uint32_t kBlockIdb = 0x00000001;
constexpr std::uint32_t kBlockOpb = 0x00000002;  // obsolete packet block
constexpr std::uint32_t kBlockSpb = 0x00000003;
constexpr std::uint32_t kBlockEpb = 0x00000006;

constexpr std::uint16_t kOptEnd = 0;
constexpr std::uint16_t kOptIfTsresol = 9;
constexpr std::uint16_t kOptIfTsoffset = 14;

constexpr std::size_t kPcapFileHeaderLen = 24;
constexpr std::size_t kBlockOverhead = 12;  // type, total length, trailing total length
constexpr std::size_t kShbMinLen = 28;
constexpr std::uint64_t kNs = 1'000'000'000;

constexpr std::string_view kNotCapture = "not a pcap or pcapng file";

// Reads in the byte order of the file or section. The caller has checked the length, so a short
// read cannot happen; value_or keeps it harmless if a future edit breaks that.
std::uint16_t rd16(ByteReader& r, bool big) { return (big ? r.be16() : r.le16()).value_or(0); }
std::uint32_t rd32(ByteReader& r, bool big) { return (big ? r.be32() : r.le32()).value_or(0); }
std::uint64_t rd64(ByteReader& r, bool big) { return (big ? r.be64() : r.le64()).value_or(0); }

// A fixed-size header taken from the file after one length check, then decoded at constant
// offsets (a fixed-extent span: an offset past N fails the assert, not the reader). This is the
// per-packet hot path: compilers turn each field into one load (plus a bswap), where per-field
// ByteReader reads are byte loops with a bounds check each.
template <std::size_t N>
class FixedHeader {
 public:
  explicit FixedHeader(Bytes checked) : b_(checked.first<N>()) {}
  std::uint32_t u32(std::size_t off, bool big) const {
    assert(off + 4 <= N);
    std::uint32_t b0 = byte(off), b1 = byte(off + 1), b2 = byte(off + 2), b3 = byte(off + 3);
    return big ? (b0 << 24 | b1 << 16 | b2 << 8 | b3) : (b3 << 24 | b2 << 16 | b1 << 8 | b0);
  }
  std::uint16_t u16(std::size_t off, bool big) const {
    assert(off + 2 <= N);
    std::uint32_t b0 = byte(off), b1 = byte(off + 1);
    return static_cast<std::uint16_t>(big ? (b0 << 8 | b1) : (b1 << 8 | b0));
  }

 private:
  std::uint32_t byte(std::size_t i) const { return static_cast<std::uint8_t>(b_[i]); }
  std::span<const std::byte, N> b_;
};

constexpr std::uint64_t pow10(unsigned n) {
  std::uint64_t v = 1;
  for (unsigned i = 0; i < n; ++i) v *= 10;
  return v;
}

}  // namespace

std::string_view link_type_name(std::uint32_t link_type) {
  switch (link_type) {
    case kLinkNull:
      return "null";
    case kLinkEthernet:
      return "ethernet";
    case kLinkRaw:
      return "raw";
    case kLinkIeee80211:
      return "ieee802.11";
    case kLinkLoop:
      return "loop";
    case kLinkLinuxSll:
      return "linux-sll";
    case kLinkRadiotap:
      return "radiotap";
    case kLinkIeee802154:
      return "ieee802.15.4";
    case kLinkIpv4:
      return "ipv4";
    case kLinkIpv6:
      return "ipv6";
    case kLinkLinuxSll2:
      return "linux-sll2";
    default:
      return "unknown";
  }
}

Timestamp FileParser::TsConv::to_ns(std::uint64_t units) const {
  // Unsigned arithmetic: a hostile timestamp wraps instead of overflowing a signed integer.
  std::uint64_t ns;
  switch (kind) {
    case Kind::kMul:
      ns = units * factor;
      break;
    case Kind::kDiv:
      ns = factor == 0 ? 0 : units / factor;
      break;
    case Kind::kPow2: {
      unsigned e = exponent;
      std::uint64_t sec = e >= 64 ? 0 : units >> e;
      std::uint64_t frac = e >= 64 ? units : units & ((std::uint64_t{1} << e) - 1);
      // Keep frac * 10^9 inside 64 bits: 10^9 < 2^30, so frac may have at most 34 bits.
      if (e > 34) {
        unsigned drop = e - 34;
        frac = drop >= 64 ? 0 : frac >> drop;
        e = 34;
      }
      ns = sec * kNs + ((frac * kNs) >> e);
      break;
    }
    default:
      ns = 0;
  }
  return static_cast<Timestamp>(ns + offset_ns);
}

ParseResult<FileParser> FileParser::open(Bytes file) {
  if (file.empty()) return parse_error("empty file", 0);
  ByteReader r(file);
  auto magic = r.le32();
  if (!magic) return parse_error("file too short for a capture header", 0);

  FileParser p(file);
  if (*magic == kPcapNgShb) {
    p.format_ = FileFormat::kPcapNg;
    std::size_t len = 0;
    if (auto err = p.read_section_header(0, len)) return Unexpected<ParseError>{*err};
    p.off_ = len;
    return p;
  }

  bool big;
  std::uint32_t m;
  if (*magic == kPcapMagicMicro || *magic == kPcapMagicNano || *magic == kPcapMagicModified) {
    big = false;
    m = *magic;
  } else {
    ByteReader rb(file);
    m = rb.be32().value_or(0);
    if (m != kPcapMagicMicro && m != kPcapMagicNano && m != kPcapMagicModified) {
      return parse_error(kNotCapture, 0);
    }
    big = true;
  }
  if (file.size() < kPcapFileHeaderLen) return parse_error("truncated pcap file header", 0);
  p.format_ = FileFormat::kPcap;
  p.big_endian_ = big;
  p.ts_frac_to_ns_ = m == kPcapMagicNano ? 1 : 1000;
  p.record_header_len_ = m == kPcapMagicModified ? 24 : 16;
  std::uint16_t major = rd16(r, big);
  std::uint16_t minor = rd16(r, big);
  if (major != 2) return parse_error("unsupported pcap version (major is not 2)", 4);
  // Before 2.3 the record header stored the wire length first; 2.3 files come both ways.
  p.lengths_swapped_ = minor < 3 ? 1 : (minor == 3 ? 2 : 0);
  r.skip(8);  // thiszone (always 0 in practice; libpcap ignores it too), sigfigs
  p.snaplen_ = rd32(r, big);
  // The upper bits carry the FCS length (libpcap's LT_LINKTYPE mask).
  std::uint32_t link = rd32(r, big) & 0x03ffffff;
  // DLT_RAW was 12 (14 on OpenBSD) before LINKTYPE_RAW existed; old files still say so.
  if (link == 12 || link == 14) link = kLinkRaw;
  p.link_type_ = link;
  p.off_ = kPcapFileHeaderLen;
  return p;
}

std::optional<Frame> FileParser::fail(std::string_view reason, std::size_t at) {
  error_ = ParseError{reason, at};
  done_ = true;
  return std::nullopt;
}

std::optional<Frame> FileParser::next() {
  if (done_) return std::nullopt;
  return format_ == FileFormat::kPcap ? next_pcap() : next_pcapng();
}

std::optional<Frame> FileParser::next_pcap() {
  const std::size_t at = off_;
  const std::size_t rem = file_.size() - at;
  if (rem == 0) {
    done_ = true;
    return std::nullopt;
  }
  if (rem < record_header_len_) return fail("truncated pcap record header", at);
  const FixedHeader<16> h(file_.subspan(at, 16));
  std::uint32_t sec = h.u32(0, big_endian_);
  std::uint32_t frac = h.u32(4, big_endian_);
  std::uint32_t caplen = h.u32(8, big_endian_);
  std::uint32_t len = h.u32(12, big_endian_);
  if (lengths_swapped_ == 1 || (lengths_swapped_ == 2 && caplen > len)) std::swap(caplen, len);
  if (caplen > kMaxFrameLength) return fail("pcap record captured length exceeds 256 KiB", at);
  if (caplen > rem - record_header_len_) {
    return fail("pcap record runs past the end of the file (truncated capture)", at);
  }
  Frame f;
  f.data = file_.subspan(at + record_header_len_, caplen);
  f.wire_length = std::max(len, caplen);
  f.ts = static_cast<Timestamp>(std::uint64_t{sec} * kNs + std::uint64_t{frac} * ts_frac_to_ns_);
  f.link_type = link_type_;
  f.interface_id = 0;
  off_ = at + record_header_len_ + caplen;
  return f;
}

std::optional<ParseError> FileParser::read_section_header(std::size_t at, std::size_t& block_len) {
  ByteReader r(file_);
  r.seek(at);
  if (r.remaining() < 12) return ParseError{"truncated pcapng section header", at};
  r.skip(8);
  std::uint32_t bom = r.le32().value_or(0);
  bool big;
  if (bom == kPcapNgByteOrderMagic) {
    big = false;
  } else if (bom == 0x4d3c2b1a) {
    big = true;
  } else {
    return ParseError{"pcapng section header has a bad byte-order magic", at};
  }
  r.seek(at + 4);
  std::uint32_t len = rd32(r, big);
  if (len < kShbMinLen) return ParseError{"pcapng section header block too short", at};
  if (len % 4 != 0) return ParseError{"pcapng block length is not a multiple of 4", at};
  if (len > kMaxBlockLength) return ParseError{"pcapng block length exceeds 16 MiB", at};
  if (len > file_.size() - at) {
    return ParseError{"pcapng block runs past the end of the file (truncated capture)", at};
  }
  r.seek(at + len - 4);
  if (rd32(r, big) != len) return ParseError{"pcapng trailing block length does not match", at};
  r.seek(at + 12);
  std::uint16_t major = rd16(r, big);
  if (major != 1) return ParseError{"unsupported pcapng version (major is not 1)", at};
  big_endian_ = big;
  interfaces_.clear();
  block_len = len;
  return std::nullopt;
}

std::optional<ParseError> FileParser::read_interface(ByteReader body, std::size_t at) {
  if (body.remaining() < 8) return ParseError{"pcapng interface description block too short", at};
  if (interfaces_.size() >= kMaxInterfaces) {
    return ParseError{"too many interfaces in one pcapng section", at};
  }
  Interface iface;
  iface.link_type = rd16(body, big_endian_);
  body.skip(2);
  iface.snaplen = rd32(body, big_endian_);
  // Default resolution: microseconds.
  iface.ts.kind = TsConv::Kind::kMul;
  iface.ts.factor = 1000;
  // Options until opt_endofopt or the end of the body; a missing end marker is tolerated.
  while (body.remaining() >= 4) {
    std::uint16_t code = rd16(body, big_endian_);
    std::uint16_t len = rd16(body, big_endian_);
    if (code == kOptEnd) break;
    std::size_t padded = (std::size_t{len} + 3) & ~std::size_t{3};
    auto value = body.bytes(len);
    if (!value || !body.skip(padded - len)) {
      return ParseError{"malformed pcapng interface option", at};
    }
    ByteReader v(*value);
    if (code == kOptIfTsresol && len == 1) {
      std::uint8_t res = v.u8().value_or(6);
      unsigned e = res & 0x7f;
      if (res & 0x80) {
        iface.ts.kind = TsConv::Kind::kPow2;
        iface.ts.exponent = static_cast<std::uint8_t>(e);
      } else if (e <= 9) {
        iface.ts.kind = TsConv::Kind::kMul;
        iface.ts.factor = pow10(9 - e);
      } else {
        iface.ts.kind = TsConv::Kind::kDiv;
        // 10^19 is the largest power of ten in 64 bits; beyond it every stamp is 0 ns.
        iface.ts.factor = e - 9 <= 19 ? pow10(e - 9) : 0;
      }
    } else if (code == kOptIfTsoffset && len == 8) {
      iface.ts.offset_ns = rd64(v, big_endian_) * kNs;
    }
  }
  interfaces_.push_back(iface);
  return std::nullopt;
}

std::optional<Frame> FileParser::next_pcapng() {
  // Each pass consumes one whole block (>= 12 bytes) or stops, so the loop is bounded.
  for (;;) {
    const std::size_t at = off_;
    const std::size_t rem = file_.size() - at;
    if (rem == 0) {
      done_ = true;
      return std::nullopt;
    }
    if (rem < kBlockOverhead) return fail("truncated pcapng block header", at);
    const FixedHeader<8> h(file_.subspan(at, 8));
    std::uint32_t type = h.u32(0, big_endian_);
    if (type == kPcapNgShb) {
      std::size_t len = 0;
      if (auto err = read_section_header(at, len)) return fail(err->reason, err->offset);
      off_ = at + len;
      continue;
    }
    std::uint32_t len = h.u32(4, big_endian_);
    if (len < kBlockOverhead) return fail("pcapng block length too short", at);
    if (len % 4 != 0) return fail("pcapng block length is not a multiple of 4", at);
    if (len > kMaxBlockLength) return fail("pcapng block length exceeds 16 MiB", at);
    if (len > rem)
      return fail("pcapng block runs past the end of the file (truncated capture)", at);
    if (FixedHeader<4>(file_.subspan(at + len - 4, 4)).u32(0, big_endian_) != len) {
      return fail("pcapng trailing block length does not match", at);
    }
    const Bytes body = file_.subspan(at + 8, len - kBlockOverhead);

    switch (type) {
      case kBlockEpb:
      case kBlockOpb: {
        constexpr std::size_t kFixed = 20;
        if (body.size() < kFixed) return fail("pcapng packet block too short", at);
        const FixedHeader<kFixed> e(body);
        // The obsolete OPB has a 16-bit interface id followed by a 16-bit drop count.
        std::uint32_t iface_id = type == kBlockEpb ? e.u32(0, big_endian_) : e.u16(0, big_endian_);
        std::uint64_t hi = e.u32(4, big_endian_);
        std::uint64_t lo = e.u32(8, big_endian_);
        std::uint32_t caplen = e.u32(12, big_endian_);
        std::uint32_t wire = e.u32(16, big_endian_);
        if (iface_id >= interfaces_.size()) {
          return fail("pcapng packet references an undeclared interface", at);
        }
        if (caplen > body.size() - kFixed) {
          return fail("pcapng packet captured length exceeds its block", at);
        }
        if (caplen > kMaxFrameLength) {
          return fail("pcapng packet captured length exceeds 256 KiB", at);
        }
        const Interface& iface = interfaces_[iface_id];
        Frame f;
        f.data = body.subspan(kFixed, caplen);
        f.wire_length = std::max(wire, caplen);
        f.ts = iface.ts.to_ns((hi << 32) | lo);
        f.link_type = iface.link_type;
        f.interface_id = iface_id;
        off_ = at + len;
        last_ts_ = f.ts;
        return f;
      }
      case kBlockSpb: {
        if (body.size() < 4) return fail("pcapng simple packet block too short", at);
        if (interfaces_.empty()) {
          return fail("pcapng packet references an undeclared interface", at);
        }
        std::uint32_t wire = FixedHeader<4>(body).u32(0, big_endian_);
        const Interface& iface = interfaces_[0];
        // An SPB has no captured length: it is the wire length cut to the snap length, and the
        // block must hold that much (the rest is padding).
        std::uint32_t caplen = wire;
        if (iface.snaplen != 0) caplen = std::min(caplen, iface.snaplen);
        if (caplen > body.size() - 4) {
          return fail("pcapng packet captured length exceeds its block", at);
        }
        if (caplen > kMaxFrameLength) {
          return fail("pcapng packet captured length exceeds 256 KiB", at);
        }
        Frame f;
        f.data = body.subspan(4, caplen);
        f.wire_length = wire;  // >= caplen by construction
        f.ts = last_ts_;       // an SPB carries no time; the previous packet's is the best guess
        f.link_type = iface.link_type;
        f.interface_id = 0;
        off_ = at + len;
        return f;
      }
      case kBlockIdb:
        if (auto err = read_interface(ByteReader(body), at)) return fail(err->reason, err->offset);
        break;
      default:
        break;  // statistics, name resolution, secrets, custom and unknown blocks
    }
    off_ = at + len;
  }
}

std::string describe_error(const ParseError& error, Bytes file) {
  char buf[64];
  if (error.reason == kNotCapture) {
    std::uint32_t magic = 0;
    for (std::size_t i = 0; i < 4 && i < file.size(); ++i) {
      magic = (magic << 8) | byte_at(file, i);
    }
    std::snprintf(buf, sizeof buf, " (magic 0x%08x)", magic);
    return std::string(error.reason) + buf;
  }
  std::snprintf(buf, sizeof buf, " at byte offset %zu", error.offset);
  return std::string(error.reason) + buf;
}

}  // namespace warden::capture
