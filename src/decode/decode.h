// decode: turns a captured frame into a DecodedPacket, a flat set of views of its L2-L4 headers.
// It allocates nothing and copies no payload: `payload` borrows the frame's bytes, which the
// caller keeps alive while the packet is used. Damage is reported as a named Anomaly (counted by
// the caller), and whatever layers decoded before the damage stay usable: a truncated TCP header
// still tells the inventory which MAC owns which IP.
#pragma once

#include <cstdint>
#include <optional>

#include "core/anomaly.h"
#include "core/bytes.h"
#include "core/link_type.h"
#include "core/net.h"
#include "core/time.h"

namespace warden::decode {

// Link types (kLinkEthernet, ...) are warden::kLink* from core/link_type.h, shared with capture.

inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoIgmp = 2;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoIcmpv6 = 58;

inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;

enum class Network : std::uint8_t { kNone, kIpv4, kIpv6, kArp };

struct Arp {
  std::uint16_t op = 0;  // 1 request, 2 reply
  MacAddr sender_mac, target_mac;
  IpAddr sender_ip, target_ip;
};

struct DecodedPacket {
  Timestamp ts = 0;
  std::uint32_t wire_length = 0;

  // L2 (Ethernet and Linux cooked captures; absent for raw IP link types).
  bool has_l2 = false;
  bool has_dst_mac = false;  // SLL carries only the source address
  MacAddr src_mac, dst_mac;
  std::uint16_t vlan = 0;  // innermost 802.1Q VLAN id, 0 when untagged
  std::uint8_t vlan_depth = 0;
  std::uint16_t ethertype = 0;

  Network network = Network::kNone;
  Arp arp;
  IpAddr src_ip, dst_ip;
  std::uint8_t ip_proto = 0;
  std::uint8_t ttl = 0;
  std::uint32_t ip_length = 0;  // IP header + payload per the IP header (not capture padding)
  bool fragment = false;        // any fragment; only first fragments carry L4

  // L4 (valid when has_l4). For ICMP echo, the ports carry the echo identifier (see decode.cc).
  bool has_l4 = false;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint8_t tcp_flags = 0;
  std::uint32_t tcp_seq = 0, tcp_ack = 0;
  std::uint16_t tcp_window = 0;
  std::uint8_t icmp_type = 0, icmp_code = 0;
  Bytes payload;  // L4 payload, clipped to the IP length and to what was captured
  // Frames decoded at the link layer only (LLDP, EAPOL...): the bytes after the ethertype.
  Bytes link_payload;

  std::optional<Anomaly> anomaly;  // first damage found, if any
  bool is_ip() const { return network == Network::kIpv4 || network == Network::kIpv6; }
};

// Decodes one frame. Returns false when not even the link layer could be decoded; otherwise
// true, with pkt.anomaly set when a deeper layer was damaged. Every anomaly is also counted.
bool decode(Bytes frame, std::uint32_t link_type, Timestamp ts, std::uint32_t wire_length,
            DecodedPacket& pkt, AnomalyCounters& anomalies);

}  // namespace warden::decode
