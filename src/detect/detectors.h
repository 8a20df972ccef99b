// Factories of the built-in detectors (one .cc file each); make_detectors() lists them.
#pragma once

#include <memory>

#include "detect/detector.h"

namespace warden::detect {

// scan.horizontal / scan.vertical / scan.telnet: many unanswered connection attempts.
std::unique_ptr<Detector> make_scan_detector(const DetectConfig& c);
// scan.arp / scan.icmp: who-has or echo requests to many local addresses.
std::unique_ptr<Detector> make_sweep_detector(const DetectConfig& c);
// bruteforce.<service>: many short authentication sessions to one service.
std::unique_ptr<Detector> make_brute_force_detector(const DetectConfig& c);
// cnc.beacon: connections to one outside host at regular intervals.
std::unique_ptr<Detector> make_beacon_detector(const DetectConfig& c);
// dns.tunnel: many long, random-looking or NULL/TXT queries under one domain;
// dns.exfiltration: a few (or one) query names that plainly carry encoded data.
std::unique_ptr<Detector> make_dns_tunnel_detector(const DetectConfig& c);

// exposure.*: cleartext credentials, UPnP AddPortMapping, outdated TLS, inbound connections.
std::unique_ptr<Detector> make_exposure_detector(const DetectConfig& c);

// cnc.http: a trojan's HTTP check-in (bare-IP Host, unusual port, POST, random token path,
// outdated browser identity).
std::unique_ptr<Detector> make_http_cnc_detector(const DetectConfig& c);

// dns.dga: NXDOMAIN answers for many machine-generated-looking names from one client.
std::unique_ptr<Detector> make_dga_detector(const DetectConfig& c);

// icmp.tunnel: echo payloads that carry data (whole IP packets, varying sizes), not a ping's.
std::unique_ptr<Detector> make_icmp_tunnel_detector(const DetectConfig& c);

// ddos.syn / ddos.ack / ddos.udp / ddos.dns / ddos.icmp: a local device flooding one target.
std::unique_ptr<Detector> make_ddos_detector(const DetectConfig& c);

// intel.ip / intel.domain / intel.ja3: contact with indicators on threat-intelligence lists.
std::unique_ptr<Detector> make_intel_detector(const intel::IntelSet& set);

// baseline.*: a device doing what it never did while its behaviour was learned (new
// destination, service port, protocol, local peer, served port; hourly volume jump).
std::unique_ptr<Detector> make_baseline_detector(const DetectConfig& c);
// lateral.type_policy: a device of a type that has no business with another device type
// (a plug connecting to a camera, a bulb opening telnet on a neighbour).
std::unique_ptr<Detector> make_lateral_detector(const DetectConfig& c);

// Signature ids: stable, in warden's own range.
inline constexpr std::uint32_t kSidScanHorizontal = 9'100'001;
inline constexpr std::uint32_t kSidScanVertical = 9'100'002;
inline constexpr std::uint32_t kSidScanTelnet = 9'100'003;
inline constexpr std::uint32_t kSidArpSweep = 9'100'004;
inline constexpr std::uint32_t kSidIcmpSweep = 9'100'005;
inline constexpr std::uint32_t kSidBruteForce = 9'100'010;
inline constexpr std::uint32_t kSidBeacon = 9'100'020;
inline constexpr std::uint32_t kSidHttpCnc = 9'100'021;
inline constexpr std::uint32_t kSidDnsTunnel = 9'100'030;
inline constexpr std::uint32_t kSidIcmpTunnel = 9'100'031;
inline constexpr std::uint32_t kSidDnsExfiltration = 9'100'032;
inline constexpr std::uint32_t kSidDga = 9'100'033;
inline constexpr std::uint32_t kSidCleartextCredentials = 9'100'040;
inline constexpr std::uint32_t kSidUpnpAddPortMapping = 9'100'041;
inline constexpr std::uint32_t kSidOldTls = 9'100'042;
inline constexpr std::uint32_t kSidInbound = 9'100'043;
inline constexpr std::uint32_t kSidIntel = 9'100'050;
inline constexpr std::uint32_t kSidDdos = 9'100'080;  // + the flood kind (syn 0 ... icmp 4)
inline constexpr std::uint32_t kSidBaselineNewDestination = 9'100'060;
inline constexpr std::uint32_t kSidBaselineNewPort = 9'100'061;
inline constexpr std::uint32_t kSidBaselineNewProtocol = 9'100'062;
inline constexpr std::uint32_t kSidBaselineNewPeer = 9'100'063;
inline constexpr std::uint32_t kSidBaselineVolume = 9'100'064;
inline constexpr std::uint32_t kSidBaselineNewServedPort = 9'100'065;
inline constexpr std::uint32_t kSidBaselineNewCountry = 9'100'066;
inline constexpr std::uint32_t kSidBaselineNewNetwork = 9'100'067;
inline constexpr std::uint32_t kSidLateralTypePolicy = 9'100'070;

}  // namespace warden::detect
