// The UPnP IGD check's pieces that need no network: request builders, the reading of a port
// mapping out of a SOAP answer and the rules that turn a mapping into findings. check_upnp
// (checks.h) drives them over SSDP, HTTP and SOAP; they are public so the rules are unit-tested
// on answers captured from real daemons.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/net.h"
#include "scan/model.h"
#include "scan/upnp_xml.h"

namespace warden::scan {

inline constexpr std::string_view kIgdSearchTarget =
    "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
// GetGenericPortMappingEntry is asked for indices 0.. until an error, at most this many.
inline constexpr unsigned kMaxMappings = 1024;

// An M-SEARCH for `st`, sent unicast (HOST still names the multicast group, as UDA 1.1 wants).
std::string build_msearch(std::string_view st);

// A SOAP action POSTed to `url`; `args` are (name, value) pairs, values XML-escaped here.
std::string build_soap_request(const HttpUrl& url, std::string_view service_type,
                               std::string_view action,
                               const std::vector<std::pair<std::string, std::string>>& args);

struct PortMapping {
  std::string remote_host;
  std::uint16_t external_port = 0;
  std::string protocol;  // "TCP" / "UDP" as the IGD wrote it
  std::uint16_t internal_port = 0;
  std::string internal_client;
  bool enabled = true;
  std::string description;
  std::uint32_t lease_s = 0;  // 0: permanent
};
// A GetGenericPortMappingEntry (or GetSpecificPortMappingEntry) answer; nullopt for a fault or
// an answer without ports.
std::optional<PortMapping> mapping_from_soap(const SoapResponse& r);
// "UDP 40053 -> 198.51.100.53:53 'libminiupnpc' lease 604798s"
std::string describe_mapping(const PortMapping& m);

// The documented source of a known-malicious mapping description it contains (case-insensitive),
// or nullopt.
std::optional<std::string_view> ioc_for_description(std::string_view description);

// Whether a mapping's internal client lies outside the router's LAN, with the reason. The rule:
// an address that is not private/link-local/loopback (RFC 1918, RFC 6598, ULA, fe80::/10) is
// outside; when the scanner stands on the LAN (not wan_view) and router and client are IPv4, a
// client outside the router's /24 is outside too. The scanner cannot see the LAN's real prefix,
// and a /24 is what nearly every home router uses; a router with a wider LAN would need its
// prefix passed in. An internal client that is not an address is not judged.
std::optional<std::string> outside_lan_reason(std::string_view internal_client,
                                              const IpAddr& router, bool wan_view);

// Adds the findings one mapping deserves (nat_injection, ioc_description, risky_mapping).
void assess_mapping(HostReport& host, const PortMapping& m, std::uint16_t port, bool wan_view);

// The LAN address the secure-mode probe asks a mapping for: .254 of the scanner's /24, or .253
// (then .252) when that is the scanner or the router. IPv4 only.
std::optional<IpAddr> probe_client_for(const IpAddr& scanner, const IpAddr& router);

bool is_zero_uuid(std::string_view udn_or_usn);

// "Debian/12 UPnP/1.1 MiniUPnPd/2.3.1" -> {"MiniUPnPd", "2.3.1"}: the last product token that
// is neither the OS nor the UPnP version.
std::pair<std::string, std::string> product_from_server(std::string_view server);

}  // namespace warden::scan
