#include "capture/file_format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "capture/mapped_file.h"
#include "capture/pcap_writer.h"

namespace warden::capture {
namespace {

using Buf = std::vector<std::byte>;

Buf from_hex(std::string_view hex) {
  Buf out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(nib(hex[i]) * 16 + nib(hex[i + 1])));
  }
  return out;
}

Bytes prefix(const Buf& b, std::size_t n) { return Bytes(b.data(), n); }

struct Walk {
  std::vector<Frame> frames;
  std::optional<ParseError> error;
};

Walk walk(FileParser& p) {
  Walk w;
  while (auto f = p.next()) w.frames.push_back(*f);
  w.error = p.error();
  return w;
}

Walk walk(Bytes file) {
  auto p = FileParser::open(file);
  EXPECT_TRUE(p.has_value()) << (p ? "" : describe_error(p.error(), file));
  if (!p) return {};
  return walk(*p);
}

// ndpi/pcap/dns-exf.pcap, the whole file: little-endian microsecond pcap, Ethernet, two frames
// (a DNS query of 163 bytes and its response of 179 bytes).
const Buf kDnsExf = from_hex(
    "d4c3b2a10200040000000000000000000000040001000000b839fb64f6690900"
    "a3000000a3000000ac1f6bad6a2c0cc47acc4e6e080045000095c4ed00004011"
    "2eb3c0a802e1c0a80286b0ea00350081175affd5012000010000000000013a48"
    "347349434e30332a3251414133526c63335175644868304141764a7943785741"
    "4b4a4568654c55354b4c55456f57307a4a78554c674167652d0c345332466741"
    "4141413d3d2d0474657374037478740000010001000029100000000000000c00"
    "0a000881b62daae7b17645b839fb644d6a0900b3000000b30000000cc47acc4e"
    "6eac1f6bad6a2c0800450000a5e11b40004011d274c0a80286c0a802e10035b0"
    "ea0091875affd5818000010001000000003a48347349434e30332a3251414133"
    "526c63335175644868304141764a79437857414b4a4568654c55354b4c55456f"
    "57307a4a78554c674167652d0c3453324667414141413d3d2d04746573740374"
    "78740000010001000029100000000000000c000a000881b62daae7b17645c00c"
    "000100010000003c0004c0a80286");
constexpr Timestamp kDnsExfTs0 = 1694185912616950000;
constexpr Timestamp kDnsExfTs1 = 1694185912617037000;

// ndpi/pcap/mqtt.pcap (a pcapng despite its name), bytes 0..715: SHB (280 bytes, with comment,
// OS and application options), IDB (Ethernet, snaplen 65535, if_tsresol 6) and three EPBs of
// 74, 132 and 98 captured bytes.
const Buf kMqttNg = from_hex(
    "0a0d0d0a180100004d3c2b1a01000000ffffffffffffffff0100720053616e69"
    "74697a65642062792054726163655772616e676c65722076302e362e38206275"
    "696c6420393439200a46696c652063726561746564206279206d657267696e67"
    "3a200a46696c65313a206d7174742e706361706e67200a46696c65323a206d71"
    "74745f6c6f6e672e70636170200a0000030017004c696e757820352e31332e30"
    "2d32372d67656e657269630004005d004d657267656361702028576972657368"
    "61726b2920332e342e3820284769742076332e342e38207061636b6167656420"
    "617320332e342e382d317e7562756e747532302e30342e302b77697265736861"
    "726b646576737461626c65312900000000000000180100000100000020000000"
    "01000000ffff000009000100060000000000000020000000060000006c000000"
    "0000000050d605000e6562024a0000004a000000000000000000000c004d2cb0"
    "08004500003c00004000340672080a0a0a01c0a80001075ba3a419a498d9c303"
    "f053a012fe88a3bc0000020405b40402080adc2b70d2bb5fb7c3010303070000"
    "6c00000006000000a40000000000000050d605000f7162028400000084000000"
    "000000000000000c004d2cb00800450000767c5c40003f06ea71c0a800010a0a"
    "0a01a3a4075bc303f05319a498da801800e5f17100000101080abb5fb814dc2b"
    "70d2104000064d514973647003c2001400166362616162636261626163626262"
    "6262616161616162000c303244353035303232334433000c3032443530353032"
    "32334433a400000006000000840000000000000050d60500f9ab630262000000"
    "62000000000000000000000c004d2cb00800450000547c5d40003f06ea92c0a8"
    "00010a0a0a01a3a4075bc303f09519a498da801800e52c6e00000101080abb5f"
    "b865dc2b7123821e00010019617374722f733732302f30324435303530323233"
    "44332f393900000084000000");
const std::size_t kMqttBlockStarts[] = {0, 280, 312, 420, 584, 716};
const Timestamp kMqttTs[] = {1643014009283854000, 1643014009286927000, 1643014009367545000};
const std::size_t kMqttCaplen[] = {74, 132, 98};

