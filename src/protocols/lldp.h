// LLDP (IEEE 802.1AB) parser: one LLDPDU (the bytes after ethertype 0x88cc) in, what a device
// says about itself out: chassis and port id, system name and description, capabilities, and
// the MUD URL of RFC 8520 §10 (organizationally specific TLV, OUI 00-00-5E, subtype 1), so a
// wired device that announces its MUD URL over LLDP is treated like one using DHCP option 161.
// Pure, like every parser here: the result copies what it keeps.
//
// Strict where it matters: the first three TLVs must be chassis id, port id and TTL (802.1AB
// §8.2); a TLV whose length runs past the frame fails the whole LLDPDU, so a half-parsed one
// never appears. Parsing stops at End of LLDPDU (what follows is Ethernet padding). Repeated
// optional TLVs: the first wins. Strings keep their raw bytes (printable() at output time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/result.h"

namespace warden::protocols {

inline constexpr std::uint16_t kEtherLldp = 0x88cc;

struct LldpMessage {
  // Chassis and port ids as text: a MAC address subtype as "aa:bb:cc:dd:ee:ff", a network
  // address (IPv4/IPv6) as the address, every other subtype as its raw bytes.
  std::uint8_t chassis_id_subtype = 0;  // 4 = MAC address, 7 = locally assigned, ...
  std::string chassis_id;
  std::uint8_t port_id_subtype = 0;  // 3 = MAC address, 5 = interface name, ...
  std::string port_id;
  std::uint16_t ttl = 0;  // seconds; 0 = the sender is shutting down (forget it)
  std::string port_description;
  std::string system_name;
  std::string system_description;
  std::uint16_t capabilities = 0, enabled_capabilities = 0;  // 802.1AB §8.5.8 bits
  std::string mud_url;                                       // RFC 8520 §10 MUDString
};

ParseResult<LldpMessage> parse_lldp(Bytes lldpdu);

}  // namespace warden::protocols
