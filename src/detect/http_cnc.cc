// HTTP command-and-control: banking trojans and loaders (TrickBot, Emotet, Qakbot...) talk to
// their controllers over plain HTTP addressed to a bare IP address on an unusual port, POST a
// form to a random-token path, and wear a fixed, outdated browser identity. Each sign alone is
// weak (devices do talk to IP addresses); the detector wants the bare internet address as the
// Host plus at least two of the others, and reports medium: a strong hint, not a verdict.
#include <set>
#include <string>

#include "core/text.h"
#include "detect/detectors.h"
#include "detect/dns_names.h"

namespace warden::detect {
namespace {

constexpr std::size_t kMaxReported = 4096;

bool usual_http_port(std::uint16_t p) {
  switch (p) {
    case 80:
    case 8000:
    case 8008:
    case 8080:
    case 8081:
    case 8888:
      return true;
    default:
      return false;
  }
}

// A path that is one random token ("/OK21pqJAtyyGBEo00sk"): mixed case with digits, no
// extension, no words a developer would choose.
bool random_token_path(std::string_view uri) {
  if (uri.size() < 2 || uri[0] != '/') return false;
  std::string_view path = uri.substr(1, uri.find_first_of("?#") - 1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const std::string_view token = path.substr(path.rfind('/') + 1);
  if (token.size() < 12 || token.find('.') != std::string_view::npos) return false;
  std::size_t lower = 0, upper = 0, digit = 0;
  for (char c : token) {
    if (c >= 'a' && c <= 'z') ++lower;
    if (c >= 'A' && c <= 'Z') ++upper;
    if (c >= '0' && c <= '9') ++digit;
  }
  return lower >= 3 && upper >= 3 && digit >= 1 && lower + upper + digit == token.size() &&
         entropy(token) >= 3.3;
}

// An Internet Explorer 8 or older identity: long out of support, so a client presenting one
// in this decade is almost always a program wearing a hard-coded disguise.
bool outdated_browser(std::string_view ua) {
  for (std::string_view v : {"MSIE 5.", "MSIE 6.", "MSIE 7.", "MSIE 8."}) {
    if (ua.find(v) != std::string_view::npos) return true;
  }
  return false;
}

class HttpCncDetector : public Detector {
 public:
  std::string_view name() const override { return "http_cnc"; }

  void on_observation(const dissect::Observation& o, Context& ctx) override {
    const auto* h = std::get_if<dissect::HttpRequestObservation>(&o.body);
    if (!h || !o.ctx.src_ip.is_local_unicast()) return;
    // The Host header names a bare address (with or without port) that is on the internet.
    const std::string_view host = std::string_view(h->host).substr(0, h->host.rfind(':'));
    const auto ip = IpAddr::parse(host.empty() ? std::string_view(h->host) : host);
    if (!ip || ip->is_local_unicast() || ip->is_multicast()) return;
    std::vector<std::string> signs;
    if (h->method == "POST") signs.emplace_back("POST to a bare IP address");
    if (!usual_http_port(o.ctx.dst_port))
      signs.push_back("HTTP on unusual port " + std::to_string(o.ctx.dst_port));
    if (random_token_path(h->uri)) signs.emplace_back("random-token path");
    if (outdated_browser(h->user_agent)) signs.emplace_back("outdated Internet Explorer identity");
    if (signs.size() < 2) return;
    const std::string target = ip->to_string() + ":" + std::to_string(o.ctx.dst_port);
    if (!reported_.contains(target) && reported_.size() >= kMaxReported) return;
    reported_.insert(target);
    Alert a;
    a.first_ts = a.last_ts = o.ctx.ts;
    a.detector = "cnc.http";
    a.signature_id = kSidHttpCnc;
    a.signature = "WARDEN MALWARE HTTP command-and-control pattern to a bare IP address";
    a.category = "A Network Trojan was detected";
    a.severity = Severity::kMedium;
    a.src_ip = o.ctx.src_ip;
    a.dest_ip = o.ctx.dst_ip;
    a.src_port = o.ctx.src_port;
    a.dest_port = o.ctx.dst_port;
    a.proto = o.ctx.proto;
    a.device = ctx.device_of(o.ctx.src_mac, o.ctx.src_ip);
    std::string why;
    for (const auto& s : signs) why += (why.empty() ? "" : "; ") + s;
    a.explanation = "This device sent " + h->method + " " + h->uri.substr(0, 80) + " to " + target +
                    " the way trojans report to their controller (" + why + ").";
    a.note("url", h->host + h->uri.substr(0, 200));
    a.note("method", h->method);
    a.note("user_agent", h->user_agent.substr(0, 200));
    a.note("signs", why);
    a.group = target;
    ctx.alerts.raise(std::move(a));
  }

 private:
  std::set<std::string> reported_;
};

}  // namespace

std::unique_ptr<Detector> make_http_cnc_detector(const DetectConfig&) {
  return std::make_unique<HttpCncDetector>();
}

}  // namespace warden::detect
