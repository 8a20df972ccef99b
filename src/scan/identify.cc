#include "scan/identify.h"

#include <array>

#include "core/text.h"
#include "mqtt/wire.h"

namespace warden::scan {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "lighttpd/1.4.69" -> product lighttpd, version 1.4.69; "httpd" -> product httpd. UPnP
// servers say "OS/version UPnP/1.1 product/version": the product is the token after UPnP/x.
void split_product(std::string_view server, Service& out) {
  server = trim(server);
  if (auto upnp = server.find("UPnP/"); upnp != std::string_view::npos) {
    auto next = server.find(' ', upnp);
    if (next != std::string_view::npos) server = trim(server.substr(next + 1));
  }
  auto end = server.find(' ');
  std::string_view first = server.substr(0, end);
  if (auto slash = first.find('/'); slash != std::string_view::npos) {
    out.product = std::string(first.substr(0, slash));
    out.version = std::string(first.substr(slash + 1));
  } else {
    out.product = std::string(first);
  }
}

struct PortInfo {
  std::uint16_t port;
  std::string_view name;
  bool greeting;
  Probe probe;
  bool tls;
};

// The ports that matter for IoT devices and what conventionally answers there.
constexpr std::array kPorts{
    PortInfo{21, "ftp", true, Probe::none, false},
    PortInfo{22, "ssh", true, Probe::none, false},
    PortInfo{23, "telnet", true, Probe::none, false},
    PortInfo{25, "smtp", true, Probe::none, false},
    PortInfo{53, "dns", false, Probe::none, false},
    PortInfo{80, "http", false, Probe::http, false},
    PortInfo{81, "http", false, Probe::http, false},
    PortInfo{443, "https", false, Probe::none, true},
    PortInfo{554, "rtsp", false, Probe::rtsp, false},
    PortInfo{1883, "mqtt", false, Probe::mqtt, false},
    PortInfo{2323, "telnet", true, Probe::none, false},
    PortInfo{4433, "https", false, Probe::none, true},
    PortInfo{5000, "http", false, Probe::http, false},
    PortInfo{5555, "adb", false, Probe::none, false},
    PortInfo{7547, "cwmp", false, Probe::http, false},
    PortInfo{8000, "http", false, Probe::http, false},
    PortInfo{8080, "http", false, Probe::http, false},
    PortInfo{8081, "http", false, Probe::http, false},
    PortInfo{8443, "https", false, Probe::none, true},
    PortInfo{8554, "rtsp", false, Probe::rtsp, false},
    PortInfo{8883, "mqtts", false, Probe::none, true},
    PortInfo{9000, "http", false, Probe::http, false},
    PortInfo{2869, "upnp", false, Probe::http, false},
    PortInfo{49152, "upnp", false, Probe::http, false},
    PortInfo{34567, "dvr", true, Probe::none, false},
    PortInfo{37777, "dvr", true, Probe::none, false},
};

}  // namespace

ProbePlan plan_for(std::uint16_t port) {
  for (const auto& p : kPorts) {
    if (p.port == port) return ProbePlan{p.greeting, p.probe, p.tls, p.name};
  }
  // Unknown port: give it a chance to greet, then ask in HTTP, the most common IoT dialect.
  return ProbePlan{true, Probe::http, false, "unknown"};
}

std::string probe_bytes(Probe probe, std::string_view host) {
  switch (probe) {
    case Probe::none:
      return {};
    case Probe::http:
      return "GET / HTTP/1.0\r\nHost: " + std::string(host) +
             "\r\nUser-Agent: warden-scan\r\nAccept: */*\r\n\r\n";
    case Probe::rtsp:
      return "OPTIONS rtsp://" + std::string(host) +
             "/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: warden-scan\r\n\r\n";
    case Probe::mqtt:
      // MQTT 3.1.1 CONNECT without credentials: a broker answers with CONNACK whether or not it
      // accepts anonymous clients.
      return mqtt::mqtt_connect("warden-id", std::nullopt, std::nullopt, 10);
  }
  return {};
}

std::string printable(std::string_view bytes, std::size_t max) {
  std::string out;
  for (char c : bytes) {
    if (out.size() >= max) break;
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') continue;
    out.push_back(u >= 0x20 && u < 0x7f ? c : (c == '\n' ? ' ' : '.'));
  }
  return out;
}

