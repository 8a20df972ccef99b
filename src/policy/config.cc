#include "policy/config.h"

#include <charconv>
#include <set>

#include "core/json_reader.h"

namespace warden::policy {
namespace {

using Status = Result<bool, std::string>;
Unexpected<std::string> fail(const std::string& path, std::string_view why) {
  return unexpected(path + ": " + std::string(why));
}

Result<std::vector<std::string>, std::string> strings(const JsonValue& v, const std::string& path) {
  if (!v.is_array()) return fail(path, "must be an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.items().size(); ++i) {
    const auto& s = v.items()[i];
    if (!s.is_string()) return fail(path + "[" + std::to_string(i) + "]", "must be a string");
    out.push_back(s.as_string());
  }
  return out;
}

Result<std::vector<IpAddr>, std::string> addresses(const JsonValue& v, const std::string& path,
                                                   int family) {
  auto list = strings(v, path);
  if (!list) return unexpected(list.error());
  std::vector<IpAddr> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto ip = IpAddr::parse((*list)[i]);
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!ip) return fail(p, "not an IP address");
    if ((family == 4 && !ip->is_v4()) || (family == 6 && ip->is_v4()))
      return fail(p, family == 4 ? "not an IPv4 address" : "not an IPv6 address");
    if (ip->is_unspecified() || ip->is_multicast() || ip->is_broadcast())
      return fail(p, "not a unicast address");
    out.push_back(*ip);
  }
  return out;
}

Result<mud::PortMatch, std::string> port_spec(std::string_view text) {
  auto num = [](std::string_view t) -> std::optional<std::uint16_t> {
    unsigned v = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size() || v == 0 || v > 65535)
      return std::nullopt;
    return static_cast<std::uint16_t>(v);
  };
  mud::PortMatch p;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto lo = num(text.substr(0, dash)), hi = num(text.substr(dash + 1));
    if (!lo || !hi || *lo > *hi) return unexpected(std::string("must be 1..65535 or LOW-HIGH"));
    p.op = mud::PortMatch::Op::kRange;
    p.port = *lo;
    p.upper = *hi;
    return p;
  }
  auto v = num(text);
  if (!v) return unexpected(std::string("must be 1..65535 or LOW-HIGH"));
  p.port = *v;
  return p;
}

Result<Rule, std::string> allow_entry(const JsonValue& v, const std::string& path, std::size_t i) {
  if (!v.is_object()) return fail(path, "must be an object");
  for (const auto& m : v.members())
    if (m.key != "proto" && m.key != "port" && m.key != "to" && m.key != "from")
      return fail(path + "." + m.key, "unknown key (expected proto, port, to or from)");
  const JsonValue* to = v.find("to");
  const JsonValue* from = v.find("from");
  if ((to != nullptr) == (from != nullptr))
    return fail(path, "needs exactly one of \"to\" (traffic the device opens) or \"from\"");
  const JsonValue* peer = to ? to : from;
  if (!peer->is_string()) return fail(path + (to ? ".to" : ".from"), "must be a string");
  std::string proto = "any", port;
  if (const JsonValue* p = v.find("proto")) {
    if (!p->is_string()) return fail(path + ".proto", "must be a string");
    proto = p->as_string();
  }
  if (const JsonValue* p = v.find("port")) {
    if (p->is_number()) {
      auto n = p->as_integer();
      if (!n || *n < 1 || *n > 65535) return fail(path + ".port", "must be 1..65535");
      port = std::to_string(*n);
    } else if (p->is_string()) {
      port = p->as_string();
    } else {
      return fail(path + ".port", "must be a number or \"LOW-HIGH\"");
    }
  }
  auto r = parse_allow_spec(proto, port, peer->as_string(), to ? Dir::kFromDevice : Dir::kToDevice,
                            "allow[" + std::to_string(i) + "]");
  if (!r) return fail(path, r.error());
  return r;
}

