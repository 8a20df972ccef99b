#include "protocols/dns.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace warden::protocols {
namespace {

std::vector<std::byte> hex(std::string_view h) {
  std::vector<std::byte> out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<std::byte>(nib(h[i]) * 16 + nib(h[i + 1])));
  }
  return out;
}

std::vector<std::byte> raw(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

// A header with the given counts followed by body bytes.
std::vector<std::byte> message(std::uint16_t qd, std::uint16_t an, std::uint16_t ns,
                               std::uint16_t ar, std::string_view body,
                               std::uint16_t flags = 0x8180) {
  std::vector<std::byte> m;
  auto put16 = [&](std::uint16_t v) {
    m.push_back(static_cast<std::byte>(v >> 8));
    m.push_back(static_cast<std::byte>(v & 0xff));
  };
  put16(0x1234);
  put16(flags);
  put16(qd);
  put16(an);
  put16(ns);
  put16(ar);
  for (char c : body) m.push_back(static_cast<std::byte>(c));
  return m;
}

// ndpi/pcap/dns-tunnel-iodine.pcap frame 2: iodine handshake answer, NULL record.
constexpr std::string_view kIodineNull =
    "12b0840000010001000000000b76616161616b6172646c69067069726174650373656100000a0001c00c000a0001"
    "0000000000095641434b4403c5e901";
// ndpi/pcap/dns-tunnel-iodine.pcap frame 14: a label full of bytes 0xbc..0xcf.
constexpr std::string_view kIodineBinaryLabel =
    "c7ca84000001000100000000247a693161614130313233343536373839bcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcc"
    "cdcecf067069726174650373656100000a0001c00c000a00010000000000257a6931616141303132333435363738"
    "39bcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf2e";
// ndpi/pcap/dns-exf.pcap frame 2: exfiltration name, OPT answer and 16 trailing bytes.
constexpr std::string_view kExfil =
    "ffd5818000010001000000003a48347349434e30332a3251414133526c63335175644868304141764a7943785741"
    "4b4a4568654c55354b4c55456f57307a4a78554c674167652d0c3453324667414141413d3d2d0474657374037478"
    "740000010001000029100000000000000c000a000881b62daae7b17645c00c000100010000003c0004c0a80286";
// slips/test-cc__test-cc-capture-2.pcap frame 4: A answer.
constexpr std::string_view kCcA =
    "484a8180000100010000000003313037023138023331023833037a656e087370616d68617573036f726700000100"
    "01c00c000100010000038400047f00000b";
// slips/test-cc__test-cc-capture-2.pcap frame 161: CNAME then two AAAA.
constexpr std::string_view kCcCnameAaaa =
    "34468180000100030000000004726461700561706e6963036e657400001c0001c00c000500010001045900200472"
    "6461700561706e6963036e65740363646e0a636c6f7564666c617265c017c02c001c000100000109001026064700"
    "00000000000000006812eb44c02c001c00010000010900102606470000000000000000006812ec44";
// slips/test-cc__test-cc-capture-2.pcap frame 155: TXT answer (Team Cymru origin lookup).
constexpr std::string_view kCcTxt =
    "306581800001000100000000033135340331353102383603313137066f726967696e0361736e0563796d72750363"
    "6f6d0000100001c00c0010000100003840002f2e34313334207c203131372e38302e302e302f3132207c20434e20"
    "7c2061706e6963207c20323030372d30372d3034";
// slips/test-cc__test-cc-capture-2.pcap frame 6: NXDOMAIN with SOA in the authority section.
constexpr std::string_view kCcNxdomain =
    "a46c818300010000000100000139033135390331303903323038037a656e087370616d68617573036f7267000001"
    "0001c01a000600010000000a0040046e65656402746f046b6e6f77046f6e6c79000a686f73746d61737465720873"
    "70616d68617573036f7267008f2d9de900000e1000000258000697800000000a";
// slips/test7-malicious.pcap frame 37: mDNS announcement of a Raspberry Pi workstation service
// (TXT, PTR, SRV, AAAA, PTR; cache-flush on the unique records).
constexpr std::string_view kMdnsWorkstation =
    "0000840000000005000000001f626c61636b2d706561726c205b62383a32373a65623a63373a65393a63395d0c5f"
    "776f726b73746174696f6e045f746370056c6f63616c000010800100001194000100c02c000c0001000011940002"
    "c00cc00c002180010000007800140000000000090b626c61636b2d706561726cc03ec070001c8001000000780010"
    "fe80000000000000ba27ebfffec7e9c9095f7365727669636573075f646e732d7364045f756470c03e000c000100"
    "0011940002c02c";
// slips/test7-malicious.pcap frame 18: mDNS "QU" question with an OPT additional.
constexpr std::string_view kMdnsQu =
    "0000000000010000000000010b5f676f6f676c6563617374045f746370056c6f63616c00000c800100002905a000"
    "00119400120004000e0025a4d18cf18846a6d18c1fce64";
// slips/test7-malicious.pcap frame 29: mDNS reverse-PTR answer with cache-flush.
constexpr std::string_view kMdnsReverse =
    "00008400000000020000000001390163013901650137016301650166016601660162016501370132016101620130"
    "01300130013001300130013001300130013001300130013001380165016603697036046172706100000c80010000"
    "007800130b626c61636b2d706561726c056c6f63616c00c060001c8001000000780010fe80000000000000ba27eb"
    "fffec7e9c9";

std::vector<std::byte> vec(std::string_view h) { return hex(h); }

TEST(Dns, IodineNullRecord) {
  auto m = parse_dns(vec(kIodineNull));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->id, 0x12b0);
  EXPECT_TRUE(m->response);
  EXPECT_TRUE(m->authoritative);
  EXPECT_FALSE(m->recursion_desired);
  EXPECT_EQ(dns_rcode_name(m->rcode), "NOERROR");
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, "vaaaakardli.pirate.sea");
  EXPECT_EQ(dns_type_name(m->questions[0].type), "NULL");
  EXPECT_EQ(m->questions[0].klass, 1);
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].name, "vaaaakardli.pirate.sea");
  EXPECT_EQ(m->answers[0].type, 10);
  EXPECT_EQ(m->answers[0].rdata_length, 9);
  EXPECT_FALSE(m->answers[0].address);
  EXPECT_TRUE(m->answers[0].target.empty());
}

