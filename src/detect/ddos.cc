// DDoS participation: a local device flooding one target (Mirai's attack modes: SYN, ACK, UDP,
// DNS water torture, ICMP). A flood is many packets to one destination at a high rate that the
// destination does not answer in kind: handshakes that never complete, UDP with almost no
// replies, TCP segments with no connection behind them. Two views feed it:
//  - ended flows, summed per (source device, target) over a window: floods made of many small
//    flows (a SYN flood opens one flow per random source port);
//  - flows still running, each time their packet count doubles past a floor (on_flow_progress):
//    a flood on one 5-tuple never ends while it lasts, and must not wait for its idle timeout.
// The source is the device's MAC when the capture has one, so floods with spoofed source
// addresses (Mirai's greip, random-source SYN) still land on the device that sent them.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxTargets = 16384;
constexpr std::size_t kMaxProgress = 4096;

enum class FloodKind : std::uint8_t { kSyn, kAck, kUdp, kDns, kIcmp, kCount };

std::string_view kind_name(FloodKind k) {
  switch (k) {
    case FloodKind::kSyn:
      return "syn";
    case FloodKind::kAck:
      return "ack";
    case FloodKind::kUdp:
      return "udp";
    case FloodKind::kDns:
      return "dns";
    case FloodKind::kIcmp:
      return "icmp";
    case FloodKind::kCount:
      break;
  }
  return "?";
}

std::string_view kind_words(FloodKind k) {
  switch (k) {
    case FloodKind::kSyn:
      return "a TCP SYN flood (connection requests it never completes)";
    case FloodKind::kAck:
      return "a TCP ACK flood (segments with no connection behind them)";
    case FloodKind::kUdp:
      return "a UDP flood";
    case FloodKind::kDns:
      return "a DNS query flood";
    case FloodKind::kIcmp:
      return "an ICMP echo flood";
    case FloodKind::kCount:
      break;
  }
  return "flood";
}

// The flood kind a flow's originator traffic belongs to, if it looks like flood traffic at
// all: answered, established conversations are not.
std::optional<FloodKind> classify(const flow::Flow& f) {
  constexpr std::uint16_t kSyn = 1, kSynAck = 2 << 8;
  const auto& out = f.dir[0];
  const auto& back = f.dir[1];
  if (out.packets == 0) return std::nullopt;
  if (f.key.proto == decode::kProtoTcp) {
    const bool syn = f.tcp_seen & kSyn, synack = f.tcp_seen & kSynAck;
    // SYNs whose handshake never completed. A server under a SYN flood may answer each SYN
    // with a SYN-ACK the flooder ignores, so an answer alone does not clear it: what does is
    // the originator going on to send data.
    if (syn && out.payload_bytes == 0) return FloodKind::kSyn;
    // No handshake seen at all and no data back, only silence or resets: segments aimed at a
    // connection that is not there (a flow picked up midstream carries replies).
    constexpr std::uint16_t kRespRst = 8 << 8;
    if (!syn && !synack && back.payload_bytes == 0 &&
        (back.packets * 10 <= out.packets || (f.tcp_seen & kRespRst)))
      return FloodKind::kAck;
    return std::nullopt;
  }
  // Echo requests flood whether or not the target answers them; no monitoring tool pings one
  // host a hundred times a second.
  if (f.is_icmp()) {
    if (f.icmp_type == 8 || f.icmp_type == 128) return FloodKind::kIcmp;
    return std::nullopt;  // errors and replies are answers, not a flood by the sender
  }
  // UDP: the target answers at most a small share of what it receives.
  if (f.key.proto != decode::kProtoUdp || back.packets * 20 > out.packets) return std::nullopt;
  if (f.resp_port() == 53 || f.app == flow::AppProto::kDns) return FloodKind::kDns;
  return FloodKind::kUdp;
}

