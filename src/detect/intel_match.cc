// Contact with known-bad indicators from threat-intelligence lists: an address a flow reached,
// a domain a device looked up or named in TLS SNI or an HTTP Host header, a TLS client
// fingerprint (JA3). Address and domain hits from a local device are high severity (a device
// talking to a known botnet controller); JA3 hits are medium, since many programs share a
// fingerprint.
#include <string>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

class IntelDetector : public Detector {
 public:
  explicit IntelDetector(const intel::IntelSet& set) : set_(set) {}
  std::string_view name() const override { return "intel"; }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    for (int side = 0; side < 2; ++side) {
      const IpAddr& ip = side == 0 ? f.resp_ip() : f.orig_ip();
      auto m = set_.match_ip(ip);
      if (!m) continue;
      // Who is the device here: the other side of the conversation.
      const IpAddr& dev_ip = side == 0 ? f.orig_ip() : f.resp_ip();
      const MacAddr& dev_mac = side == 0 ? f.orig_mac : f.resp_mac;
      Alert a = base(f.first_ts, f.last_ts, dev_ip, ip, ctx.device_of(dev_mac, dev_ip));
      a.src_ip = f.orig_ip();
      a.dest_ip = f.resp_ip();
      a.dest_port = f.resp_port();
      a.proto = f.key.proto;
      a.detector = "intel.ip";
      a.signature = "WARDEN INTEL contact with a listed address";
      a.explanation = (side == 0 ? "This device connected to " : "A listed address, ") +
                      ip.to_string() + (side == 0 ? ", which " : ", ") +
                      "is on the threat list \"" + std::string(m->list) + "\"" +
                      (side == 0 ? "." : ", connected to this device.");
      a.note("indicator", m->indicator);
      a.note("list", m->list);
      a.group = m->indicator;
      ctx.alerts.raise(std::move(a));
    }
  }

  void on_observation(const dissect::Observation& o, Context& ctx) override {
    const auto& c = o.ctx;
    if (const auto* d = std::get_if<dissect::DnsObservation>(&o.body)) {
      if (d->flavor != dissect::DnsFlavor::kDns) return;
      const bool from_client = !d->msg.response || d->rtt.has_value();
      for (const auto& q : d->msg.questions) {
        domain(o, ctx, q.name, "looked up", from_client ? c.src_ip : c.dst_ip,
               from_client ? c.src_mac : c.dst_mac);
      }
    } else if (const auto* h = std::get_if<protocols::TlsClientHello>(&o.body)) {
      if (!h->sni.empty())
        domain(o, ctx, h->sni, "opened an encrypted connection to", c.src_ip, c.src_mac);
      if (auto m = set_.match_ja3(h->ja3_md5)) {
        Alert a = base(c.ts, c.ts, c.src_ip, c.dst_ip, ctx.device_of(c.src_mac, c.src_ip));
        a.dest_port = c.dst_port;
        a.proto = c.proto;
        a.detector = "intel.ja3";
        a.signature = "WARDEN INTEL TLS client fingerprint (JA3) on a threat list";
        a.severity = Severity::kMedium;
        a.explanation =
            "Software on this device greets TLS servers exactly like a program on the "
            "threat list \"" +
            std::string(m->list) + "\" (JA3 " + h->ja3_md5 + ").";
        a.note("ja3", h->ja3_md5);
        a.note("list", m->list);
        a.group = "ja3=" + h->ja3_md5;
        ctx.alerts.raise(std::move(a));
      }
    } else if (const auto* r = std::get_if<dissect::HttpRequestObservation>(&o.body)) {
      std::string_view host = r->host;
      host = host.substr(0, host.find(':'));
      domain(o, ctx, host, "sent a web request to", c.src_ip, c.src_mac);
    }
  }

 private:
  Alert base(Timestamp first, Timestamp last, const IpAddr& dev_ip, const IpAddr& other,
             std::string device) const {
    Alert a;
    a.first_ts = first;
    a.last_ts = last;
    a.signature_id = kSidIntel;
    a.category = "A Network Trojan was detected";
    a.severity = dev_ip.is_local_unicast() ? Severity::kHigh : Severity::kMedium;
    a.src_ip = dev_ip;
    a.dest_ip = other;
    a.device = std::move(device);
    return a;
  }

  void domain(const dissect::Observation& o, Context& ctx, std::string_view name, const char* verb,
              const IpAddr& dev_ip, const MacAddr& dev_mac) {
    auto m = set_.match_domain(name);
    if (!m) return;
    Alert a = base(o.ctx.ts, o.ctx.ts, dev_ip, o.ctx.dst_ip, ctx.device_of(dev_mac, dev_ip));
    a.dest_port = o.ctx.dst_port;
    a.proto = o.ctx.proto;
    a.detector = "intel.domain";
    a.signature = "WARDEN INTEL contact with a listed domain";
    a.explanation = "This device " + std::string(verb) + " " + std::string(name) +
                    ", which is on the threat list \"" + std::string(m->list) + "\".";
    a.note("domain", name);
    a.note("indicator", m->indicator);
    a.note("list", m->list);
    a.group = m->indicator;
    ctx.alerts.raise(std::move(a));
  }

  const intel::IntelSet& set_;
};

}  // namespace

std::unique_ptr<Detector> make_intel_detector(const intel::IntelSet& set) {
  return std::make_unique<IntelDetector>(set);
}

}  // namespace warden::detect
