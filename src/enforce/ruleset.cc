#include "enforce/ruleset.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace warden::enforce {
namespace {

using policy::Dir;
using policy::Peer;
using policy::Rule;

std::string mac_text(const MacAddr& m) { return m.to_string(); }

std::string port_expr(const char* field, const mud::PortMatch& p) {
  using Op = mud::PortMatch::Op;
  std::string f = std::string("th ") + field + " ";
  switch (p.op) {
    case Op::kEq:
      return f + std::to_string(p.port);
    case Op::kNeq:
      return f + "!= " + std::to_string(p.port);
    case Op::kLte:
      return f + "<= " + std::to_string(p.port);
    case Op::kGte:
      return f + ">= " + std::to_string(p.port);
    case Op::kRange:
      return f + std::to_string(p.port) + "-" + std::to_string(p.upper);
  }
  return {};
}

// Where the named sets of the table live, by what they stand for.
struct SetIndex {
  std::vector<std::string> names;          // DNS names -> n<k>
  std::vector<std::string> controllers;    // class URIs -> c<k>
  std::vector<std::string> manufacturers;  // authorities -> mf<k>
  std::vector<std::string> models;         // MUD URLs -> md<k>
  static std::size_t find(const std::vector<std::string>& v, std::string_view s) {
    return static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), s) - v.begin());
  }
};

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

std::string manufacturer_of(const DeviceEntry& d) {
  return d.policy && d.policy->source == policy::DevicePolicy::Source::kMud
             ? policy::url_authority(d.policy->mud_url)
             : std::string();
}

SetIndex build_index(const GatewayState& s) {
  SetIndex ix;
  ix.names = needed_names(s);
  for (const auto& [uri, addrs] : s.controllers) ix.controllers.push_back(uri);
  for (const auto& d : s.devices) {
    if (!d.policy) continue;
    for (const auto& r : d.policy->rules) {
      std::vector<const Peer*> all{&r.peer};
      for (const auto& p : r.and_peers) all.push_back(&p);
      for (const Peer* peer : all) switch (peer->kind) {
          case Peer::Kind::kController:
            ix.controllers.push_back(peer->value);
            break;
          case Peer::Kind::kManufacturer:
            ix.manufacturers.push_back(peer->value);
            break;
          case Peer::Kind::kSameManufacturer:
            if (auto m = manufacturer_of(d); !m.empty()) ix.manufacturers.push_back(m);
            break;
          case Peer::Kind::kModel:
            ix.models.push_back(peer->value);
            break;
          default:
            break;
        }
    }
  }
  sort_unique(ix.controllers);
  sort_unique(ix.manufacturers);
  sort_unique(ix.models);
  return ix;
}

// "{ a, b }" of the addresses of one family, or empty when there are none.
std::string element_list(const std::vector<std::string>& items) {
  if (items.empty()) return {};
  std::string out = "{ ";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  return out + " }";
}

std::vector<std::string> family_addrs(const std::vector<IpAddr>& addrs, bool v4) {
  std::vector<std::string> out;
  std::set<IpAddr> seen;
  for (const auto& a : addrs)
    if (a.is_v4() == v4 && seen.insert(a).second) out.push_back(a.to_string());
  return out;
}

std::vector<std::string> family_prefixes(const std::vector<policy::Prefix>& ps, bool v4) {
  std::vector<std::string> out;
  for (const auto& p : ps)
    if (p.v4() == v4) out.push_back(p.to_string());
  return out;
}

void add_set(std::string& out, const std::string& name, bool v4, bool interval, bool timeout,
             const std::vector<std::string>& elements) {
  out += "  set " + name + " { type " + (v4 ? "ipv4_addr" : "ipv6_addr") + ";";
  if (interval) out += " flags interval; auto-merge;";
  // A default lifetime for elements added without one (by dnsmasq's nftset).
  if (timeout) out += " flags timeout; timeout 1d;";
  if (!elements.empty()) out += " elements = " + element_list(elements) + ";";
  out += " }\n";
}