class DdosDetector : public Detector {
 public:
  explicit DdosDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "ddos"; }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    const auto kind = classify(f);
    if (!kind || !from_device(f, ctx)) return;
    const Key key{source_of(f), f.resp_ip(), static_cast<std::uint8_t>(*kind)};
    // A flow already reported while it ran: its last packets join that alert, uncounted twice.
    if (auto p = progress_.find(f.uid_value()); p != progress_.end()) {
      const std::uint64_t rest = f.dir[0].packets - std::min(f.dir[0].packets, p->second);
      progress_.erase(p);
      if (rest > 0) raise(key, single(f, rest), ctx);
      return;
    }
    const std::uint64_t packets = f.dir[0].packets;
    auto it = targets_.find(key);
    if (it == targets_.end()) {
      if (targets_.size() >= kMaxTargets) return;
      it = targets_.emplace(key, Window{}).first;
    }
    Window& w = it->second;
    if (w.flows > 0 && f.first_ts >= w.start + c_.ddos_window) {
      judge(key, w, ctx);
      w = Window{};
    }
    if (w.flows == 0) w.start = w.first = f.first_ts;
    w.first = std::min(w.first, f.first_ts);
    w.last = std::max(w.last, f.last_ts);
    w.packets += packets;
    w.count += packets;
    w.bytes += f.dir[0].ip_bytes;
    ++w.flows;
    w.ports.insert(f.resp_port());
    if (w.ports.size() > 8) w.ports.erase(std::prev(w.ports.end()));
    w.sender = Sender::of(f);
  }

  void on_flow_progress(const flow::Flow& f, Context& ctx) override {
    const auto kind = classify(f);
    if (!kind || !from_device(f, ctx)) return;
    const std::uint64_t packets = f.dir[0].packets;
    const Timestamp span = std::max<Timestamp>(f.duration(), kNsPerSec);
    if (packets < c_.ddos_min_packets || rate(packets, span) < c_.ddos_min_pps) return;
    auto p = progress_.find(f.uid_value());
    if (p == progress_.end()) {
      if (progress_.size() >= kMaxProgress) return;
      p = progress_.emplace(f.uid_value(), 0).first;
    }
    const Window w = single(f, packets - p->second);
    p->second = packets;
    raise(Key{source_of(f), f.resp_ip(), static_cast<std::uint8_t>(*kind)}, w, ctx);
  }

  void on_tick(Timestamp now, bool final, Context& ctx) override {
    // Windows that went quiet are judged once they can no longer grow (or at the end).
    if (!final && now < next_sweep_) return;
    next_sweep_ = now + 5 * kNsPerSec;
    for (auto it = targets_.begin(); it != targets_.end();) {
      Window& w = it->second;
      if (final || w.last + c_.ddos_window < now) {
        if (w.flows > 0) judge(it->first, w, ctx);
        it = targets_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  struct Key {
    std::string source;
    IpAddr target;
    std::uint8_t kind;
    bool operator<(const Key& o) const {
      return std::tie(source, target, kind) < std::tie(o.source, o.target, o.kind);
    }
  };
  // The sender of a window's latest flow: the address it used, its MAC, the protocol.
  struct Sender {
    IpAddr used;
    MacAddr mac;
    std::uint8_t proto = 0;
    static Sender of(const flow::Flow& f) { return {f.orig_ip(), f.orig_mac, f.key.proto}; }
  };
  // Who sent a flood: the device behind the sender, and its own local address when the one it
  // used was spoofed. Looked up only when an alert is raised, not per flow.
  struct Who {
    IpAddr own;
    std::string device;
  };
  static Who who_sent(const Sender& s, Context& ctx) {
    Who w{s.used, {}};
    if (s.used.is_local_unicast()) {
      w.device = ctx.device_of(s.mac, s.used);
    } else if (const auto* d = ctx.inventory.find(s.mac)) {
      w.device = d->id;
      for (const auto& a : d->addresses) {
        if (a.ip.is_local_unicast()) w.own = a.ip;
      }
    }
    return w;
  }
  struct Window {
    Timestamp start = 0, first = 0, last = 0;
    std::uint64_t packets = 0;  // in the window (or the flow): the evidence
    std::uint64_t count = 0;    // not yet reported: what the alert's count grows by
    std::uint64_t bytes = 0, flows = 0;
    std::set<std::uint16_t> ports;
    Sender sender;  // of the latest flow
  };

  static double rate(std::uint64_t packets, Timestamp span) {
    return static_cast<double>(packets) * kNsPerSec / static_cast<double>(span);
  }

  // Whether the flow's originator is a local device (by address, or by MAC for spoofed
  // sources), and not the router forwarding someone else's traffic.
  static bool from_device(const flow::Flow& f, Context& ctx) {
    if (f.resp_ip().is_multicast() || f.resp_ip().is_broadcast()) return false;
    if (f.orig_ip().is_local_unicast()) return true;
    // A spoofed source: an internet address leaving a local device's MAC towards the internet.
    // (Traffic a router forwards inwards goes to a local address, and is not counted.)
    if (f.resp_ip().is_local_unicast()) return false;
    const auto* d = ctx.inventory.find(f.orig_mac);
    if (!d || d->type == inventory::DeviceType::kRouter) return false;
    return std::any_of(d->addresses.begin(), d->addresses.end(),
                       [](const auto& a) { return a.ip.is_local_unicast(); });
  }

  static std::string source_of(const flow::Flow& f) {
    return f.orig_mac.is_zero() ? f.orig_ip().to_string() : f.orig_mac.to_string();
  }

  // One running flow seen as its own window; `fresh` of its packets are not reported yet.
  static Window single(const flow::Flow& f, std::uint64_t fresh) {
    Window w;
    w.start = w.first = f.first_ts;
    w.last = f.last_ts;
    w.packets = f.dir[0].packets;
    w.count = fresh;
    w.bytes = f.dir[0].ip_bytes;
    w.flows = 1;
    w.ports.insert(f.resp_port());
    w.sender = Sender::of(f);
    return w;
  }

  void judge(const Key& key, const Window& w, Context& ctx) {
    const Timestamp span = std::max<Timestamp>(w.last - w.first, kNsPerSec);
    if (w.packets < c_.ddos_min_packets || rate(w.packets, span) < c_.ddos_min_pps) return;
    raise(key, w, ctx);
  }

  void raise(const Key& key, const Window& w, Context& ctx) {
    const auto kind = static_cast<FloodKind>(key.kind);
    const Timestamp span = std::max<Timestamp>(w.last - w.first, kNsPerSec);
    const double pps = rate(w.packets, span);
    Alert a;
    a.first_ts = w.first;
    a.last_ts = w.last;
    a.detector = "ddos." + std::string(kind_name(kind));
    a.signature_id = kSidDdos + key.kind;
    a.signature = "WARDEN DOS outbound " + std::string(kind_words(kind)) + " from a local device";
    a.category = "Attempted Denial of Service";
    a.severity = Severity::kHigh;
    const Who who = who_sent(w.sender, ctx);
    a.src_ip = who.own;  // spoofed floods: the device's real address, so alerts aggregate
    a.dest_ip = key.target;
    a.dest_port = w.ports.size() == 1 ? *w.ports.begin() : 0;
    a.proto = w.sender.proto;
    a.device = who.device;
    char rate_text[32];
    std::snprintf(rate_text, sizeof rate_text, "%.0f", pps);
    a.explanation = "This device sent " + std::to_string(w.packets) + " packets to " +
                    key.target.to_string() + " at about " + rate_text +
                    " per second: " + std::string(kind_words(kind)) +
                    ". It is probably infected and taking part in a denial-of-service attack.";
    a.note("flood", kind_name(kind));
    a.note("target", key.target.to_string());
    a.note("packets", w.packets);
    a.note("packets_per_second", pps, 0);
    a.note("flows", w.flows);
    a.note("bytes", w.bytes);
    if (!(w.sender.used == who.own)) a.note("spoofed_source", w.sender.used.to_string());
    a.group = key.source + ">" + key.target.to_string();
    a.count = w.count;
    ctx.alerts.raise(std::move(a));
  }

  DetectConfig c_;
  std::map<Key, Window> targets_;
  std::unordered_map<std::uint64_t, std::uint64_t> progress_;  // flow uid -> packets reported
  Timestamp next_sweep_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_ddos_detector(const DetectConfig& c) {
  return std::make_unique<DdosDetector>(c);
}

}  // namespace warden::detect
