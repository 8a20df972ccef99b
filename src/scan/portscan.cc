#include "scan/portscan.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "scan/conn.h"
#include "scan/dns_probe.h"
#include "scan/identify.h"
#include "scan/snmp.h"
#include "scan/upnp.h"

namespace warden::scan {
namespace {

using Clock = std::chrono::steady_clock;

struct Pending {
  int fd;
  std::uint16_t port;
};

// Non-blocking connects to every port at once; returns the open ones. `answered` is set when
// the host said anything at all (an open port or a reset), which is how we know it is up.
std::vector<std::uint16_t> connect_sweep(const IpAddr& addr,
                                         const std::vector<std::uint16_t>& ports, Millis timeout,
                                         bool& answered) {
  std::vector<std::uint16_t> open;
  std::vector<Pending> pending;
  for (auto port : ports) {
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(addr, port, ss);
    int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
      open.push_back(port);
      answered = true;
      ::close(fd);
      continue;
    }
    if (errno == EINPROGRESS) {
      pending.push_back({fd, port});
      continue;
    }
    if (errno == ECONNREFUSED) answered = true;
    ::close(fd);
  }
  const auto deadline = Clock::now() + timeout;
  while (!pending.empty()) {
    std::vector<pollfd> fds;
    fds.reserve(pending.size());
    for (const auto& p : pending) fds.push_back({p.fd, POLLOUT, 0});
    int r = ::poll(fds.data(), fds.size(), remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // the rest are filtered (no answer within the timeout)
    std::vector<Pending> still;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) {
        still.push_back(pending[i]);
        continue;
      }
      int err = 0;
      socklen_t elen = sizeof err;
      ::getsockopt(pending[i].fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      if (err == 0) {
        open.push_back(pending[i].port);
        answered = true;
      } else if (err == ECONNREFUSED) {
        answered = true;
      }
      ::close(pending[i].fd);
    }
    pending.swap(still);
  }
  for (const auto& p : pending) ::close(p.fd);
  std::sort(open.begin(), open.end());
  return open;
}

// UDP ports answer in parallel: one connected socket per port (so ICMP port-unreachable comes
// back as ECONNREFUSED on that socket), all polled together until the timeout.
struct UdpResult {
  std::vector<Service> services;
  bool answered = false;
};

UdpResult udp_sweep(const IpAddr& addr, const std::vector<std::uint16_t>& ports, Millis timeout) {
  UdpResult result;
  struct Udp {
    int fd;
    std::uint16_t port;
    std::string answer;
    bool done = false;
  };
  std::vector<Udp> socks;
  for (auto port : ports) {
    std::string query = udp_probe(port);
    if (query.empty()) continue;
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(addr, port, ss);
    int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        ::send(fd, query.data(), query.size(), 0) < 0) {
      ::close(fd);
      continue;
    }
    socks.push_back({fd, port, {}});
  }
  const auto deadline = Clock::now() + timeout;
  std::size_t open_count = 0;
  while (open_count < socks.size()) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < socks.size(); ++i) {
      if (socks[i].done) continue;
      fds.push_back({socks[i].fd, POLLIN, 0});
      idx.push_back(i);
    }
    int r = ::poll(fds.data(), fds.size(), remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Udp& u = socks[idx[k]];
      char buf[2048];
      ssize_t n = ::recv(u.fd, buf, sizeof buf, 0);
      u.done = true;
      ++open_count;
      if (n > 0) {
        u.answer.assign(buf, static_cast<std::size_t>(n));
        result.answered = true;
      } else if (n < 0 && errno == ECONNREFUSED) {
        result.answered = true;  // closed port, but the host is there
      }
    }
  }
  for (auto& u : socks) {
    ::close(u.fd);
    if (u.answer.empty()) continue;
    Service s;
    s.port = u.port;
    s.transport = Transport::udp;
    switch (u.port) {
      case 53:
        s.name = "dns";
        break;
      case 161:
        s.name = "snmp";
        break;
      case 1900:
        s.name = "ssdp";
        break;
      case 5353:
        s.name = "mdns";
        break;
      case 5683:
        s.name = "coap";
        break;
      case 123:
        s.name = "ntp";
        break;
      default:
        s.name = "unknown";
    }
    if (u.port == 1900) {
      if (auto server = header_value(u.answer, "SERVER"); !server.empty()) {
        s.product = std::string(server.substr(0, 80));
      }
    }
    s.banner = printable(u.answer, 120);
    result.services.push_back(std::move(s));
  }
  return result;
}

}  // namespace

const std::vector<std::uint16_t>& default_tcp_ports() {
  static const std::vector<std::uint16_t> ports{
      21,   22,   23,   25,   53,   80,   81,   443,  554,  1883, 2323,  2869,  4433,
      5000, 5555, 7547, 8000, 8080, 8081, 8443, 8554, 8883, 9000, 34567, 37777, 49152};
  return ports;
}

