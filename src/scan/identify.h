// Service and version identification from what a port says: the greeting a server sends
// unprompted (SSH, telnet, FTP) or its answer to one probe (HTTP, RTSP, MQTT CONNECT). The
// classifier is pure so every byte a device sends can be fuzzed through it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "scan/model.h"

namespace warden::scan {

enum class Probe : std::uint8_t { none, http, rtsp, mqtt };

// How to ask a TCP port what it is: whether the server is expected to speak first (then we
// wait for its greeting before probing) and which probe suits the port.
struct ProbePlan {
  bool wait_greeting = false;
  Probe probe = Probe::none;
  bool tls_port = false;   // conventionally TLS (443, 8443, 8883, ...): the TLS check confirms
  std::string_view guess;  // the port's conventional service name, used when nothing answers
};
ProbePlan plan_for(std::uint16_t port);

// The bytes of a probe addressed to `host` ("192.168.77.11").
std::string probe_bytes(Probe probe, std::string_view host);

// Fills name/product/version/banner/tls of `out` (whose port is set) from the greeting and
// the reply to `probe`. Either may be empty.
void identify(std::string_view greeting, Probe probe, std::string_view reply, Service& out);

// Printable form of device bytes for reports: control bytes become '.', at most `max` chars.
std::string printable(std::string_view bytes, std::size_t max = 256);

// The value of an HTTP/RTSP header (case-insensitive name) in a response head; empty if none.
std::string_view header_value(std::string_view head, std::string_view name);

}  // namespace warden::scan
