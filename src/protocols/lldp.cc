#include "protocols/lldp.h"

#include "core/net.h"

namespace warden::protocols {
namespace {

constexpr std::uint8_t kTlvEnd = 0, kTlvChassis = 1, kTlvPort = 2, kTlvTtl = 3, kTlvPortDesc = 4,
                       kTlvSysName = 5, kTlvSysDesc = 6, kTlvCaps = 7, kTlvOrg = 127;

// Chassis id subtype 4 and port id subtype 3 are MAC addresses; chassis 5 / port 4 are
// network addresses (an IANA address family byte, then the address).
std::string id_text(std::uint8_t subtype, bool chassis, Bytes v) {
  if (subtype == (chassis ? 4 : 3) && v.size() == 6) return MacAddr::from(v).to_string();
  if (subtype == (chassis ? 5 : 4) && !v.empty()) {
    const std::uint8_t family = static_cast<std::uint8_t>(v[0]);
    if (family == 1 && v.size() == 5) return IpAddr::v4(v.subspan(1)).to_string();
    if (family == 2 && v.size() == 17) return IpAddr::v6(v.subspan(1)).to_string();
  }
  return std::string(as_string_view(v));
}

}  // namespace

ParseResult<LldpMessage> parse_lldp(Bytes lldpdu) {
  ByteReader r(lldpdu);
  LldpMessage m;
  bool port_desc = false, sys_name = false, sys_desc = false, caps = false, mud = false;
  for (int index = 0;; ++index) {
    const std::size_t at = r.offset();
    if (r.empty()) {
      // Some senders omit End of LLDPDU; the mandatory TLVs still have to be there.
      if (index < 3) return parse_error("lldp mandatory tlv missing", at);
      return m;
    }
    auto header = r.be16();
    if (!header) return parse_error("lldp tlv header truncated", at);
    const std::uint8_t type = static_cast<std::uint8_t>(*header >> 9);
    const std::size_t len = *header & 0x1ff;
    auto value = r.bytes(len);
    if (!value) return parse_error("lldp tlv runs past end", at);
    const Bytes v = *value;
    // 802.1AB §8.2: chassis id, port id and TTL come first, in that order.
    const std::uint8_t expected[] = {kTlvChassis, kTlvPort, kTlvTtl};
    if (index < 3 && type != expected[index]) return parse_error("lldp mandatory tlv missing", at);
    switch (type) {
      case kTlvEnd:
        return m;
      case kTlvChassis:
      case kTlvPort: {
        if (index >= 3) break;  // a repeated id later on is not the sender's id
        if (len < 2 || len > 256) return parse_error("lldp id length out of range", at);
        const std::uint8_t subtype = static_cast<std::uint8_t>(v[0]);
        const bool chassis = type == kTlvChassis;
        (chassis ? m.chassis_id_subtype : m.port_id_subtype) = subtype;
        (chassis ? m.chassis_id : m.port_id) = id_text(subtype, chassis, v.subspan(1));
        break;
      }
      case kTlvTtl:
        if (index >= 3) break;
        if (len < 2) return parse_error("lldp ttl too short", at);
        m.ttl = static_cast<std::uint16_t>((std::uint16_t{static_cast<std::uint8_t>(v[0])} << 8) |
                                           static_cast<std::uint8_t>(v[1]));
        break;
      case kTlvPortDesc:
        if (!port_desc) m.port_description = as_string_view(v);
        port_desc = true;
        break;
      case kTlvSysName:
        if (!sys_name) m.system_name = as_string_view(v);
        sys_name = true;
        break;
      case kTlvSysDesc:
        if (!sys_desc) m.system_description = as_string_view(v);
        sys_desc = true;
        break;
      case kTlvCaps:
        if (len != 4) return parse_error("lldp capabilities length not 4", at);
        if (!caps) {
          ByteReader c(v);
          m.capabilities = *c.be16();
          m.enabled_capabilities = *c.be16();
        }
        caps = true;
        break;
      case kTlvOrg: {
        if (len < 4) return parse_error("lldp organizational tlv too short", at);
        ByteReader o(v);
        const std::uint32_t oui = *o.be24();
        const std::uint8_t subtype = *o.u8();
        // RFC 8520 §10: OUI 00-00-5E (IANA), subtype 1, then the URL (1-255 octets).
        if (oui == 0x00005e && subtype == 1 && !mud && len > 4) {
          m.mud_url = as_string_view(o.rest());
          mud = true;
        }
        break;
      }
      default:
        break;  // management address and other TLVs: not needed for the inventory
    }
  }
}

}  // namespace warden::protocols
