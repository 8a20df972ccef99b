// Algorithmically generated domains (DGA): a bot whose controller hides among thousands of
// daily generated names tries them in turn, and almost all of them do not exist. The sign is
// one client collecting NXDOMAIN answers for names that look generated (see looks_generated),
// several within a window. A single mistyped or expired name never gets there; a CDN's
// random-looking host names resolve, so they never count.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "detect/detectors.h"
#include "detect/dns_names.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxClients = 4096;
constexpr std::size_t kMaxNamesPerClient = 256;
constexpr std::uint8_t kNxDomain = 3;

class DgaDetector : public Detector {
 public:
  explicit DgaDetector(const DetectConfig& c) : c_(c) {}
  std::string_view name() const override { return "dga"; }

  void on_observation(const dissect::Observation& o, Context& ctx) override {
    const auto* d = std::get_if<dissect::DnsObservation>(&o.body);
    if (!d || d->flavor != dissect::DnsFlavor::kDns || !d->msg.response) return;
    if (d->msg.rcode != kNxDomain || d->msg.questions.empty()) return;
    const std::string& qname = d->msg.questions.front().name;
    if (!looks_generated(qname)) return;
    // A transaction's context is the client's query; a lone answer's is the server's.
    const bool from_client = d->rtt.has_value();
    const IpAddr& client = from_client ? o.ctx.src_ip : o.ctx.dst_ip;
    auto it = clients_.find(client);
    if (it == clients_.end()) {
      if (clients_.size() >= kMaxClients) return;
      it = clients_.emplace(client, Client{}).first;
      it->second.mac = from_client ? o.ctx.src_mac : o.ctx.dst_mac;
      it->second.server = from_client ? o.ctx.dst_ip : o.ctx.src_ip;
    }
    Client& c = it->second;
    if (!c.names.empty() && o.ctx.ts > c.window_start + c_.dga_window) {
      c.names.clear();  // a new window; what was reported stays reported
      c.reported_in_window = 0;
    }
    if (c.names.empty()) c.window_start = o.ctx.ts;
    c.last = std::max(c.last, o.ctx.ts);
    const std::string base = registrable_domain(qname);
    if (c.names.size() >= kMaxNamesPerClient || !c.names.insert(base).second) return;
    if (c.examples.size() < 5) c.examples.push_back(base);
    if (c.names.size() < c_.dga_nxdomains) return;
    Alert a;
    a.detector = "dns.dga";
    a.signature_id = kSidDga;
    a.signature = "WARDEN DNS lookups of algorithmically generated domains (DGA)";
    a.category = "A Network Trojan was detected";
    a.severity = Severity::kHigh;
    a.src_ip = client;
    a.dest_ip = c.server;
    a.dest_port = 53;
    a.proto = o.ctx.proto;
    a.device = ctx.device_of(c.mac, client);
    a.first_ts = c.window_start;
    a.last_ts = c.last;
    std::string examples;
    for (const auto& e : c.examples) examples += (examples.empty() ? "" : ", ") + e;
    a.explanation = "This device tried " + std::to_string(c.names.size()) +
                    " domains that do not exist and look machine-generated (" + examples +
                    "): malware does this to find its controller.";
    a.note("nxdomain_generated_names", static_cast<std::uint64_t>(c.names.size()));
    a.note("examples", examples);
    a.count = c.names.size() - c.reported_in_window;
    c.reported_in_window = c.names.size();
    ctx.alerts.raise(std::move(a));
  }

  void on_tick(Timestamp now, bool, Context&) override {
    prune_idle(clients_, now, 2 * c_.dga_window, next_prune_,
               [](const Client& c) { return c.last; });
  }

 private:
  struct Client {
    Timestamp window_start = 0, last = 0;
    MacAddr mac;
    IpAddr server;
    std::set<std::string> names;  // distinct generated-looking NX domains in the window
    std::size_t reported_in_window = 0;
    std::vector<std::string> examples;
  };
  DetectConfig c_;
  std::map<IpAddr, Client> clients_;
  Timestamp next_prune_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_dga_detector(const DetectConfig& c) {
  return std::make_unique<DgaDetector>(c);
}

}  // namespace warden::detect