struct RenderCtx {
  const GatewayState& s;
  const SetIndex& ix;
  const DeviceEntry& dev;
  std::vector<std::string>& warnings;
  std::size_t rules = 0;
};

// The peer match for one family: "ip daddr @n3_4", "" for any, or nullopt when the peer has
// no addresses of that family that could ever match (the rule is not written for it).
std::optional<std::string> peer_match(RenderCtx& c, const Peer& p, bool v4, bool out_dir) {
  const std::string field = std::string(v4 ? "ip " : "ip6 ") + (out_dir ? "daddr " : "saddr ");
  const std::string suffix = v4 ? "_4" : "_6";
  switch (p.kind) {
    case Peer::Kind::kAny:
      return std::string();
    case Peer::Kind::kNetwork:
      if (!p.network || p.network->v4() != v4) return std::nullopt;
      return field + p.network->to_string();
    case Peer::Kind::kDnsName:
      return field + "@" + name_set(p.value, v4);
    case Peer::Kind::kLocalNetworks:
      return field + "@lan" + (v4 ? "4" : "6");
    case Peer::Kind::kController:
      return field + "@c" + std::to_string(SetIndex::find(c.ix.controllers, p.value)) + suffix;
    case Peer::Kind::kManufacturer:
      return field + "@mf" + std::to_string(SetIndex::find(c.ix.manufacturers, p.value)) + suffix;
    case Peer::Kind::kSameManufacturer: {
      auto m = manufacturer_of(c.dev);
      if (m.empty()) return std::nullopt;
      return field + "@mf" + std::to_string(SetIndex::find(c.ix.manufacturers, m)) + suffix;
    }
    case Peer::Kind::kModel:
      return field + "@md" + std::to_string(SetIndex::find(c.ix.models, p.value)) + suffix;
    case Peer::Kind::kMyController: {
      auto list = family_addrs(c.dev.my_controller, v4);
      if (list.empty()) return std::nullopt;
      return field + element_list(list);
    }
  }
  return std::nullopt;
}

void render_rule(RenderCtx& c, const Rule& r, bool out_dir, std::string& out) {
  // TCP rules say who may open: the other side's connections ride connection tracking only.
  const bool tcp = r.protocol == 6;
  const auto opener = out_dir ? mud::Initiated::kFromDevice : mud::Initiated::kToDevice;
  if (tcp && r.initiated != mud::Initiated::kEither && r.initiated != opener) return;
  // MUDgee-style files allow the replies of the device's own connections with a to-device ACE
  // naming only the peer's port ("from port 443"). Connection tracking carries replies
  // already; written literally, the rule would let anyone open connections to the device
  // from source port 443. Not written: statefulness makes it redundant.
  if (tcp && !out_dir && r.initiated == mud::Initiated::kEither && r.src_port && !r.dst_port)
    return;
  auto names_kind = [&](Peer::Kind k) {
    return r.peer.kind == k || std::any_of(r.and_peers.begin(), r.and_peers.end(),
                                           [k](const Peer& p) { return p.kind == k; });
  };
  if (names_kind(Peer::Kind::kMyController) && c.dev.my_controller.empty()) {
    c.warnings.push_back(c.dev.name + ": " + r.id +
                         ": my-controller is not configured for this device; not allowed");
    return;
  }
  if (names_kind(Peer::Kind::kSameManufacturer) && manufacturer_of(c.dev).empty()) {
    c.warnings.push_back(c.dev.name + ": " + r.id +
                         ": same-manufacturer needs a MUD URL; not allowed");
    return;
  }
  bool families[2] = {r.family != 6, r.family != 4};  // [v4, v6]
  // ICMP numbers are per family.
  if (r.protocol == 1) families[1] = false;
  if (r.protocol == 58) families[0] = false;
  const bool any_peer = r.peer.kind == Peer::Kind::kAny;
  for (int f = 0; f < 2; ++f) {
    if (!families[f]) continue;
    const bool v4 = f == 0;
    auto peer = peer_match(c, r.peer, v4, out_dir);
    if (!peer) continue;
    bool possible = true;
    for (const auto& extra : r.and_peers) {
      auto more = peer_match(c, extra, v4, out_dir);
      if (!more)
        possible = false;
      else if (!more->empty())
        *peer += (peer->empty() ? "" : " ") + *more;
    }
    if (!possible) continue;
    std::string line = "    ";
    if (!peer->empty()) {
      line += *peer + " ";
    } else if (r.family != 0) {
      line += std::string("meta nfproto ") + (v4 ? "ipv4 " : "ipv6 ");
    }
    if (r.protocol) {
      line += "meta l4proto " + std::to_string(*r.protocol) + " ";
      if (r.src_port) line += port_expr("sport", *r.src_port) + " ";
      if (r.dst_port) line += port_expr("dport", *r.dst_port) + " ";
      if (r.icmp_type)
        line += std::string(v4 ? "icmp" : "icmpv6") + " type " + std::to_string(*r.icmp_type) + " ";
      if (r.icmp_code)
        line += std::string(v4 ? "icmp" : "icmpv6") + " code " + std::to_string(*r.icmp_code) + " ";
      if (tcp && r.initiated == opener) line += "ct state new ";
    }
    line += "counter ";
    switch (r.action) {
      case policy::Action::kAccept:
        line += out_dir ? "return" : "accept";
        break;
      case policy::Action::kDrop:
        line += "drop";
        break;
      case policy::Action::kReject:
        line += "reject";
        break;
    }
    line += " comment \"" + nft_comment(r.id) + "\"\n";
    out += line;
    ++c.rules;
    // A rule with no family-specific peer and no family restriction covers both at once.
    if (any_peer && r.family == 0 && !r.icmp_type && !r.icmp_code) break;
  }
}

