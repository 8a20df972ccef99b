// DNS tunnelling (iodine, dns2tcp and kin): data smuggled in query names under one domain
// the attacker controls, answered with NULL or TXT records. Signs, per client and domain:
// long labels, labels that look random (high character entropy), and NULL/TXT queries.
#include <array>
#include <cmath>
#include <map>
#include <string>

#include "detect/detectors.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxPairs = 8192;

// The domain a name belongs to: its last two labels, or three under a two-letter country
// code with a short second level (co.uk, com.au). No public-suffix list; good enough to group.
std::string base_domain(std::string_view name) {
  std::size_t dots = 0, cut = std::string_view::npos;
  for (std::size_t i = name.size(); i-- > 0;) {
    if (name[i] != '.') continue;
    ++dots;
    if (dots == 2) cut = i;
    if (dots == 3) {
      const auto last = name.substr(name.rfind('.') + 1);
      const auto second = name.substr(cut + 1, name.rfind('.') - cut - 1);
      if (last.size() == 2 && second.size() <= 3) cut = i;
      break;
    }
  }
  return std::string(cut == std::string_view::npos ? name : name.substr(cut + 1));
}

double entropy(std::string_view s) {
  std::array<int, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  for (int c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / static_cast<double>(s.size());
    h -= p * std::log2(p);
  }
  return h;
}

// Why a query name looks like carried data ("" when it does not).
std::string suspicion(const protocols::DnsQuestion& q) {
  if (q.type == 10) return "NULL query";
  std::string_view name = q.name;
  std::size_t longest = 0;
  std::string_view longest_label;
  for (std::size_t start = 0; start <= name.size();) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    if (dot - start > longest) {
      longest = dot - start;
      longest_label = name.substr(start, dot - start);
    }
    start = dot + 1;
  }
  if (longest >= 40) return "label of " + std::to_string(longest) + " characters";
  if (longest >= 20 && entropy(longest_label) >= 3.8) return "random-looking label";
  if (q.type == 16 && name.size() >= 30) return "long TXT query";
  return {};
}

class DnsTunnelDetector : public Detector {
 public:
  explicit DnsTunnelDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "dns_tunnel"; }

  void on_tick(Timestamp now, bool /*final*/, Context&) override {
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
      const std::string why = suspicion(q);
      if (why.empty()) continue;
      const std::string domain = base_domain(q.name);
      auto key = std::make_pair(client, domain);
      auto it = pairs_.find(key);
      if (it == pairs_.end()) {
        if (pairs_.size() >= kMaxPairs) return;
        it = pairs_.emplace(key, Pair{o.ctx.ts, o.ctx.ts, 0, 0, why}).first;
      }
      Pair& p = it->second;
      ++p.queries;
      p.last = std::max(p.last, o.ctx.ts);
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
  };
  DetectConfig c_;
  std::map<std::pair<IpAddr, std::string>, Pair> pairs_;
  Timestamp next_prune_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_dns_tunnel_detector(const DetectConfig& c) {
  return std::make_unique<DnsTunnelDetector>(c);
}

}  // namespace warden::detect
