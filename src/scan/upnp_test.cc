// UPnP parsers and rules on answers captured from the bench's miniupnpd 2.3.1 (bad config:
// secure_mode off, zero UUID, injected mappings), and check_upnp end to end against a fake IGD
// on loopback that plays the good config (secure mode on, no mappings) or accepts the probe.
#include "scan/upnp.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "core/bytes.h"
#include "protocols/ssdp.h"
#include "scan/checks.h"

namespace warden::scan {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/tests/data/scan_upnp/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

SoapResponse soap_fixture(const std::string& name) {
  auto http = parse_upnp_http_response(fixture(name));
  EXPECT_TRUE(http) << name;
  auto soap = parse_soap_response(http->body);
  EXPECT_TRUE(soap) << name;
  return *soap;
}

TEST(UpnpHttp, FramesContentLengthAndChunked) {
  std::string desc = fixture("lan_rootdesc.http");
  ASSERT_FALSE(desc.empty());
  EXPECT_EQ(http_response_framing(desc, false), HttpFraming::complete);
  EXPECT_EQ(http_response_framing(desc.substr(0, desc.size() - 1), false), HttpFraming::incomplete);
  EXPECT_EQ(http_response_framing(desc.substr(0, desc.size() - 1), true), HttpFraming::bad);
  EXPECT_EQ(http_response_framing("HTT", false), HttpFraming::incomplete);
  EXPECT_EQ(http_response_framing("SSH-2.0-x\r\n", false), HttpFraming::bad);
  EXPECT_EQ(http_response_framing(desc, false, 100), HttpFraming::bad);

  std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n "
      "world\r\n0\r\n\r\n";
  EXPECT_EQ(http_response_framing(chunked.substr(0, 60), false), HttpFraming::incomplete);
  EXPECT_EQ(http_response_framing(chunked, false), HttpFraming::complete);
  auto r = parse_upnp_http_response(chunked);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hello world");
  EXPECT_EQ(
      http_response_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false),
      HttpFraming::bad);
  // Without framing the body runs to the close.
  EXPECT_EQ(http_response_framing("HTTP/1.0 200 OK\r\n\r\nabc", false), HttpFraming::incomplete);
  EXPECT_EQ(http_response_framing("HTTP/1.0 200 OK\r\n\r\nabc", true), HttpFraming::complete);
}

TEST(UpnpXml, ParsesMiniupnpdDescriptionWithNestedDevices) {
  auto http = parse_upnp_http_response(fixture("lan_rootdesc.http"));
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 200);
  EXPECT_EQ(http->server, "Debian/6.18.44-fc-v1045 UPnP/1.1 MiniUPnPd/2.3.1");
  auto d = parse_device_description(http->body);
  ASSERT_TRUE(d) << d.error().reason;
  ASSERT_EQ(d->devices.size(), 3u);
  EXPECT_EQ(d->devices[0].device_type, "urn:schemas-upnp-org:device:InternetGatewayDevice:2");
  EXPECT_EQ(d->devices[0].friendly_name, "BenchRouter");
  EXPECT_EQ(d->devices[0].manufacturer, "Debian");
  EXPECT_EQ(d->devices[0].model_name, "Debian router");
  EXPECT_TRUE(is_zero_uuid(d->devices[0].udn));
  EXPECT_EQ(d->devices[2].device_type, "urn:schemas-upnp-org:device:WANConnectionDevice:2");
  ASSERT_EQ(d->services.size(), 5u);
  const UpnpService& ip = d->services[3];
  EXPECT_EQ(ip.service_type, "urn:schemas-upnp-org:service:WANIPConnection:2");
  EXPECT_EQ(ip.control_url, "/ctl/IPConn");
  EXPECT_EQ(ip.device_type, "urn:schemas-upnp-org:device:WANConnectionDevice:2");
  EXPECT_EQ(product_from_server(http->server),
            (std::pair<std::string, std::string>{"MiniUPnPd", "2.3.1"}));
}