std::string chains_for(const std::string& chain, const std::string& key, const std::string& body) {
  return "  chain " + chain + " {\n" + body + "    counter name " + key +
         "_drop drop comment \"default deny\"\n  }\n";
}

std::string fmt_hex(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

// The rules of a quarantined device's two chains (suffix "_qo" or "_qi", rule body), before
// the final counted drop: DNS, DHCP and NTP, and the update servers, nothing else.
std::vector<std::pair<const char*, std::string>> quarantine_rules(const GatewayState& s) {
  std::vector<std::pair<const char*, std::string>> r;
  const std::string est = "ct state established,related ";
  const std::string upd = " counter accept comment \"quarantine: update servers\"";
  r.emplace_back("_qo",
                 "meta l4proto udp udp dport { 53, 67, 123, 547 } counter accept comment "
                 "\"quarantine: dns, dhcp, ntp\"");
  r.emplace_back("_qo", "meta l4proto tcp tcp dport 53 counter accept comment \"quarantine: dns\"");
  r.emplace_back("_qi", est +
                            "meta l4proto udp udp sport { 53, 67, 123, 547 } counter accept "
                            "comment \"quarantine: dns, dhcp, ntp\"");
  r.emplace_back("_qi",
                 est + "meta l4proto tcp tcp sport 53 counter accept comment \"quarantine: dns\"");
  // Name sets are named by the name alone, so no index of the table's names is needed.
  std::vector<std::string> names = s.update_names;
  sort_unique(names);
  std::vector<std::string> sets = {"upd4", "upd6"};
  for (const auto& n : names) {
    sets.push_back(name_set(n, true));
    sets.push_back(name_set(n, false));
  }
  for (const auto& set : sets) {
    const bool v6 = set.back() == '6';
    r.emplace_back("_qo", std::string(v6 ? "ip6" : "ip") + " daddr @" + set + upd);
    r.emplace_back("_qi", est + (v6 ? "ip6" : "ip") + " saddr @" + set + upd);
  }
  return r;
}

}  // namespace

std::string nft_comment(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 120) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view(" ._-:/[]()=,+@<>!").find(c) != std::string_view::npos;
    out += ok ? c : '_';
  }
  return out;
}

