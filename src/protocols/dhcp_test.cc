#include "protocols/dhcp.h"

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

// slips/test7-malicious.pcap frame 42: Raspberry Pi (dhcpcd) DHCPREQUEST.
constexpr std::string_view kTest7Request =
    "0101060077bdd1380004000000000000000000000000000000000000b827ebc7e9c9000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000638253633501033204c0a802100c0b626c61636b2d706561726c370d011c02030f06770c2c2f1a79"
    "2aff00000000000000000000000000000000000000000000";

// slips/test7-malicious.pcap frame 75: the router's DHCPACK to it.
constexpr std::string_view kTest7Ack =
    "02010600a89d55180003000000000000c0a802100000000000000000b827ebc7e9c9000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000638253633501053604c0a802013304000002580104ffffff000304c0a802010f0b6578616d706c65"
    "2e6f726706080808080808080404ff000000000000000000";

// ndpi/pcap/alexa-app.pcapng frame 7: Android (dhcpcd-5.5.6) DHCPREQUEST with client id.
constexpr std::string_view kAlexaRequest =
    "010106007c6d7f31000000000000000000000000000000000000000078f882d3fbc2000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000638253633501033d070178f882d3fbc23204ac102ad8390205dc3c0c6468637063642d352e352e36"
    "0c18616e64726f69642d31633133333565633935613237333138370a012103060f1a1c333a3bff";

// ndpi/pcap/dhcp-fuzz.pcapng frame 1: a fuzzed request whose option 60 claims 49 bytes.
constexpr std::string_view kNdpiFuzzed =
    "01010600c979b96000000000c0a80168000000000000000000000000001f29da2d79000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000d7000000000000530000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000006500000000"
    "0000000000006382536335016a3d0701001f29da2d790c074d4b30333836323c314d53465420352e30370c010f03"
    "062c2e2f1f21f92bfc2b03dc0100ff000000002500000000";

// A minimal BOOTREQUEST from an Ethernet client with the given options after the cookie.
std::vector<std::byte> with_options(std::string_view options, std::uint8_t op = 1) {
  std::vector<std::byte> p(236);
  p[0] = std::byte{op};
  p[1] = std::byte{1};
  p[2] = std::byte{6};
  p[4] = std::byte{0xde};
  p[5] = std::byte{0xad};
  p[6] = std::byte{0xbe};
  p[7] = std::byte{0xef};
  const std::uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  for (int i = 0; i < 6; ++i) p[28 + i] = std::byte{mac[i]};
  for (std::uint8_t c : {0x63, 0x82, 0x53, 0x63}) p.push_back(std::byte{c});
  for (char c : options) p.push_back(static_cast<std::byte>(c));
  return p;
}

std::string opt(std::uint8_t code, std::string_view value) {
  std::string s;
  s.push_back(static_cast<char>(code));
  s.push_back(static_cast<char>(value.size()));
  s.append(value);
  return s;
}

TEST(Dhcp, RealRequestRaspberryPi) {
  auto p = hex(kTest7Request);
  ASSERT_EQ(p.size(), 300u);
  auto m = parse_dhcp(p);
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->op, 1);
  EXPECT_EQ(m->msg_type, 3);
  EXPECT_EQ(dhcp_message_type_name(m->msg_type), "request");
  EXPECT_EQ(m->xid, 0x77bdd138u);
  EXPECT_EQ(m->client_mac, *MacAddr::parse("b8:27:eb:c7:e9:c9"));
  EXPECT_EQ(m->hostname, "black-pearl");
  EXPECT_EQ(m->vendor_class, "");
  EXPECT_EQ(m->param_list_string(), "1,28,2,3,15,6,119,12,44,47,26,121,42");
  ASSERT_TRUE(m->requested_ip.has_value());
  EXPECT_EQ(*m->requested_ip, *IpAddr::parse("192.168.2.16"));
  EXPECT_FALSE(m->server_id.has_value());
  EXPECT_FALSE(m->lease_seconds.has_value());
  EXPECT_TRUE(m->ciaddr.is_v4());
  EXPECT_EQ(m->ciaddr, IpAddr::v4(0u));
}

