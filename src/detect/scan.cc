// Port scans, from ended flows: a source that tries many hosts on one port (horizontal), or
// many ports on one host (vertical), and mostly gets no answer. Ports that IoT botnets sweep
// (Mirai and its descendants: telnet 23/2323, and 5555, 7547, 8080, 9527, 37215, 52869) from
// an inside device get their own, high-severity signature: the device is very likely infected.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxSources = 4096;
constexpr std::size_t kMaxTargetsKept = 4096;

bool iot_bot_port(std::uint16_t p) {
  switch (p) {
    case 23:
    case 2323:
    case 5555:
    case 7547:
    case 8080:
    case 9527:
    case 37215:
    case 52869:
      return true;
    default:
      return false;
  }
}

// A connection attempt nobody accepted: no SYN-ACK, a reset, or UDP without a reply.
bool failed_attempt(const flow::Flow& f) {
  if (f.key.proto == decode::kProtoTcp) {
    const auto s = f.conn_state();
    return s == "S0" || s == "REJ" || s == "RSTOS0" || s == "SH" || s == "RSTRH";
  }
  return f.key.proto == decode::kProtoUdp && f.dir[1].packets == 0;
}

class ScanDetector : public Detector {
 public:
  explicit ScanDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "scan"; }

  void on_tick(Timestamp now, bool /*final*/, Context&) override {
    // A source that already alerted is kept through an hour of silence, so a scan that
    // pauses and resumes stays one alert with a true count.
    prune_idle(sources_, now, 2 * c_.scan_window, next_prune_, [](const Source& s) {
      return s.alerted_any ? s.last_ts + 3600 * kNsPerSec : s.last_ts;
    });
  }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    if (f.key.proto != decode::kProtoTcp && f.key.proto != decode::kProtoUdp) return;
    if (f.resp_ip().is_multicast() || f.resp_ip().is_broadcast()) return;
    const bool failed = failed_attempt(f);
    auto it = sources_.find(f.orig_ip());
    if (it == sources_.end()) {
      if (!failed || sources_.size() >= kMaxSources) return;  // only attempts start tracking
      it = sources_.emplace(f.orig_ip(), Source{}).first;
      it->second.window_start = f.first_ts;
    }
    Source& s = it->second;
    if (f.first_ts > s.window_start + c_.scan_window && !s.alerted_any) {
      s = Source{};
      s.window_start = f.first_ts;
    }
    ++s.attempts;
    s.failed += failed;
    s.last_ts = std::max(s.last_ts, f.last_ts);
    auto& hosts = s.hosts_by_port[f.resp_port()];
    if (hosts.size() < kMaxTargetsKept) hosts.insert(f.resp_ip());
    auto& ports = s.ports_by_host[f.resp_ip()];
    if (ports.size() < kMaxTargetsKept) ports.insert(f.resp_port());

    // Most attempts must have failed: busy clients also reach many hosts on port 443.
    if (s.failed * 2 < s.attempts) return;
    const std::string device = ctx.device_of(f.orig_mac, f.orig_ip());
    if (hosts.size() >= c_.horizontal_scan_hosts) {
      const bool bot = iot_bot_port(f.resp_port()) && f.orig_ip().is_local_unicast();
      Alert a = base(f, s, device);
      a.detector = bot ? "scan.telnet" : "scan.horizontal";
      a.signature_id = bot ? kSidScanTelnet : kSidScanHorizontal;
      a.signature = bot ? "WARDEN SCAN IoT-botnet style scanning (Mirai family ports) from an "
                          "inside device"
                        : "WARDEN SCAN horizontal port scan";
      a.severity = bot ? Severity::kHigh
                       : (f.orig_ip().is_local_unicast() ? Severity::kMedium : Severity::kLow);
      a.explanation = bot ? "This device is knocking on port " + std::to_string(f.resp_port()) +
                                " of " + std::to_string(hosts.size()) +
                                " other machines, the way botnets like Mirai look for victims: "
                                "it is very likely infected."
                          : "This address tried port " + std::to_string(f.resp_port()) + " on " +
                                std::to_string(hosts.size()) +
                                " different machines, mostly without an answer: a port scan.";
      a.dest_port = f.resp_port();
      a.note("port", f.resp_port());
      a.note("hosts_tried", hosts.size());
      // One alert per (source, port) whose count is the number of hosts tried.
      auto& reported = s.reported_hosts[f.resp_port()];
      a.count = hosts.size() - reported;
      reported = hosts.size();
      a.group = "port=" + std::to_string(f.resp_port());
      if (a.count > 0) ctx.alerts.raise(std::move(a));
      s.alerted_any = true;
    }
    if (ports.size() >= c_.vertical_scan_ports) {
      Alert a = base(f, s, device);
      a.detector = "scan.vertical";
      a.signature_id = kSidScanVertical;
      a.signature = "WARDEN SCAN vertical port scan";
      a.severity = f.resp_ip().is_local_unicast() ? Severity::kMedium : Severity::kLow;
      a.explanation = "This address tried " + std::to_string(ports.size()) +
                      " different ports on " + f.resp_ip().to_string() +
                      ", looking for open services: a port scan.";
      a.note("ports_tried", ports.size());
      a.note("target", f.resp_ip().to_string());
      // One alert per (source, target) whose count is the number of ports tried.
      auto& reported = s.reported_ports[f.resp_ip()];
      a.count = ports.size() - reported;
      reported = ports.size();
      a.group = "host=" + f.resp_ip().to_string();
      if (a.count > 0) ctx.alerts.raise(std::move(a));
      s.alerted_any = true;
    }
  }

 private:
  struct Source {
    Timestamp window_start = 0, last_ts = 0;
    std::uint64_t attempts = 0, failed = 0;
    std::unordered_map<std::uint16_t, std::set<IpAddr>> hosts_by_port;
    std::unordered_map<IpAddr, std::set<std::uint16_t>> ports_by_host;
    std::unordered_map<std::uint16_t, std::size_t> reported_hosts;
    std::unordered_map<IpAddr, std::size_t> reported_ports;
    bool alerted_any = false;
  };

  Alert base(const flow::Flow& f, const Source& s, const std::string& device) const {
    Alert a;
    a.first_ts = s.window_start;
    a.last_ts = s.last_ts;
    a.category = "Attempted Information Leak";
    a.src_ip = f.orig_ip();
    a.dest_ip = f.resp_ip();
    a.proto = f.key.proto;
    a.device = device;
    a.note("attempts", s.attempts);
    a.note("unanswered", s.failed);
    return a;
  }

  DetectConfig c_;
  std::unordered_map<IpAddr, Source> sources_;
  Timestamp next_prune_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_scan_detector(const DetectConfig& c) {
  return std::make_unique<ScanDetector>(c);
}

}  // namespace warden::detect