// Builds pcapng files block by block, in either byte order, for the hostile cases.
class NgBuilder {
 public:
  explicit NgBuilder(bool big = false) : big_(big) {}

  NgBuilder& shb(std::uint16_t major = 1) {
    Buf body;
    put32(body, 0x1a2b3c4d);
    put16(body, major);
    put16(body, 0);
    put64(body, ~std::uint64_t{0});  // section length unknown
    return block(0x0a0d0d0a, body);
  }
  // Options: (code, value) pairs, already in this builder's byte order where it matters.
  NgBuilder& idb(std::uint16_t link, std::uint32_t snaplen,
                 const std::vector<std::pair<std::uint16_t, Buf>>& opts = {}) {
    Buf body;
    put16(body, link);
    put16(body, 0);
    put32(body, snaplen);
    for (const auto& [code, value] : opts) {
      put16(body, code);
      put16(body, static_cast<std::uint16_t>(value.size()));
      body.insert(body.end(), value.begin(), value.end());
      while (body.size() % 4 != 0) body.push_back(std::byte{0});
    }
    if (!opts.empty()) put32(body, 0);  // opt_endofopt
    return block(1, body);
  }
  NgBuilder& epb(std::uint32_t iface, std::uint64_t units, const Buf& data,
                 std::uint32_t wire = 0) {
    Buf body;
    put32(body, iface);
    put32(body, static_cast<std::uint32_t>(units >> 32));
    put32(body, static_cast<std::uint32_t>(units));
    put32(body, static_cast<std::uint32_t>(data.size()));
    put32(body, wire != 0 ? wire : static_cast<std::uint32_t>(data.size()));
    append_padded(body, data);
    return block(6, body);
  }
  NgBuilder& opb(std::uint16_t iface, std::uint64_t units, const Buf& data) {
    Buf body;
    put16(body, iface);
    put16(body, 0);
    put32(body, static_cast<std::uint32_t>(units >> 32));
    put32(body, static_cast<std::uint32_t>(units));
    put32(body, static_cast<std::uint32_t>(data.size()));
    put32(body, static_cast<std::uint32_t>(data.size()));
    append_padded(body, data);
    return block(2, body);
  }
  NgBuilder& spb(std::uint32_t wire, const Buf& data) {
    Buf body;
    put32(body, wire);
    append_padded(body, data);
    return block(3, body);
  }
  NgBuilder& block(std::uint32_t type, const Buf& body) {
    put32(out, type);
    put32(out, static_cast<std::uint32_t>(body.size() + 12));
    out.insert(out.end(), body.begin(), body.end());
    put32(out, static_cast<std::uint32_t>(body.size() + 12));
    return *this;
  }
  Buf u64(std::uint64_t v) const {
    Buf b;
    put64(b, v);
    return b;
  }
  void put16(Buf& b, std::uint16_t v) const { put(b, v, 2); }
  void put32(Buf& b, std::uint32_t v) const { put(b, v, 4); }
  void put64(Buf& b, std::uint64_t v) const { put(b, v, 8); }

  Buf out;

 private:
  void put(Buf& b, std::uint64_t v, int n) const {
    for (int i = 0; i < n; ++i) {
      int shift = big_ ? (n - 1 - i) * 8 : i * 8;
      b.push_back(static_cast<std::byte>(v >> shift));
    }
  }
  static void append_padded(Buf& body, const Buf& data) {
    body.insert(body.end(), data.begin(), data.end());
    while (body.size() % 4 != 0) body.push_back(std::byte{0});
  }
  bool big_;
};

Buf payload(std::size_t n, int seed = 0) {
  Buf b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>(i * 7 + seed);
  return b;
}