std::string device_key(const std::optional<MacAddr>& mac, const std::vector<IpAddr>& addrs) {
  if (mac) return "m" + fmt_hex(mac->as_u64(), 12);
  if (addrs.empty()) return "x";
  const auto& a = addrs.front();
  if (a.is_v4()) return "a" + fmt_hex(a.v4_host_order(), 8);
  // FNV-1a of the 16 bytes: chain names stay short.
  std::uint64_t h = 1469598103934665603ull;
  for (auto b : a.raw()) h = (h ^ b) * 1099511628211ull;
  return "a" + fmt_hex(h, 16);
}

std::vector<std::string> needed_names(const GatewayState& s) {
  std::vector<std::string> names = s.update_names;
  for (const auto& d : s.devices)
    if (d.policy)
      for (const auto& r : d.policy->rules) {
        if (r.peer.kind == Peer::Kind::kDnsName) names.push_back(r.peer.value);
        for (const auto& p : r.and_peers)
          if (p.kind == Peer::Kind::kDnsName) names.push_back(p.value);
      }
  sort_unique(names);
  return names;
}

Rendered render_table(const GatewayState& s, std::uint64_t generation, Timestamp now) {
  Rendered out;
  const SetIndex ix = build_index(s);
  std::string& t = out.script;
  t.reserve(4096 + s.devices.size() * 1024);
  // Create-then-delete makes the replacement work whether or not the table exists, and the
  // whole buffer is one transaction: packets see the old table or the new, never neither.
  t += "table inet warden {}\ndelete table inet warden\ntable inet warden {\n";
  t += "  comment \"warden gateway generation " + std::to_string(generation) + "\"\n";
  for (bool v4 : {true, false}) {
    const std::string f = v4 ? "4" : "6";
    add_set(t, "lan" + f, v4, true, false, family_prefixes(s.lan_networks, v4));
    add_set(t, "upd" + f, v4, true, false, family_prefixes(s.update_servers, v4));
  }
  for (std::size_t k = 0; k < ix.names.size(); ++k) {
    std::vector<std::string> el4, el6;
    if (auto it = s.resolved.find(ix.names[k]); it != s.resolved.end()) {
      for (const auto& [ip, expiry] : it->second) {
        if (expiry <= now) continue;
        const auto left = std::max<Timestamp>(1, (expiry - now) / kNsPerSec);
        (ip.is_v4() ? el4 : el6)
            .push_back(ip.to_string() + " timeout " + std::to_string(left) + "s");
      }
    }
    add_set(t, name_set(ix.names[k], true), true, false, true, el4);
    add_set(t, name_set(ix.names[k], false), false, false, true, el6);
  }
  for (std::size_t k = 0; k < ix.controllers.size(); ++k) {
    std::vector<IpAddr> addrs;
    if (auto it = s.controllers.find(ix.controllers[k]); it != s.controllers.end())
      addrs = it->second;
    add_set(t, "c" + std::to_string(k) + "_4", true, false, false, family_addrs(addrs, true));
    add_set(t, "c" + std::to_string(k) + "_6", false, false, false, family_addrs(addrs, false));
  }
  auto members = [&](auto pred) {
    std::vector<IpAddr> addrs;
    for (const auto& d : s.devices)
      if (pred(d)) addrs.insert(addrs.end(), d.addrs.begin(), d.addrs.end());
    return addrs;
  };
  for (std::size_t k = 0; k < ix.manufacturers.size(); ++k) {
    auto addrs =
        members([&](const DeviceEntry& d) { return manufacturer_of(d) == ix.manufacturers[k]; });
    add_set(t, "mf" + std::to_string(k) + "_4", true, false, false, family_addrs(addrs, true));
    add_set(t, "mf" + std::to_string(k) + "_6", false, false, false, family_addrs(addrs, false));
  }
  for (std::size_t k = 0; k < ix.models.size(); ++k) {
    auto addrs = members([&](const DeviceEntry& d) {
      return d.policy && d.policy->source == policy::DevicePolicy::Source::kMud &&
             d.policy->mud_url == ix.models[k];
    });
    add_set(t, "md" + std::to_string(k) + "_4", true, false, false, family_addrs(addrs, true));
    add_set(t, "md" + std::to_string(k) + "_6", false, false, false, family_addrs(addrs, false));
  }

  // Per-device chains and the map entries that lead to them.
  std::vector<std::string> from_mac, from4, from6, to4, to6;
  std::set<std::string> counters;
  std::string chains;
  for (const auto& d : s.devices) {
    if (!d.policy) continue;
    const std::string key = device_key(d.mac, d.addrs);
    RenderCtx c{s, ix, d, out.warnings};
    std::string o, i;
    for (const auto& r : d.policy->rules)
      render_rule(c, r, r.dir == Dir::kFromDevice, r.dir == Dir::kFromDevice ? o : i);
    for (const auto& w : d.policy->warnings) out.warnings.push_back(d.name + ": " + w);
    out.rules += c.rules + 2;
    chains += chains_for(key + "_o", key, o);
    chains += chains_for(key + "_i", key, i);
    counters.insert(key);
    if (d.mac) from_mac.push_back(mac_text(*d.mac) + " : jump " + key + "_o");
    for (const auto& a : d.addrs) {
      if (!d.mac) (a.is_v4() ? from4 : from6).push_back(a.to_string() + " : jump " + key + "_o");
      (a.is_v4() ? to4 : to6).push_back(a.to_string() + " : jump " + key + "_i");
    }
  }
  // Quarantine chains.
  std::vector<std::string> q_mac, q_from4, q_from6, q_to4, q_to6;
  std::string qchains;
  const auto qrules = quarantine_rules(s);
  for (const auto& q : s.quarantine) {
    const std::string key = device_key(q.mac, q.addrs);
    counters.insert(key);
    for (const char* suffix : {"_qo", "_qi"}) {
      qchains += "  chain " + key + suffix + " {\n";
      for (const auto& [chain, body] : qrules)
        if (std::string_view(chain) == suffix) qchains += "    " + body + "\n";
      qchains += "    counter name " + key + "_drop drop comment \"quarantine\"\n  }\n";
    }
    if (q.mac) q_mac.push_back(mac_text(*q.mac) + " : goto " + key + "_qo");
    for (const auto& a : q.addrs) {
      (a.is_v4() ? q_from4 : q_from6).push_back(a.to_string() + " : goto " + key + "_qo");
      (a.is_v4() ? q_to4 : q_to6).push_back(a.to_string() + " : goto " + key + "_qi");
    }
  }
  for (const auto& k : counters) t += "  counter " + k + "_drop { }\n";
  auto add_map = [&](const char* name, const char* type, const std::vector<std::string>& el) {
    t += std::string("  map ") + name + " { type " + type + " : verdict;";
    if (!el.empty()) t += " elements = " + element_list(el) + ";";
    t += " }\n";
  };
  add_map("q_from_mac", "ether_addr", q_mac);
  add_map("q_from4", "ipv4_addr", q_from4);
  add_map("q_from6", "ipv6_addr", q_from6);
  add_map("q_to4", "ipv4_addr", q_to4);
  add_map("q_to6", "ipv6_addr", q_to6);
  add_map("from_mac", "ether_addr", from_mac);
  add_map("from4", "ipv4_addr", from4);
  add_map("from6", "ipv6_addr", from6);
  add_map("to4", "ipv4_addr", to4);
  add_map("to6", "ipv6_addr", to6);
  t += "  chain forward {\n"
       "    type filter hook forward priority filter - 5; policy accept;\n"
       "    ether saddr vmap @q_from_mac\n"
       "    ct state established,related accept\n"
       "    ip saddr vmap @q_from4\n"
       "    ip6 saddr vmap @q_from6\n"
       "    ip daddr vmap @q_to4\n"
       "    ip6 daddr vmap @q_to6\n"
       "    ether saddr vmap @from_mac\n"
       "    ip saddr vmap @from4\n"
       "    ip6 saddr vmap @from6\n"
       "    ip daddr vmap @to4\n"
       "    ip6 daddr vmap @to6\n"
       "  }\n";
  t += chains;
  t += qchains;
  t += "}\n";
  out.rules += 11;
  return out;
}

