// check_upnp: SSDP discovery (unicast to the host), description, WAN connection service, every
// port mapping, and the secure-mode probe. The device is only read except for the probe, whose
// mapping is deleted at once, verified gone, carries a 60 s lease in case the delete is lost,
// and is written down in host.changes.
#include "scan/upnp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <random>
#include <set>

#include "core/bytes.h"
#include "core/text.h"
#include "protocols/ssdp.h"
#include "scan/checks.h"
#include "scan/conn.h"

namespace warden::scan {
namespace {

// Mapping descriptions published as indicators of compromise. One row per string, with the
// report that documents it; matching is a case-insensitive substring test.
struct Ioc {
  std::string_view text;
  std::string_view source;
};
constexpr std::array kIocs{
    // EternalSilence: UPnProxy mappings exposing LAN SMB/NetBIOS (139/445) to the internet.
    Ioc{"galleta silenciosa",
        "Akamai SIRT, \"UPnProxy: EternalSilence\" (2018-11-28); Akamai, \"UPnProxy: "
        "Eternal and Silent\" (2022-06)"},
};

// Internal ports whose exposure is a finding on its own, with the service that usually runs
// there.
struct RiskyPort {
  std::uint16_t port;
  std::string_view service;
};
constexpr std::array kRiskyPorts{
    RiskyPort{23, "telnet"}, RiskyPort{2323, "telnet"}, RiskyPort{139, "NetBIOS session/SMB"},
    RiskyPort{445, "SMB"},   RiskyPort{3389, "RDP"},
};

// Wall-clock bound on listing the port mappings (see check_upnp).
constexpr auto kListingBudget = std::chrono::seconds(60);

// Ports where a UPnP description is commonly served, with the paths to try when SSDP is silent
// (the port must be open in the service scan): miniupnpd (5000, /rootDesc.xml), libupnp/Broadcom
// and many IoT stacks (49152, 1900, 52869), Windows (2869), AVM (49000, /igddesc.xml).
constexpr std::array<std::uint16_t, 6> kDescPorts{5000, 49152, 1900, 2869, 49000, 52869};
constexpr std::array<std::string_view, 6> kDescPaths{
    "/rootDesc.xml", "/description.xml", "/igddesc.xml", "/gatedesc.xml", "/IGD.xml", "/igd.xml"};

std::string xml_escape(std::string_view s) { return markup_escape(s); }

std::string host_header(const HttpUrl& u) {
  std::string h = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  return h + ":" + std::to_string(u.port);
}

template <class T>
bool to_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string printable(std::string_view s, std::size_t max = 256) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

// ---- I/O ----

struct Exchange {
  UpnpHttpResponse response;
  std::optional<IpAddr> local;  // our address on that connection (getsockname)
};

std::optional<IpAddr> local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  if (ss.ss_family == AF_INET) {
    return IpAddr::v4(ntohl(reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr));
  }
  if (ss.ss_family == AF_INET6) {
    return IpAddr::v6(Bytes(
        reinterpret_cast<const std::byte*>(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr), 16));
  }
  return std::nullopt;
}

// One request on a fresh connection to the scanned host (never to whatever host a URL names:
// a check talks only to its host), one bounded response.
Result<Exchange, std::string> http_exchange(const IpAddr& addr, std::uint16_t port,
                                            std::string_view request, const ScanOptions& o) {
  auto conn = TcpConn::connect(addr, port, o.connect_timeout);
  if (!conn) return unexpected(std::string("connect ") + connect_error_name(conn.error()));
  Exchange ex;
  ex.local = local_address(conn->fd());
  if (!conn->send(request, o.io_timeout)) return unexpected(std::string("send failed"));
  std::string buf;
  bool bad = false;
  conn->recv_until(
      buf,
      [&](std::string_view b) {
        HttpFraming f = http_response_framing(b, false);
        bad = f == HttpFraming::bad;
        return f != HttpFraming::incomplete;
      },
      o.io_timeout, kUpnpMaxDocument + 16 * 1024);
  if (bad) return unexpected(std::string("malformed or oversized HTTP response"));
  if (http_response_framing(buf, conn->closed()) != HttpFraming::complete) {
    return unexpected(std::string(buf.empty() ? "no HTTP response" : "HTTP response cut short"));
  }
  auto r = parse_upnp_http_response(buf);
  if (!r) return unexpected(std::string("bad HTTP response: ") + std::string(r.error().reason));
  ex.response = std::move(*r);
  return ex;
}

struct SoapResult {
  SoapResponse soap;
  std::optional<IpAddr> local;
};

Result<SoapResult, std::string> soap_call(
    const IpAddr& addr, const HttpUrl& control, std::string_view service_type,
    std::string_view action, const std::vector<std::pair<std::string, std::string>>& args,
    const ScanOptions& o) {
  auto ex =
      http_exchange(addr, control.port, build_soap_request(control, service_type, action, args), o);
  if (!ex) return unexpected(ex.error());
  auto soap = parse_soap_response(ex->response.body);
  if (!soap) {
    return unexpected("HTTP " + std::to_string(ex->response.status) + ", not SOAP (" +
                      std::string(soap.error().reason) + ")");
  }
  return SoapResult{std::move(*soap), ex->local};
}

std::string soap_error_text(const SoapResponse& r) {
  return std::to_string(r.error_code) + " " + printable(r.error_description, 64);
}

std::vector<std::pair<std::string, std::string>> specific_args(std::uint16_t port,
                                                               std::string_view proto) {
  return {{"NewRemoteHost", ""},
          {"NewExternalPort", std::to_string(port)},
          {"NewProtocol", std::string(proto)}};
}

}  // namespace