bool same(Bytes a, const Buf& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// --- real captures --------------------------------------------------------------------------

struct Expected {
  const char* path;  // under /work/shared/data/captures
  FileFormat format;
  std::size_t frames;
  Timestamp first_ns, last_ns;  // first and last frame in file order
  std::uint64_t captured_bytes;
  std::uint32_t link_type;
};

// From `tshark -T fields -e frame.time_epoch -e frame.cap_len -e frame.len` (and capinfos for
// the link type). In all of them the captured length equals the wire length.
const Expected kCaptures[] = {
    {"ndpi/pcap/alexa-app.pcapng", FileFormat::kPcapNg, 3103, 1490976022526783000,
     1490976198776068000, 1171135, kLinkEthernet},
    {"ndpi/pcap/bot.pcap", FileFormat::kPcap, 402, 1645108240233170000, 1645108245896491000, 431124,
     kLinkEthernet},
    {"ndpi/pcap/coap_mqtt.pcap", FileFormat::kPcap, 1082, 1333957710293035000, 1455907286608960000,
     102603, kLinkEthernet},
    {"ndpi/pcap/dhcp-fuzz.pcapng", FileFormat::kPcapNg, 1, 1268519154926217000, 1268519154926217000,
     342, kLinkEthernet},
    {"ndpi/pcap/dns-exf.pcap", FileFormat::kPcap, 2, 1694185912616950000, 1694185912617037000, 342,
     kLinkEthernet},
    {"ndpi/pcap/dns-tunnel-iodine.pcap", FileFormat::kPcap, 438, 1282356640051082000,
     1282356664538369000, 70492, kLinkEthernet},
    {"ndpi/pcap/dns2tcp_tunnel.pcap", FileFormat::kPcap, 50, 1585754662417775000,
     1585754670531367000, 8960, kLinkLinuxSll},
    {"ndpi/pcap/icmp-tunnel.pcap", FileFormat::kPcap, 961, 1360227866458898000, 1360228988973740000,
     195808, kLinkEthernet},
    {"ndpi/pcap/mqtt.pcap", FileFormat::kPcapNg, 9, 1643014009283854000, 1643014349216221000, 1481,
     kLinkEthernet},
    {"ndpi/pcap/nest_log_sink.pcap", FileFormat::kPcap, 1000, 1536712992228658000,
     1536719715232392000, 129986, kLinkEthernet},
    {"ndpi/pcap/sonos.pcapng", FileFormat::kPcapNg, 61, 1727166164053038000, 1728503020063220000,
     29332, kLinkEthernet},
    {"ndpi/pcap/ssdp-m-search.pcap", FileFormat::kPcap, 19, 1532054645808785000,
     1532054735808753000, 1197, kLinkEthernet},
    {"ndpi/pcap/telnet.pcap", FileFormat::kPcap, 92, 943755158387203000, 943755197958477000, 7748,
     kLinkEthernet},
    {"ndpi/pcap/tplink_shp.pcap", FileFormat::kPcap, 251, 1671480246580620000, 1671482115665844000,
     17821, kLinkEthernet},
    {"ndpi/pcap/trickbot.pcap", FileFormat::kPcap, 74, 1609266107551500000, 1609266115947521000,
     62002, kLinkEthernet},
    {"ndpi/pcap/tuya_lp.pcap", FileFormat::kPcap, 98, 1671220121927386000, 1671220158572989000,
     21948, kLinkEthernet},
    {"ndpi/pcap/upnp.pcap", FileFormat::kPcapNg, 14, 1541515314826314000, 1541515321472909000, 9912,
     kLinkEthernet},
    {"slips/test-cc__test-cc-capture-1.pcap", FileFormat::kPcap, 7931, 1707405399842117000,
     1707406064919692000, 1945926, kLinkEthernet},
    {"slips/test-cc__test-cc-capture-2.pcap", FileFormat::kPcap, 1084, 1707834878788187000,
     1707834946286160000, 246751, kLinkEthernet},
    {"slips/test12-icmp-portscan.pcap", FileFormat::kPcap, 37, 1664054596398593000,
     1664054598020489000, 1554, kLinkEthernet},
    {"slips/test19-malicious-ssh__malicious-ssh-bruteforce.pcap", FileFormat::kPcap, 1178,
     1774219636918162000, 1774219649740033000, 247092, kLinkEthernet},
    {"slips/test7-malicious.pcap", FileFormat::kPcap, 2000, 1520628556520001000,
     1520629198703667000, 307820, kLinkEthernet},
    {"slips/test8-malicious.pcap", FileFormat::kPcap, 534, 1632214645783595000, 1632214658604726000,
     22945, kLinkEthernet},
};

const std::filesystem::path kCaptureDir = "/work/shared/data/captures";

TEST(FileParserReal, EverySharedCaptureMatchesTshark) {
  if (!std::filesystem::exists(kCaptureDir)) GTEST_SKIP() << "shared captures not present";
  for (const auto& e : kCaptures) {
    SCOPED_TRACE(e.path);
    auto file = MappedFile::open((kCaptureDir / e.path).string());
    ASSERT_TRUE(file.has_value()) << file.error();
    auto p = FileParser::open(file->bytes());
    ASSERT_TRUE(p.has_value()) << describe_error(p.error(), file->bytes());
    EXPECT_EQ(p->format(), e.format);
    std::size_t n = 0;
    std::uint64_t bytes = 0;
    Timestamp first = 0, last = 0;
    while (auto f = p->next()) {
      if (n == 0) first = f->ts;
      last = f->ts;
      ++n;
      bytes += f->data.size();
      EXPECT_EQ(f->link_type, e.link_type);
      EXPECT_EQ(f->wire_length, f->data.size());
      EXPECT_EQ(f->interface_id, 0u);
    }
    EXPECT_FALSE(p->error().has_value()) << describe_error(*p->error(), file->bytes());
    EXPECT_EQ(p->offset(), file->size());
    EXPECT_EQ(n, e.frames);
    EXPECT_EQ(first, e.first_ns);
    EXPECT_EQ(last, e.last_ns);
    EXPECT_EQ(bytes, e.captured_bytes);
  }
}

// --- embedded real bytes --------------------------------------------------------------------

TEST(FileParserPcap, ReadsDnsExf) {
  auto p = FileParser::open(kDnsExf);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->format(), FileFormat::kPcap);
  EXPECT_EQ(p->snaplen(), 262144u);
  EXPECT_EQ(p->offset(), 24u);
  auto f0 = p->next();
  ASSERT_TRUE(f0);
  EXPECT_EQ(f0->ts, kDnsExfTs0);
  EXPECT_EQ(f0->data.size(), 163u);
  EXPECT_EQ(f0->wire_length, 163u);
  EXPECT_EQ(f0->link_type, kLinkEthernet);
  EXPECT_EQ(f0->data.data(), kDnsExf.data() + 40);  // borrowed, not copied
  EXPECT_EQ(byte_at(f0->data, 12), 0x08);           // ethertype IPv4
  EXPECT_EQ(p->offset(), 203u);
  auto f1 = p->next();
  ASSERT_TRUE(f1);
  EXPECT_EQ(f1->ts, kDnsExfTs1);
  EXPECT_EQ(f1->data.size(), 179u);
  EXPECT_FALSE(p->next());
  EXPECT_FALSE(p->error());
  EXPECT_FALSE(p->next());  // stays at the end
  EXPECT_EQ(p->offset(), kDnsExf.size());
}

