// ICMP tunnels (ptunnel, hans, icmptunnel, icmpsh): data carried in echo request/reply
// payloads, past firewalls that let ping through. A real ping's payload is a pattern: an
// optional timestamp, then bytes counting up (Linux, lwIP, macOS), one repeated byte or a
// short repeated string (Windows "abcdefghijklmnopqrstuvw", ping -p). A tunnel's payload is
// arbitrary data, often a whole IP packet (hans, icmptunnel), and its sizes vary with what it
// carries. Suspicious echoes are counted per host pair; past a threshold the pair is reported
// and the alert then grows once a tick, not per packet.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxPairs = 4096;
constexpr std::size_t kMaxSizes = 32;

std::uint8_t at(Bytes b, std::size_t i) { return static_cast<std::uint8_t>(b[i]); }

// Whether `data` is a pattern a ping tool fills its payload with.
bool pattern_payload(Bytes data) {
  if (data.size() < 8) return true;
  bool ramp = true;
  for (std::size_t i = 1; i < data.size() && ramp; ++i)
    ramp = at(data, i) == static_cast<std::uint8_t>(at(data, i - 1) + 1);
  if (ramp) return true;
  for (std::size_t period = 1; period <= 32 && period < data.size(); ++period) {
    bool repeats = true;
    for (std::size_t i = period; i < data.size() && repeats; ++i)
      repeats = at(data, i) == at(data, i - period);
    if (repeats) return true;
  }
  return false;
}

// A ping payload may open with a timestamp of 8 or 16 bytes (struct timeval) before its
// pattern.
bool ping_like(Bytes payload) {
  for (std::size_t skip : {0, 8, 16}) {
    if (payload.size() <= skip) return true;
    if (pattern_payload(payload.subspan(skip))) return true;
  }
  return false;
}

// A whole IPv4 or IPv6 packet inside the payload: the signature of an IP-over-ICMP tunnel.
bool carries_ip_packet(Bytes p) {
  if (p.size() >= 20 && (at(p, 0) >> 4) == 4 && (at(p, 0) & 0x0f) >= 5) {
    const std::size_t total = (std::size_t{at(p, 2)} << 8) | at(p, 3);
    return total == p.size();
  }
  if (p.size() >= 40 && (at(p, 0) >> 4) == 6) {
    const std::size_t len = (std::size_t{at(p, 4)} << 8) | at(p, 5);
    return len + 40 == p.size();
  }
  return false;
}

class IcmpTunnelDetector : public Detector {
 public:
  explicit IcmpTunnelDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "icmp_tunnel"; }

  void on_icmp_echo(const flow::Flow&, flow::Direction, const decode::DecodedPacket& p,
                    Context& ctx) override {
    const bool request = p.icmp_type == 8 || p.icmp_type == 128;
    // The pair is keyed by the pinging side, whichever packet this is.
    const IpAddr& client = request ? p.src_ip : p.dst_ip;
    const IpAddr& server = request ? p.dst_ip : p.src_ip;
    auto key = std::make_pair(client, server);
    auto it = pairs_.find(key);
    if (it == pairs_.end()) {
      if (ping_like(p.payload)) return;  // pairs exist only once something is odd
      if (pairs_.size() >= kMaxPairs) return;
      it = pairs_.emplace(key, Pair{}).first;
      it->second.first = p.ts;
      it->second.client_mac = request ? p.src_mac : p.dst_mac;
    }
    Pair& s = it->second;
    s.last = std::max(s.last, p.ts);
    ++s.echoes;
    if (ping_like(p.payload)) return;
    ++s.suspicious;
    s.bytes += p.payload.size();
    if (carries_ip_packet(p.payload)) ++s.ip_packets;
    if (s.sizes.size() < kMaxSizes) s.sizes.insert(static_cast<std::uint16_t>(p.payload.size()));
    if (s.reported == 0 && s.suspicious >= c_.icmp_tunnel_packets) raise(key, s, ctx);
  }

  void on_tick(Timestamp now, bool /*final*/, Context& ctx) override {
    for (auto& [key, s] : pairs_) {
      if (s.reported > 0 && s.suspicious > s.reported) raise(key, s, ctx);
    }
    prune_idle(pairs_, now, 3600 * kNsPerSec, next_prune_, [](const Pair& s) { return s.last; });
  }

 private:
  struct Pair {
    Timestamp first = 0, last = 0;
    MacAddr client_mac;
    std::uint64_t echoes = 0, suspicious = 0, ip_packets = 0, bytes = 0, reported = 0;
    std::set<std::uint16_t> sizes;
  };

  void raise(const std::pair<IpAddr, IpAddr>& key, Pair& s, Context& ctx) {
    Alert a;
    a.first_ts = s.first;
    a.last_ts = s.last;
    a.detector = "icmp.tunnel";
    a.signature_id = kSidIcmpTunnel;
    a.signature = "WARDEN ICMP tunnel: data carried in echo payloads";
    a.category = "Potential Corporate Privacy Violation";
    a.severity = Severity::kHigh;
    a.src_ip = key.first;
    a.dest_ip = key.second;
    a.proto = key.first.is_v4() ? decode::kProtoIcmp : decode::kProtoIcmpv6;
    a.device = ctx.device_of(s.client_mac, key.first);
    a.explanation = "This device exchanged " + std::to_string(s.suspicious) +
                    " ping packets with " + key.second.to_string() +
                    " whose contents are data, not a ping's filler" +
                    (s.ip_packets > 0 ? " (whole network packets inside)" : "") +
                    ": an ICMP tunnel that can sneak traffic past the firewall.";
    a.note("suspicious_echoes", s.suspicious);
    a.note("echoes", s.echoes);
    a.note("encapsulated_ip_packets", s.ip_packets);
    a.note("payload_bytes", s.bytes);
    a.note("distinct_sizes", static_cast<std::uint64_t>(s.sizes.size()));
    a.group = key.second.to_string();
    a.count = s.suspicious - s.reported;
    s.reported = s.suspicious;
    ctx.alerts.raise(std::move(a));
  }

  DetectConfig c_;
  std::map<std::pair<IpAddr, IpAddr>, Pair> pairs_;
  Timestamp next_prune_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_icmp_tunnel_detector(const DetectConfig& c) {
  return std::make_unique<IcmpTunnelDetector>(c);
}

}  // namespace warden::detect