TEST(Dns, IodineBinaryLabelKeptRaw) {
  auto m = parse_dns(vec(kIodineBinaryLabel));
  ASSERT_TRUE(m) << m.error().reason;
  std::string label = "zi1aaA0123456789";
  for (int c = 0xbc; c <= 0xcf; ++c) label.push_back(static_cast<char>(c));
  EXPECT_EQ(m->questions[0].name, label + ".pirate.sea");
  EXPECT_EQ(m->answers[0].name, label + ".pirate.sea");
  EXPECT_EQ(m->answers[0].rdata_length, 37);
}

TEST(Dns, ExfilNameOptAnswerAndTrailingBytes) {
  auto m = parse_dns(vec(kExfil));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->questions[0].name,
            "H4sICN03*2QAA3Rlc3QudHh0AAvJyCxWAKJEheLU5KLUEoW0zJxULgAge-.4S2FgAAAA==-.test.txt");
  EXPECT_TRUE(m->recursion_available);
  ASSERT_EQ(m->answers.size(), 1u);
  const DnsRecord& opt = m->answers[0];
  EXPECT_EQ(opt.name, "");  // root
  EXPECT_EQ(dns_type_name(opt.type), "OPT");
  EXPECT_EQ(opt.klass, 4096);  // UDP payload size, kept raw
  EXPECT_FALSE(opt.cache_flush);
  EXPECT_EQ(opt.rdata_length, 12);
}

