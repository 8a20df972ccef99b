// Exposure and weak practice seen on the wire (ETSI EN 303 645 5.5, OWASP IoT I7): passwords
// sent in clear (MQTT CONNECT, HTTP Basic), a device asking the router to open a port to the
// internet (UPnP AddPortMapping, how IoT malware makes itself reachable), outdated TLS, and
// connections from the internet into a local device. Most are weak practice (low severity);
// a port-mapping request is worth a closer look (medium).
#include <set>
#include <string>

#include "core/text.h"
#include "detect/detectors.h"
#include "protocols/tls.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxSeen = 16384;

class ExposureDetector : public Detector {
 public:
  explicit ExposureDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "exposure"; }

  void on_observation(const dissect::Observation& o, Context& ctx) override {
    const auto& c = o.ctx;
    if (const auto* m = std::get_if<protocols::MqttConnect>(&o.body)) {
      if ((m->username || m->has_password) && c.dst_port != 8883) {
        cleartext(ctx, o, "MQTT", m->username ? "username \"" + *m->username + "\"" : "a password");
      }
    } else if (const auto* l = std::get_if<protocols::CleartextLogin>(&o.body)) {
      if (l->password_sent) {
        cleartext(
            ctx, o, l->protocol,
            l->username.empty() ? "a password" : "user \"" + l->username + "\" and a password");
      }
    } else if (const auto* h = std::get_if<dissect::HttpRequestObservation>(&o.body)) {
      if (iequals(h->auth_scheme, "Basic")) cleartext(ctx, o, "HTTP Basic", "a password");
      if (icontains(h->soap_action, "AddPortMapping")) {
        Alert a = base(o, ctx, c.src_mac, c.src_ip);
        a.detector = "upnp.add_port_mapping";
        a.signature_id = kSidUpnpAddPortMapping;
        a.signature = "WARDEN POLICY UPnP AddPortMapping request";
        a.category = "Potentially Bad Traffic";
        a.severity = Severity::kMedium;
        a.explanation = "This device asked the router (" + c.dst_ip.to_string() +
                        ") to open a port to the internet for it; malware does this to make an "
                        "infected device reachable.";
        a.note("control_url", h->host + h->uri);
        ctx.alerts.raise(std::move(a));
      }
    } else if (const auto* s = std::get_if<protocols::TlsServerHello>(&o.body)) {
      if (s->selected_version >= 0x0300 && s->selected_version < 0x0303) {
        // The server chose the version; the local side of the conversation is the device.
        const bool client_local = c.dst_ip.is_local_unicast();
        Alert a =
            base(o, ctx, client_local ? c.dst_mac : c.src_mac, client_local ? c.dst_ip : c.src_ip);
        a.src_ip = c.dst_ip;  // the client, as EVE reports a session
        a.dest_ip = c.src_ip;
        a.dest_port = c.src_port;
        a.detector = "exposure.old_tls";
        a.signature_id = kSidOldTls;
        a.signature = "WARDEN POLICY outdated TLS version negotiated";
        a.category = "Potential Corporate Privacy Violation";
        a.severity = Severity::kLow;
        const std::string v(protocols::tls_version_name(s->selected_version));
        a.explanation = c.dst_ip.to_string() + " and " + c.src_ip.to_string() + " use " + v +
                        ", which is outdated and can be broken; both should use TLS 1.2 or 1.3.";
        a.note("version", v);
        a.group = c.src_ip.to_string();
        ctx.alerts.raise(std::move(a));
      }
    }
  }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    // A machine on the internet completed a connection into a local device: a port is open
    // to the world (port forwarding, UPnP or a device on a public address).
    if (f.key.proto != decode::kProtoTcp || !(f.tcp_seen & (2 << 8))) return;
    const IpAddr& from = f.orig_ip();
    if (from.is_local_unicast() || from.is_multicast() || !f.resp_ip().is_local_unicast()) return;
    const std::string key = f.resp_ip().to_string() + ":" + std::to_string(f.resp_port());
    if (!seen_.contains(key) && seen_.size() >= kMaxSeen) return;
    seen_.insert(key);
    Alert a;
    a.first_ts = f.first_ts;
    a.last_ts = f.last_ts;
    a.detector = "exposure.inbound";
    a.signature_id = kSidInbound;
    a.signature = "WARDEN POLICY inbound connection from the internet to a local device";
    a.category = "Potentially Bad Traffic";
    a.severity = Severity::kLow;
    a.src_ip = from;
    a.dest_ip = f.resp_ip();
    a.dest_port = f.resp_port();
    a.proto = f.key.proto;
    a.device = ctx.device_of(f.resp_mac, f.resp_ip());
    a.explanation = "A machine on the internet (" + from.to_string() + ") connected to port " +
                    std::to_string(f.resp_port()) +
                    " of this device: it is reachable from "
                    "outside your network.";
    a.note("port", f.resp_port());
    a.group = key;
    ctx.alerts.raise(std::move(a));
  }

 private:
  Alert base(const dissect::Observation& o, Context& ctx, const MacAddr& dev_mac,
             const IpAddr& dev_ip) const {
    Alert a;
    a.first_ts = a.last_ts = o.ctx.ts;
    a.src_ip = o.ctx.src_ip;
    a.dest_ip = o.ctx.dst_ip;
    a.src_port = o.ctx.src_port;
    a.dest_port = o.ctx.dst_port;
    a.proto = o.ctx.proto;
    a.device = ctx.device_of(dev_mac, dev_ip);
    a.group = o.ctx.dst_ip.to_string() + ":" + std::to_string(o.ctx.dst_port);
    return a;
  }

  void cleartext(Context& ctx, const dissect::Observation& o, const std::string& how,
                 const std::string& what) {
    Alert a = base(o, ctx, o.ctx.src_mac, o.ctx.src_ip);
    a.detector = "exposure.cleartext_credentials";
    a.signature_id = kSidCleartextCredentials;
    a.signature = "WARDEN POLICY credentials sent without encryption (" + how + ")";
    a.category = "Potential Corporate Privacy Violation";
    a.severity = Severity::kLow;
    a.explanation = "This device sends " + what + " over " + how + " without encryption to " +
                    o.ctx.dst_ip.to_string() + "; anyone on the path can read it.";
    a.note("protocol", how);
    ctx.alerts.raise(std::move(a));
  }

  DetectConfig c_;
  std::set<std::string> seen_;
};

}  // namespace

std::unique_ptr<Detector> make_exposure_detector(const DetectConfig& c) {
  return std::make_unique<ExposureDetector>(c);
}

}  // namespace warden::detect