TEST(FileParserPcapNg, ReadsMqttPrefix) {
  auto w = walk(Bytes(kMqttNg));
  ASSERT_EQ(w.frames.size(), 3u);
  EXPECT_FALSE(w.error);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(w.frames[i].ts, kMqttTs[i]);
    EXPECT_EQ(w.frames[i].data.size(), kMqttCaplen[i]);
    EXPECT_EQ(w.frames[i].link_type, kLinkEthernet);
    EXPECT_EQ(w.frames[i].data.data(), kMqttNg.data() + kMqttBlockStarts[i + 2] + 28);
  }
}

// --- truncation at every offset -------------------------------------------------------------

TEST(FileParserPcap, TruncatedAtEveryOffsetKeepsEarlierFrames) {
  const std::size_t ends[] = {24, 203, 398};  // header end, then each record's end
  for (std::size_t n = 0; n <= kDnsExf.size(); ++n) {
    SCOPED_TRACE(n);
    auto p = FileParser::open(prefix(kDnsExf, n));
    if (n < 24) {
      ASSERT_FALSE(p.has_value());
      EXPECT_EQ(p.error().offset, 0u);
      continue;
    }
    ASSERT_TRUE(p.has_value());
    auto w = walk(*p);
    std::size_t complete = (n >= 203) + (n >= 398);
    EXPECT_EQ(w.frames.size(), complete);
    bool at_boundary = n == ends[0] || n == ends[1] || n == ends[2];
    if (at_boundary) {
      EXPECT_FALSE(w.error);
    } else {
      ASSERT_TRUE(w.error);
      EXPECT_EQ(w.error->offset, ends[complete]);
      std::size_t rem = n - ends[complete];
      EXPECT_EQ(w.error->reason,
                rem < 16 ? "truncated pcap record header"
                         : "pcap record runs past the end of the file (truncated capture)");
    }
    if (!w.frames.empty()) {
      EXPECT_EQ(w.frames[0].ts, kDnsExfTs0);
    }
  }
}

TEST(FileParserPcapNg, TruncatedAtEveryOffsetKeepsEarlierFrames) {
  for (std::size_t n = 0; n <= kMqttNg.size(); ++n) {
    SCOPED_TRACE(n);
    auto p = FileParser::open(prefix(kMqttNg, n));
    if (n < 280) {
      ASSERT_FALSE(p.has_value());
      EXPECT_EQ(p.error().offset, 0u);
      continue;
    }
    ASSERT_TRUE(p.has_value());
    auto w = walk(*p);
    std::size_t complete_blocks = 0;  // blocks after the SHB that fit entirely
    while (complete_blocks + 2 < std::size(kMqttBlockStarts) &&
           kMqttBlockStarts[complete_blocks + 2] <= n) {
      ++complete_blocks;
    }
    std::size_t frames = complete_blocks == 0 ? 0 : complete_blocks - 1;
    EXPECT_EQ(w.frames.size(), frames);
    std::size_t boundary = kMqttBlockStarts[complete_blocks + 1];
    if (n == boundary) {
      EXPECT_FALSE(w.error);
    } else {
      ASSERT_TRUE(w.error);
      EXPECT_EQ(w.error->offset, boundary);
    }
    for (std::size_t i = 0; i < w.frames.size(); ++i) EXPECT_EQ(w.frames[i].ts, kMqttTs[i]);
  }
}