TEST(Dns, PlainAAnswer) {
  auto m = parse_dns(vec(kCcA));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->questions[0].name, "107.18.31.83.zen.spamhaus.org");
  EXPECT_EQ(dns_type_name(m->questions[0].type), "A");
  EXPECT_TRUE(m->recursion_desired);
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].name, "107.18.31.83.zen.spamhaus.org");
  EXPECT_EQ(m->answers[0].ttl, 900u);
  EXPECT_EQ(m->answers[0].address, IpAddr::parse("127.0.0.11"));
}

TEST(Dns, CnameChainThenAaaa) {
  auto m = parse_dns(vec(kCcCnameAaaa));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(dns_type_name(m->questions[0].type), "AAAA");
  ASSERT_EQ(m->answers.size(), 3u);
  EXPECT_EQ(dns_type_name(m->answers[0].type), "CNAME");
  EXPECT_EQ(m->answers[0].name, "rdap.apnic.net");
  EXPECT_EQ(m->answers[0].target, "rdap.apnic.net.cdn.cloudflare.net");
  EXPECT_EQ(m->answers[1].name, "rdap.apnic.net.cdn.cloudflare.net");
  EXPECT_EQ(m->answers[1].address, IpAddr::parse("2606:4700::6812:eb44"));
  EXPECT_EQ(m->answers[2].address, IpAddr::parse("2606:4700::6812:ec44"));
}

TEST(Dns, TxtStrings) {
  auto m = parse_dns(vec(kCcTxt));
  ASSERT_TRUE(m) << m.error().reason;
  ASSERT_EQ(m->answers.size(), 1u);
  ASSERT_EQ(m->answers[0].txt.size(), 1u);
  EXPECT_EQ(m->answers[0].txt[0], "4134 | 117.80.0.0/12 | CN | apnic | 2007-07-04");
}

TEST(Dns, NxdomainWithSoaAuthority) {
  auto m = parse_dns(vec(kCcNxdomain));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(dns_rcode_name(m->rcode), "NXDOMAIN");
  EXPECT_TRUE(m->answers.empty());
  ASSERT_EQ(m->authorities.size(), 1u);
  EXPECT_EQ(m->authorities[0].name, "zen.spamhaus.org");
  EXPECT_EQ(dns_type_name(m->authorities[0].type), "SOA");
  EXPECT_EQ(m->authorities[0].rdata_length, 64);
}

TEST(Dns, MdnsServiceAnnouncement) {
  auto m = parse_dns(vec(kMdnsWorkstation));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->id, 0);
  EXPECT_TRUE(m->response);
  EXPECT_TRUE(m->questions.empty());
  ASSERT_EQ(m->answers.size(), 5u);
  const std::string instance = "black-pearl [b8:27:eb:c7:e9:c9]._workstation._tcp.local";
  const auto& txt = m->answers[0];
  EXPECT_EQ(dns_type_name(txt.type), "TXT");
  EXPECT_EQ(txt.name, instance);
  EXPECT_TRUE(txt.cache_flush);
  EXPECT_EQ(txt.klass, 1);
  EXPECT_EQ(txt.ttl, 4500u);
  EXPECT_EQ(txt.txt, std::vector<std::string>{""});
  const auto& ptr = m->answers[1];
  EXPECT_EQ(dns_type_name(ptr.type), "PTR");
  EXPECT_EQ(ptr.name, "_workstation._tcp.local");
  EXPECT_EQ(ptr.target, instance);
  EXPECT_FALSE(ptr.cache_flush);
  const auto& srv = m->answers[2];
  EXPECT_EQ(dns_type_name(srv.type), "SRV");
  EXPECT_EQ(srv.name, instance);
  EXPECT_TRUE(srv.cache_flush);
  EXPECT_EQ(srv.port, 9);
  EXPECT_EQ(srv.target, "black-pearl.local");
  const auto& aaaa = m->answers[3];
  EXPECT_EQ(aaaa.name, "black-pearl.local");
  EXPECT_EQ(aaaa.address, IpAddr::parse("fe80::ba27:ebff:fec7:e9c9"));
  const auto& services = m->answers[4];
  EXPECT_EQ(services.name, "_services._dns-sd._udp.local");
  EXPECT_EQ(services.target, "_workstation._tcp.local");
}