Result<DeviceConfig, std::string> device(const JsonValue& v, const std::string& path) {
  if (!v.is_object()) return fail(path, "must be an object");
  DeviceConfig d;
  int sources = 0;
  for (const auto& m : v.members()) {
    const std::string p = path + "." + m.key;
    if (m.key == "name") {
      if (!m.value.is_string() || m.value.as_string().empty() || m.value.as_string().size() > 64)
        return fail(p, "must be a non-empty string of at most 64 bytes");
      d.name = m.value.as_string();
    } else if (m.key == "mac") {
      auto mac = m.value.is_string() ? MacAddr::parse(m.value.as_string()) : std::nullopt;
      if (!mac) return fail(p, "must be a MAC address \"aa:bb:cc:dd:ee:ff\"");
      if (mac->is_multicast() || mac->is_zero()) return fail(p, "must be a unicast MAC address");
      d.mac = *mac;
    } else if (m.key == "ipv4" || m.key == "ipv6") {
      auto a = addresses(m.value, p, m.key == "ipv4" ? 4 : 6);
      if (!a) return unexpected(a.error());
      d.addrs.insert(d.addrs.end(), a->begin(), a->end());
    } else if (m.key == "mud") {
      if (!m.value.is_string() || m.value.as_string().empty())
        return fail(p, "must be a MUD file path or URL");
      d.mud = m.value.as_string();
      ++sources;
    } else if (m.key == "allow") {
      if (!m.value.is_array()) return fail(p, "must be an array");
      std::vector<Rule> rules;
      for (std::size_t i = 0; i < m.value.items().size(); ++i) {
        auto r = allow_entry(m.value.items()[i], p + "[" + std::to_string(i) + "]", i);
        if (!r) return unexpected(r.error());
        rules.push_back(std::move(*r));
      }
      d.allow = std::move(rules);
      ++sources;
    } else if (m.key == "profile") {
      if (!m.value.is_string() || m.value.as_string() != "learned")
        return fail(p, "must be \"learned\"");
      d.learned = true;
      ++sources;
    } else if (m.key == "my_controller") {
      auto a = addresses(m.value, p, 0);
      if (!a) return unexpected(a.error());
      d.my_controller = std::move(*a);
    } else {
      return fail(p, "unknown key");
    }
  }
  if (!d.mac && d.addrs.empty()) return fail(path, "needs a \"mac\" or an address to know it by");
  if (sources != 1)
    return fail(path, "needs exactly one policy: \"mud\", \"allow\" or \"profile\": \"learned\"");
  if (d.name.empty()) d.name = d.mac ? d.mac->to_string() : d.addrs.front().to_string();
  return d;
}

}  // namespace

Result<Rule, std::string> parse_allow_spec(std::string_view proto, std::string_view port,
                                           std::string_view peer, Dir dir, std::string id) {
  Rule r;
  r.id = std::move(id);
  r.dir = dir;
  if (proto == "tcp")
    r.protocol = 6;
  else if (proto == "udp")
    r.protocol = 17;
  else if (proto == "icmp")
    r.protocol = 1;
  else if (proto == "icmpv6")
    r.protocol = 58;
  else if (proto != "any" && !proto.empty())
    return unexpected("unknown protocol \"" + std::string(proto) +
                      "\" (tcp, udp, icmp, icmpv6, any)");
  if (!port.empty()) {
    if (r.protocol != 6 && r.protocol != 17)
      return unexpected(std::string("a port needs proto tcp or udp"));
    auto p = port_spec(port);
    if (!p) return unexpected("port " + p.error());
    (dir == Dir::kFromDevice ? r.dst_port : r.src_port) = *p;
    // An allow entry names a service: the port is the one that accepts connections, and only
    // the side that opens may start (replies pass by connection tracking).
    if (dir == Dir::kToDevice) {
      r.dst_port = r.src_port;
      r.src_port.reset();
    }
  }
  r.initiated = r.protocol == 6 ? (dir == Dir::kFromDevice ? mud::Initiated::kFromDevice
                                                           : mud::Initiated::kToDevice)
                                : mud::Initiated::kEither;
  if (peer == "any") {
    r.peer.kind = Peer::Kind::kAny;
  } else if (peer == "local-networks") {
    r.peer.kind = Peer::Kind::kLocalNetworks;
  } else if (peer.substr(0, 11) == "controller:") {
    r.peer = {Peer::Kind::kController, std::string(peer.substr(11)), {}};
    if (r.peer.value.empty()) return unexpected(std::string("controller: needs a class URI"));
  } else if (auto p = parse_prefix(peer)) {
    r.peer = {Peer::Kind::kNetwork, p->to_string(), *p};
  } else {
    auto name = normalize_dns_name(peer);
    if (name.empty())
      return unexpected("\"" + std::string(peer) +
                        "\" is neither an address, a network, a DNS name, \"any\", "
                        "\"local-networks\" nor \"controller:URI\"");
    r.peer = {Peer::Kind::kDnsName, name, {}};
  }
  return r;
}