TEST(UpnpXml, BoundsAndHostileInput) {
  // Entities are never declared or expanded: a billion-laughs document stays small and the
  // reference is kept as written.
  std::string lol =
      "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
      "<root><device><friendlyName>&b; &lt;x&gt; &#65;&#x42;</friendlyName></device></root>";
  auto d = parse_device_description(lol);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->devices[0].friendly_name, "&b; <x> AB");
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  EXPECT_FALSE(parse_device_description(deep));
  EXPECT_FALSE(parse_device_description("<root><device></root>"));
  EXPECT_FALSE(parse_device_description("<root></root>"));
  EXPECT_FALSE(parse_device_description(std::string(kUpnpMaxDocument + 1, ' ')));
  std::string long_text =
      "<root><device><friendlyName>" + std::string(5000, 'x') + "</friendlyName></device></root>";
  auto l = parse_device_description(long_text);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->devices[0].friendly_name.size(), kUpnpMaxText);
  // Quoted '>' inside attributes, CDATA and comments.
  auto c = parse_device_description(
      "<root a='x>y'><!-- <device> --><device><UDN><![CDATA[uuid:<1>]]></UDN></device></root>");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->devices.size(), 1u);
  EXPECT_EQ(c->devices[0].udn, "uuid:<1>");
}

TEST(UpnpSoap, ReadsMappingsAndErrors) {
  auto ext = soap_fixture("lan_extip.http");
  EXPECT_FALSE(ext.fault);
  EXPECT_EQ(ext.action, "GetExternalIPAddressResponse");
  EXPECT_EQ(ext.arg("NewExternalIPAddress").value_or(""), "11.22.33.44");

  auto m0 = mapping_from_soap(soap_fixture("lan_gpme0.http"));
  ASSERT_TRUE(m0);
  EXPECT_EQ(m0->protocol, "TCP");
  EXPECT_EQ(m0->external_port, 47669);
  EXPECT_EQ(m0->internal_client, "192.168.77.13");
  EXPECT_EQ(m0->internal_port, 445);
  EXPECT_EQ(m0->description, "galleta silenciosa");
  auto m1 = mapping_from_soap(soap_fixture("lan_gpme1.http"));
  ASSERT_TRUE(m1);
  EXPECT_EQ(describe_mapping(*m1).substr(0, 46), "UDP 40053 -> 198.51.100.53:53 'libminiupnpc' l");

  auto end = soap_fixture("lan_gpme2.http");
  EXPECT_TRUE(end.fault);
  EXPECT_EQ(end.error_code, 713);
  EXPECT_EQ(end.error_description, "SpecifiedArrayIndexInvalid");
  EXPECT_FALSE(mapping_from_soap(end));
  EXPECT_EQ(soap_fixture("lan_gspme_missing.http").error_code, 714);
  EXPECT_FALSE(parse_soap_response("<html><body>no</body></html>"));
}

TEST(UpnpRules, LanView) {
  HostReport h;
  h.addr = *IpAddr::parse("192.168.77.1");
  assess_mapping(h, *mapping_from_soap(soap_fixture("lan_gpme0.http")), 5000, false);
  EXPECT_TRUE(h.has("upnp.ioc_description"));
  EXPECT_TRUE(h.has("upnp.risky_mapping"));
  EXPECT_FALSE(h.has("upnp.nat_injection"));
  HostReport h1;
  h1.addr = h.addr;
  assess_mapping(h1, *mapping_from_soap(soap_fixture("lan_gpme1.http")), 5000, false);
  ASSERT_EQ(h1.findings.size(), 1u);
  EXPECT_EQ(h1.findings[0].kind->id, "upnp.nat_injection");
  EXPECT_NE(h1.findings[0].evidence.find("198.51.100.53"), std::string::npos);

  // The /24 rule applies on the LAN only; a private client elsewhere is outside the LAN.
  EXPECT_TRUE(outside_lan_reason("192.168.1.20", h.addr, false));
  EXPECT_FALSE(outside_lan_reason("192.168.1.20", *IpAddr::parse("10.99.0.1"), true));
  EXPECT_FALSE(outside_lan_reason("192.168.77.200", h.addr, false));
  EXPECT_TRUE(outside_lan_reason("8.8.8.8", h.addr, true));
  EXPECT_FALSE(outside_lan_reason("fe80::1", h.addr, false));
  EXPECT_TRUE(outside_lan_reason("2001:db8::1", h.addr, false));
  EXPECT_FALSE(outside_lan_reason("not-an-address", h.addr, false));
  EXPECT_TRUE(ioc_for_description("x GALLETA Silenciosa y"));
  EXPECT_FALSE(ioc_for_description("libminiupnpc"));
}