TEST(Dns, MdnsUnicastQuestionAndOpt) {
  auto m = parse_dns(vec(kMdnsQu));
  ASSERT_TRUE(m) << m.error().reason;
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, "_googlecast._tcp.local");
  EXPECT_EQ(dns_type_name(m->questions[0].type), "PTR");
  EXPECT_TRUE(m->questions[0].unicast_response);
  EXPECT_EQ(m->questions[0].klass, 1);
  ASSERT_EQ(m->additionals.size(), 1u);
  EXPECT_EQ(m->additionals[0].type, 41);
  EXPECT_EQ(m->additionals[0].klass, 1440);
}

TEST(Dns, MdnsReversePtr) {
  auto m = parse_dns(vec(kMdnsReverse));
  ASSERT_TRUE(m) << m.error().reason;
  ASSERT_EQ(m->answers.size(), 2u);
  EXPECT_EQ(m->answers[0].name,
            "9.c.9.e.7.c.e.f.f.f.b.e.7.2.a.b.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa");
  EXPECT_EQ(m->answers[0].target, "black-pearl.local");
  EXPECT_TRUE(m->answers[0].cache_flush);
  EXPECT_EQ(m->answers[1].name, "black-pearl.local");
  EXPECT_EQ(m->answers[1].address, IpAddr::parse("fe80::ba27:ebff:fec7:e9c9"));
}

TEST(Dns, EveryTruncationOfRealMessagesFailsCleanly) {
  for (auto v : {kIodineNull, kIodineBinaryLabel, kCcA, kCcCnameAaaa, kCcTxt, kCcNxdomain,
                 kMdnsWorkstation, kMdnsQu, kMdnsReverse}) {
    auto p = vec(v);
    ASSERT_TRUE(parse_dns(p));
    for (std::size_t n = 0; n < p.size(); ++n) {
      auto m = parse_dns(Bytes(p).first(n));
      ASSERT_FALSE(m) << "prefix " << n << " of " << p.size();
      EXPECT_FALSE(m.error().reason.empty());
      EXPECT_LE(m.error().offset, n);
    }
  }
  // The exfil message has 16 bytes past its last counted record: cutting there still parses.
  auto p = vec(kExfil);
  for (std::size_t n = 0; n < p.size(); ++n) {
    auto m = parse_dns(Bytes(p).first(n));
    EXPECT_EQ(m.has_value(), n >= p.size() - 16) << n;
  }
}

TEST(Dns, TruncatedRdataReportsOffset) {
  auto p = vec(kCcA);
  auto m = parse_dns(Bytes(p).first(p.size() - 1));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns rdata runs past end");
  EXPECT_EQ(m.error().offset, p.size() - 4 - 2);  // the rdlength field
}

TEST(Dns, EveryByteMutatedNeverCrashes) {
  for (auto v : {kMdnsWorkstation, kCcCnameAaaa, kExfil}) {
    auto p = vec(v);
    for (std::size_t i = 0; i < p.size(); ++i) {
      const std::byte saved = p[i];
      for (std::uint8_t x : {0x00, 0x01, 0x3f, 0x40, 0xc0, 0xff}) {
        p[i] = std::byte{x};
        auto m = parse_dns(p);
        if (!m) {
          EXPECT_LE(m.error().offset, p.size());
        }
      }
      p[i] = saved;
    }
  }
}

TEST(Dns, HeaderOnly) {
  EXPECT_FALSE(parse_dns({}));
  EXPECT_EQ(parse_dns(message(0, 0, 0, 0, "")).value().questions.size(), 0u);
  auto m = parse_dns(message(0, 0, 0, 0, "", 0x2b05));  // opcode 5 (UPDATE), REFUSED, TC, RD
  ASSERT_TRUE(m);
  EXPECT_EQ(m->opcode, 5);
  EXPECT_FALSE(m->response);
  EXPECT_TRUE(m->truncated);
  EXPECT_TRUE(m->recursion_desired);
  EXPECT_EQ(dns_rcode_name(m->rcode), "REFUSED");
}

