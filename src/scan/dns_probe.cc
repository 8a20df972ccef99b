// check_dns: version.bind over UDP (TCP when only 53/tcp is open), and from the WAN side a
// recursive query for a name the server is not authoritative for.
#include "scan/dns_probe.h"

#include <random>

#include "core/bytes.h"
#include "core/text.h"
#include "scan/checks.h"
#include "scan/conn.h"

namespace warden::scan {
namespace {

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

std::string printable(std::string_view s, std::size_t max = 128) {
  std::string out;
  for (char c : s.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

struct Answer {
  std::optional<protocols::DnsMessage> msg;
  std::string transport;  // "udp" / "tcp"
};

// Asks over UDP, or over TCP when `tcp`; only the answer to this id and name counts.
Answer ask(const IpAddr& addr, const std::string& query, std::uint16_t id, std::string_view name,
           bool tcp, Millis wait, const ScanOptions& o) {
  Answer a;
  a.transport = tcp ? "tcp" : "udp";
  if (!tcp) {
    for (const auto& d : udp_exchange(addr, 53, query, wait, 1)) {
      if (d.from != addr) continue;
      auto m = protocols::parse_dns(as_bytes(d.data));
      if (m && dns_answers(*m, id, name)) {
        a.msg = std::move(*m);
        break;
      }
    }
    return a;
  }
  auto conn = TcpConn::connect(addr, 53, o.connect_timeout);
  if (!conn) return a;
  std::string framed;
  put16(framed, static_cast<std::uint16_t>(query.size()));
  framed += query;
  if (!conn->send(framed, wait)) return a;
  std::string buf;
  conn->recv_until(
      buf,
      [](std::string_view b) {
        if (b.size() < 2) return false;
        std::size_t len =
            (std::size_t{static_cast<std::uint8_t>(b[0])} << 8) | static_cast<std::uint8_t>(b[1]);
        return b.size() >= 2 + len;
      },
      wait, 66 * 1024);
  auto m = protocols::parse_dns_tcp(as_bytes(buf));
  if (m && dns_answers(*m, id, name)) a.msg = std::move(*m);
  return a;
}

}  // namespace

std::optional<std::string> build_dns_query(std::uint16_t id, std::string_view name,
                                           std::uint16_t type, std::uint16_t klass,
                                           bool recursion_desired) {
  std::string q;
  put16(q, id);
  put16(q, recursion_desired ? 0x0100 : 0);
  put16(q, 1);
  put16(q, 0);
  put16(q, 0);
  put16(q, 0);
  std::size_t wire = 1;
  while (!name.empty()) {
    auto dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) return std::nullopt;
    wire += label.size() + 1;
    if (wire > 255) return std::nullopt;
    q.push_back(static_cast<char>(label.size()));
    q += label;
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  q.push_back('\0');
  put16(q, type);
  put16(q, klass);
  return q;
}

bool dns_answers(const protocols::DnsMessage& msg, std::uint16_t id, std::string_view name) {
  if (!msg.response || msg.id != id) return false;
  // Servers echo the question; a REFUSED or FORMERR answer may leave it out.
  return msg.questions.empty() || iequals(msg.questions.front().name, name);
}

std::optional<std::string> dns_version_string(const protocols::DnsMessage& msg) {
  for (const auto& r : msg.answers) {
    if (r.type == kDnsTypeTxt && !r.txt.empty() && !r.txt.front().empty()) {
      return printable(r.txt.front());
    }
  }
  return std::nullopt;
}

std::pair<std::string, std::string> dns_product(std::string_view v) {
  if (v.empty()) return {};
  if (v[0] >= '0' && v[0] <= '9') return {"BIND", std::string(v)};
  auto sep = v.find_first_of("- /");
  while (sep != std::string_view::npos && sep + 1 < v.size() &&
         !(v[sep + 1] >= '0' && v[sep + 1] <= '9')) {
    sep = v.find_first_of("- /", sep + 1);
  }
  if (sep == std::string_view::npos || sep + 1 >= v.size()) return {std::string(v), ""};
  return {std::string(v.substr(0, sep)), std::string(v.substr(sep + 1))};
}

void check_dns(HostReport& host, const ScanOptions& options) {
  bool udp = host.service(53, Transport::udp) != nullptr;
  bool tcp = host.service(53, Transport::tcp) != nullptr;
  if (!udp && !tcp) return;
  // UDP when the scan saw 53/udp; TCP only when it is the sole way in.
  bool use_tcp = !udp;
  Transport t = use_tcp ? Transport::tcp : Transport::udp;
  Millis wait = std::min<Millis>(options.io_timeout, Millis(2000));
  std::mt19937 rng(std::random_device{}());
  auto id = static_cast<std::uint16_t>(rng());

  auto q = build_dns_query(id, "version.bind", kDnsTypeTxt, kDnsClassChaos, false);
  Answer ver = ask(host.addr, *q, id, "version.bind", use_tcp, wait, options);
  Service* s = host.service(53, t);
  if (ver.msg) {
    s->name = "dns";
    if (auto v = dns_version_string(*ver.msg)) {
      auto [prod, version] = dns_product(*v);
      s->product = prod;
      s->version = version;
      // The version helps an attacker pick an exploit; it matters where attackers can ask
      // (the internet side), and is only worth a mention inside the LAN.
      host.add("dns.version_disclosure", "version.bind CHAOS TXT \"" + *v + "\"", 53, t).severity =
          options.wan_view ? Severity::low : Severity::info;
    }
  }

  if (!options.wan_view) return;
  // A name under example.com (RFC 2606) with a random label: no server is authoritative for it
  // but IANA's, so any answer but REFUSED means the server recursed (or tried to) for an
  // outsider. A resolver whose upstream is dead answers late or never; its RA bit on any answer
  // (even version.bind) still says it offers recursion to the WAN.
  auto id2 = static_cast<std::uint16_t>(rng());
  std::string name = "warden-" + std::to_string(rng() % 1000000) + ".example.com";
  auto q2 = build_dns_query(id2, name, kDnsTypeA, kDnsClassIn, true);
  Answer rec = ask(host.addr, *q2, id2, name, use_tcp, wait, options);
  if (rec.msg && rec.msg->rcode != kDnsRcodeRefused) {
    std::string rc(protocols::dns_rcode_name(rec.msg->rcode));
    host.add("dns.wan_open",
             "recursive A " + name + " from the WAN side answered " +
                 (rc.empty() ? std::to_string(rec.msg->rcode) : rc) + " with " +
                 std::to_string(rec.msg->answers.size()) + " answer(s)" +
                 (rec.msg->recursion_available ? ", RA set" : ""),
             53, t);
  } else if (!rec.msg && ver.msg && ver.msg->recursion_available) {
    host.add("dns.wan_open",
             "answers WAN queries and advertises recursion (RA in the version.bind answer); "
             "recursive A " +
                 name + " got no answer within " + std::to_string(wait.count()) +
                 " ms (upstream slow or dead)",
             53, t);
  }
  if (s->name.empty() && rec.msg) s->name = "dns";
}

}  // namespace warden::scan