TEST(Dhcp, RealAckCarriesLeaseRoutersDns) {
  auto m = parse_dhcp(hex(kTest7Ack));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->op, 2);
  EXPECT_EQ(dhcp_message_type_name(m->msg_type), "ack");
  EXPECT_EQ(m->yiaddr, *IpAddr::parse("192.168.2.16"));
  EXPECT_EQ(m->server_id, IpAddr::parse("192.168.2.1"));
  EXPECT_EQ(m->lease_seconds, 600u);
  ASSERT_EQ(m->routers.size(), 1u);
  EXPECT_EQ(m->routers[0], *IpAddr::parse("192.168.2.1"));
  ASSERT_EQ(m->dns_servers.size(), 2u);
  EXPECT_EQ(m->dns_servers[0], *IpAddr::parse("8.8.8.8"));
  EXPECT_EQ(m->dns_servers[1], *IpAddr::parse("8.8.4.4"));
  EXPECT_EQ(m->domain_name, "example.org");
  EXPECT_TRUE(m->param_request_list.empty());
  EXPECT_EQ(m->param_list_string(), "");
}

TEST(Dhcp, RealAndroidRequestWithVendorClassAndClientId) {
  auto m = parse_dhcp(hex(kAlexaRequest));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->msg_type, 3);
  EXPECT_EQ(m->client_mac, *MacAddr::parse("78:f8:82:d3:fb:c2"));
  EXPECT_EQ(m->hostname, "android-1c1335ec95a27318");
  EXPECT_EQ(m->vendor_class, "dhcpcd-5.5.6");
  EXPECT_EQ(m->param_list_string(), "1,33,3,6,15,26,28,51,58,59");
  EXPECT_EQ(m->requested_ip, IpAddr::parse("172.16.42.216"));
  EXPECT_EQ(m->client_id, (std::vector<std::uint8_t>{0x01, 0x78, 0xf8, 0x82, 0xd3, 0xfb, 0xc2}));
}

TEST(Dhcp, NdpiFuzzedPacketFailsCleanly) {
  auto p = hex(kNdpiFuzzed);
  auto m = parse_dhcp(p);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dhcp option runs past end");
  // Option 60 sits after 53 (3 bytes), 61 (9) and 12 (9) in the options field at 240.
  EXPECT_EQ(m.error().offset, 240u + 3 + 9 + 9);
}

TEST(Dhcp, EveryTruncationParsesOrFailsCleanly) {
  for (auto v : {kTest7Request, kTest7Ack, kAlexaRequest, kNdpiFuzzed}) {
    auto p = hex(v);
    for (std::size_t n = 0; n < p.size(); ++n) {
      auto m = parse_dhcp(Bytes(p).first(n));
      if (n < 240) {
        ASSERT_FALSE(m) << n;
      }
      if (!m) {
        EXPECT_FALSE(m.error().reason.empty());
        EXPECT_LE(m.error().offset, n);
      }
    }
  }
  // Cut inside option 12's value: a clean error pointing at the option.
  auto p = hex(kTest7Request);
  auto m = parse_dhcp(Bytes(p).first(240 + 3 + 6 + 5));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().offset, 240u + 3 + 6);
  // Cut between options: fine, a missing End is tolerated.
  auto ok = parse_dhcp(Bytes(p).first(240 + 3 + 6));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->requested_ip, IpAddr::parse("192.168.2.16"));
}

TEST(Dhcp, EveryByteMutatedNeverCrashes) {
  for (auto v : {kTest7Request, kAlexaRequest}) {
    auto p = hex(v);
    for (std::size_t i = 0; i < p.size(); ++i) {
      const std::byte saved = p[i];
      for (std::uint8_t x : {0x00, 0x01, 0x34, 0x7f, 0xff}) {
        p[i] = std::byte{x};
        auto m = parse_dhcp(p);
        if (!m) {
          EXPECT_LE(m.error().offset, p.size());
        }
      }
      p[i] = saved;
    }
  }
}

TEST(Dhcp, HeaderErrors) {
  EXPECT_EQ(parse_dhcp({}).error().reason, "dhcp header truncated");
  auto p = with_options("\xff");
  p[236] = std::byte{0};  // broken cookie
  auto m = parse_dhcp(p);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dhcp magic cookie missing");
  EXPECT_EQ(m.error().offset, 236u);
  // Plain BOOTP (no cookie at all) is not DHCP.
  std::vector<std::byte> bootp(236);
  bootp[0] = std::byte{1};
  EXPECT_EQ(parse_dhcp(bootp).error().reason, "dhcp magic cookie missing");
  EXPECT_EQ(parse_dhcp(with_options("\xff", 3)).error().reason, "dhcp bad op");
}