TEST(Dns, RootNameIsEmpty) {
  auto m = parse_dns(message(1, 0, 0, 0, std::string("\0\0\x02\0\x01", 5)));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->questions[0].name, "");
  EXPECT_EQ(dns_type_name(m->questions[0].type), "NS");
}

TEST(Dns, CompressionPointerToItselfFails) {
  auto m = parse_dns(message(1, 0, 0, 0, "\xc0\x0c\x00\x01\x00\x01"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns compression pointer not backwards");
  EXPECT_EQ(m.error().offset, 12u);
}

TEST(Dns, CompressionLoopThroughLabelFails) {
  // "a" then a pointer back to the start of the same name: a loop.
  auto m = parse_dns(message(1, 0, 0, 0,
                             std::string("\x01"
                                         "a\xc0\x0c\x00\x01\x00\x01",
                                         8)));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns compression pointer not backwards");
  EXPECT_EQ(m.error().offset, 14u);
}

TEST(Dns, TwoNamesPointingAtEachOtherFail) {
  // Question 1 at 12 is "x" + pointer to 20 (question 2, forward); question 2 points to 12.
  std::string body =
      std::string("\x01x\xc0\x14\x00\x01\x00\x01", 8) + std::string("\xc0\x0c\x00\x01\x00\x01", 6);
  auto m = parse_dns(message(2, 0, 0, 0, body));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns compression pointer not backwards");
}

TEST(Dns, ForwardPointerFails) {
  auto m = parse_dns(message(1, 0, 0, 0, std::string("\xc0\x12\x00\x01\x00\x01\x01z\x00", 9)));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns compression pointer not backwards");
}

TEST(Dns, PointerPastEndFails) {
  auto m = parse_dns(message(1, 0, 0, 0,
                             std::string("\x01"
                                         "a\xc0\xff",
                                         4)));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns compression pointer not backwards");
  m = parse_dns(message(1, 0, 0, 0,
                        std::string("\x01"
                                    "a\xc0",
                                    3)));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns name truncated");
  EXPECT_EQ(m.error().offset, 14u);
}

TEST(Dns, ValidBackwardPointersResolve) {
  // Question "b.a" at 12, answer owner = "c" + pointer to 14 ("a"), rdata CNAME -> ptr to 12.
  std::string body = std::string(
                         "\x01"
                         "b\x01"
                         "a\x00\x00\x05\x00\x01",
                         9) +
                     std::string(
                         "\x01"
                         "c\xc0\x0e\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x02\xc0\x0c",
                         16);
  auto m = parse_dns(message(1, 1, 0, 0, body));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->questions[0].name, "b.a");
  EXPECT_EQ(m->answers[0].name, "c.a");
  EXPECT_EQ(m->answers[0].target, "b.a");
  EXPECT_EQ(m->answers[0].ttl, 60u);
}

std::string pointer_chain_message(int pointers) {
  // Answer 1: root owner, unknown type, rdata = a chain of pointers, each to the previous one
  // (the first points at the root name at 12). Answer 2's owner points at the last pointer.
  std::string rdata;
  for (int k = 0; k < pointers; ++k) {
    const int target = k == 0 ? 12 : 23 + 2 * (k - 1);
    rdata.push_back(static_cast<char>(0xc0 | (target >> 8)));
    rdata.push_back(static_cast<char>(target & 0xff));
  }
  std::string body = std::string("\x00\xff\x00\x00\x01\x00\x00\x00\x00", 9);
  body.push_back(static_cast<char>(rdata.size() >> 8));
  body.push_back(static_cast<char>(rdata.size() & 0xff));
  body += rdata;
  const int last = 23 + 2 * (pointers - 1);
  body.push_back(static_cast<char>(0xc0 | (last >> 8)));
  body.push_back(static_cast<char>(last & 0xff));
  body += std::string("\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00", 10);
  return body;
}

TEST(Dns, PointerJumpsAreBounded) {
  auto ok = parse_dns(message(0, 2, 0, 0, pointer_chain_message(kDnsMaxPointerJumps - 1)));
  ASSERT_TRUE(ok) << ok.error().reason;
  EXPECT_EQ(ok->answers[1].name, "");
  auto m = parse_dns(message(0, 2, 0, 0, pointer_chain_message(kDnsMaxPointerJumps + 5)));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns too many pointers");
}

TEST(Dns, LabelTypesAbove63Fail) {
  for (char len : {'\x40', '\x7f', '\x80', '\xbf'}) {
    std::string body(1, len);
    body += std::string(70, 'a') + std::string("\x00\x00\x01\x00\x01", 5);
    auto m = parse_dns(message(1, 0, 0, 0, body));
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().reason, "dns bad label type");
    EXPECT_EQ(m.error().offset, 12u);
  }
}