// --- open() errors ---------------------------------------------------------------------------

TEST(FileParserOpen, RejectsWhatIsNotACapture) {
  const Buf zip = from_hex("504b0304140000000800");
  auto p = FileParser::open(zip);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().offset, 0u);
  EXPECT_EQ(describe_error(p.error(), zip), "not a pcap or pcapng file (magic 0x504b0304)");

  EXPECT_EQ(FileParser::open(Bytes()).error().reason, "empty file");
  EXPECT_FALSE(FileParser::open(from_hex("d4c3")).has_value());
  EXPECT_FALSE(FileParser::open(prefix(kDnsExf, 23)).has_value());

  Buf v1 = kDnsExf;
  v1[4] = std::byte{1};  // major version 1
  EXPECT_EQ(FileParser::open(v1).error().reason, "unsupported pcap version (major is not 2)");

  NgBuilder ng;
  ng.shb(2);
  EXPECT_EQ(FileParser::open(ng.out).error().reason, "unsupported pcapng version (major is not 1)");

  Buf bad_bom = kMqttNg;
  bad_bom[8] = std::byte{0};
  EXPECT_EQ(FileParser::open(bad_bom).error().reason,
            "pcapng section header has a bad byte-order magic");
}

TEST(FileParserOpen, DescribeErrorNamesTheOffset) {
  EXPECT_EQ(describe_error(ParseError{"pcapng block length too short", 312}, Bytes()),
            "pcapng block length too short at byte offset 312");
}

// --- hostile pcap --------------------------------------------------------------------------

TEST(FileParserPcap, HugeCaplenIsDamageNotAnAllocation) {
  Buf b = kDnsExf;
  b[24 + 8] = std::byte{0xff};  // first record caplen = 0x...ff
  b[24 + 11] = std::byte{0x7f};
  auto w = walk(Bytes(b));
  EXPECT_TRUE(w.frames.empty());
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, 24u);
  EXPECT_EQ(w.error->reason, "pcap record captured length exceeds 256 KiB");

  Buf second = kDnsExf;
  second[203 + 8] = std::byte{0xff};
  second[203 + 9] = std::byte{0xff};
  second[203 + 10] = std::byte{0x03};  // 0x3ffff < 256 KiB but past the end
  w = walk(Bytes(second));
  EXPECT_EQ(w.frames.size(), 1u);
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, 203u);
  EXPECT_EQ(w.error->reason, "pcap record runs past the end of the file (truncated capture)");
}

// The same two frames with every header field big-endian.
Buf big_endian_dns_exf() {
  Buf b = kDnsExf;
  auto swap = [&](std::size_t at, int n) { std::reverse(b.begin() + at, b.begin() + at + n); };
  swap(0, 4);
  swap(4, 2);
  swap(6, 2);
  for (std::size_t at = 8; at < 24; at += 4) swap(at, 4);
  for (std::size_t rec : {24u, 203u}) {
    for (std::size_t i = 0; i < 4; ++i) swap(rec + 4 * i, 4);
  }
  return b;
}

TEST(FileParserPcap, BigEndianMatchesLittleEndian) {
  Buf be = big_endian_dns_exf();
  EXPECT_EQ(byte_at(be, 0), 0xa1);
  auto w = walk(Bytes(be));
  ASSERT_EQ(w.frames.size(), 2u);
  EXPECT_FALSE(w.error);
  EXPECT_EQ(w.frames[0].ts, kDnsExfTs0);
  EXPECT_EQ(w.frames[1].ts, kDnsExfTs1);
  EXPECT_EQ(w.frames[0].data.size(), 163u);
  EXPECT_EQ(w.frames[1].data.size(), 179u);
  EXPECT_EQ(w.frames[0].link_type, kLinkEthernet);
}

TEST(FileParserPcap, NanosecondMagic) {
  Buf b = kDnsExf;
  b[0] = std::byte{0x4d};
  b[1] = std::byte{0x3c};  // 0xa1b23c4d little-endian
  auto w = walk(Bytes(b));
  ASSERT_EQ(w.frames.size(), 2u);
  // The stored fraction 0x0969f6 = 616950 is now nanoseconds.
  EXPECT_EQ(w.frames[0].ts, 1694185912000616950);

  Buf be = big_endian_dns_exf();
  be[2] = std::byte{0x3c};
  be[3] = std::byte{0x4d};
  w = walk(Bytes(be));
  ASSERT_EQ(w.frames.size(), 2u);
  EXPECT_EQ(w.frames[0].ts, 1694185912000616950);
}

