#include "decode/decode.h"

namespace warden::decode {

namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88a8;
constexpr std::uint16_t kEtherQinQOld = 0x9100;
constexpr int kMaxVlanDepth = 4;
constexpr int kMaxIpv6ExtHeaders = 8;

// Marks damage: counts it and keeps the first one on the packet.
bool fail(DecodedPacket& pkt, AnomalyCounters& counters, Anomaly a) {
  counters.add(a);
  if (!pkt.anomaly) pkt.anomaly = a;
  return true;  // the link layer decoded; the damage is deeper
}

void decode_icmp(ByteReader& r, DecodedPacket& pkt, AnomalyCounters& counters, bool v6) {
  auto type = r.u8();
  auto code = r.u8();
  if (!type || !code || !r.skip(2)) {
    fail(pkt, counters, Anomaly::kTruncatedIcmp);
    return;
  }
  pkt.icmp_type = *type;
  pkt.icmp_code = *code;
  // Echo request and reply must land in one bidirectional flow, as ping sessions do in Zeek.
  // The direction-independent flow key sorts endpoints, so the request is keyed
  // (id -> echo-type) and the reply (echo-type -> id): both sort to the same key.
  const std::uint8_t echo_request = v6 ? 128 : 8;
  const std::uint8_t echo_reply = v6 ? 129 : 0;
  if ((*type == echo_request || *type == echo_reply) && r.remaining() >= 4) {
    std::uint16_t id = *r.be16();
    r.skip(2);  // sequence
    if (*type == echo_request) {
      pkt.src_port = id;
      pkt.dst_port = echo_request;
    } else {
      pkt.src_port = echo_request;
      pkt.dst_port = id;
    }
  } else {
    pkt.src_port = *type;
    pkt.dst_port = *code;
  }
  pkt.has_l4 = true;
  pkt.payload = r.rest();
}

void decode_l4(Bytes l4, DecodedPacket& pkt, AnomalyCounters& counters) {
  ByteReader r(l4);
  switch (pkt.ip_proto) {
    case kProtoTcp: {
      auto sp = r.be16(), dp = r.be16();
      auto seq = r.be32(), ack = r.be32();
      auto off = r.u8(), flags = r.u8();
      auto win = r.be16();
      if (!sp || !dp || !seq || !ack || !off || !flags || !win || !r.skip(4)) {
        fail(pkt, counters, Anomaly::kTruncatedTcp);
        return;
      }
      std::size_t hlen = static_cast<std::size_t>(*off >> 4) * 4;
      if (hlen < 20) {
        fail(pkt, counters, Anomaly::kBadTcpHeaderLength);
        return;
      }
      if (hlen > l4.size()) {
        fail(pkt, counters, Anomaly::kTruncatedTcp);
        return;
      }
      pkt.src_port = *sp;
      pkt.dst_port = *dp;
      pkt.tcp_seq = *seq;
      pkt.tcp_ack = *ack;
      pkt.tcp_flags = *flags;
      pkt.tcp_window = *win;
      pkt.payload = l4.subspan(hlen);
      pkt.has_l4 = true;
      return;
    }
    case kProtoUdp: {
      auto sp = r.be16(), dp = r.be16(), len = r.be16();
      if (!sp || !dp || !len || !r.skip(2)) {
        fail(pkt, counters, Anomaly::kTruncatedUdp);
        return;
      }
      pkt.src_port = *sp;
      pkt.dst_port = *dp;
      pkt.has_l4 = true;
      std::size_t body = l4.size() - 8;
      if (*len < 8) {
        // Length 0 is legal only for IPv6 jumbograms; anything else is damage. Keep the bytes.
        if (*len != 0) fail(pkt, counters, Anomaly::kBadUdpLength);
      } else if (static_cast<std::size_t>(*len - 8) < body) {
        body = *len - 8u;  // trailing bytes are Ethernet padding
      }
      pkt.payload = l4.subspan(8, body);
      return;
    }
    case kProtoIcmp:
      decode_icmp(r, pkt, counters, false);
      return;
    case kProtoIcmpv6:
      decode_icmp(r, pkt, counters, true);
      return;
    default:
      pkt.payload = l4;  // other protocols (IGMP, ESP, GRE...) form flows without ports
      return;
  }
}

bool decode_ipv4(Bytes b, DecodedPacket& pkt, AnomalyCounters& counters) {
  pkt.network = Network::kIpv4;
  ByteReader r(b);
  auto vihl = r.u8();
  if (!vihl || b.size() < 20) return fail(pkt, counters, Anomaly::kTruncatedIpv4);
  if ((*vihl >> 4) != 4) return fail(pkt, counters, Anomaly::kBadIpVersion);
  std::size_t ihl = static_cast<std::size_t>(*vihl & 0x0f) * 4;
  r.skip(1);
  std::uint16_t total = *r.be16();
  r.skip(2);
  std::uint16_t frag = *r.be16();
  pkt.ttl = *r.u8();
  pkt.ip_proto = *r.u8();
  r.skip(2);
  pkt.src_ip = IpAddr::v4(*r.bytes(4));
  pkt.dst_ip = IpAddr::v4(*r.bytes(4));
  if (ihl < 20) return fail(pkt, counters, Anomaly::kBadIpv4HeaderLength);
  if (ihl > b.size()) return fail(pkt, counters, Anomaly::kTruncatedIpv4);
  if (total < ihl) {
    // TSO/GSO captures on the sending host write 0 here; trust the captured length then.
    if (total != 0) return fail(pkt, counters, Anomaly::kBadIpv4TotalLength);
    total = static_cast<std::uint16_t>(b.size() > 0xffff ? 0xffff : b.size());
  }
  pkt.ip_length = total;
  std::size_t avail = b.size();
  if (total > avail) {
    // The capture cut the packet (snaplen) or the header lies. Both are worth counting.
    if (pkt.wire_length > 0 && static_cast<std::size_t>(total) <= pkt.wire_length) {
      counters.add(Anomaly::kCapturedShorterThanWire);
    } else {
      fail(pkt, counters, Anomaly::kBadIpv4TotalLength);
    }
  } else {
    avail = total;
  }
  const bool more_fragments = (frag & 0x2000) != 0;
  const std::uint16_t frag_offset = frag & 0x1fff;
  if (more_fragments || frag_offset != 0) {
    pkt.fragment = true;
    counters.add(Anomaly::kIpv4Fragment);
    if (frag_offset != 0) return true;  // no L4 header in later fragments
  }
  decode_l4(b.subspan(ihl, avail - ihl), pkt, counters);
  return true;
}

bool decode_ipv6(Bytes b, DecodedPacket& pkt, AnomalyCounters& counters) {
  pkt.network = Network::kIpv6;
  ByteReader r(b);
  if (b.size() < 40) return fail(pkt, counters, Anomaly::kTruncatedIpv6);
  std::uint32_t first = *r.be32();
  if ((first >> 28) != 6) return fail(pkt, counters, Anomaly::kBadIpVersion);
  std::uint16_t plen = *r.be16();
  std::uint8_t next = *r.u8();
  pkt.ttl = *r.u8();
  pkt.src_ip = IpAddr::v6(*r.bytes(16));
  pkt.dst_ip = IpAddr::v6(*r.bytes(16));
  std::size_t avail = b.size() - 40;
  pkt.ip_length = 40u + plen;
  if (plen > avail) {
    if (pkt.wire_length > 0 && 40u + plen <= pkt.wire_length) {
      counters.add(Anomaly::kCapturedShorterThanWire);
    } else {
      fail(pkt, counters, Anomaly::kBadIpv6PayloadLength);
    }
  } else {
    avail = plen;
  }
  ByteReader body(b.subspan(40, avail));
  for (int i = 0;; ++i) {
    if (i > kMaxIpv6ExtHeaders) return fail(pkt, counters, Anomaly::kIpv6ExtensionChainTooLong);
    switch (next) {
      case 0:     // hop-by-hop
      case 43:    // routing
      case 60: {  // destination options
        auto nh = body.u8(), len = body.u8();
        if (!nh || !len || !body.skip(6 + static_cast<std::size_t>(*len) * 8)) {
          return fail(pkt, counters, Anomaly::kTruncatedIpv6);
        }
        next = *nh;
        continue;
      }
      case 51: {  // AH: length in 4-byte units, minus 2
        auto nh = body.u8(), len = body.u8();
        if (!nh || !len || !body.skip((static_cast<std::size_t>(*len) + 2) * 4 - 2)) {
          return fail(pkt, counters, Anomaly::kTruncatedIpv6);
        }
        next = *nh;
        continue;
      }
      case 44: {  // fragment
        auto nh = body.u8();
        body.skip(1);
        auto off = body.be16();
        if (!nh || !off || !body.skip(4)) return fail(pkt, counters, Anomaly::kTruncatedIpv6);
        pkt.fragment = true;
        counters.add(Anomaly::kIpv6Fragment);
        next = *nh;
        if ((*off & 0xfff8) != 0) {
          pkt.ip_proto = next;
          return true;
        }
        continue;
      }
      default:
        pkt.ip_proto = next;
        decode_l4(body.rest(), pkt, counters);
        return true;
    }
  }
}

bool decode_arp(Bytes b, DecodedPacket& pkt, AnomalyCounters& counters) {
  pkt.network = Network::kArp;
  ByteReader r(b);
  auto htype = r.be16(), ptype = r.be16();
  auto hlen = r.u8(), plen = r.u8();
  auto op = r.be16();
  if (!htype || !ptype || !hlen || !plen || !op) return fail(pkt, counters, Anomaly::kTruncatedArp);
  if (*htype != 1 || *ptype != kEtherIpv4 || *hlen != 6 || *plen != 4)
    return true;  // not IPv4/Ethernet ARP
  auto sha = r.bytes(6), spa = r.bytes(4), tha = r.bytes(6), tpa = r.bytes(4);
  if (!sha || !spa || !tha || !tpa) return fail(pkt, counters, Anomaly::kTruncatedArp);
  pkt.arp.op = *op;
  pkt.arp.sender_mac = MacAddr::from(*sha);
  pkt.arp.sender_ip = IpAddr::v4(*spa);
  pkt.arp.target_mac = MacAddr::from(*tha);
  pkt.arp.target_ip = IpAddr::v4(*tpa);
  return true;
}

// Dispatch on ethertype after the link header (and VLAN tags) are consumed.
bool decode_ethertype(std::uint16_t type, Bytes rest, DecodedPacket& pkt,
                      AnomalyCounters& counters) {
  pkt.ethertype = type;
  switch (type) {
    case kEtherIpv4:
      return decode_ipv4(rest, pkt, counters);
    case kEtherIpv6:
      return decode_ipv6(rest, pkt, counters);
    case kEtherArp:
      return decode_arp(rest, pkt, counters);
    default:
      pkt.link_payload = rest;  // LLDP, EAPOL, LLC...: link layer only
      return true;
  }
}

bool decode_raw_ip(Bytes b, DecodedPacket& pkt, AnomalyCounters& counters) {
  if (b.empty()) {
    counters.add(Anomaly::kTruncatedLinkHeader);
    pkt.anomaly = Anomaly::kTruncatedLinkHeader;
    return false;
  }
  switch (byte_at(b, 0) >> 4) {
    case 4:
      return decode_ipv4(b, pkt, counters);
    case 6:
      return decode_ipv6(b, pkt, counters);
    default:
      counters.add(Anomaly::kBadIpVersion);
      pkt.anomaly = Anomaly::kBadIpVersion;
      return false;
  }
}

bool link_fail(DecodedPacket& pkt, AnomalyCounters& counters, Anomaly a) {
  counters.add(a);
  pkt.anomaly = a;
  return false;
}

bool decode_ethernet(Bytes b, DecodedPacket& pkt, AnomalyCounters& counters) {
  ByteReader r(b);
  auto dst = r.bytes(6), src = r.bytes(6);
  auto type = r.be16();
  if (!dst || !src || !type) return link_fail(pkt, counters, Anomaly::kTruncatedLinkHeader);
  pkt.has_l2 = true;
  pkt.has_dst_mac = true;
  pkt.dst_mac = MacAddr::from(*dst);
  pkt.src_mac = MacAddr::from(*src);
  while (*type == kEtherVlan || *type == kEtherQinQ || *type == kEtherQinQOld) {
    if (pkt.vlan_depth >= kMaxVlanDepth) return fail(pkt, counters, Anomaly::kVlanTooDeep);
    auto tci = r.be16();
    type = r.be16();
    if (!tci || !type) return fail(pkt, counters, Anomaly::kTruncatedLinkHeader);
    pkt.vlan = *tci & 0x0fff;
    ++pkt.vlan_depth;
  }
  if (*type <= 1500) {  // 802.3 length field: LLC/SNAP frames (STP, CDP...), no IP here
    pkt.ethertype = 0;
    return true;
  }
  return decode_ethertype(*type, r.rest(), pkt, counters);
}

bool decode_sll(Bytes b, DecodedPacket& pkt, AnomalyCounters& counters, bool v2) {
  ByteReader r(b);
  std::optional<std::uint16_t> proto;
  std::optional<std::uint8_t> addr_len;
  std::optional<Bytes> addr;
  if (v2) {
    proto = r.be16();
    r.skip(2 + 4 + 2 + 1);  // reserved, ifindex, ARPHRD, packet type
    addr_len = r.u8();
    addr = r.bytes(8);
  } else {
    r.skip(2 + 2);  // packet type, ARPHRD
    auto len = r.be16();
    if (len) addr_len = static_cast<std::uint8_t>(*len > 255 ? 255 : *len);
    addr = r.bytes(8);
    proto = r.be16();
  }
  if (!proto || !addr_len || !addr) return link_fail(pkt, counters, Anomaly::kTruncatedLinkHeader);
  if (*addr_len == 6) {
    pkt.has_l2 = true;
    pkt.src_mac = MacAddr::from(addr->first(6));
  }
  if (*proto == kEtherVlan && r.remaining() >= 4) {
    pkt.vlan = *r.be16() & 0x0fff;
    pkt.vlan_depth = 1;
    proto = r.be16();
  }
  return decode_ethertype(*proto, r.rest(), pkt, counters);
}

bool decode_null(Bytes b, DecodedPacket& pkt, AnomalyCounters& counters, bool network_order) {
  ByteReader r(b);
  auto family = network_order ? r.be32() : r.le32();
  if (!family) return link_fail(pkt, counters, Anomaly::kTruncatedLinkHeader);
  // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (BSD), 28 (FreeBSD), 30 (macOS).
  switch (*family) {
    case 2:
      return decode_ipv4(r.rest(), pkt, counters);
    case 10:
    case 24:
    case 28:
    case 30:
      return decode_ipv6(r.rest(), pkt, counters);
    default:
      return true;
  }
}

}  // namespace

bool decode(Bytes frame, std::uint32_t link_type, Timestamp ts, std::uint32_t wire_length,
            DecodedPacket& pkt, AnomalyCounters& anomalies) {
  pkt = DecodedPacket{};
  pkt.ts = ts;
  pkt.wire_length = wire_length;
  switch (link_type) {
    case kLinkEthernet:
      return decode_ethernet(frame, pkt, anomalies);
    case kLinkRaw:
      return decode_raw_ip(frame, pkt, anomalies);
    case kLinkIpv4:
      return decode_ipv4(frame, pkt, anomalies);
    case kLinkIpv6:
      return decode_ipv6(frame, pkt, anomalies);
    case kLinkLinuxSll:
      return decode_sll(frame, pkt, anomalies, false);
    case kLinkLinuxSll2:
      return decode_sll(frame, pkt, anomalies, true);
    case kLinkNull:
      return decode_null(frame, pkt, anomalies, false);
    case kLinkLoop:
      return decode_null(frame, pkt, anomalies, true);
    default:
      return link_fail(pkt, anomalies, Anomaly::kUnsupportedLinkType);
  }
}

}  // namespace warden::decode