TEST(Dns, NameLengthCappedAt255WireBytes) {
  auto name_of = [](std::initializer_list<int> labels) {
    std::string s;
    for (int n : labels) {
      s.push_back(static_cast<char>(n));
      s += std::string(static_cast<std::size_t>(n), 'x');
    }
    s.push_back('\0');
    return s + std::string("\x00\x01\x00\x01", 4);
  };
  auto ok = parse_dns(message(1, 0, 0, 0, name_of({63, 63, 63, 61})));  // exactly 255
  ASSERT_TRUE(ok) << ok.error().reason;
  EXPECT_EQ(ok->questions[0].name.size(), 253u);
  auto m = parse_dns(message(1, 0, 0, 0, name_of({63, 63, 63, 62})));  // 256
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns name too long");
  // Also when the length is reached through pointers: 4 x 63 via a pointer to a 3 x 63 name.
  std::string first = name_of({63, 63, 63});
  std::string second =
      std::string("\x3f") + std::string(63, 'y') + "\xc0\x0c" + std::string("\x00\x01\x00\x01", 4);
  m = parse_dns(message(2, 0, 0, 0, first + second));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns name too long");
}

TEST(Dns, HugeCountsAreRefusedWithoutAllocating) {
  auto m = parse_dns(message(0xffff, 0xffff, 0xffff, 0xffff, ""));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns too many records");
  // Within the cap but absent: a clean truncation error at the first missing question.
  m = parse_dns(message(kDnsMaxRecords, 0, 0, 0, std::string("\0\0\x01\0\x01", 5)));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns name truncated");
  EXPECT_EQ(m.error().offset, 17u);
  // 512 real (minimal) questions parse.
  std::string qs;
  for (std::size_t i = 0; i < kDnsMaxRecords; ++i) qs += std::string("\0\0\x01\0\x01", 5);
  auto ok = parse_dns(message(kDnsMaxRecords, 0, 0, 0, qs));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->questions.size(), kDnsMaxRecords);
  EXPECT_FALSE(parse_dns(message(kDnsMaxRecords, 1, 0, 0, qs)));
}

TEST(Dns, QuestionAndRecordFixedFieldsTruncated) {
  auto m = parse_dns(message(1, 0, 0, 0, std::string("\0\0\x01\0", 4)));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns question truncated");
  EXPECT_EQ(m.error().offset, 13u);
  m = parse_dns(message(0, 1, 0, 0, std::string("\0\0\x01\0\x01\0\0\0", 8)));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dns record truncated");
  EXPECT_EQ(m.error().offset, 13u);
}

