// Pure parsers for what a UPnP IGD sends back over HTTP: the response framing (Content-Length
// or chunked, bounded), the device description document and SOAP control responses (results
// and UPnPError faults). Everything here is untrusted bytes from a device that may be hostile
// (a compromised router is exactly what the UPnP check looks for), so the XML tokenizer is a
// bounded tag scanner of our own: no DTD, no entity expansion (only the five predefined
// entities and numeric references), a depth limit and a size limit. Results own their strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace warden::scan {

// Bounds: a description or SOAP body larger than kUpnpMaxDocument fails; so does nesting
// deeper than kUpnpMaxDepth. Field text is cut at kUpnpMaxText; services and devices past
// their caps are ignored.
inline constexpr std::size_t kUpnpMaxDocument = 256 * 1024;
inline constexpr std::size_t kUpnpMaxDepth = 32;
inline constexpr std::size_t kUpnpMaxText = 1024;
inline constexpr std::size_t kUpnpMaxServices = 64;
inline constexpr std::size_t kUpnpMaxDevices = 32;
inline constexpr std::size_t kUpnpMaxSoapArgs = 64;

// ---- HTTP response framing ----

enum class HttpFraming : std::uint8_t { incomplete, complete, bad };
// Whether `buf` (bytes received so far) holds a whole response: head plus Content-Length bytes,
// or a chunked body up to its last chunk. A response with neither is complete only at EOF,
// which the caller knows (`eof`). Larger than `max` is bad.
HttpFraming http_response_framing(std::string_view buf, bool eof,
                                  std::size_t max = kUpnpMaxDocument);

struct UpnpHttpResponse {
  int status = 0;
  std::string server;  // the Server header, as sent
  std::string body;    // de-chunked
};
// Parses a complete response (see http_response_framing); a body without framing runs to the
// end of `buf`.
ParseResult<UpnpHttpResponse> parse_upnp_http_response(std::string_view buf);

// ---- device description ----

struct UpnpService {
  std::string service_type;  // urn:schemas-upnp-org:service:WANIPConnection:2
  std::string service_id;
  std::string control_url;  // as written (relative or absolute)
  std::string scpd_url;
  std::string device_type;  // of the (possibly embedded) device that holds it
};

struct UpnpDevice {
  std::string device_type, friendly_name, manufacturer, model_name, model_number, serial_number,
      udn;
};

struct DeviceDescription {
  std::string url_base;               // <URLBase> (UPnP 1.0), usually absent
  std::vector<UpnpDevice> devices;    // root first, then embedded ones in document order
  std::vector<UpnpService> services;  // of every device, in document order
};

// Fails when the document is not well-formed enough to scan, is too big or too deep, or holds
// no <device>. Namespace prefixes are ignored.
ParseResult<DeviceDescription> parse_device_description(std::string_view xml);

// ---- SOAP control responses ----

struct SoapResponse {
  std::string action;  // local name of the Body's child, e.g. GetExternalIPAddressResponse
  std::vector<std::pair<std::string, std::string>> args;  // its leaf children, in order
  bool fault = false;
  int error_code = 0;  // UPnPError errorCode (e.g. 713 SpecifiedArrayIndexInvalid); 0 if none
  std::string error_description;

  // The first argument of that name; nullopt when absent.
  std::optional<std::string_view> arg(std::string_view name) const;
};

// Fails when there is no Envelope/Body child.
ParseResult<SoapResponse> parse_soap_response(std::string_view xml);

// ---- URLs ----

struct HttpUrl {
  std::string host;  // as written (an address or a name; IPv6 without brackets)
  std::uint16_t port = 80;
  std::string path = "/";  // with its query
};
// http://host[:port][/path]; nullopt for anything else (https, bad port).
std::optional<HttpUrl> parse_http_url(std::string_view url);
// Resolves a description's controlURL (absolute, absolute-path or relative) against the URL
// base (URLBase if given, else the description's own URL).
std::optional<HttpUrl> resolve_url(const HttpUrl& base, std::string_view ref);

}  // namespace warden::scan
