#include "policy/policy.h"

#include <charconv>
#include <cstdio>

namespace warden::policy {
namespace {

std::string port_text(const mud::PortMatch& p) {
  using Op = mud::PortMatch::Op;
  switch (p.op) {
    case Op::kEq:
      return std::to_string(p.port);
    case Op::kNeq:
      return "!=" + std::to_string(p.port);
    case Op::kLte:
      return "<=" + std::to_string(p.port);
    case Op::kGte:
      return ">=" + std::to_string(p.port);
    case Op::kRange:
      return std::to_string(p.port) + "-" + std::to_string(p.upper);
  }
  return {};
}

std::string proto_text(const Rule& r) {
  if (!r.protocol) return "all traffic";
  switch (*r.protocol) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 1:
      return "icmp";
    case 58:
      return "icmpv6";
    default:
      return "protocol " + std::to_string(*r.protocol);
  }
}

// Clears the host bits of `addr` beyond `bits`.
IpAddr mask(const IpAddr& addr, unsigned bits) {
  auto raw = addr.raw();
  const unsigned total = addr.is_v4() ? 32 : 128;
  const unsigned offset = addr.is_v4() ? 96 : 0;  // IPv4 lives in the last four bytes
  for (unsigned i = bits; i < total; ++i) {
    const unsigned bit = offset + i;
    raw[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  return addr.is_v4() ? IpAddr::v4(Bytes(reinterpret_cast<const std::byte*>(raw.data()) + 12, 4))
                      : IpAddr::v6(Bytes(reinterpret_cast<const std::byte*>(raw.data()), 16));
}

struct AceMapping {
  std::optional<Rule> rule;
  std::string warning;  // set when the ACE was left out
};

AceMapping map_ace(const mud::Acl& acl, const mud::Ace& ace, bool from_device) {
  AceMapping out;
  const std::string where = "ACE " + acl.name + "/" + ace.name + ": ";
  if (acl.type == mud::AclType::kEth || !ace.src_mac.empty() || !ace.dst_mac.empty()) {
    // A router's forward path sees IP packets; Ethernet-only matches (broadcast MACs, ARP)
    // never cross it. Leaving an allow out only narrows the policy.
    out.warning = where + "Ethernet matches are not enforced on the forward path; left out";
    return out;
  }
  Rule r;
  r.id = acl.name + "/" + ace.name;
  if (r.id.size() > 100) r.id.resize(100);
  r.dir = from_device ? Dir::kFromDevice : Dir::kToDevice;
  r.action = ace.forwarding == mud::Forwarding::kAccept ? Action::kAccept
             : ace.forwarding == mud::Forwarding::kDrop ? Action::kDrop
                                                        : Action::kReject;
  r.family = acl.type == mud::AclType::kIpv4 ? 4 : 6;
  switch (ace.transport) {
    case mud::Transport::kTcp:
      r.protocol = 6;
      break;
    case mud::Transport::kUdp:
      r.protocol = 17;
      break;
    case mud::Transport::kIcmp:
      r.protocol = r.family == 6 ? 58 : 1;
      break;
    case mud::Transport::kNone:
      r.protocol = ace.protocol;
      break;
  }
  r.src_port = ace.src_port;
  r.dst_port = ace.dst_port;
  r.icmp_type = ace.icmp_type;
  r.icmp_code = ace.icmp_code;
  r.initiated = ace.initiated;

  // The remote end: a destination for traffic from the device, a source for traffic to it.
  // The device's own end is the device; an ACE that names it is odd but harmless when it
  // names nothing else.
  const std::string& network = from_device ? ace.dst_network : ace.src_network;
  const std::string& dnsname = from_device ? ace.dst_dnsname : ace.src_dnsname;
  const std::string& own_network = from_device ? ace.src_network : ace.dst_network;
  const std::string& own_dnsname = from_device ? ace.src_dnsname : ace.dst_dnsname;
  if (!own_network.empty() || !own_dnsname.empty()) {
    out.warning = where + "matches on the device's own address are not supported; left out";
    return out;
  }
  std::vector<Peer> peers;
  if (!network.empty()) {
    auto p = parse_prefix(network);
    if (!p) {
      out.warning = where + "bad network \"" + network + "\"; left out";
      return out;
    }
    peers.push_back({Peer::Kind::kNetwork, p->to_string(), *p});
  }
  if (!dnsname.empty()) {
    Peer p{Peer::Kind::kDnsName, normalize_dns_name(dnsname), {}};
    if (p.value.empty()) {
      out.warning = where + "bad DNS name; left out";
      return out;
    }
    peers.push_back(std::move(p));
  }
  const mud::MudMatch& m = ace.mud;
  if (m.local_networks) peers.push_back({Peer::Kind::kLocalNetworks, {}, {}});
  if (m.same_manufacturer) peers.push_back({Peer::Kind::kSameManufacturer, {}, {}});
  if (!m.manufacturer.empty())
    peers.push_back({Peer::Kind::kManufacturer, normalize_dns_name(m.manufacturer), {}});
  if (!m.model.empty()) peers.push_back({Peer::Kind::kModel, m.model, {}});
  if (!m.controller.empty()) peers.push_back({Peer::Kind::kController, m.controller, {}});
  if (m.my_controller) peers.push_back({Peer::Kind::kMyController, {}, {}});
  // Several matches on the peer all hold at once (RFC 8519: the matches of an ACE are a
  // conjunction); the enforcer writes them into one rule.
  if (!peers.empty()) {
    r.peer = peers.front();
    r.and_peers.assign(peers.begin() + 1, peers.end());
  }
  out.rule = std::move(r);
  return out;
}

}  // namespace

std::string Prefix::to_string() const {
  const unsigned total = v4() ? 32 : 128;
  return bits == total ? addr.to_string() : addr.to_string() + "/" + std::to_string(bits);
}

std::optional<Prefix> parse_prefix(std::string_view text) {
  auto slash = text.find('/');
  auto ip = IpAddr::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const unsigned total = ip->is_v4() ? 32 : 128;
  unsigned bits = total;
  if (slash != std::string_view::npos) {
    auto b = text.substr(slash + 1);
    auto r = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (b.empty() || r.ec != std::errc() || r.ptr != b.data() + b.size() || bits > total)
      return std::nullopt;
  }
  return Prefix{mask(*ip, bits), static_cast<std::uint8_t>(bits)};
}

std::string peer_text(const Peer& p) {
  switch (p.kind) {
    case Peer::Kind::kAny:
      return "any host";
    case Peer::Kind::kNetwork:
      return p.value;
    case Peer::Kind::kDnsName:
      return "dns:" + p.value;
    case Peer::Kind::kLocalNetworks:
      return "local-networks";
    case Peer::Kind::kController:
      return "controller:" + p.value;
    case Peer::Kind::kMyController:
      return "my-controller";
    case Peer::Kind::kManufacturer:
      return "manufacturer:" + p.value;
    case Peer::Kind::kSameManufacturer:
      return "same-manufacturer";
    case Peer::Kind::kModel:
      return "model:" + p.value;
  }
  return {};
}

std::string describe(const Rule& r) {
  std::string out = r.action == Action::kAccept ? "allow "
                    : r.action == Action::kDrop ? "drop "
                                                : "reject ";
  out += proto_text(r);
  if (r.icmp_type) out += " type " + std::to_string(*r.icmp_type);
  if (r.icmp_code) out += " code " + std::to_string(*r.icmp_code);
  const bool from = r.dir == Dir::kFromDevice;
  const auto& remote_port = from ? r.dst_port : r.src_port;
  const auto& local_port = from ? r.src_port : r.dst_port;
  if (remote_port) out += "/" + port_text(*remote_port);
  out += from ? " to " : " from ";
  out += peer_text(r.peer);
  for (const auto& p : r.and_peers) out += " and " + peer_text(p);
  if (local_port) out += " (device port " + port_text(*local_port) + ")";
  if (r.family == 4) out += " (IPv4)";
  if (r.family == 6) out += " (IPv6)";
  if (r.protocol == 6 && r.initiated == mud::Initiated::kFromDevice) out += " (device opens)";
  if (r.protocol == 6 && r.initiated == mud::Initiated::kToDevice) out += " (peer opens)";
  return out;
}

std::string_view source_name(DevicePolicy::Source s) {
  switch (s) {
    case DevicePolicy::Source::kMud:
      return "mud";
    case DevicePolicy::Source::kAllowList:
      return "allow-list";
    case DevicePolicy::Source::kLearned:
      return "learned";
  }
  return "?";
}

Result<DevicePolicy, std::string> from_mud(const mud::MudFile& mud) {
  DevicePolicy p;
  p.source = DevicePolicy::Source::kMud;
  p.mud_url = mud.url;
  if (mud.url.empty()) return unexpected(std::string("the MUD file has no mud-url"));
  auto add = [&](const std::vector<std::string>& names, bool from_device) {
    for (const auto& name : names) {
      const mud::Acl* acl = mud.find_acl(name);
      if (!acl) continue;  // parse_mud guarantees it exists; defensive
      for (const auto& ace : acl->aces) {
        auto m = map_ace(*acl, ace, from_device);
        if (m.rule)
          p.rules.push_back(std::move(*m.rule));
        else
          p.warnings.push_back(std::move(m.warning));
      }
    }
  };
  add(mud.from_device_policy, true);
  add(mud.to_device_policy, false);
  return p;
}

std::string url_authority(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  auto rest = url.substr(scheme + 3);
  auto end = rest.find_first_of("/?#");
  auto host = rest.substr(0, end);
  if (auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? std::string() : std::string(host.substr(0, close + 1));
  }
  if (auto colon = host.find(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  return normalize_dns_name(host);
}

bool url_host_is_local(std::string_view url) {
  std::string host = url_authority(url);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto ip = IpAddr::parse(host);
  return ip && (ip->is_local_unicast() || ip->is_unspecified() || ip->is_multicast());
}

std::string normalize_dns_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return {};
  std::string out;
  out.reserve(name.size());
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return {};
      label = 0;
      out += c;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > 63) return {};
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return label == 0 ? std::string() : out;
}

}  // namespace warden::policy