TEST(FileParserPcap, ModifiedPcapHasLongerRecordHeaders) {
  Buf b(kDnsExf.begin(), kDnsExf.begin() + 24);
  b[0] = std::byte{0x34};
  b[1] = std::byte{0xcd};  // 0xa1b2cd34
  Buf rec(kDnsExf.begin() + 24, kDnsExf.begin() + 40);
  b.insert(b.end(), rec.begin(), rec.end());
  b.insert(b.end(), 8, std::byte{0xee});  // ifindex, protocol, pkt_type, pad
  b.insert(b.end(), kDnsExf.begin() + 40, kDnsExf.begin() + 203);
  auto w = walk(Bytes(b));
  ASSERT_EQ(w.frames.size(), 1u);
  EXPECT_FALSE(w.error);
  EXPECT_EQ(w.frames[0].data.data(), b.data() + 48);
  EXPECT_EQ(w.frames[0].data.size(), 163u);
}

TEST(FileParserPcap, OldFilesWithSwappedLengths) {
  Buf b = kDnsExf;
  b[6] = std::byte{2};          // version 2.2: the wire length came first
  b[24 + 8] = std::byte{0xff};  // 2.2 stored the wire length where 2.4 stores caplen
  auto w = walk(Bytes(b));
  ASSERT_EQ(w.frames.size(), 2u);
  EXPECT_EQ(w.frames[0].data.size(), 163u);
  EXPECT_EQ(w.frames[0].wire_length, 255u);
}

TEST(FileParserPcap, OldRawLinkTypeIsNormalised) {
  Buf b = kDnsExf;
  b[20] = std::byte{12};
  auto w = walk(Bytes(b));
  ASSERT_FALSE(w.frames.empty());
  EXPECT_EQ(w.frames[0].link_type, kLinkRaw);
}

TEST(FileParserPcap, WireLengthNeverBelowCaptured) {
  Buf b = kDnsExf;
  b[24 + 12] = std::byte{10};  // wire length 10 < caplen 163
  auto w = walk(Bytes(b));
  ASSERT_EQ(w.frames.size(), 2u);
  EXPECT_EQ(w.frames[0].wire_length, 163u);
}

// --- hostile and unusual pcapng ---------------------------------------------------------------

TEST(FileParserPcapNg, ZeroLengthBlockIsDamage) {
  NgBuilder ng;
  ng.shb().idb(kLinkEthernet, 0).epb(0, 1, payload(10));
  std::size_t bad_at = ng.out.size();
  ng.put32(ng.out, 6);
  ng.put32(ng.out, 0);
  ng.put32(ng.out, 0);
  auto w = walk(Bytes(ng.out));
  EXPECT_EQ(w.frames.size(), 1u);
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, bad_at);
  EXPECT_EQ(w.error->reason, "pcapng block length too short");
}

TEST(FileParserPcapNg, BlockLengthChecks) {
  NgBuilder base;
  base.shb().idb(kLinkEthernet, 0);
  const std::size_t at = base.out.size();
  base.epb(0, 1, payload(10));

  Buf mismatch = base.out;
  mismatch.back() = std::byte{0x7f};
  auto w = walk(Bytes(mismatch));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, at);
  EXPECT_EQ(w.error->reason, "pcapng trailing block length does not match");

  Buf unaligned = base.out;
  unaligned[at + 4] =
      std::byte{static_cast<unsigned char>(std::to_integer<int>(unaligned[at + 4]) + 1)};
  w = walk(Bytes(unaligned));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->reason, "pcapng block length is not a multiple of 4");

  Buf huge = base.out;
  huge[at + 7] = std::byte{0x10};  // 256 MiB
  w = walk(Bytes(huge));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->reason, "pcapng block length exceeds 16 MiB");

  Buf past_end = base.out;
  past_end[at + 5] = std::byte{0x10};  // 4 KiB + 44, beyond the file
  w = walk(Bytes(past_end));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, at);
  EXPECT_EQ(w.error->reason, "pcapng block runs past the end of the file (truncated capture)");
}

TEST(FileParserPcapNg, EpbCaplenLargerThanBlock) {
  NgBuilder ng;
  ng.shb().idb(kLinkEthernet, 0);
  const std::size_t at = ng.out.size();
  ng.epb(0, 1, payload(16));
  ng.out[at + 20] = std::byte{17};  // caplen 17 in a block holding 16
  auto w = walk(Bytes(ng.out));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, at);
  EXPECT_EQ(w.error->reason, "pcapng packet captured length exceeds its block");
}

TEST(FileParserPcapNg, UndeclaredInterfaceIsDamage) {
  NgBuilder ng;
  ng.shb().idb(kLinkEthernet, 0).epb(0, 5, payload(8));
  const std::size_t at = ng.out.size();
  ng.epb(1, 6, payload(8));
  auto w = walk(Bytes(ng.out));
  EXPECT_EQ(w.frames.size(), 1u);
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, at);
  EXPECT_EQ(w.error->reason, "pcapng packet references an undeclared interface");

  NgBuilder none;  // a packet before any IDB
  none.shb().epb(0, 5, payload(8));
  w = walk(Bytes(none.out));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->reason, "pcapng packet references an undeclared interface");
}