std::string build_msearch(std::string_view st) {
  return "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
         "MX: 1\r\nST: " +
         std::string(st) + "\r\nUSER-AGENT: warden-scan UPnP/1.1\r\n\r\n";
}

std::string build_soap_request(const HttpUrl& url, std::string_view service_type,
                               std::string_view action,
                               const std::vector<std::pair<std::string, std::string>>& args) {
  std::string body =
      "<?xml version=\"1.0\"?>\r\n<s:Envelope "
      "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:";
  body += std::string(action) + " xmlns:u=\"" + xml_escape(service_type) + "\">";
  for (const auto& [k, v] : args) body += "<" + k + ">" + xml_escape(v) + "</" + k + ">";
  body += "</u:" + std::string(action) + "></s:Body></s:Envelope>\r\n";
  return "POST " + url.path + " HTTP/1.1\r\nHost: " + host_header(url) +
         "\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nSOAPAction: \"" +
         std::string(service_type) + "#" + std::string(action) +
         "\"\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

std::optional<PortMapping> mapping_from_soap(const SoapResponse& r) {
  if (r.fault) return std::nullopt;
  PortMapping m;
  auto ext = r.arg("NewExternalPort");
  auto in = r.arg("NewInternalPort");
  if (!ext || !in || !to_number(*ext, m.external_port) || !to_number(*in, m.internal_port)) {
    return std::nullopt;
  }
  m.remote_host = std::string(r.arg("NewRemoteHost").value_or(""));
  m.protocol = std::string(r.arg("NewProtocol").value_or(""));
  m.internal_client = std::string(r.arg("NewInternalClient").value_or(""));
  m.enabled = r.arg("NewEnabled").value_or("1") != "0";
  m.description = std::string(r.arg("NewPortMappingDescription").value_or(""));
  if (auto lease = r.arg("NewLeaseDuration")) (void)to_number(*lease, m.lease_s);
  return m;
}

std::string describe_mapping(const PortMapping& m) {
  std::string s = printable(m.protocol, 8) + " " + std::to_string(m.external_port) + " -> " +
                  printable(m.internal_client, 64) + ":" + std::to_string(m.internal_port) + " '" +
                  printable(m.description, 128) + "'";
  s += m.lease_s == 0 ? " permanent" : " lease " + std::to_string(m.lease_s) + "s";
  if (!m.remote_host.empty()) s += " from " + printable(m.remote_host, 64) + " only";
  if (!m.enabled) s += " (disabled)";
  return s;
}

std::optional<std::string_view> ioc_for_description(std::string_view description) {
  for (const auto& ioc : kIocs) {
    if (icontains(description, ioc.text)) return ioc.source;
  }
  return std::nullopt;
}

std::optional<std::string> outside_lan_reason(std::string_view internal_client,
                                              const IpAddr& router, bool wan_view) {
  auto client = IpAddr::parse(internal_client);
  if (!client) return std::nullopt;
  if (!client->is_local_unicast()) return std::string("not a private address");
  if (!wan_view && router.is_v4() && client->is_v4() &&
      (client->v4_host_order() >> 8) != (router.v4_host_order() >> 8)) {
    IpAddr net = IpAddr::v4(router.v4_host_order() & 0xffffff00u);
    return "outside the router's LAN " + net.to_string() + "/24";
  }
  return std::nullopt;
}

void assess_mapping(HostReport& host, const PortMapping& m, std::uint16_t port, bool wan_view) {
  std::string what = describe_mapping(m);
  if (auto why = outside_lan_reason(m.internal_client, host.addr, wan_view)) {
    host.add("upnp.nat_injection", what + " (" + *why + ")", port);
  }
  if (auto src = ioc_for_description(m.description)) {
    host.add("upnp.ioc_description", what + " (IOC: " + std::string(*src) + ")", port);
  }
  for (const auto& r : kRiskyPorts) {
    if (r.port == m.internal_port) {
      host.add("upnp.risky_mapping", what + " (" + std::string(r.service) + ")", port);
      break;
    }
  }
}

std::optional<IpAddr> probe_client_for(const IpAddr& scanner, const IpAddr& router) {
  if (!scanner.is_v4() || !router.is_v4()) return std::nullopt;
  std::uint32_t net = scanner.v4_host_order() & 0xffffff00u;
  for (std::uint32_t last : {254u, 253u, 252u}) {
    IpAddr cand = IpAddr::v4(net | last);
    if (cand != scanner && cand != router) return cand;
  }
  return std::nullopt;
}

bool is_zero_uuid(std::string_view s) {
  return icontains(s, "uuid:00000000-0000-0000-0000-000000000000");
}

std::pair<std::string, std::string> product_from_server(std::string_view server) {
  std::pair<std::string, std::string> best;
  std::size_t i = 0;
  while (i < server.size()) {
    while (i < server.size() && (server[i] == ' ' || server[i] == ',')) ++i;
    std::size_t j = i;
    while (j < server.size() && server[j] != ' ' && server[j] != ',') ++j;
    std::string_view tok = server.substr(i, j - i);
    i = j;
    if (tok.empty()) continue;
    auto slash = tok.find('/');
    std::string_view name = tok.substr(0, slash);
    std::string_view ver = slash == std::string_view::npos ? "" : tok.substr(slash + 1);
    if (iequals(name, "UPnP") || iequals(name, "DLNADOC")) continue;
    // The first token is the OS ("Linux/3.4", "Debian/12"); a later one names the stack.
    if (best.first.empty() || !ver.empty()) best = {printable(name, 64), printable(ver, 64)};
  }
  return best;
}

void check_upnp(HostReport& host, const ScanOptions& options) {
  const IpAddr& addr = host.addr;
  const std::string where = addr.to_string();
  // SSDP: the IGD search first (a router answers it once, so the wait ends at the first
  // answer), then ssdp:all for IGD:2-only stacks and devices that are not gateways.
  Millis udp_wait = std::min<Millis>(options.io_timeout, Millis(2000));
  std::vector<protocols::SsdpMessage> answers;
  for (auto [st, max, wait] : {std::tuple{kIgdSearchTarget, std::size_t{1}, udp_wait},
                               std::tuple{std::string_view("ssdp:all"), std::size_t{64},
                                          std::min<Millis>(udp_wait, Millis(1000))}}) {
    for (const auto& d : udp_exchange(addr, 1900, build_msearch(st), wait, max)) {
      if (d.from != addr) continue;  // only the scanned host's answers count
      auto m = protocols::parse_ssdp(as_bytes(d.data));
      if (m && m->kind == protocols::SsdpKind::kResponse) answers.push_back(std::move(*m));
    }
  }

  std::string server;
  std::optional<HttpUrl> location;
  bool zero_uuid = false;
  for (const auto& a : answers) {
    if (server.empty()) server = a.server;
    zero_uuid = zero_uuid || is_zero_uuid(a.usn);
    auto u = parse_http_url(a.location);
    if (!u) continue;
    bool igd =
        icontains(a.nt_or_st, "InternetGatewayDevice") || icontains(a.usn, "InternetGateway");
    if (!location || igd) location = u;
    if (igd) break;
  }
  if (!answers.empty()) {
    Service* s = host.service(1900, Transport::udp);
    if (s == nullptr) {
      host.services.push_back(Service{1900, Transport::udp, "ssdp"});
      s = &host.services.back();
    }
    s->name = "ssdp";
    auto [prod, ver] = product_from_server(server);
    if (s->product.empty()) s->product = prod, s->version = ver;
    if (s->banner.empty()) s->banner = printable(server);
  }

  // The description: LOCATION, or the usual paths on the description ports the host has open.
  std::optional<DeviceDescription> desc;
  std::optional<HttpUrl> desc_url;
  std::string fetch_error;
  auto fetch = [&](const HttpUrl& u) -> bool {
    std::string req = "GET " + u.path + " HTTP/1.1\r\nHost: " + host_header(u) +
                      "\r\nUser-Agent: warden-scan\r\nConnection: close\r\n\r\n";
    auto ex = http_exchange(addr, u.port, req, options);
    if (!ex) {
      fetch_error = ex.error();
      return false;
    }
    if (ex->response.status != 200) {
      fetch_error = "HTTP " + std::to_string(ex->response.status);
      return false;
    }
    auto d = parse_device_description(ex->response.body);
    if (!d) {
      fetch_error = "bad description: " + std::string(d.error().reason);
      return false;
    }
    if (server.empty()) server = ex->response.server;
    desc = std::move(*d);
    desc_url = u;
    return true;
  };
  // LOCATION may name another address (a WAN view sees the LAN one, or a hostile device names
  // a third party): its port and path are used, the scanned address is what is connected to.
  if (location) fetch(*location);
  if (!desc) {
    for (std::uint16_t p : kDescPorts) {
      if (desc) break;
      if (host.service(p, Transport::tcp) == nullptr) continue;
      for (std::string_view path : kDescPaths) {
        if (fetch(HttpUrl{where, p, std::string(path)})) break;
      }
    }
  }
  if (!desc) {
    if (!answers.empty() && options.wan_view) {
      host.add("upnp.wan_exposed",
               "SSDP answers on " + where + ":1900 (" + printable(server) +
                   "); description not fetched: " + fetch_error,
               1900, Transport::udp);
    }
    return;
  }

  {
    Service* s = host.service(desc_url->port, Transport::tcp);
    if (s == nullptr) {
      host.services.push_back(Service{desc_url->port, Transport::tcp, "upnp"});
      s = &host.services.back();
    }
    s->name = "upnp";
    auto [prod, ver] = product_from_server(server);
    if (!prod.empty()) s->product = prod, s->version = ver;
    if (s->banner.empty()) s->banner = printable(server);
  }
  for (const auto& d : desc->devices) zero_uuid = zero_uuid || is_zero_uuid(d.udn);
  const UpnpDevice& root = desc->devices.front();
  std::string desc_where = "http://" + host_header(*desc_url) + desc_url->path;
  if (zero_uuid) {
    host.add("upnp.zero_uuid",
             "UDN uuid:00000000-0000-0000-0000-000000000000 ('" +
                 printable(root.friendly_name, 64) + "', " + desc_where + ")",
             desc_url->port);
  }

  // The WAN connection service, newest first: WANIPConnection:2, :1, then WANPPPConnection:1.
  const UpnpService* wan = nullptr;
  int best_rank = 0;
  for (const auto& s : desc->services) {
    int rank = icontains(s.service_type, "WANIPConnection:2")   ? 3
               : icontains(s.service_type, "WANIPConnection:1") ? 2
               : icontains(s.service_type, "WANPPPConnection:") ? 1
                                                                : 0;
    if (rank > best_rank && !s.control_url.empty()) wan = &s, best_rank = rank;
  }
  std::string summary = "'" + printable(root.friendly_name, 64) + "' (" +
                        printable(root.manufacturer, 64) + " " + printable(root.model_name, 64) +
                        ", " + printable(root.device_type, 96) + ") at " + desc_where;
  auto base = desc->url_base.empty() ? desc_url : parse_http_url(desc->url_base);
  std::optional<HttpUrl> control;
  if (wan != nullptr && base) control = resolve_url(*base, wan->control_url);
  if (!control) {
    if (options.wan_view)
      host.add("upnp.wan_exposed", "description served: " + summary, desc_url->port);
    host.add("upnp.igd_present", summary + "; no WAN connection service", desc_url->port);
    return;
  }
  const std::string& st = wan->service_type;
  std::uint16_t cport = control->port;
  summary += ", control " + control->path + " (" + printable(st, 96) + ")";

  std::string ext_ip = "?";
  std::optional<IpAddr> local;
  bool soap_answered = false;
  if (auto r = soap_call(addr, *control, st, "GetExternalIPAddress", {}, options)) {
    soap_answered = true;
    local = r->local;
    if (r->soap.fault) {
      ext_ip = "error " + soap_error_text(r->soap);
    } else {
      ext_ip = printable(r->soap.arg("NewExternalIPAddress").value_or(""), 64);
    }
  }

  std::vector<PortMapping> mappings;
  std::string stop = "cap reached";
  // Each call is bounded by the timeouts; the budget bounds an IGD that answers every call
  // slowly (a tarpit would otherwise cost kMaxMappings timeouts).
  auto budget_end = std::chrono::steady_clock::now() + kListingBudget;
  for (unsigned i = 0; i < kMaxMappings; ++i) {
    if (std::chrono::steady_clock::now() > budget_end) {
      stop = "time budget reached";
      break;
    }
    auto r = soap_call(addr, *control, st, "GetGenericPortMappingEntry",
                       {{"NewPortMappingIndex", std::to_string(i)}}, options);
    if (!r) {
      stop = r.error();
      break;
    }
    soap_answered = true;
    if (!local) local = r->local;
    if (r->soap.fault) {
      stop = soap_error_text(r->soap);
      break;
    }
    auto m = mapping_from_soap(r->soap);
    if (!m) {
      stop = "unreadable entry";
      break;
    }
    mappings.push_back(std::move(*m));
  }

  if (options.wan_view && (soap_answered || !answers.empty())) {
    std::string ev = soap_answered ? "SOAP control " + control->path +
                                         " answers from outside (external IP " + ext_ip + ", " +
                                         std::to_string(mappings.size()) + " mappings readable)"
                                   : "description served from outside: " + desc_where;
    if (!answers.empty()) ev = "SSDP on " + where + ":1900 answers; " + ev;
    host.add("upnp.wan_exposed", ev, cport);
  }
  for (const auto& m : mappings) assess_mapping(host, m, cport, options.wan_view);

  summary += ", external IP " + ext_ip + ", " + std::to_string(mappings.size()) +
             " port mapping(s) (listing ended: " + stop + ")";

  // Secure-mode probe: can this LAN host map a port to another LAN host?
  if (options.upnp_probe_mapping && !options.wan_view && soap_answered && local) {
    auto client = probe_client_for(*local, addr);
    std::set<std::uint16_t> used;
    for (const auto& m : mappings) used.insert(m.external_port);
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> dist(47000, 47999);
    std::optional<std::uint16_t> free_port;
    for (int tries = 0; client && tries < 8 && !free_port; ++tries) {
      auto p = static_cast<std::uint16_t>(dist(rng));
      if (used.contains(p)) continue;
      auto r = soap_call(addr, *control, st, "GetSpecificPortMappingEntry", specific_args(p, "TCP"),
                         options);
      if (r && r->soap.fault && r->soap.error_code == 714) free_port = p;
    }
    if (!client || !free_port) {
      summary += "; secure-mode probe not run (no free probe port or client address)";
    } else {
      std::string ps = std::to_string(*free_port);
      std::string target = client->to_string() + ":" + ps;
      auto add = soap_call(addr, *control, st, "AddPortMapping",
                           {{"NewRemoteHost", ""},
                            {"NewExternalPort", ps},
                            {"NewProtocol", "TCP"},
                            {"NewInternalPort", ps},
                            {"NewInternalClient", client->to_string()},
                            {"NewEnabled", "1"},
                            {"NewPortMappingDescription", "warden secure-mode probe"},
                            {"NewLeaseDuration", "60"}},
                           options);
      // Whether the IGD now holds our probe mapping: asked when AddPortMapping was lost in
      // transit, since the IGD may have applied it without our reading the answer.
      auto probe_present = [&] {
        auto chk = soap_call(addr, *control, st, "GetSpecificPortMappingEntry",
                             specific_args(*free_port, "TCP"), options);
        return chk && !chk->soap.fault &&
               chk->soap.arg("NewInternalClient").value_or("") == client->to_string();
      };
      bool accepted = add && !add->soap.fault;
      if (!add && probe_present()) accepted = true;
      if (!add && !accepted) {
        summary += "; secure-mode probe: AddPortMapping got no answer (" + add.error() +
                   ") and no probe mapping is present";
      } else if (!accepted && add->soap.error_code == 725) {
        // OnlyPermanentLeasesSupported (IGD:1): a permanent probe mapping is not risked.
        summary += "; secure-mode probe inconclusive (725 only permanent leases supported)";
      } else if (!accepted) {
        summary += "; secure mode on (AddPortMapping TCP " + ps + " -> " + target + " from " +
                   local->to_string() + " refused: " + soap_error_text(add->soap) + ")";
      } else {
        host.add("upnp.secure_mode_off",
                 "AddPortMapping TCP " + ps + " -> " + target + " requested by " +
                     local->to_string() + (add ? " was accepted" : " was applied (answer lost)"),
                 cport);
        // Delete what we added, and only that: same external port and protocol, which were
        // free a moment ago. Retried once; then its 60 s lease is the safety net.
        bool deleted = false;
        std::string del_err;
        for (int attempt = 0; attempt < 2 && !deleted; ++attempt) {
          auto del = soap_call(addr, *control, st, "DeletePortMapping",
                               specific_args(*free_port, "TCP"), options);
          if (del && !del->soap.fault) deleted = true;
          if (!deleted) del_err = del ? soap_error_text(del->soap) : del.error();
        }
        std::string verify;
        auto chk = soap_call(addr, *control, st, "GetSpecificPortMappingEntry",
                             specific_args(*free_port, "TCP"), options);
        if (chk && chk->soap.fault && chk->soap.error_code == 714) {
          verify = "verified gone";
        } else if (chk && !chk->soap.fault) {
          verify = "STILL PRESENT (expires with its 60 s lease)";
        } else {
          verify = "could not verify (" + (chk ? soap_error_text(chk->soap) : chk.error()) +
                   "); lease 60 s";
        }
        host.changes.push_back(
            "added UPnP mapping TCP " + ps + " -> " + target +
            " (secure-mode probe, lease 60 s); " +
            (deleted ? "deleted at once, " : "delete FAILED (" + del_err + "), ") + verify);
      }
    }
  }
  host.add("upnp.igd_present", summary, cport);
}

}  // namespace warden::scan
