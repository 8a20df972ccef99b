// Named anomalies: what decoders and parsers report instead of logging per packet (in the
// manner of Zeek's "weirds" and Suricata's engine events). Each has a stable snake_case name
// used in the summary, JSON stats and metrics. Adding one: append to the X-macro list.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace warden {

#define WARDEN_ANOMALIES(X)                                      \
  X(kTruncatedLinkHeader, "truncated_link_header")               \
  X(kUnsupportedLinkType, "unsupported_link_type")               \
  X(kVlanTooDeep, "vlan_too_deep")                               \
  X(kTruncatedArp, "truncated_arp")                              \
  X(kTruncatedIpv4, "truncated_ipv4")                            \
  X(kBadIpv4HeaderLength, "bad_ipv4_header_length")              \
  X(kBadIpv4TotalLength, "bad_ipv4_total_length")                \
  X(kIpv4Fragment, "ipv4_fragment")                              \
  X(kTruncatedIpv6, "truncated_ipv6")                            \
  X(kBadIpv6PayloadLength, "bad_ipv6_payload_length")            \
  X(kIpv6ExtensionChainTooLong, "ipv6_extension_chain_too_long") \
  X(kIpv6Fragment, "ipv6_fragment")                              \
  X(kBadIpVersion, "bad_ip_version")                             \
  X(kTruncatedTcp, "truncated_tcp")                              \
  X(kBadTcpHeaderLength, "bad_tcp_header_length")                \
  X(kTruncatedUdp, "truncated_udp")                              \
  X(kBadUdpLength, "bad_udp_length")                             \
  X(kTruncatedIcmp, "truncated_icmp")                            \
  X(kCapturedShorterThanWire, "snaplen_truncated")               \
  X(kFlowTableFull, "flow_table_full_evictions")                 \
  X(kTimestampWentBackwards, "timestamp_went_backwards")         \
  X(kMalformedDhcp, "malformed_dhcp")                            \
  X(kMalformedDns, "malformed_dns")                              \
  X(kMalformedHttp, "malformed_http")                            \
  X(kMalformedSsdp, "malformed_ssdp")                            \
  X(kMalformedTls, "malformed_tls")                              \
  X(kMalformedMqtt, "malformed_mqtt")                            \
  X(kMalformedLldp, "malformed_lldp")

enum class Anomaly : std::uint8_t {
#define WARDEN_ANOMALY_ENUM(id, name) id,
  WARDEN_ANOMALIES(WARDEN_ANOMALY_ENUM)
#undef WARDEN_ANOMALY_ENUM
      kCount
};

inline constexpr std::size_t kAnomalyCount = static_cast<std::size_t>(Anomaly::kCount);

std::string_view anomaly_name(Anomaly a);

// Per-worker counters: plain integers, never shared between threads; merged at report time.
class AnomalyCounters {
 public:
  void add(Anomaly a, std::uint64_t n = 1) { c_[static_cast<std::size_t>(a)] += n; }
  std::uint64_t get(Anomaly a) const { return c_[static_cast<std::size_t>(a)]; }
  std::uint64_t total() const;
  void merge(const AnomalyCounters& o);

 private:
  std::array<std::uint64_t, kAnomalyCount> c_{};
};

}  // namespace warden
