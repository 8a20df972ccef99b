// Sweeps of the local network: ARP who-has requests for many addresses (an ARP scan maps every
// live host on the LAN), and ICMP echo requests to many hosts (a ping sweep).
#include <set>
#include <unordered_map>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxSources = 4096;
constexpr std::size_t kMaxTargetsKept = 65536;

class SweepDetector : public Detector {
 public:
  explicit SweepDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "sweep"; }

  void on_tick(Timestamp now, bool /*final*/, Context&) override {
    // A window that already alerted is kept through an hour of silence (one sweep, one alert).
    auto last = [](const Window& w) {
      return w.reported ? w.last_ts + 3600 * kNsPerSec : w.last_ts;
    };
    prune_idle(arp_, now, 2 * c_.scan_window, next_prune_arp_, last);
    prune_idle(icmp_, now, 2 * c_.scan_window, next_prune_icmp_, last);
  }

  void on_arp(const decode::DecodedPacket& p, Context& ctx) override {
    if (p.arp.op != 1 || p.arp.sender_ip == p.arp.target_ip) return;  // requests, not announcements
    Window& w = window(arp_, p.arp.sender_mac.as_u64(), p.ts);
    if (!w.started) return;
    w.last_ts = p.ts;
    if (w.targets.size() < kMaxTargetsKept) w.targets.insert(p.arp.target_ip);
    if (w.targets.size() < c_.arp_sweep_targets) return;
    Alert a;
    a.detector = "scan.arp";
    a.signature_id = kSidArpSweep;
    a.signature = "WARDEN SCAN ARP sweep of the local network";
    a.category = "Attempted Information Leak";
    a.severity = Severity::kMedium;
    a.src_ip = p.arp.sender_ip;
    a.proto = 0;
    a.device = ctx.device_of(p.arp.sender_mac, p.arp.sender_ip);
    if (a.device.empty()) a.device = p.arp.sender_mac.to_string();
    a.explanation = "This device asked for the hardware address of " +
                    std::to_string(w.targets.size()) +
                    " local addresses in a short time, mapping every machine on your network.";
    a.note("addresses_probed", w.targets.size());
    emit(ctx, std::move(a), w);
  }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    const bool v4 = f.key.proto == decode::kProtoIcmp, v6 = f.key.proto == decode::kProtoIcmpv6;
    if (!v4 && !v6) return;
    if (f.icmp_type != (v4 ? 8 : 128)) return;  // echo requests only
    if (f.resp_ip().is_multicast() || f.resp_ip().is_broadcast()) return;
    std::uint64_t key = f.orig_ip().hash();
    Window& w = window(icmp_, key, f.first_ts);
    if (!w.started) return;
    w.last_ts = f.last_ts;
    if (w.targets.size() < kMaxTargetsKept) w.targets.insert(f.resp_ip());
    w.answered += f.dir[1].packets > 0;
    if (w.targets.size() < c_.icmp_sweep_hosts) return;
    Alert a;
    a.detector = "scan.icmp";
    a.signature_id = kSidIcmpSweep;
    a.signature = "WARDEN SCAN ICMP ping sweep";
    a.category = "Attempted Information Leak";
    a.severity = f.orig_ip().is_local_unicast() ? Severity::kMedium : Severity::kLow;
    a.src_ip = f.orig_ip();
    a.dest_ip = f.resp_ip();
    a.proto = f.key.proto;
    a.device = ctx.device_of(f.orig_mac, f.orig_ip());
    a.explanation = "This address pinged " + std::to_string(w.targets.size()) +
                    " different machines in a short time to find which ones are alive.";
    a.note("hosts_pinged", w.targets.size());
    a.note("hosts_answering", w.answered);
    emit(ctx, std::move(a), w);
  }

 private:
  struct Window {
    bool started = false;
    Timestamp start = 0, last_ts = 0;
    std::set<IpAddr> targets;
    std::size_t reported = 0, answered = 0;
  };

  Window& window(std::unordered_map<std::uint64_t, Window>& m, std::uint64_t key, Timestamp ts) {
    static Window none;
    auto it = m.find(key);
    if (it == m.end()) {
      if (m.size() >= kMaxSources) {
        none = Window{};
        return none;
      }
      it = m.emplace(key, Window{}).first;
    }
    Window& w = it->second;
    if (!w.started || (ts > w.start + c_.scan_window && w.reported == 0)) {
      w = Window{};
      w.started = true;
      w.start = ts;
    }
    return w;
  }

  // One alert per source; its count is the number of distinct targets.
  void emit(Context& ctx, Alert a, Window& w) {
    a.first_ts = w.start;
    a.last_ts = w.last_ts;
    a.count = w.targets.size() - w.reported;
    w.reported = w.targets.size();
    if (a.count > 0) ctx.alerts.raise(std::move(a));
  }

  DetectConfig c_;
  std::unordered_map<std::uint64_t, Window> arp_, icmp_;
  Timestamp next_prune_arp_ = 0, next_prune_icmp_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_sweep_detector(const DetectConfig& c) {
  return std::make_unique<SweepDetector>(c);
}

}  // namespace warden::detect
