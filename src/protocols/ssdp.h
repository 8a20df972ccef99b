// SSDP (UPnP discovery over UDP 1900: NOTIFY, M-SEARCH and their unicast HTTP responses) and
// the UPnP device description document a LOCATION URL points at. Both are what a device says
// about itself (server string, model, vendor, services), so they feed the inventory. Results
// own their strings: a datagram or an HTTP body is short-lived, a description is not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace warden::protocols {

enum class SsdpKind { kNotify, kSearch, kResponse };

struct SsdpMessage {
  SsdpKind kind = SsdpKind::kNotify;
  std::string nt_or_st;  // NT for NOTIFY, ST for M-SEARCH and responses
  std::string nts;       // ssdp:alive / ssdp:byebye / ssdp:update
  std::string usn, server, location, user_agent, man;
  std::optional<std::uint32_t> max_age;  // CACHE-CONTROL: max-age=N
};

// One datagram is one message, so a head without its closing blank line still parses (some
// stacks, e.g. Plex's GDM probe, send only the request line). Fails on anything but NOTIFY *,
// M-SEARCH * or an HTTP/1.x status line.
ParseResult<SsdpMessage> parse_ssdp(Bytes udp_payload);

// Fields of the root <device> of a UPnP description document; embedded devices'
// fields are ignored but their services are collected.
struct UpnpDescription {
  std::string device_type, friendly_name, manufacturer, manufacturer_url, model_name, model_number,
      model_description, serial_number, udn, presentation_url;
  std::vector<std::string> service_types;  // every <serviceType>, e.g. WANIPConnection:1 (a router)
};

// Bounds applied to the description scanner: a deeper document fails, longer text is cut,
// further services are ignored.
inline constexpr std::size_t kUpnpMaxDepth = 64;
inline constexpr std::size_t kUpnpMaxFieldLength = 1024;
inline constexpr std::size_t kUpnpMaxServices = 64;

// A bounded tag scanner, not an XML parser: namespace prefixes are ignored, only the five
// predefined entities and numeric character references are decoded (no DTD, so no entity
// expansion), CDATA is text. Fails when there is no <device> element.
ParseResult<UpnpDescription> parse_upnp_description(std::string_view xml);

}  // namespace warden::protocols