TEST(Dns, MalformedRdataLeavesFieldsEmpty) {
  // A with 3 bytes; AAAA with 4; CNAME whose name overruns its rdlength; CNAME with a forward
  // pointer; SRV too short; TXT whose string overruns; unknown type 0xfff0 skipped.
  std::string body;
  auto rr = [&](std::uint16_t type, std::string_view rdata) {
    body += std::string("\x01r\x00", 3);
    body.push_back(static_cast<char>(type >> 8));
    body.push_back(static_cast<char>(type & 0xff));
    body += std::string("\x00\x01\x00\x00\x00\x00", 6);
    body.push_back(static_cast<char>(rdata.size() >> 8));
    body.push_back(static_cast<char>(rdata.size() & 0xff));
    body += rdata;
  };
  rr(1, "\x01\x02\x03");
  rr(28, "\x01\x02\x03\x04");
  rr(5,
     "\x05"
     "ab");
  rr(5, "\xc0\xff");
  rr(33, std::string("\x00\x00\x00\x00\x00", 5));
  rr(16, std::string("\x02ok\x09no", 6));
  rr(0xfff0, "whatever bytes");
  rr(1, std::string("\x0a\x00\x00\x01", 4));
  auto m = parse_dns(message(0, 8, 0, 0, body));
  ASSERT_TRUE(m) << m.error().reason << " at " << m.error().offset;
  ASSERT_EQ(m->answers.size(), 8u);
  EXPECT_FALSE(m->answers[0].address);
  EXPECT_FALSE(m->answers[1].address);
  EXPECT_EQ(m->answers[2].target, "");
  EXPECT_EQ(m->answers[3].target, "");
  EXPECT_EQ(m->answers[4].port, 0);
  EXPECT_EQ(m->answers[5].txt, std::vector<std::string>{"ok"});
  EXPECT_EQ(m->answers[6].type, 0xfff0);
  EXPECT_EQ(m->answers[6].rdata_length, 14);
  EXPECT_EQ(dns_type_name(m->answers[6].type), "");
  EXPECT_EQ(m->answers[7].address, IpAddr::parse("10.0.0.1"));
  for (const auto& r : m->answers) EXPECT_EQ(r.name, "r");
}

TEST(Dns, MxAndSrvAndNs) {
  std::string body =
      std::string(
          "\x03"
          "com\x00\x00\x0f\x00\x01",
          9) +  // question com MX
      std::string("\xc0\x0c\x00\x0f\x00\x01\x00\x00\x00\x01\x00\x07\x00\x0a\x02mx\xc0\x0c", 19) +
      std::string("\xc0\x0c\x00\x02\x00\x01\x00\x00\x00\x01\x00\x05\x02ns\xc0\x0c", 17) +
      std::string(
          "\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x01\x00\x0a\x00\x01\x00\x02"
          "\x1f\x90\x01s\xc0\x0c",
          22);
  auto m = parse_dns(message(1, 3, 0, 0, body));
  ASSERT_TRUE(m) << m.error().reason << " at " << m.error().offset;
  EXPECT_EQ(m->answers[0].target, "mx.com");
  EXPECT_EQ(m->answers[1].target, "ns.com");
  EXPECT_EQ(m->answers[2].target, "s.com");
  EXPECT_EQ(m->answers[2].port, 8080);
}

TEST(Dns, TxtStringCountCapped) {
  std::string rdata(1000, '\0');  // 1000 empty strings
  std::string body = std::string("\x00\x00\x10\x00\x01\x00\x00\x00\x00", 9);
  body.push_back(static_cast<char>(rdata.size() >> 8));
  body.push_back(static_cast<char>(rdata.size() & 0xff));
  body += rdata;
  auto m = parse_dns(message(0, 1, 0, 0, body));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->answers[0].txt.size(), kDnsMaxTxtStrings);
}