TEST(FileParserPcapNg, TimestampResolutions) {
  const std::uint64_t sec = 1700000000;
  NgBuilder ng;
  ng.shb()
      .idb(kLinkEthernet, 0)                                           // 0: default, us
      .idb(kLinkRaw, 0, {{9, Buf{std::byte{9}}}})                      // 1: ns
      .idb(kLinkIpv4, 0, {{9, Buf{std::byte{0x80 | 20}}}})             // 2: 2^-20 s
      .idb(kLinkIpv6, 0, {{9, Buf{std::byte{3}}}, {14, ng.u64(100)}})  // 3: ms, +100 s
      .idb(kLinkLoop, 0, {{9, Buf{std::byte{12}}}})                    // 4: ps
      .idb(kLinkNull, 0, {{9, Buf{std::byte{0x80}}}})                  // 5: 2^0 = 1 s
      .idb(kLinkLinuxSll2, 0, {{9, Buf{std::byte{0x80 | 40}}}});       // 6: 2^-40 s
  ng.epb(0, sec * 1000000 + 123456, payload(4))
      .epb(1, sec * 1000000000 + 123456789, payload(4))
      .epb(2, (sec << 20) | (1 << 19), payload(4))  // + 0.5 s
      .epb(3, sec * 1000 + 7, payload(4))
      .epb(4, 5'000'000'000'000, payload(4))  // 5 s in picoseconds
      .epb(5, sec, payload(4))
      .epb(6, (std::uint64_t{3} << 40) | (std::uint64_t{1} << 38), payload(4));  // 3.25 s
  auto w = walk(Bytes(ng.out));
  ASSERT_EQ(w.frames.size(), 7u);
  EXPECT_FALSE(w.error);
  const Timestamp base = static_cast<Timestamp>(sec) * kNsPerSec;
  EXPECT_EQ(w.frames[0].ts, base + 123456000);
  EXPECT_EQ(w.frames[1].ts, base + 123456789);
  EXPECT_EQ(w.frames[2].ts, base + 500000000);
  EXPECT_EQ(w.frames[3].ts, base + 100 * kNsPerSec + 7000000);
  EXPECT_EQ(w.frames[4].ts, 5 * kNsPerSec);
  EXPECT_EQ(w.frames[5].ts, base);
  EXPECT_EQ(w.frames[6].ts, 3250000000);
  const std::uint32_t links[] = {kLinkEthernet, kLinkRaw,  kLinkIpv4,     kLinkIpv6,
                                 kLinkLoop,     kLinkNull, kLinkLinuxSll2};
  for (std::uint32_t i = 0; i < 7; ++i) {
    EXPECT_EQ(w.frames[i].interface_id, i);
    EXPECT_EQ(w.frames[i].link_type, links[i]);
  }
}

TEST(FileParserPcapNg, ExtremeResolutionsDoNotOverflow) {
  NgBuilder ng;
  ng.shb()
      .idb(kLinkEthernet, 0, {{9, Buf{std::byte{0xff}}}})  // 2^-127 s
      .idb(kLinkEthernet, 0, {{9, Buf{std::byte{0x7f}}}})  // 10^-127 s
      .idb(kLinkEthernet, 0, {{9, Buf{std::byte{0}}}});    // whole seconds
  ng.epb(0, ~std::uint64_t{0}, payload(1))
      .epb(1, ~std::uint64_t{0}, payload(1))
      .epb(2, ~std::uint64_t{0}, payload(1));
  auto w = walk(Bytes(ng.out));
  ASSERT_EQ(w.frames.size(), 3u);
  EXPECT_EQ(w.frames[0].ts, 0);
  EXPECT_EQ(w.frames[1].ts, 0);
}

TEST(FileParserPcapNg, BigEndianSection) {
  NgBuilder ng(true);
  ng.shb().idb(kLinkEthernet, 65535, {{9, Buf{std::byte{9}}}}).epb(0, 42, payload(33), 1500);
  EXPECT_EQ(byte_at(ng.out, 8), 0x1a);
  auto w = walk(Bytes(ng.out));
  ASSERT_EQ(w.frames.size(), 1u);
  EXPECT_FALSE(w.error);
  EXPECT_EQ(w.frames[0].ts, 42);
  EXPECT_EQ(w.frames[0].wire_length, 1500u);
  EXPECT_TRUE(same(w.frames[0].data, payload(33)));
}