std::string_view header_value(std::string_view head, std::string_view name) {
  std::size_t pos = head.find('\n');
  while (pos != std::string_view::npos && pos + 1 < head.size()) {
    std::size_t start = pos + 1;
    std::size_t end = head.find('\n', start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    if (trim(line).empty()) break;  // end of the head
    auto colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name)) {
      return trim(line.substr(colon + 1));
    }
    pos = end;
  }
  return {};
}

void identify(std::string_view greeting, Probe probe, std::string_view reply, Service& out) {
  const ProbePlan plan = plan_for(out.port);
  out.banner = printable(!greeting.empty() ? greeting : reply);
  if (!greeting.empty()) {
    if (starts_with(greeting, "SSH-")) {
      out.name = "ssh";
      // "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3": software version after the second dash.
      std::string_view rest = greeting.substr(4);
      auto dash = rest.find('-');
      if (dash != std::string_view::npos) {
        std::string_view sw = rest.substr(dash + 1);
        sw = sw.substr(0, sw.find_first_of(" \r\n"));
        auto us = sw.find('_');
        out.product = std::string(sw.substr(0, us));
        if (us != std::string_view::npos) out.version = std::string(sw.substr(us + 1));
      }
      return;
    }
    if (static_cast<unsigned char>(greeting[0]) == 0xff) {  // IAC: telnet option negotiation
      out.name = "telnet";
      return;
    }
    if (starts_with(greeting, "220")) {
      const bool smtp = greeting.find("SMTP") != std::string_view::npos;
      out.name = smtp ? "smtp" : "ftp";
      std::string_view text = trim(greeting.substr(3, greeting.find('\n') - 3));
      if (!text.empty() && (text[0] == ' ' || text[0] == '-')) text.remove_prefix(1);
      for (std::string_view known : {"vsFTPd", "ProFTPD", "Pure-FTPd", "FileZilla", "BusyBox"}) {
        if (auto at = text.find(known); at != std::string_view::npos) {
          out.product = std::string(known);
          std::string_view after = trim(text.substr(at + known.size()));
          out.version = std::string(after.substr(0, after.find_first_of(" )")));
          break;
        }
      }
      return;
    }
    if (starts_with(greeting, "RFB ")) {
      out.name = "vnc";
      out.version = std::string(trim(greeting.substr(4, 7)));
      return;
    }
    if (icontains(greeting, "login:") || icontains(greeting, "username:") ||
        icontains(greeting, "password:")) {
      out.name = "telnet";
      return;
    }
  }
  if (!reply.empty()) {
    if (starts_with(reply, "HTTP/1.") || starts_with(reply, "HTTP/2")) {
      out.name = plan.guess == "upnp" || plan.guess == "cwmp" ? std::string(plan.guess) : "http";
      if (auto server = header_value(reply, "Server"); !server.empty()) {
        split_product(server, out);
        if (server.find("UPnP") != std::string_view::npos && out.name == "http") {
          out.name = "upnp";
        }
      }
      return;
    }
    if (starts_with(reply, "RTSP/1.0")) {
      out.name = "rtsp";
      if (auto server = header_value(reply, "Server"); !server.empty()) split_product(server, out);
      return;
    }
    if (probe == Probe::mqtt && reply.size() >= 4 && static_cast<unsigned char>(reply[0]) == 0x20 &&
        reply[1] == 0x02) {
      out.name = "mqtt";
      out.banner = "CONNACK return code " + std::to_string(static_cast<unsigned char>(reply[3]));
      return;
    }
    // A TLS alert record (content type 21, version 3.x): a TLS server got plaintext.
    if (reply.size() >= 3 && reply[0] == 0x15 && reply[1] == 0x03) {
      out.name = plan.guess == "unknown" ? "tls" : std::string(plan.guess);
      out.tls = true;
      return;
    }
  }
  // Nothing recognisable: keep the port's conventional name, marked as a guess by the empty
  // product, so the checks still try what usually answers there.
  out.name = std::string(plan.guess);
  if (plan.tls_port) out.tls = true;
}

}  // namespace warden::scan