TEST(Dhcp, NonEthernetHardwareLeavesMacZero) {
  auto p = with_options(opt(53, "\x01"));
  p[1] = std::byte{6};  // IEEE 802
  auto m = parse_dhcp(p);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->client_mac.is_zero());
  p[1] = std::byte{1};
  p[2] = std::byte{16};
  EXPECT_TRUE(parse_dhcp(p)->client_mac.is_zero());
  p[2] = std::byte{6};
  EXPECT_EQ(parse_dhcp(p)->client_mac, *MacAddr::parse("02:11:22:33:44:55"));
}

TEST(Dhcp, PadEndAndMissingEnd) {
  std::string o = std::string("\0\0\0", 3) + opt(53, "\x01") + std::string("\0", 1) +
                  opt(12, "host") + "\xff" + opt(60, "after-end");
  auto m = parse_dhcp(with_options(o));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->msg_type, 1);
  EXPECT_EQ(m->hostname, "host");
  EXPECT_EQ(m->vendor_class, "");  // after End: ignored
  // No End at all, options run to the end of the payload.
  m = parse_dhcp(with_options(opt(53, "\x08") + opt(12, "x")));
  ASSERT_TRUE(m);
  EXPECT_EQ(dhcp_message_type_name(m->msg_type), "inform");
  EXPECT_EQ(m->hostname, "x");
  // Options field empty.
  m = parse_dhcp(with_options(""));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->msg_type, 0);
}

TEST(Dhcp, LengthPastEndAndMissingLength) {
  auto m = parse_dhcp(with_options(opt(53, "\x01") + "\x0c\x10short"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dhcp option runs past end");
  EXPECT_EQ(m.error().offset, 243u);
  m = parse_dhcp(with_options(opt(53, "\x01") + "\x0c"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dhcp option length missing");
  EXPECT_EQ(m.error().offset, 243u);
}

TEST(Dhcp, RepeatedOptionsConcatenateAndFixedWidthTakesFirst) {
  std::string o = opt(53, "\x03") + opt(12, "black") + opt(55, std::string("\x01\x03", 2)) +
                  opt(12, "-pearl") + opt(53, "\x01") + opt(55, "\x06") +
                  opt(50, std::string("\xc0\xa8\x01\x02", 4)) +
                  opt(50, std::string("\x0a\x00\x00\x01", 4)) + "\xff";
  auto m = parse_dhcp(with_options(o));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->hostname, "black-pearl");
  EXPECT_EQ(m->msg_type, 3);
  EXPECT_EQ(m->param_list_string(), "1,3,6");
  EXPECT_EQ(m->requested_ip, IpAddr::parse("192.168.1.2"));
}

TEST(Dhcp, StringsKeepBytesButLoseTrailingNuls) {
  std::string host("ab\0\x01\xffz\0\0", 8);
  auto m = parse_dhcp(with_options(opt(12, host) + opt(60, std::string("MSFT 5.0\0", 9)) +
                                   opt(15, std::string("\0\0", 2)) + "\xff"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->hostname, std::string("ab\0\x01\xffz", 6));
  EXPECT_EQ(m->vendor_class, "MSFT 5.0");
  EXPECT_EQ(m->domain_name, "");
}

TEST(Dhcp, ShortFixedWidthOptionsAreIgnored) {
  auto m = parse_dhcp(with_options(opt(53, "") + opt(50, "\x01\x02\x03") + opt(51, "\x01") +
                                   opt(54, "") + opt(3, "\x01\x02\x03\x04\x05") + "\xff"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->msg_type, 0);
  EXPECT_FALSE(m->requested_ip);
  EXPECT_FALSE(m->lease_seconds);
  EXPECT_FALSE(m->server_id);
  ASSERT_EQ(m->routers.size(), 1u);  // the trailing partial address is dropped
  EXPECT_EQ(m->routers[0], *IpAddr::parse("1.2.3.4"));
}

TEST(Dhcp, OptionOverloadReadsFileThenSname) {
  auto p = with_options(opt(53, "\x01") + opt(52, "\x03") + opt(12, "main") + "\xff");
  // 'file' at 108: hostname continuation and vendor class; 'sname' at 44: more hostname.
  std::string file = opt(12, "-file") + opt(60, "vc") + "\xff";
  std::string sname = opt(12, "-sname") + opt(52, "\x03") + "\xff";
  for (std::size_t i = 0; i < file.size(); ++i) p[108 + i] = static_cast<std::byte>(file[i]);
  for (std::size_t i = 0; i < sname.size(); ++i) p[44 + i] = static_cast<std::byte>(sname[i]);
  auto m = parse_dhcp(p);
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->hostname, "main-file-sname");
  EXPECT_EQ(m->vendor_class, "vc");

  // Without option 52 the same fields are just a boot file name and server name.
  auto q = p;
  q[240 + 3] = std::byte{0};  // turn option 52's code into pads...
  q[240 + 4] = std::byte{0};
  q[240 + 5] = std::byte{0};
  m = parse_dhcp(q);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->hostname, "main");
  EXPECT_EQ(m->vendor_class, "");

  // Overload 1 = file only.
  q = p;
  q[240 + 5] = std::byte{1};
  m = parse_dhcp(q);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->hostname, "main-file");
}

TEST(Dhcp, OverloadedAreaCannotRunPastItsField) {
  auto p = with_options(opt(52, "\x02") + "\xff");
  // sname is 64 bytes: an option starting at its last-but-one byte claiming 10 bytes must fail
  // even though the payload continues (into 'file').
  p[44 + 62] = std::byte{12};
  p[44 + 63] = std::byte{10};
  auto m = parse_dhcp(p);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "dhcp option runs past end");
  EXPECT_EQ(m.error().offset, 44u + 62);
}

TEST(Dhcp, ClientFqdnAsciiAndWireFormat) {
  auto m = parse_dhcp(with_options(opt(81, std::string("\x01\x00\x00host.example.com\0", 20))));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->client_fqdn, "host.example.com");
  m = parse_dhcp(with_options(opt(81, std::string("\x05\xff\xff\x04host\x07"
                                                  "example\x03"
                                                  "com\x00",
                                                  21))));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->client_fqdn, "host.example.com");
  // Partial wire name (no root label), then a malformed label: keep what decoded.
  m = parse_dhcp(with_options(opt(81, std::string("\x04\x00\x00\x04host\x09"
                                                  "ex",
                                                  11))));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->client_fqdn, "host");
  m = parse_dhcp(with_options(opt(81, std::string("\x04\x00\x00\x04host\xc0\x0c", 10))));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->client_fqdn, "host");
  m = parse_dhcp(with_options(opt(81, "\x04\x00")));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->client_fqdn, "");
}

