// Command-and-control beaconing: an inside device that connects to the same outside host and
// port again and again at regular intervals (malware checking in), including connection
// attempts that fail and are retried like clockwork. Regularity is the coefficient of
// variation of the intervals between connection starts; people and ordinary apps are bursty.
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <vector>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxChannels = 16384;
constexpr std::size_t kStartsKept = 128;

bool periodic_by_design(std::uint16_t port) {
  switch (port) {
    case 53:
    case 123:
    case 67:
    case 68:
    case 5353:
    case 1900:
      return true;  // DNS, NTP, ...
    default:
      return false;
  }
}

class BeaconDetector : public Detector {
 public:
  explicit BeaconDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "beacon"; }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    if (f.key.proto != decode::kProtoTcp && f.key.proto != decode::kProtoUdp) return;
    // Any originator counts, whatever its address class: networks with public addressing
    // (universities, some ISPs' CPE) have inside devices with public addresses too.
    const IpAddr& dst = f.resp_ip();
    if (dst.is_multicast() || dst.is_broadcast() || dst.is_unspecified() ||
        periodic_by_design(f.resp_port())) {
      return;
    }
    auto key = std::make_tuple(f.orig_ip(), dst, f.resp_port(), f.key.proto);
    auto it = channels_.find(key);
    if (it == channels_.end()) {
      if (channels_.size() >= kMaxChannels) return;
      it = channels_.emplace(key, Channel{}).first;
      it->second.device = ctx.device_of(f.orig_mac, f.orig_ip());
    }
    Channel& ch = it->second;
    if (ch.starts.size() >= kStartsKept) ch.starts.erase(ch.starts.begin());
    ch.starts.push_back(f.first_ts);
    ch.last = std::max(ch.last, f.first_ts);
    ch.failed += f.dir[1].packets == 0;
    ++ch.total;
    // Only channels with news are looked at on the next tick, not the whole table.
    if (!ch.dirty && ch.starts.size() >= c_.beacon_min_connections) {
      ch.dirty = true;
      dirty_.push_back(&*it);
    }
  }

  void on_tick(Timestamp now, bool /*final*/, Context& ctx) override {
    for (auto* entry : dirty_) {
      auto& [key, ch] = *entry;
      ch.dirty = false;
      std::vector<Timestamp> s = ch.starts;
      std::sort(s.begin(), s.end());
      double sum = 0, sq = 0;
      const std::size_t n = s.size() - 1;
      for (std::size_t i = 1; i < s.size(); ++i) {
        const double d = static_cast<double>(s[i] - s[i - 1]) / 1e9;
        sum += d;
        sq += d * d;
      }
      const double mean = sum / static_cast<double>(n);
      const double var = std::max(0.0, sq / static_cast<double>(n) - mean * mean);
      const double cv = mean > 0 ? std::sqrt(var) / mean : 1e9;
      if (mean < 1.0 || mean > 3600.0 || cv > c_.beacon_max_jitter) continue;
      const auto& [src, dst, port, proto] = key;
      Alert a;
      a.detector = "cnc.beacon";
      a.signature_id = kSidBeacon;
      a.signature = "WARDEN CNC periodic beaconing to an outside host";
      a.category = "A Network Trojan was detected";
      a.severity = Severity::kMedium;
      // A device whose baseline learned this destination while it was learning has checked in
      // there since warden first saw it: most likely its maker's cloud keeping in touch (IoT
      // devices heartbeat like clockwork). That is weak evidence, not nothing: malware that was
      // there before warden looks the same, so it stays a low finding, not silence.
      const bool habitual = learned_while_learning(ch.device, dst, ctx);
      if (habitual) {
        a.severity = Severity::kLow;
        a.rejudged = true;  // raised at medium while the device was still learning
      }
      a.src_ip = src;
      a.dest_ip = dst;
      a.dest_port = port;
      a.proto = proto;
      a.device = ch.device;
      a.first_ts = s.front();
      a.last_ts = s.back();
      char buf[160];
      std::snprintf(buf, sizeof buf, "every %.1f s (+/- %.0f%%)", mean, cv * 100);
      const std::string* name = ctx.names ? ctx.names->name_of(dst) : nullptr;
      const std::string where = dst.to_string() + (name ? " (" + *name + ")" : "");
      a.explanation = "This device contacts " + where + " on port " + std::to_string(port) +
                      " like clockwork, " + buf +
                      (habitual ? ". It has done so since warden learned its habits, so this is "
                                  "most likely its maker's cloud keeping in touch."
                                : ", the way malware checks in with its controller.");
      if (name) a.note("destination_name", *name);
      a.note("habitual", habitual ? "yes" : "no");
      a.note("connections", ch.total);
      a.note("interval_s", mean, 3);
      a.note("jitter_cv", cv, 3);
      a.note("failed_connections", ch.failed);
      a.group = dst.to_string() + ":" + std::to_string(port);
      a.count = ch.total - ch.reported;
      ch.reported = ch.total;
      if (a.count > 0) ctx.alerts.raise(std::move(a));
    }
    dirty_.clear();
    // A channel silent for two hours is over (the slowest beacon judged is hourly).
    prune_idle(channels_, now, 2 * 3600 * kNsPerSec, next_prune_,
               [](const Channel& c) { return c.last; });
  }

 private:
  // Whether `device`'s baseline holds the destination as learned during its learning period.
  static bool learned_while_learning(const std::string& device, const IpAddr& dst,
                                     const Context& ctx) {
    if (device.empty() || !ctx.baseline || !ctx.names) return false;
    const DeviceBaseline* b = ctx.baseline->find(device);
    if (!b || b->learning()) return false;
    const auto& items = b->items[static_cast<std::size_t>(BaselineKind::kDestination)];
    auto it = items.find(ctx.names->destination(dst));
    return it != items.end() && it->second.first_seen < b->stable_since;
  }

  struct Channel {
    std::vector<Timestamp> starts;
    std::string device;
    Timestamp last = 0;
    std::uint64_t total = 0, failed = 0, reported = 0;
    bool dirty = false;
  };
  using Channels = std::map<std::tuple<IpAddr, IpAddr, std::uint16_t, std::uint8_t>, Channel>;
  DetectConfig c_;
  Channels channels_;
  std::vector<Channels::value_type*> dirty_;  // std::map nodes do not move
  Timestamp next_prune_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_beacon_detector(const DetectConfig& c) {
  return std::make_unique<BeaconDetector>(c);
}

}  // namespace warden::detect