TEST(Dns, TcpFraming) {
  auto udp = vec(kCcCnameAaaa);
  std::vector<std::byte> tcp = {static_cast<std::byte>(udp.size() >> 8),
                                static_cast<std::byte>(udp.size() & 0xff)};
  tcp.insert(tcp.end(), udp.begin(), udp.end());
  auto m = parse_dns_tcp(tcp);
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->answers.size(), 3u);
  // A following message in the same segment is not this message's business.
  auto two = tcp;
  two.insert(two.end(), tcp.begin(), tcp.end());
  EXPECT_TRUE(parse_dns_tcp(two));

  EXPECT_EQ(parse_dns_tcp({}).error().reason, "dns tcp length truncated");
  EXPECT_EQ(parse_dns_tcp(raw("\x01")).error().reason, "dns tcp length truncated");
  auto short_msg = parse_dns_tcp(Bytes(tcp).first(tcp.size() - 1));
  ASSERT_FALSE(short_msg);
  EXPECT_EQ(short_msg.error().reason, "dns tcp message truncated");
  EXPECT_EQ(short_msg.error().offset, 2u);
  // Inner errors are reported relative to the prefix.
  auto bad = tcp;
  bad[2 + 12] = std::byte{0xc0};
  bad[2 + 13] = std::byte{0x0c};
  auto e = parse_dns_tcp(bad);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().offset, 14u);
  for (std::size_t n = 0; n < tcp.size(); ++n) {
    auto t = parse_dns_tcp(Bytes(tcp).first(n));
    ASSERT_FALSE(t);
    EXPECT_LE(t.error().offset, n);
  }
}

TEST(Dns, TypeAndRcodeNames) {
  EXPECT_EQ(dns_type_name(1), "A");
  EXPECT_EQ(dns_type_name(28), "AAAA");
  EXPECT_EQ(dns_type_name(12), "PTR");
  EXPECT_EQ(dns_type_name(16), "TXT");
  EXPECT_EQ(dns_type_name(33), "SRV");
  EXPECT_EQ(dns_type_name(5), "CNAME");
  EXPECT_EQ(dns_type_name(10), "NULL");
  EXPECT_EQ(dns_type_name(15), "MX");
  EXPECT_EQ(dns_type_name(2), "NS");
  EXPECT_EQ(dns_type_name(6), "SOA");
  EXPECT_EQ(dns_type_name(255), "ANY");
  EXPECT_EQ(dns_type_name(65), "HTTPS");
  EXPECT_EQ(dns_type_name(41), "OPT");
  EXPECT_EQ(dns_type_name(0), "");
  EXPECT_EQ(dns_type_name(65535), "");
  EXPECT_EQ(dns_rcode_name(0), "NOERROR");
  EXPECT_EQ(dns_rcode_name(1), "FORMERR");
  EXPECT_EQ(dns_rcode_name(2), "SERVFAIL");
  EXPECT_EQ(dns_rcode_name(3), "NXDOMAIN");
  EXPECT_EQ(dns_rcode_name(5), "REFUSED");
  EXPECT_EQ(dns_rcode_name(15), "");
}

// Every seed in the fuzz corpus (real payloads from the sample captures) parses, and every
// truncation of it parses or fails cleanly.
TEST(Dns, CorpusSeedsEveryTruncation) {
  const char* root = std::getenv("WARDEN_SOURCE_DIR");
  std::filesystem::path dir =
      std::filesystem::path(root ? root : WARDEN_SOURCE_DIR) / "fuzz" / "corpus" / "dns";
  int files = 0, parsed = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++files;
    const bool tcp = e.path().filename().string().rfind("tcp_", 0) == 0;
    auto full = tcp ? parse_dns_tcp(as_bytes(data)) : parse_dns(as_bytes(data));
    if (full) ++parsed;
    for (std::size_t n = 0; n < data.size(); ++n) {
      auto b = as_bytes(std::string_view(data).substr(0, n));
      for (auto m : {parse_dns(b), parse_dns_tcp(b)}) {
        if (!m) {
          ASSERT_LE(m.error().offset, n) << e.path();
        }
      }
    }
  }
  EXPECT_GE(files, 30);
  EXPECT_GE(parsed, 30);
}

}  // namespace
}  // namespace warden::protocols