TEST(FileParserPcapNg, SectionsResetInterfacesAndByteOrder) {
  NgBuilder a;
  a.shb().idb(kLinkEthernet, 0).idb(kLinkRaw, 0).epb(1, 1000, payload(5));
  NgBuilder b(true);
  b.shb().idb(kLinkLinuxSll, 0).epb(0, 2000, payload(6));
  NgBuilder c;
  c.shb().epb(1, 3000, payload(7));  // interface 1 of section one is gone
  Buf file = a.out;
  file.insert(file.end(), b.out.begin(), b.out.end());
  const std::size_t c_epb = file.size() + 28;
  file.insert(file.end(), c.out.begin(), c.out.end());
  auto w = walk(Bytes(file));
  ASSERT_EQ(w.frames.size(), 2u);
  EXPECT_EQ(w.frames[0].link_type, kLinkRaw);
  EXPECT_EQ(w.frames[0].interface_id, 1u);
  EXPECT_EQ(w.frames[0].ts, 1000000);
  EXPECT_EQ(w.frames[1].link_type, kLinkLinuxSll);
  EXPECT_EQ(w.frames[1].interface_id, 0u);
  EXPECT_EQ(w.frames[1].ts, 2000000);
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, c_epb);
  EXPECT_EQ(w.error->reason, "pcapng packet references an undeclared interface");
}

TEST(FileParserPcapNg, SimplePacketBlocksTakeThePreviousTime) {
  NgBuilder ng;
  ng.shb().idb(kLinkEthernet, 20).epb(0, 7, payload(3)).spb(64, payload(20)).spb(5, payload(5));
  auto w = walk(Bytes(ng.out));
  ASSERT_EQ(w.frames.size(), 3u);
  EXPECT_FALSE(w.error);
  EXPECT_EQ(w.frames[1].ts, 7000);
  EXPECT_EQ(w.frames[1].data.size(), 20u);  // cut to the snap length
  EXPECT_EQ(w.frames[1].wire_length, 64u);
  EXPECT_TRUE(same(w.frames[1].data, payload(20)));
  EXPECT_EQ(w.frames[2].ts, 7000);
  EXPECT_EQ(w.frames[2].data.size(), 5u);  // padding is not data

  NgBuilder short_block;  // claims 64 bytes with no snap length, holds 20
  short_block.shb().idb(kLinkEthernet, 0).spb(64, payload(20));
  w = walk(Bytes(short_block.out));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->reason, "pcapng packet captured length exceeds its block");
}

TEST(FileParserPcapNg, ObsoletePacketBlock) {
  NgBuilder ng;
  ng.shb().idb(kLinkEthernet, 0).opb(0, 1234567, payload(9));
  auto w = walk(Bytes(ng.out));
  ASSERT_EQ(w.frames.size(), 1u);
  EXPECT_EQ(w.frames[0].ts, 1234567000);
  EXPECT_TRUE(same(w.frames[0].data, payload(9)));
}

TEST(FileParserPcapNg, UnknownAndCustomBlocksAreSkipped) {
  NgBuilder ng;
  ng.shb()
      .block(0x00000bad, payload(16))  // custom, copyable
      .idb(kLinkEthernet, 0)
      .block(0x00000005, payload(20))   // interface statistics
      .block(0x00000004, payload(8))    // name resolution
      .block(0x40000bad, Buf{})         // custom, not copyable
      .block(0x12345678, payload(100))  // unknown
      .epb(0, 1, payload(2));
  auto w = walk(Bytes(ng.out));
  ASSERT_EQ(w.frames.size(), 1u);
  EXPECT_FALSE(w.error);
  EXPECT_EQ(w.frames[0].data.size(), 2u);
}

TEST(FileParserPcapNg, MalformedInterfaceOption) {
  NgBuilder ng;
  Buf body;
  ng.put16(body, kLinkEthernet);
  ng.put16(body, 0);
  ng.put32(body, 0);
  ng.put16(body, 9);
  ng.put16(body, 200);  // runs past the block
  ng.put32(body, 0);
  ng.shb();
  const std::size_t at = ng.out.size();
  ng.block(1, body);
  auto w = walk(Bytes(ng.out));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, at);
  EXPECT_EQ(w.error->reason, "malformed pcapng interface option");
}

TEST(FileParserPcapNg, TruncatedBlockHeaderAfterSection) {
  NgBuilder ng;
  ng.shb().idb(kLinkEthernet, 0);
  const std::size_t at = ng.out.size();
  ng.out.insert(ng.out.end(), 5, std::byte{6});
  auto w = walk(Bytes(ng.out));
  ASSERT_TRUE(w.error);
  EXPECT_EQ(w.error->offset, at);
  EXPECT_EQ(w.error->reason, "truncated pcapng block header");
}

TEST(LinkType, Names) {
  EXPECT_EQ(link_type_name(kLinkEthernet), "ethernet");
  EXPECT_EQ(link_type_name(kLinkLinuxSll), "linux-sll");
  EXPECT_EQ(link_type_name(kLinkLinuxSll2), "linux-sll2");
  EXPECT_EQ(link_type_name(kLinkRaw), "raw");
  EXPECT_EQ(link_type_name(kLinkNull), "null");
  EXPECT_EQ(link_type_name(9999), "unknown");
}

}  // namespace
}  // namespace warden::capture
