// Discovery and the service scan of one host: every TCP port connected in parallel
// (non-blocking connects polled together, so a host costs one connect timeout, not one per
// port), UDP ports asked with the protocol's own query (an empty datagram gets no answer from
// DNS, SNMP or SSDP), then each open TCP port identified by its greeting or one probe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/model.h"

namespace warden::scan {

// The ports that matter for IoT devices (telnet on 23 and 2323 for Mirai, TR-069 on 7547,
// ADB on 5555, DVR ports, MQTT, RTSP, UPnP), used when the user names none.
const std::vector<std::uint16_t>& default_tcp_ports();
const std::vector<std::uint16_t>& default_udp_ports();

// Fills host.services and host.up. Counts what it did in `probes` (for the run's summary).
void scan_services(HostReport& host, const ScanOptions& options);

// The MAC of `addr` in a Linux neighbour table (/proc/net/arp text), if present and complete.
std::optional<MacAddr> mac_from_arp_table(std::string_view table, const IpAddr& addr);

// The UDP query that makes a service on this port answer (DNS, SNMP, SSDP, mDNS, CoAP, NTP);
// empty for ports we have no query for.
std::string udp_probe(std::uint16_t port);

}  // namespace warden::scan
