// Dissector: labels each flow with its application protocol and hands the payloads that carry
// device-revealing facts to the pure parsers in protocols/, emitting typed Observations.
//
// Cost model (the hot path): a flow is looked at only until it is classified and its
// interesting messages are seen, at most kMaxInspected payload packets per direction, as nDPI
// does; after that a flow costs one branch per packet. Per-packet protocols that announce
// device facts (DHCP, DNS/mDNS, SSDP) are parsed on every packet, as Zeek's logs do.
#pragma once

#include <array>
#include <cstdint>

#include "core/anomaly.h"
#include "decode/decode.h"
#include "dissect/observation.h"
#include "flow/flow.h"

namespace warden::dissect {

struct DissectorStats {
  std::array<std::uint64_t, kObservationKinds> observations{};  // by ObservationBody index
  std::uint64_t reassembled_bytes = 0;
};

class Dissector {
 public:
  static constexpr std::uint8_t kMaxInspected = 8;
  // FTP/Telnet flows are followed further, through their login (see protocols/login.h).
  static constexpr std::uint8_t kMaxLoginPackets = 96;
  static constexpr std::size_t kMaxBuffered = 64 * 1024;  // per direction, for split messages
  static constexpr std::size_t kMaxPendingDns = 16;       // unanswered queries kept per flow

  Dissector(ObservationSink& sink, AnomalyCounters& anomalies)
      : sink_(sink), anomalies_(anomalies) {}

  void on_packet(flow::Flow& flow, flow::Direction dir, const decode::DecodedPacket& pkt);
  // A frame the decoder kept at the link layer (not IP, not ARP): LLDP becomes an observation
  // (a wired device announcing itself, possibly with its MUD URL).
  void on_link_frame(const decode::DecodedPacket& pkt);
  // Called when a flow ends without a label: falls back to the well-known port.
  void on_flow_end(flow::Flow& flow);

  const DissectorStats& stats() const { return stats_; }

 private:
  void udp(flow::Flow& f, flow::Direction dir, const decode::DecodedPacket& pkt);
  void tcp(flow::Flow& f, flow::Direction dir, const decode::DecodedPacket& pkt);
  void tcp_client_payload(flow::Flow& f, const decode::DecodedPacket& pkt, Bytes data);
  void tcp_server_payload(flow::Flow& f, const decode::DecodedPacket& pkt, Bytes data);
  void start_login(flow::Flow& f, protocols::LoginTracker::Protocol p);
  void follow_login(flow::Flow& f, flow::Direction dir, const decode::DecodedPacket& pkt,
                    Bytes data);
  ObsContext context(const flow::Flow& f, const decode::DecodedPacket& pkt) const;
  void dns(flow::Flow& f, const decode::DecodedPacket& pkt, protocols::DnsMessage msg);
  void emit(const flow::Flow& f, const decode::DecodedPacket& pkt, ObservationBody body);

  ObservationSink& sink_;
  AnomalyCounters& anomalies_;
  DissectorStats stats_;
};

// The label a flow gets from its server port alone, for flows whose payload said nothing.
flow::AppProto app_from_port(std::uint8_t ip_proto, std::uint16_t port);

}  // namespace warden::dissect
