// Brute force: many short sessions from one client to one authentication service (SSH,
// telnet, FTP, MQTT, RTSP) in a window, each too short and small to be real use: a password
// guesser opens a session, tries, and is thrown out. HTTP is judged by 401 answers instead,
// since short HTTP sessions are normal.
#include <map>
#include <tuple>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxPairs = 8192;

std::string_view auth_service(const flow::Flow& f) {
  switch (f.app) {
    case flow::AppProto::kSsh:
      return "ssh";
    case flow::AppProto::kTelnet:
      return "telnet";
    case flow::AppProto::kFtp:
      return "ftp";
    case flow::AppProto::kMqtt:
      return "mqtt";
    case flow::AppProto::kRtsp:
      return "rtsp";
    default:
      return {};
  }
}

class BruteForceDetector : public Detector {
 public:
  explicit BruteForceDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "bruteforce"; }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    if (f.key.proto != decode::kProtoTcp || f.app_by_port) return;  // payload-identified only
    const std::string_view service = auth_service(f);
    if (service.empty()) return;
    // A guessing session: established, under 30 s, under 20 KB either way.
    const bool established = (f.tcp_seen & (2 << 8)) != 0;
    const bool short_session = f.duration() < 30 * kNsPerSec && f.dir[0].payload_bytes < 20'000 &&
                               f.dir[1].payload_bytes < 20'000;
    if (!established || !short_session) return;
    count(ctx, service, f.orig_ip(), f.resp_ip(), f.resp_port(), f.first_ts, f.last_ts,
          ctx.device_of(f.orig_mac, f.orig_ip()), ctx.device_of(f.resp_mac, f.resp_ip()));
  }

  void on_tick(Timestamp now, bool /*final*/, Context&) override {
    prune_idle(pairs_, now, 2 * c_.brute_window, next_prune_, [](const Pair& p) { return p.last; });
  }

  void on_observation(const dissect::Observation& o, Context& ctx) override {
    const auto* r = std::get_if<dissect::HttpResponseObservation>(&o.body);
    if (!r || r->status != 401) return;
    // The response goes server -> client.
    count(ctx, "http", o.ctx.dst_ip, o.ctx.src_ip, o.ctx.src_port, o.ctx.ts, o.ctx.ts,
          ctx.device_of(o.ctx.dst_mac, o.ctx.dst_ip), ctx.device_of(o.ctx.src_mac, o.ctx.src_ip));
  }

 private:
  struct Pair {
    Timestamp start = 0, last = 0;
    std::size_t sessions = 0, reported = 0;
  };

  void count(Context& ctx, std::string_view service, const IpAddr& client, const IpAddr& server,
             std::uint16_t port, Timestamp first, Timestamp last, const std::string& client_dev,
             const std::string& server_dev) {
    auto key = std::make_tuple(client, server, port);
    auto it = pairs_.find(key);
    if (it == pairs_.end()) {
      if (pairs_.size() >= kMaxPairs) return;
      it = pairs_.emplace(key, Pair{first, last, 0, 0}).first;
    }
    Pair& p = it->second;
    if (first > p.start + c_.brute_window && p.reported == 0) p = Pair{first, last, 0, 0};
    ++p.sessions;
    p.last = std::max(p.last, last);
    if (p.sessions < c_.brute_sessions) return;
    Alert a;
    a.detector = "bruteforce." + std::string(service);
    a.signature_id = kSidBruteForce;
    a.signature = "WARDEN BRUTEFORCE repeated " + std::string(service) + " logins";
    a.category = "Attempted User Privilege Gain";
    // Guessing at a local device is serious (it may be ours next); an inside device guessing
    // at others is likely infected.
    a.severity = server.is_local_unicast() || client.is_local_unicast() ? Severity::kHigh
                                                                        : Severity::kMedium;
    a.src_ip = client;
    a.dest_ip = server;
    a.dest_port = port;
    a.proto = decode::kProtoTcp;
    a.device = !server_dev.empty() ? server_dev : client_dev;
    a.first_ts = p.start;
    a.last_ts = p.last;
    a.explanation = client.to_string() + " opened " + std::to_string(p.sessions) + " short " +
                    std::string(service) + " sessions to " + server.to_string() +
                    " one after another, the pattern of password guessing.";
    a.note("service", service);
    a.note("port", port);
    a.note("sessions", p.sessions);
    a.group = server.to_string() + ":" + std::to_string(port);
    a.count = p.sessions - p.reported;
    p.reported = p.sessions;
    ctx.alerts.raise(std::move(a));
  }

  DetectConfig c_;
  std::map<std::tuple<IpAddr, IpAddr, std::uint16_t>, Pair> pairs_;
  Timestamp next_prune_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_brute_force_detector(const DetectConfig& c) {
  return std::make_unique<BruteForceDetector>(c);
}

}  // namespace warden::detect