TEST(UpnpRules, WanViewStillSeesInjection) {
  HostReport h;
  h.addr = *IpAddr::parse("10.99.0.1");
  assess_mapping(h, *mapping_from_soap(soap_fixture("lan_gpme0.http")), 5000, true);
  assess_mapping(h, *mapping_from_soap(soap_fixture("lan_gpme1.http")), 5000, true);
  EXPECT_TRUE(h.has("upnp.ioc_description"));
  EXPECT_TRUE(h.has("upnp.risky_mapping"));
  EXPECT_TRUE(h.has("upnp.nat_injection"));
  EXPECT_EQ(h.findings.size(), 3u);
}

TEST(UpnpRules, ProbeClientIsNeitherScannerNorRouter) {
  auto a = [](const char* s) { return *IpAddr::parse(s); };
  EXPECT_EQ(probe_client_for(a("192.168.77.50"), a("192.168.77.1")), a("192.168.77.254"));
  EXPECT_EQ(probe_client_for(a("192.168.77.254"), a("192.168.77.1")), a("192.168.77.253"));
  EXPECT_EQ(probe_client_for(a("192.168.77.253"), a("192.168.77.254")), a("192.168.77.252"));
  EXPECT_FALSE(probe_client_for(a("fd00::5"), a("fd00::1")));
}

TEST(UpnpSsdp, CapturedAnswerParses) {
  auto m = protocols::parse_ssdp(as_bytes(fixture("lan_ssdp_igd_0")));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, protocols::SsdpKind::kResponse);
  EXPECT_EQ(m->location, "http://192.168.77.1:5000/rootDesc.xml");
  EXPECT_TRUE(is_zero_uuid(m->usn));
  auto u = parse_http_url(m->location);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "192.168.77.1");
  EXPECT_EQ(u->port, 5000);
  EXPECT_EQ(u->path, "/rootDesc.xml");
  EXPECT_EQ(resolve_url(*u, "/ctl/IPConn")->path, "/ctl/IPConn");
  EXPECT_EQ(resolve_url(*u, "ctl/IPConn")->path, "/ctl/IPConn");
  EXPECT_EQ(resolve_url(*u, "http://10.0.0.1:80/x")->host, "10.0.0.1");
  EXPECT_FALSE(parse_http_url("https://a/"));
  EXPECT_FALSE(parse_http_url("http://a:99999/"));
  EXPECT_EQ(parse_http_url("http://[fe80::1]:49152/d.xml")->host, "fe80::1");
  EXPECT_NE(build_msearch(kIgdSearchTarget).find("ST: " + std::string(kIgdSearchTarget)),
            std::string::npos);
}

// ---- a fake IGD on loopback, playing miniupnpd with captured answers ----