TEST(Dhcp, MudUrl) {
  auto m = parse_dhcp(with_options(opt(161, "https://mud.example.com/lightbulb.json") + "\xff"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mud_url, "https://mud.example.com/lightbulb.json");
}

TEST(Dhcp, VectorsAndStringsAreCapped) {
  std::string o;
  const std::string chunk(252, '\x01');
  for (int i = 0; i < 6; ++i) {
    o += opt(3, chunk) + opt(6, chunk) + opt(55, chunk) + opt(61, chunk) + opt(12, chunk);
  }
  auto m = parse_dhcp(with_options(o));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->routers.size(), kDhcpMaxAddresses);
  EXPECT_EQ(m->dns_servers.size(), kDhcpMaxAddresses);
  EXPECT_EQ(m->param_request_list.size(), kDhcpMaxParamList);
  EXPECT_EQ(m->client_id.size(), kDhcpMaxClientId);
  EXPECT_EQ(m->hostname.size(), kDhcpMaxString);
}

TEST(Dhcp, MessageTypeNames) {
  const char* names[] = {"unknown", "discover", "offer",   "request", "decline",
                         "ack",     "nak",      "release", "inform"};
  for (std::uint8_t t = 0; t < 9; ++t) EXPECT_EQ(dhcp_message_type_name(t), names[t]);
  EXPECT_EQ(dhcp_message_type_name(9), "unknown");
  EXPECT_EQ(dhcp_message_type_name(255), "unknown");
}

// Every real seed in the fuzz corpus (taken from the sample captures) parses or fails cleanly
// at every truncation: the corpus is the broadest set of real DHCP bytes we have.
TEST(Dhcp, CorpusSeedsEveryTruncation) {
  const char* root = std::getenv("WARDEN_SOURCE_DIR");
  std::filesystem::path dir =
      std::filesystem::path(root ? root : WARDEN_SOURCE_DIR) / "fuzz" / "corpus" / "dhcp";
  int files = 0, parsed = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++files;
    if (parse_dhcp(as_bytes(data))) ++parsed;
    for (std::size_t n = 0; n < data.size(); ++n) {
      auto m = parse_dhcp(as_bytes(std::string_view(data).substr(0, n)));
      if (!m) {
        ASSERT_LE(m.error().offset, n) << e.path();
      }
    }
  }
  EXPECT_GE(files, 9);
  EXPECT_GE(parsed, 8);  // all real captures except the fuzzed one
}

}  // namespace
}  // namespace warden::protocols
