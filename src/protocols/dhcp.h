// DHCPv4 (RFC 2131/2132) parser: one UDP payload in, the fields a device inventory cares
// about out (who asks, what it calls itself, what it asks for, what the server hands out).
// Pure: it owns nothing but the returned value, which copies every byte it keeps, so the
// payload may be freed as soon as parse_dhcp returns.
//
// Choices worth knowing: repeated options are concatenated (RFC 3396) in the order options
// field, 'file', 'sname' (option 52 overload); a fixed-width option (53, 50, 51, 54) uses its
// first bytes, so a duplicate behaves as "first one wins". Strings keep their raw bytes
// (callers apply printable() at output time); only trailing NULs are stripped. Any option whose
// length runs past its area fails the whole message, so a half-parsed message never appears.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/net.h"
#include "core/result.h"

namespace warden::protocols {

// Caps on what a single message may put into the result: far above any real client, far below
// what a hostile 64 KB datagram of concatenated options could otherwise make us hold.
inline constexpr std::size_t kDhcpMaxString = 512;
inline constexpr std::size_t kDhcpMaxParamList = 255;
inline constexpr std::size_t kDhcpMaxClientId = 255;
inline constexpr std::size_t kDhcpMaxAddresses = 32;

struct DhcpMessage {
  std::uint8_t op = 0;        // 1 BOOTREQUEST, 2 BOOTREPLY
  std::uint8_t msg_type = 0;  // option 53 (DHCPDISCOVER=1 ... DHCPINFORM=8), 0 if absent
  std::uint32_t xid = 0;
  MacAddr client_mac;  // chaddr when htype==1 && hlen==6, else zero
  IpAddr ciaddr, yiaddr, siaddr, giaddr;
  std::string hostname;      // option 12
  std::string vendor_class;  // option 60 (e.g. "udhcp 1.19.4", "MSFT 5.0", "android-dhcp-11")
  // Option 55 in order: the order is stable per OS build, so it fingerprints better than the
  // vendor class.
  std::vector<std::uint8_t> param_request_list;
  std::optional<IpAddr> requested_ip;          // option 50
  std::optional<IpAddr> server_id;             // option 54
  std::optional<std::uint32_t> lease_seconds;  // option 51
  std::string client_fqdn;              // option 81 domain name (ASCII, or wire format decoded)
  std::string domain_name;              // option 15
  std::vector<IpAddr> routers;          // option 3
  std::vector<IpAddr> dns_servers;      // option 6
  std::string mud_url;                  // option 161 (RFC 8520)
  std::vector<std::uint8_t> client_id;  // option 61 raw

  // "1,3,6,15,...": the fingerprint form fingerbank uses.
  std::string param_list_string() const;
};

ParseResult<DhcpMessage> parse_dhcp(Bytes udp_payload);

// "discover","offer","request","decline","ack","nak","release","inform", else "unknown".
std::string_view dhcp_message_type_name(std::uint8_t t);

}  // namespace warden::protocols
