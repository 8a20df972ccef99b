// DNS tunnelling (iodine, dns2tcp and kin): data smuggled in query names under one domain
// the attacker controls, answered with NULL or TXT records. Signs, per client and domain:
// long labels, labels that look random (high character entropy), and NULL/TXT queries.
// DNS exfiltration: a few queries, or one, whose names plainly carry encoded data (Base64 of
// a file, as DNSExfiltrator and malware droppers send). Judged once the domain has been quiet
// for a while, so a domain that turns out to be a tunnel gets one alert (the tunnel), not two.
#include <map>
#include <string>

#include "detect/detectors.h"
#include "detect/dns_names.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxPairs = 8192;

// Why a query name looks like carried data ("" when it does not).
std::string suspicion(const protocols::DnsQuestion& q) {
  if (q.type == 10) return "NULL query";
  const std::string_view label = longest_label(q.name);
  if (label.size() >= 40) return "label of " + std::to_string(label.size()) + " characters";
  if (label.size() >= 20 && entropy(label) >= 3.8) return "random-looking label";
  if (q.type == 16 && q.name.size() >= 30) return "long TXT query";
  return {};
}

class DnsTunnelDetector : public Detector {
 public:
  explicit DnsTunnelDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "dns_tunnel"; }

  void on_tick(Timestamp now, bool final, Context& ctx) override {
    if (c_.dns_exfiltration && (final || now >= next_exfil_check_)) {
      next_exfil_check_ = now + 10 * kNsPerSec;
      for (auto& [key, p] : pairs_) {
        if (p.encoded > p.encoded_reported && p.reported == 0 &&
            (final || p.last + kExfilQuiet < now)) {
          exfiltration(key, p, ctx);
        }
      }
    }
    prune_idle(pairs_, now, 3600 * kNsPerSec, next_prune_, [](const Pair& p) { return p.last; });
  }

  void on_observation(const dissect::Observation& o, Context& ctx) override {
    const auto* d = std::get_if<dissect::DnsObservation>(&o.body);
    if (!d || d->flavor != dissect::DnsFlavor::kDns) return;
    // The asking client: the source of a query or of a query+answer transaction.
    const bool from_client = !d->msg.response || d->rtt.has_value();
    const IpAddr& client = from_client ? o.ctx.src_ip : o.ctx.dst_ip;
    const MacAddr& client_mac = from_client ? o.ctx.src_mac : o.ctx.dst_mac;
    for (const auto& q : d->msg.questions) {
      std::string data = encoded_data_reason(q.name);
      std::string why = suspicion(q);
      if (why.empty() && data.empty()) continue;
      if (why.empty()) why = data;
      const std::string domain = registrable_domain(q.name);
      auto key = std::make_pair(client, domain);
      auto it = pairs_.find(key);
      if (it == pairs_.end()) {
        if (pairs_.size() >= kMaxPairs) return;
        it = pairs_.emplace(key, Pair{o.ctx.ts, o.ctx.ts, 0, 0, why}).first;
        it->second.client_mac = client_mac;
        it->second.server = from_client ? o.ctx.dst_ip : o.ctx.src_ip;
        it->second.proto = o.ctx.proto;
      }
      Pair& p = it->second;
      ++p.queries;
      p.last = std::max(p.last, o.ctx.ts);
      if (!data.empty()) {
        if (p.encoded++ == 0) {
          p.encoded_why = std::move(data);
          p.encoded_name = q.name.substr(0, 120);
        }
      }
      if (p.queries < c_.dns_tunnel_queries) continue;
      Alert a;
      a.detector = "dns.tunnel";
      a.signature_id = kSidDnsTunnel;
      a.signature = "WARDEN DNS tunnelling: data carried in query names";
      a.category = "Potential Corporate Privacy Violation";
      a.severity = Severity::kHigh;
      a.src_ip = client;
      a.dest_ip = from_client ? o.ctx.dst_ip : o.ctx.src_ip;
      a.dest_port = 53;
      a.proto = o.ctx.proto;
      a.device = ctx.device_of(client_mac, client);
      a.first_ts = p.first;
      a.last_ts = p.last;
      a.explanation = "This device sent " + std::to_string(p.queries) + " DNS queries under " +
                      domain + " whose names look like encoded data (" + p.example +
                      "): a DNS tunnel that can sneak data past the firewall.";
      a.note("domain", domain);
      a.note("suspicious_queries", p.queries);
      a.group = domain;
      a.count = p.queries - p.reported;
      p.reported = p.queries;
      ctx.alerts.raise(std::move(a));
    }
  }

 private:
  struct Pair {
    Timestamp first, last;
    std::size_t queries, reported;
    std::string example;
    std::size_t encoded = 0, encoded_reported = 0;
    std::string encoded_why, encoded_name;
    MacAddr client_mac;
    IpAddr server;
    std::uint8_t proto = 0;
  };
  // How long a domain with encoded queries must stay quiet before it is judged exfiltration
  // rather than the start of a tunnel.
  static constexpr Timestamp kExfilQuiet = 30 * kNsPerSec;

  void exfiltration(const std::pair<IpAddr, std::string>& key, Pair& p, Context& ctx) {
    Alert a;
    a.detector = "dns.exfiltration";
    a.signature_id = kSidDnsExfiltration;
    a.signature = "WARDEN DNS exfiltration: encoded data in a query name";
    a.category = "Potential Corporate Privacy Violation";
    a.severity = Severity::kMedium;
    a.src_ip = key.first;
    a.dest_ip = p.server;
    a.dest_port = 53;
    a.proto = p.proto;
    a.device = ctx.device_of(p.client_mac, key.first);
    a.first_ts = p.first;
    a.last_ts = p.last;
    a.explanation = "This device looked up " + std::to_string(p.encoded) +
                    (p.encoded == 1 ? " name" : " names") + " under " + key.second +
                    (p.encoded == 1 ? " that carries" : " that carry") + " encoded data (" +
                    p.encoded_why + "): a way to send files out of the network through DNS.";
    a.note("domain", key.second);
    a.note("query", p.encoded_name);
    a.note("encoded_queries", p.encoded);
    a.group = key.second;
    a.count = p.encoded - p.encoded_reported;
    p.encoded_reported = p.encoded;
    ctx.alerts.raise(std::move(a));
  }

  DetectConfig c_;
  std::map<std::pair<IpAddr, std::string>, Pair> pairs_;
  Timestamp next_prune_ = 0, next_exfil_check_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_dns_tunnel_detector(const DetectConfig& c) {
  return std::make_unique<DnsTunnelDetector>(c);
}

}  // namespace warden::detect