std::string render_quarantine(const QuarantineEntry& q, const GatewayState& s) {
  const std::string key = device_key(q.mac, q.addrs);
  std::string out;
  out += "add counter inet warden " + key + "_drop\n";
  for (const char* suffix : {"_qo", "_qi"}) {
    out += "add chain inet warden " + key + suffix + "\n";
    out += "flush chain inet warden " + key + suffix + "\n";
  }
  for (const auto& [chain, body] : quarantine_rules(s))
    out += "add rule inet warden " + key + chain + " " + body + "\n";
  for (const char* suffix : {"_qo", "_qi"})
    out += "add rule inet warden " + key + suffix + " counter name " + key +
           "_drop drop comment \"quarantine\"\n";
  if (q.mac)
    out +=
        "add element inet warden q_from_mac { " + mac_text(*q.mac) + " : goto " + key + "_qo }\n";
  for (const auto& a : q.addrs) {
    const char* f = a.is_v4() ? "4" : "6";
    out += std::string("add element inet warden q_from") + f + " { " + a.to_string() + " : goto " +
           key + "_qo }\n";
    out += std::string("add element inet warden q_to") + f + " { " + a.to_string() + " : goto " +
           key + "_qi }\n";
  }
  return out;
}

std::string render_release(const QuarantineEntry& q) {
  const std::string key = device_key(q.mac, q.addrs);
  std::string out;
  if (q.mac) out += "delete element inet warden q_from_mac { " + mac_text(*q.mac) + " }\n";
  for (const auto& a : q.addrs) {
    const char* f = a.is_v4() ? "4" : "6";
    out += std::string("delete element inet warden q_from") + f + " { " + a.to_string() + " }\n";
    out += std::string("delete element inet warden q_to") + f + " { " + a.to_string() + " }\n";
  }
  out += "delete chain inet warden " + key + "_qo\n";
  out += "delete chain inet warden " + key + "_qi\n";
  return out;
}