Result<GatewayConfig, std::string> parse_gateway_config(std::string_view json) {
  if (json.size() > kMaxConfigBytes) return unexpected(std::string("the file is too large"));
  JsonLimits limits;
  limits.max_bytes = kMaxConfigBytes;
  limits.max_values = 2'000'000;
  auto doc = parse_json(json, limits);
  if (!doc)
    return unexpected("not valid JSON: " + std::string(doc.error().reason) + " at byte " +
                      std::to_string(doc.error().offset));
  if (!doc->is_object()) return unexpected(std::string("the configuration must be a JSON object"));
  GatewayConfig c;
  for (const auto& m : doc->members()) {
    const std::string& p = m.key;
    if (m.key == "lan_networks" || m.key == "update_servers") {
      auto list = strings(m.value, p);
      if (!list) return unexpected(list.error());
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string& s = (*list)[i];
        if (auto pre = parse_prefix(s)) {
          (m.key == "lan_networks" ? c.lan_networks : c.update_servers).push_back(*pre);
        } else if (m.key == "update_servers" && !normalize_dns_name(s).empty()) {
          c.update_names.push_back(normalize_dns_name(s));
        } else {
          return fail(p + "[" + std::to_string(i) + "]",
                      m.key == "lan_networks" ? "not a network (address/length)"
                                              : "not an address, network or DNS name");
        }
      }
    } else if (m.key == "controllers") {
      if (!m.value.is_object()) return fail(p, "must map class URIs to address lists");
      for (const auto& cm : m.value.members()) {
        auto a = addresses(cm.value, p + "[\"" + cm.key + "\"]", 0);
        if (!a) return unexpected(a.error());
        c.controllers[cm.key] = std::move(*a);
      }
    } else if (m.key == "devices") {
      if (!m.value.is_array()) return fail(p, "must be an array");
      if (m.value.items().size() > kMaxDevices)
        return fail(p, "more than " + std::to_string(kMaxDevices) + " devices");
      std::set<std::string> names;
      std::set<MacAddr> macs;
      std::set<IpAddr> ips;
      for (std::size_t i = 0; i < m.value.items().size(); ++i) {
        const std::string dp = "devices[" + std::to_string(i) + "]";
        auto d = device(m.value.items()[i], dp);
        if (!d) return unexpected(d.error());
        if (d->mac && !macs.insert(*d->mac).second)
          return fail(dp, "the MAC " + d->mac->to_string() + " is listed twice");
        for (const auto& a : d->addrs)
          if (!ips.insert(a).second)
            return fail(dp, "the address " + a.to_string() + " is listed twice");
        if (!names.insert(d->name).second) return fail(dp, "the name \"" + d->name + "\" is taken");
        c.devices.push_back(std::move(*d));
      }
    } else {
      return fail(p, "unknown key (expected lan_networks, update_servers, controllers, devices)");
    }
  }
  return c;
}

}  // namespace warden::policy