const std::vector<std::uint16_t>& default_udp_ports() {
  static const std::vector<std::uint16_t> ports{53, 123, 161, 1900, 5353, 5683};
  return ports;
}

std::string udp_probe(std::uint16_t port) {
  // The same builders the DNS, SNMP and UPnP checks use; the query ids are fixed because
  // each socket is connected to one port and only its answer is read.
  switch (port) {
    case 53:
      return build_dns_query(0x5741, "version.bind", kDnsTypeTxt, kDnsClassChaos, false)
          .value_or(std::string());
    case 5353:  // PTR IN: the DNS-SD service list (legacy unicast query from a high port)
      return build_dns_query(0, "_services._dns-sd._udp.local", 12, kDnsClassIn, false)
          .value_or(std::string());
    case 161:
      return build_snmp_get(SnmpVersion::v2c, "public", 0x57415244, kOidSysDescr);
    case 1900:
      return build_msearch("ssdp:all");
    case 5683: {
      // CoAP confirmable GET /.well-known/core.
      static constexpr unsigned char kCoap[] = {0x40, 0x01, 0x57, 0x41, 0xbb, '.', 'w',
                                                'e',  'l',  'l',  '-',  'k',  'n', 'o',
                                                'w',  'n',  0x04, 'c',  'o',  'r', 'e'};
      return std::string(reinterpret_cast<const char*>(kCoap), sizeof kCoap);
    }
    case 123: {
      std::string ntp(48, '\0');
      ntp[0] = 0x23;  // NTPv4 client request
      return ntp;
    }
    default:
      return {};
  }
}

std::optional<MacAddr> mac_from_arp_table(std::string_view table, const IpAddr& addr) {
  const std::string want = addr.to_string();
  // "IP address  HW type  Flags  HW address  Mask  Device"; flags 0x2 = complete entry.
  while (!table.empty()) {
    auto nl = table.find('\n');
    std::string_view line = table.substr(0, nl);
    table = nl == std::string_view::npos ? std::string_view{} : table.substr(nl + 1);
    std::vector<std::string_view> cols;
    std::size_t i = 0;
    while (i < line.size() && cols.size() < 6) {
      while (i < line.size() && line[i] == ' ') ++i;
      std::size_t start = i;
      while (i < line.size() && line[i] != ' ') ++i;
      if (i > start) cols.push_back(line.substr(start, i - start));
    }
    if (cols.size() < 4 || cols[0] != want) continue;
    if (cols[2] == "0x0") continue;  // incomplete: the host never answered ARP
    auto mac = MacAddr::parse(cols[3]);
    if (mac && !mac->is_zero()) return mac;
  }
  return std::nullopt;
}

void scan_services(HostReport& host, const ScanOptions& options) {
  const auto& tcp = options.tcp_ports.empty() ? default_tcp_ports() : options.tcp_ports;
  const auto& udp = options.udp_ports.empty() ? default_udp_ports() : options.udp_ports;
  // UDP answers are awaited while the TCP connects are: a silent host costs one timeout.
  UdpResult udp_result;
  std::thread udp_thread([&] { udp_result = udp_sweep(host.addr, udp, options.connect_timeout); });
  bool answered = false;
  std::vector<std::uint16_t> open =
      connect_sweep(host.addr, tcp, options.connect_timeout, answered);
  host.up = answered;
  const std::string addr_text = host.addr.to_string();
  for (auto port : open) {
    Service s;
    s.port = port;
    s.transport = Transport::tcp;
    ProbePlan plan = plan_for(port);
    std::string greeting, reply;
    auto conn = TcpConn::connect(host.addr, port, options.connect_timeout);
    if (conn) {
      if (plan.wait_greeting) {
        // Servers that speak first do so at once; a second is plenty on a LAN and bounds the
        // cost of ports that wait for the client instead.
        conn->recv_until(
            greeting, [](std::string_view g) { return g.find('\n') != std::string_view::npos; },
            Millis(1000), 4096);
      }
      if (greeting.empty() && plan.probe != Probe::none && !conn->closed()) {
        if (conn->send(probe_bytes(plan.probe, addr_text), options.io_timeout)) {
          conn->recv_until(
              reply,
              [&](std::string_view r) {
                return plan.probe == Probe::mqtt ? r.size() >= 4
                                                 : r.find("\r\n\r\n") != std::string_view::npos;
              },
              Millis(2000), 16 * 1024);
        }
      }
    }
    identify(greeting, plan.probe, reply, s);
    host.services.push_back(std::move(s));
  }
  udp_thread.join();
  for (auto& s : udp_result.services) host.services.push_back(std::move(s));
  if (udp_result.answered || !host.services.empty()) host.up = true;
}

}  // namespace warden::scan