std::string name_set(std::string_view name, bool v4) {
  // FNV-1a: the set of a name keeps its name whatever else the configuration holds, so a
  // dnsmasq nftset line written for it stays right across configuration changes.
  std::uint64_t h = 1469598103934665603ull;
  for (char ch : name) h = (h ^ static_cast<std::uint8_t>(ch)) * 1099511628211ull;
  return "n" + fmt_hex(h, 16) + (v4 ? "_4" : "_6");
}

std::string dnsmasq_nftsets(const GatewayState& s) {
  std::string out =
      "# Written by warden gateway: dnsmasq adds the addresses it answers for these\n"
      "# names to warden's sets before the answer leaves, so a device's first\n"
      "# connection after a lookup is already allowed.\n";
  for (const auto& n : needed_names(s))
    out += "nftset=/" + n + "/4#inet#warden#" + name_set(n, true) + ",6#inet#warden#" +
           name_set(n, false) + "\n";
  return out;
}

std::string render_resolution(std::string_view name, const std::vector<IpAddr>& addrs,
                              std::uint32_t ttl_s) {
  std::string out;
  for (const auto& a : addrs) {
    const std::string set = name_set(name, a.is_v4());
    const std::string el = "{ " + a.to_string() + " }";
    // add + delete + add: refreshes the timeout of an element that exists, creates it if not,
    // all inside the one transaction.
    out += "add element inet warden " + set + " " + el + "\n";
    out += "delete element inet warden " + set + " " + el + "\n";
    out += "add element inet warden " + set + " { " + a.to_string() + " timeout " +
           std::to_string(ttl_s) + "s }\n";
  }
  return out;
}

}  // namespace warden::enforce
