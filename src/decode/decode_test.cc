#include "decode/decode.h"

#include <gtest/gtest.h>

#include "decode/packet_builder.h"

namespace warden::decode {
namespace {

const MacAddr kMacA = *MacAddr::parse("b8:27:eb:c7:e9:c9");
const MacAddr kMacB = *MacAddr::parse("00:11:22:33:44:55");
const IpAddr kIpA = *IpAddr::parse("192.168.2.16");
const IpAddr kIpB = *IpAddr::parse("203.0.113.9");

TEST(Decode, EthernetIpv4Tcp) {
  auto f = PacketBuilder()
               .ethernet(kMacA, kMacB)
               .ipv4(kIpA, kIpB, kProtoTcp)
               .tcp(40000, 23, kTcpSyn)
               .payload("hi")
               .build();
  DecodedPacket p;
  AnomalyCounters c;
  ASSERT_TRUE(decode(f, kLinkEthernet, 5, static_cast<std::uint32_t>(f.size()), p, c));
  EXPECT_FALSE(p.anomaly.has_value());
  EXPECT_EQ(p.src_mac, kMacA);
  EXPECT_EQ(p.dst_mac, kMacB);
  EXPECT_EQ(p.src_ip, kIpA);
  EXPECT_EQ(p.dst_ip, kIpB);
  EXPECT_EQ(p.src_port, 40000);
  EXPECT_EQ(p.dst_port, 23);
  EXPECT_EQ(p.tcp_flags, kTcpSyn);
  EXPECT_EQ(as_string_view(p.payload), "hi");
  EXPECT_EQ(p.ip_length, 20u + 20u + 2u);
  EXPECT_EQ(c.total(), 0u);
}

TEST(Decode, VlanAndEthernetPaddingIsNotPayload) {
  auto f = PacketBuilder()
               .ethernet(kMacA, kMacB, 1008)
               .ipv4(kIpA, kIpB, kProtoUdp)
               .udp(5353, 5353)
               .payload("x")
               .build();
  f.resize(f.size() + 10);  // Ethernet minimum-size padding
  DecodedPacket p;
  AnomalyCounters c;
  ASSERT_TRUE(decode(f, kLinkEthernet, 0, static_cast<std::uint32_t>(f.size()), p, c));
  EXPECT_EQ(p.vlan, 1008);
  EXPECT_EQ(p.payload.size(), 1u);
  EXPECT_EQ(c.total(), 0u);
}

TEST(Decode, Ipv6UdpWithHopByHop) {
  auto src = *IpAddr::parse("fe80::1"), dst = *IpAddr::parse("ff02::fb");
  auto f = PacketBuilder()
               .ethernet(kMacA, kMacB)
               .ipv6(src, dst, 0)
               .raw({17, 0, 0, 0, 0, 0, 0, 0})
               .udp(5353, 5353)
               .payload("abc")
               .build();
  DecodedPacket p;
  AnomalyCounters c;
  ASSERT_TRUE(decode(f, kLinkEthernet, 0, static_cast<std::uint32_t>(f.size()), p, c));
  EXPECT_TRUE(p.has_l4);
  EXPECT_EQ(p.ip_proto, kProtoUdp);
  EXPECT_EQ(p.dst_port, 5353);
  EXPECT_EQ(as_string_view(p.payload), "abc");
}

TEST(Decode, RawIpLinkType) {
  auto f = PacketBuilder().ipv4(kIpA, kIpB, kProtoUdp).udp(1234, 53).payload("q").build();
  DecodedPacket p;
  AnomalyCounters c;
  ASSERT_TRUE(decode(f, kLinkRaw, 0, 0, p, c));
  EXPECT_FALSE(p.has_l2);
  EXPECT_EQ(p.dst_port, 53);
  ASSERT_TRUE(decode(f, kLinkIpv4, 0, 0, p, c));
  EXPECT_EQ(p.src_ip, kIpA);
}

TEST(Decode, LinuxCookedV1AndV2) {
  auto ip = PacketBuilder().ipv4(kIpA, kIpB, kProtoUdp).udp(1234, 53).payload("q").build();
  std::vector<std::byte> sll = {std::byte{0}, std::byte{0}, std::byte{0},
                                std::byte{1}, std::byte{0}, std::byte{6}};
  for (auto b : kMacA.b) sll.push_back(std::byte{b});
  sll.push_back(std::byte{0});
  sll.push_back(std::byte{0});
  sll.push_back(std::byte{0x08});
  sll.push_back(std::byte{0x00});
  sll.insert(sll.end(), ip.begin(), ip.end());
  DecodedPacket p;
  AnomalyCounters c;
  ASSERT_TRUE(decode(sll, kLinkLinuxSll, 0, 0, p, c));
  EXPECT_EQ(p.src_mac, kMacA);
  EXPECT_FALSE(p.has_dst_mac);
  EXPECT_EQ(p.dst_port, 53);

  std::vector<std::byte> sll2 = {std::byte{0x08}, std::byte{0x00}, std::byte{0}, std::byte{0},
                                 std::byte{0},    std::byte{0},    std::byte{0}, std::byte{2},
                                 std::byte{0},    std::byte{1},    std::byte{0}, std::byte{6}};
  for (auto b : kMacA.b) sll2.push_back(std::byte{b});
  sll2.push_back(std::byte{0});
  sll2.push_back(std::byte{0});
  sll2.insert(sll2.end(), ip.begin(), ip.end());
  ASSERT_TRUE(decode(sll2, kLinkLinuxSll2, 0, 0, p, c));
  EXPECT_EQ(p.src_mac, kMacA);
  EXPECT_EQ(p.dst_port, 53);
  EXPECT_EQ(c.total(), 0u);
}

TEST(Decode, ArpRequest) {
  auto f = PacketBuilder()
               .ethernet(kMacA, *MacAddr::parse("ff:ff:ff:ff:ff:ff"))
               .raw({0x00, 0x01, 0x08, 0x00, 6, 4, 0, 1, 0xb8, 0x27, 0xeb, 0xc7, 0xe9, 0xc9,
                     192,  168,  1,    247,  0, 0, 0, 0, 0,    0,    192,  168,  1,    1})
               .build();
  f[12] = std::byte{0x08};
  f[13] = std::byte{0x06};
  DecodedPacket p;
  AnomalyCounters c;
  ASSERT_TRUE(decode(f, kLinkEthernet, 0, 0, p, c));
  EXPECT_EQ(p.network, Network::kArp);
  EXPECT_EQ(p.arp.op, 1);
  EXPECT_EQ(p.arp.sender_ip.to_string(), "192.168.1.247");
  EXPECT_EQ(p.arp.target_ip.to_string(), "192.168.1.1");
}

TEST(Decode, IcmpEchoRequestAndReplyShareOnePortPair) {
  auto req = PacketBuilder()
                 .ethernet(kMacA, kMacB)
                 .ipv4(kIpA, kIpB, kProtoIcmp)
                 .icmp_echo(true, 77, 1)
                 .build();
  auto rep = PacketBuilder()
                 .ethernet(kMacB, kMacA)
                 .ipv4(kIpB, kIpA, kProtoIcmp)
                 .icmp_echo(false, 77, 1)
                 .build();
  DecodedPacket p, q;
  AnomalyCounters c;
  ASSERT_TRUE(decode(req, kLinkEthernet, 0, 0, p, c));
  ASSERT_TRUE(decode(rep, kLinkEthernet, 0, 0, q, c));
  EXPECT_EQ(p.src_port, q.dst_port);
  EXPECT_EQ(p.dst_port, q.src_port);
  EXPECT_EQ(p.icmp_type, 8);
}

// Every truncation of a valid frame decodes without crashing, and anything cut inside the
// headers is reported as a named anomaly.
TEST(Decode, EveryTruncationIsCleanAndCounted) {
  auto f = PacketBuilder()
               .ethernet(kMacA, kMacB, 5)
               .ipv4(kIpA, kIpB, kProtoTcp)
               .tcp(1, 2, kTcpAck)
               .payload("payload")
               .build();
  for (std::size_t n = 0; n < f.size(); ++n) {
    std::vector<std::byte> cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
    DecodedPacket p;
    AnomalyCounters c;
    decode(cut, kLinkEthernet, 0, static_cast<std::uint32_t>(f.size()), p, c);
    if (n < 18 + 20 + 20) {
      EXPECT_TRUE(p.anomaly.has_value()) << "cut at " << n;
    }
  }
}

TEST(Decode, HostileLengthsAreAnomalies) {
  auto f = PacketBuilder().ethernet(kMacA, kMacB).ipv4(kIpA, kIpB, kProtoTcp).tcp(1, 2, 0).build();
  DecodedPacket p;
  AnomalyCounters c;
  auto bad_ihl = f;
  bad_ihl[14] = std::byte{0x42};  // IHL 2 words
  decode(bad_ihl, kLinkEthernet, 0, 0, p, c);
  EXPECT_EQ(p.anomaly, Anomaly::kBadIpv4HeaderLength);
  auto bad_tcp = f;
  bad_tcp[14 + 20 + 12] = std::byte{0x20};  // TCP data offset 8 bytes
  decode(bad_tcp, kLinkEthernet, 0, 0, p, c);
  EXPECT_EQ(p.anomaly, Anomaly::kBadTcpHeaderLength);
  auto big_total = f;
  big_total[16] = std::byte{0xff};  // total length far past the frame and the wire length
  decode(big_total, kLinkEthernet, 0, static_cast<std::uint32_t>(f.size()), p, c);
  EXPECT_EQ(p.anomaly, Anomaly::kBadIpv4TotalLength);
  DecodedPacket q;
  EXPECT_FALSE(decode(f, 9999, 0, 0, q, c));
  EXPECT_EQ(q.anomaly, Anomaly::kUnsupportedLinkType);
}

}  // namespace
}  // namespace warden::decode