class FakeIgd {
 public:
  // secure: AddPortMapping for another host is refused with 606, as a secure-mode IGD does.
  // Each test gets its own loopback address: ctest runs tests in parallel, and all of them need
  // port 1900 (the scanner sends M-SEARCH there).
  FakeIgd(bool secure, const char* addr) : secure_(secure), addr_(*IpAddr::parse(addr)) {}
  ~FakeIgd() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    if (udp_ >= 0) ::close(udp_);
    if (tcp_ >= 0) ::close(tcp_);
  }

  bool start() {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr_.v4_host_order());
    tcp_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(tcp_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) return false;
    socklen_t len = sizeof sin;
    ::getsockname(tcp_, reinterpret_cast<sockaddr*>(&sin), &len);
    http_port_ = ntohs(sin.sin_port);
    ::listen(tcp_, 16);
    udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sin.sin_port = htons(1900);
    if (::bind(udp_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) return false;
    threads_.emplace_back([this] { serve_udp(); });
    threads_.emplace_back([this] { serve_tcp(); });
    return true;
  }
  const IpAddr& addr() const { return addr_; }
  std::vector<std::string> actions() {
    std::lock_guard lock(mu_);
    return actions_;
  }

 private:
  static std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) {
      s.replace(p, from.size(), to);
    }
    return s;
  }
  std::string localize(std::string s) const {
    s = replace_all(s, "192.168.77.1:5000", addr_.to_string() + ":" + std::to_string(http_port_));
    // The good config has a real UUID.
    return replace_all(s, "00000000-0000-0000-0000-000000000000",
                       "3fa5e0c2-1d2b-4c55-9a7e-6b1e2f0c9d11");
  }
  static std::string soap_ok(const std::string& action, const std::string& args) {
    std::string body =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:" + action +
        "Response xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\">" + args +
        "</u:" + action + "Response></s:Body></s:Envelope>";
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  static std::string soap_fault(int code, const std::string& text) {
    std::string body =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>"
        "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError "
        "xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" +
        std::to_string(code) + "</errorCode><errorDescription>" + text +
        "</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>";
    // Chunked, to exercise the client's de-chunking on a real exchange.
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    return "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n" +
           std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n";
  }

  void serve_udp() {
    while (!stop_) {
      pollfd p{udp_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[2048];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      std::string answer = localize(fixture("lan_ssdp_igd_0"));
      ::sendto(udp_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  std::string answer(const std::string& req) {
    if (req.starts_with("GET /rootDesc.xml")) return localize(fixture("lan_rootdesc.http"));
    auto a = req.find("SOAPAction: \"");
    if (a == std::string::npos) return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    auto hash = req.find('#', a);
    std::string action = req.substr(hash + 1, req.find('"', hash) - hash - 1);
    auto arg = [&](const std::string& name) {
      auto b = req.find("<" + name + ">");
      auto e = req.find("</" + name + ">");
      return b == std::string::npos ? std::string()
                                    : req.substr(b + name.size() + 2, e - b - name.size() - 2);
    };
    std::lock_guard lock(mu_);
    actions_.push_back(action +
                       (arg("NewExternalPort").empty() ? "" : " " + arg("NewExternalPort")));
    if (action == "GetExternalIPAddress") {
      return soap_ok(action, "<NewExternalIPAddress>11.22.33.44</NewExternalIPAddress>");
    }
    if (action == "GetGenericPortMappingEntry")
      return soap_fault(713, "SpecifiedArrayIndexInvalid");
    if (action == "GetSpecificPortMappingEntry") {
      if (mapped_ == arg("NewExternalPort")) {
        return soap_ok(action, "<NewInternalPort>" + mapped_ + "</NewInternalPort>");
      }
      return soap_fault(714, "NoSuchEntryInArray");
    }
    if (action == "AddPortMapping") {
      if (secure_) return soap_fault(606, "Action not authorized");
      mapped_ = arg("NewExternalPort");
      return soap_ok(action, "");
    }
    if (action == "DeletePortMapping") {
      if (mapped_ != arg("NewExternalPort")) return soap_fault(714, "NoSuchEntryInArray");
      mapped_.clear();
      return soap_ok(action, "");
    }
    return soap_fault(401, "Invalid Action");
  }

  void serve_tcp() {
    while (!stop_) {
      pollfd p{tcp_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(tcp_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      for (;;) {
        auto head_end = req.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          auto cl = req.find("Content-Length: ");
          std::size_t want = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
          if (req.size() >= head_end + 4 + want) break;
        }
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      std::string resp = answer(req);
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  bool secure_;
  IpAddr addr_;
  int udp_ = -1, tcp_ = -1;
  std::uint16_t http_port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<std::string> actions_;
  std::string mapped_;
};

TEST(CheckUpnp, GoodConfigYieldsOnlyInfo) {
  FakeIgd igd(true, "127.0.0.21");
  if (!igd.start()) GTEST_SKIP() << "cannot bind 127.0.0.21:1900";
  HostReport h;
  h.addr = igd.addr();
  h.services.push_back(Service{1900, Transport::udp, "ssdp"});
  ScanOptions o;
  check_upnp(h, o);
  ASSERT_EQ(h.findings.size(), 1u);
  EXPECT_EQ(h.findings[0].kind->id, "upnp.igd_present");
  EXPECT_NE(h.findings[0].evidence.find("secure mode on"), std::string::npos)
      << h.findings[0].evidence;
  EXPECT_NE(h.findings[0].evidence.find("606"), std::string::npos);
  EXPECT_TRUE(h.changes.empty());
  for (const auto& a : igd.actions()) EXPECT_FALSE(a.starts_with("DeletePortMapping")) << a;
}

TEST(CheckUpnp, AcceptedProbeIsDeletedAndRecorded) {
  FakeIgd igd(false, "127.0.0.22");
  if (!igd.start()) GTEST_SKIP() << "cannot bind 127.0.0.22:1900";
  HostReport h;
  h.addr = igd.addr();
  ScanOptions o;
  check_upnp(h, o);
  EXPECT_TRUE(h.has("upnp.secure_mode_off"));
  EXPECT_TRUE(h.has("upnp.igd_present"));
  ASSERT_EQ(h.changes.size(), 1u);
  EXPECT_NE(h.changes[0].find("-> 127.0.0.254:"), std::string::npos) << h.changes[0];
  EXPECT_NE(h.changes[0].find("deleted at once, verified gone"), std::string::npos) << h.changes[0];
  // The delete names the port that was added, and nothing else is deleted.
  std::string added, deleted;
  for (const auto& a : igd.actions()) {
    if (a.starts_with("AddPortMapping ")) added = a.substr(15);
    if (a.starts_with("DeletePortMapping ")) deleted = a.substr(18);
  }
  EXPECT_FALSE(added.empty());
  EXPECT_EQ(added, deleted);
  ASSERT_NE(h.service(1900, Transport::udp), nullptr);
  EXPECT_EQ(h.service(1900, Transport::udp)->name, "ssdp");
  // The upnp service is labelled with the stack from the SERVER header.
  bool labelled = false;
  for (const auto& s : h.services) {
    labelled = labelled || (s.name == "upnp" && s.product == "MiniUPnPd" && s.version == "2.3.1");
  }
  EXPECT_TRUE(labelled);
}

TEST(CheckUpnp, WanViewNeverProbes) {
  FakeIgd igd(false, "127.0.0.23");
  if (!igd.start()) GTEST_SKIP() << "cannot bind 127.0.0.23:1900";
  HostReport h;
  h.addr = igd.addr();
  ScanOptions o;
  o.wan_view = true;
  check_upnp(h, o);
  EXPECT_TRUE(h.has("upnp.wan_exposed"));
  EXPECT_FALSE(h.has("upnp.secure_mode_off"));
  EXPECT_TRUE(h.changes.empty());
  for (const auto& a : igd.actions()) EXPECT_FALSE(a.starts_with("AddPortMapping")) << a;
}

TEST(CheckUpnp, SilentHostAddsNothing) {
  HostReport h;
  h.addr = *IpAddr::parse("127.0.0.3");
  ScanOptions o;
  o.io_timeout = std::chrono::milliseconds(300);
  check_upnp(h, o);
  EXPECT_TRUE(h.findings.empty());
}

}  // namespace
}  // namespace warden::scan
