#include "mud/mud.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/json_reader.h"
#include "core/net.h"

namespace warden::mud {
namespace {

constexpr std::string_view kAclModule = "ietf-access-control-list:";

// Validation helpers return a Status: the first failure, with its path, stops the parse.
using Status = Result<bool, MudError>;

Unexpected<MudError> fail(std::string reason, std::string path) {
  return Unexpected<MudError>{MudError{std::move(reason), std::move(path)}};
}

std::string join(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}
std::string index(const std::string& base, std::size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

// RFC 7951 encodes an identityref as "module:name" when the module differs from its parent;
// files write either form.
std::string_view strip_acl_module(std::string_view s) {
  if (s.substr(0, kAclModule.size()) == kAclModule) s.remove_prefix(kAclModule.size());
  return s;
}

// Typed access to one object member; every helper reports a path.
Result<const JsonValue*, MudError> member(const JsonValue& obj, const std::string& path,
                                          std::string_view key, JsonValue::Type type,
                                          bool required) {
  const JsonValue* v = obj.find(key);
  if (!v) {
    if (required) return fail("missing required \"" + std::string(key) + "\"", path);
    return static_cast<const JsonValue*>(nullptr);
  }
  if (v->type() != type) {
    static constexpr const char* kNames[] = {"null",     "a boolean", "a number",
                                             "a string", "an array",  "an object"};
    return fail(std::string("must be ") + kNames[static_cast<int>(type)], join(path, key));
  }
  return v;
}

Result<std::string, MudError> string_member(const JsonValue& obj, const std::string& path,
                                            std::string_view key, bool required) {
  auto v = member(obj, path, key, JsonValue::Type::kString, required);
  if (!v) return Unexpected<MudError>{v.error()};
  if (!*v) return std::string();
  if ((*v)->as_string().empty()) return fail("must not be empty", join(path, key));
  return (*v)->as_string();
}

Result<std::int64_t, MudError> integer(const JsonValue& v, const std::string& path, std::int64_t lo,
                                       std::int64_t hi) {
  auto i = v.as_integer();
  if (!v.is_number() || !i) return fail("must be an integer", path);
  if (*i < lo || *i > hi)
    return fail("must be between " + std::to_string(lo) + " and " + std::to_string(hi), path);
  return *i;
}

// A YANG leaf of type "empty" is [null] in RFC 7951 JSON.
Status empty_leaf(const JsonValue& v, const std::string& path) {
  if (v.is_array() && v.items().size() == 1 && v.items()[0].is_null()) return true;
  return fail("must be [null] (a YANG empty leaf)", path);
}

// The first key of the pre-RFC draft schema anywhere in the document, with its path.
bool find_draft_key(const JsonValue& v, const std::string& path, std::string& found) {
  if (v.is_object()) {
    for (const auto& m : v.members()) {
      if (m.key == "access-list-entries" || m.key == "rule-name" || m.key == "acl-name" ||
          m.key == "ietf-mud:mud-acl") {
        found = join(path, m.key);
        return true;
      }
      if (find_draft_key(m.value, join(path, m.key), found)) return true;
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.items().size(); ++i)
      if (find_draft_key(v.items()[i], index(path, i), found)) return true;
  }
  return false;
}

bool valid_dns_name(std::string_view n) {
  if (n.empty() || n.size() > 253) return false;
  std::size_t label = 0;
  for (char c : n) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return true;
}

Status network(std::string_view text, bool v6, const std::string& path) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return fail("must be an address/prefix-length", path);
  auto ip = IpAddr::parse(text.substr(0, slash));
  if (!ip || ip->is_v4() == v6)
    return fail(v6 ? "must be an IPv6 network" : "must be an IPv4 network", path);
  auto bits_text = text.substr(slash + 1);
  unsigned bits = 0;
  auto r = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
  if (bits_text.empty() || r.ec != std::errc() || r.ptr != bits_text.data() + bits_text.size() ||
      bits > (v6 ? 128u : 32u))
    return fail("bad prefix length", path);
  return true;
}

Result<PortMatch, MudError> port_match(const JsonValue& v, const std::string& path) {
  if (!v.is_object()) return fail("must be an object", path);
  PortMatch p;
  const JsonValue* op = v.find("operator");
  const JsonValue* lower = v.find("lower-port");
  const JsonValue* upper = v.find("upper-port");
  for (const auto& m : v.members()) {
    if (m.key != "operator" && m.key != "port" && m.key != "lower-port" && m.key != "upper-port")
      return fail("unknown port match \"" + m.key + "\"", path);
  }
  if (lower || upper) {
    if (op || v.find("port")) return fail("mixes a range with an operator", path);
    if (!lower || !upper) return fail("a range needs lower-port and upper-port", path);
    auto lo = integer(*lower, join(path, "lower-port"), 0, 65535);
    if (!lo) return Unexpected<MudError>{lo.error()};
    auto hi = integer(*upper, join(path, "upper-port"), 0, 65535);
    if (!hi) return Unexpected<MudError>{hi.error()};
    if (*lo > *hi) return fail("lower-port is above upper-port", path);
    p.op = PortMatch::Op::kRange;
    p.port = static_cast<std::uint16_t>(*lo);
    p.upper = static_cast<std::uint16_t>(*hi);
    return p;
  }
  const JsonValue* port = v.find("port");
  if (!port) return fail("missing required \"port\"", path);
  auto n = integer(*port, join(path, "port"), 0, 65535);
  if (!n) return Unexpected<MudError>{n.error()};
  p.port = static_cast<std::uint16_t>(*n);
  // RFC 8519: the operator defaults to eq.
  std::string_view o = "eq";
  if (op) {
    if (!op->is_string()) return fail("must be a string", join(path, "operator"));
    o = op->as_string();
  }
  if (o == "eq")
    p.op = PortMatch::Op::kEq;
  else if (o == "neq")
    p.op = PortMatch::Op::kNeq;
  else if (o == "lte")
    p.op = PortMatch::Op::kLte;
  else if (o == "gte")
    p.op = PortMatch::Op::kGte;
  else
    return fail("unknown operator \"" + std::string(o) + "\"", join(path, "operator"));
  return p;
}

Status ip_match(const JsonValue& v, bool v6, const std::string& path, Ace& ace) {
  if (!v.is_object()) return fail("must be an object", path);
  const std::string dst_net = v6 ? "destination-ipv6-network" : "destination-ipv4-network";
  const std::string src_net = v6 ? "source-ipv6-network" : "source-ipv4-network";
  for (const auto& m : v.members()) {
    const std::string p = join(path, m.key);
    if (m.key == "protocol") {
      auto n = integer(m.value, p, 0, 255);
      if (!n) return Unexpected<MudError>{n.error()};
      ace.protocol = static_cast<std::uint8_t>(*n);
    } else if (m.key == dst_net || m.key == src_net) {
      if (!m.value.is_string()) return fail("must be a string", p);
      auto st = network(m.value.as_string(), v6, p);
      if (!st) return st;
      (m.key == dst_net ? ace.dst_network : ace.src_network) = m.value.as_string();
    } else if (m.key == "ietf-acldns:dst-dnsname" || m.key == "ietf-acldns:src-dnsname") {
      if (!m.value.is_string() || !valid_dns_name(m.value.as_string()))
        return fail("must be a DNS name", p);
      (m.key == "ietf-acldns:dst-dnsname" ? ace.dst_dnsname : ace.src_dnsname) =
          m.value.as_string();
    } else {
      // An enforcer that skipped a match it does not know would allow more than the file says.
      return fail("unsupported match \"" + m.key + "\"", path);
    }
  }
  // ietf-acldns puts the DNS name in a choice with the network: never both.
  if (!ace.dst_dnsname.empty() && !ace.dst_network.empty())
    return fail("has both a destination network and a destination DNS name", path);
  if (!ace.src_dnsname.empty() && !ace.src_network.empty())
    return fail("has both a source network and a source DNS name", path);
  return true;
}

Status l4_match(const JsonValue& v, Transport t, const std::string& path, Ace& ace) {
  if (!v.is_object()) return fail("must be an object", path);
  if (ace.transport != Transport::kNone) return fail("a second transport match", path);
  ace.transport = t;
  for (const auto& m : v.members()) {
    const std::string p = join(path, m.key);
    if (t != Transport::kIcmp && (m.key == "source-port" || m.key == "destination-port")) {
      auto pm = port_match(m.value, p);
      if (!pm) return Unexpected<MudError>{pm.error()};
      (m.key == "source-port" ? ace.src_port : ace.dst_port) = *pm;
    } else if (t == Transport::kTcp && m.key == "ietf-mud:direction-initiated") {
      if (!m.value.is_string()) return fail("must be a string", p);
      if (m.value.as_string() == "from-device")
        ace.initiated = Initiated::kFromDevice;
      else if (m.value.as_string() == "to-device")
        ace.initiated = Initiated::kToDevice;
      else
        return fail("must be \"from-device\" or \"to-device\"", p);
    } else if (t == Transport::kIcmp && (m.key == "type" || m.key == "code")) {
      auto n = integer(m.value, p, 0, 255);
      if (!n) return Unexpected<MudError>{n.error()};
      (m.key == "type" ? ace.icmp_type : ace.icmp_code) = static_cast<std::uint8_t>(*n);
    } else {
      return fail("unsupported match \"" + m.key + "\"", path);
    }
  }
  return true;
}

Status eth_match(const JsonValue& v, const std::string& path, Ace& ace) {
  if (!v.is_object()) return fail("must be an object", path);
  for (const auto& m : v.members()) {
    const std::string p = join(path, m.key);
    if (m.key == "ethertype") {
      // RFC 8519 types it uint16 (a JSON number); MUDgee writes a hex string ("0x0806").
      std::optional<std::int64_t> n;
      if (m.value.is_number()) {
        n = m.value.as_integer();
      } else if (m.value.is_string()) {
        std::string_view s = m.value.as_string();
        if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
          std::uint32_t x = 0;
          auto r = std::from_chars(s.data() + 2, s.data() + s.size(), x, 16);
          if (r.ec == std::errc() && r.ptr == s.data() + s.size()) n = x;
        }
      }
      if (!n || *n < 0 || *n > 0xffff) return fail("must be a 16-bit ethertype", p);
      ace.ethertype = static_cast<std::uint16_t>(*n);
    } else if (m.key == "destination-mac-address" || m.key == "source-mac-address") {
      if (!m.value.is_string() || !MacAddr::parse(m.value.as_string()))
        return fail("must be a MAC address", p);
      (m.key == "source-mac-address" ? ace.src_mac : ace.dst_mac) = m.value.as_string();
    } else {
      return fail("unsupported match \"" + m.key + "\"", path);
    }
  }
  return true;
}

Status mud_match(const JsonValue& v, const std::string& path, Ace& ace) {
  if (!v.is_object()) return fail("must be an object", path);
  for (const auto& m : v.members()) {
    const std::string p = join(path, m.key);
    if (m.key == "manufacturer" || m.key == "model" || m.key == "controller") {
      if (!m.value.is_string() || m.value.as_string().empty())
        return fail("must be a non-empty string", p);
      (m.key == "manufacturer" ? ace.mud.manufacturer
       : m.key == "model"      ? ace.mud.model
                               : ace.mud.controller) = m.value.as_string();
    } else if (m.key == "same-manufacturer" || m.key == "local-networks" ||
               m.key == "my-controller") {
      auto st = empty_leaf(m.value, p);
      if (!st) return st;
      (m.key == "same-manufacturer" ? ace.mud.same_manufacturer
       : m.key == "local-networks"  ? ace.mud.local_networks
                                    : ace.mud.my_controller) = true;
    } else {
      return fail("unsupported match \"" + m.key + "\"", path);
    }
  }
  return true;
}

Status ace(const JsonValue& v, AclType type, const std::string& path, Ace& out) {
  if (!v.is_object()) return fail("must be an object", path);
  auto name = string_member(v, path, "name", true);
  if (!name) return Unexpected<MudError>{name.error()};
  out.name = *name;
  auto matches = member(v, path, "matches", JsonValue::Type::kObject, false);
  if (!matches) return Unexpected<MudError>{matches.error()};
  if (*matches) {
    const std::string mp = join(path, "matches");
    for (const auto& m : (*matches)->members()) {
      const std::string p = join(mp, m.key);
      Status st = true;
      const bool ip_key = m.key == "ipv4" || m.key == "ipv6";
      if (ip_key && (type == AclType::kEth || (m.key == "ipv6") != (type == AclType::kIpv6)))
        return fail("an " + m.key + " match in an ACL of another type", p);
      if ((m.key == "tcp" || m.key == "udp" || m.key == "icmp") && type == AclType::kEth)
        return fail("a " + m.key + " match in an Ethernet ACL", p);
      if (ip_key)
        st = ip_match(m.value, m.key == "ipv6", p, out);
      else if (m.key == "tcp")
        st = l4_match(m.value, Transport::kTcp, p, out);
      else if (m.key == "udp")
        st = l4_match(m.value, Transport::kUdp, p, out);
      else if (m.key == "icmp")
        st = l4_match(m.value, Transport::kIcmp, p, out);
      else if (m.key == "eth")
        st = eth_match(m.value, p, out);
      else if (m.key == "ietf-mud:mud")
        st = mud_match(m.value, p, out);
      else
        return fail("unsupported match \"" + m.key + "\"", mp);
      if (!st) return st;
    }
    // The transport container must agree with the IP protocol when both are given.
    const int want = out.transport == Transport::kTcp    ? 6
                     : out.transport == Transport::kUdp  ? 17
                     : out.transport == Transport::kIcmp ? (type == AclType::kIpv6 ? 58 : 1)
                                                         : -1;
    if (want >= 0 && out.protocol && *out.protocol != want)
      return fail("protocol " + std::to_string(*out.protocol) + " contradicts the transport match",
                  mp);
    // MUDgee puts eth matches (broadcast MAC, ethertype 0x0800) in IP ACLs, which RFC 8519
    // would type mixed-eth-ipv4-acl-type. Accepted since every match is enforced (it only
    // narrows the rule), but an ethertype that contradicts the ACL's IP version would make
    // the rule match nothing, which is surely a mistake.
    const int ether = type == AclType::kIpv4 ? 0x0800 : type == AclType::kIpv6 ? 0x86dd : -1;
    if (ether >= 0 && out.ethertype && *out.ethertype != ether)
      return fail("ethertype contradicts the ACL's IP version", join(mp, "eth"));
  }
  auto actions = member(v, path, "actions", JsonValue::Type::kObject, true);
  if (!actions) return Unexpected<MudError>{actions.error()};
  auto fwd = string_member(**actions, join(path, "actions"), "forwarding", true);
  if (!fwd) return Unexpected<MudError>{fwd.error()};
  std::string_view f = strip_acl_module(*fwd);
  if (f == "accept")
    out.forwarding = Forwarding::kAccept;
  else if (f == "drop")
    out.forwarding = Forwarding::kDrop;
  else if (f == "reject")
    out.forwarding = Forwarding::kReject;
  else
    return fail("must be accept, drop or reject", join(join(path, "actions"), "forwarding"));
  return true;
}

Status acl(const JsonValue& v, const std::string& path, Acl& out) {
  if (!v.is_object()) return fail("must be an object", path);
  auto name = string_member(v, path, "name", true);
  if (!name) return Unexpected<MudError>{name.error()};
  out.name = *name;
  auto type = string_member(v, path, "type", true);
  if (!type) return Unexpected<MudError>{type.error()};
  std::string_view t = strip_acl_module(*type);
  if (t == "ipv4-acl-type")
    out.type = AclType::kIpv4;
  else if (t == "ipv6-acl-type")
    out.type = AclType::kIpv6;
  else if (t == "eth-acl-type" || t == "ethernet-acl-type")  // the latter: MUDgee's spelling
    out.type = AclType::kEth;
  else
    return fail("unsupported ACL type \"" + *type + "\"", join(path, "type"));
  auto aces = member(v, path, "aces", JsonValue::Type::kObject, true);
  if (!aces) return Unexpected<MudError>{aces.error()};
  const std::string ap = join(path, "aces");
  auto list = member(**aces, ap, "ace", JsonValue::Type::kArray, true);
  if (!list) return Unexpected<MudError>{list.error()};
  const std::string lp = join(ap, "ace");
  for (std::size_t i = 0; i < (*list)->items().size(); ++i) {
    Ace a;
    auto st = ace((*list)->items()[i], out.type, index(lp, i), a);
    if (!st) return st;
    if (out.type != AclType::kEth && (a.ethertype || !a.src_mac.empty() || !a.dst_mac.empty()))
      out.mixed_eth = true;
    for (const auto& prev : out.aces)
      if (prev.name == a.name) return fail("duplicate ACE name \"" + a.name + "\"", index(lp, i));
    out.aces.push_back(std::move(a));
  }
  return true;
}

Status policy(const JsonValue& mud, const std::string& path, std::string_view key,
              std::vector<std::string>& names) {
  auto pol = member(mud, path, key, JsonValue::Type::kObject, false);
  if (!pol) return Unexpected<MudError>{pol.error()};
  if (!*pol) return true;
  const std::string pp = join(path, key);
  auto lists = member(**pol, pp, "access-lists", JsonValue::Type::kObject, true);
  if (!lists) return Unexpected<MudError>{lists.error()};
  const std::string lp = join(pp, "access-lists");
  auto list = member(**lists, lp, "access-list", JsonValue::Type::kArray, true);
  if (!list) return Unexpected<MudError>{list.error()};
  const std::string ip = join(lp, "access-list");
  for (std::size_t i = 0; i < (*list)->items().size(); ++i) {
    const auto& item = (*list)->items()[i];
    if (!item.is_object()) return fail("must be an object", index(ip, i));
    auto name = string_member(item, index(ip, i), "name", true);
    if (!name) return Unexpected<MudError>{name.error()};
    names.push_back(*name);
  }
  return true;
}

Status container(const JsonValue& m, const std::string& p, MudFile& out) {
  auto version = member(m, p, "mud-version", JsonValue::Type::kNumber, true);
  if (!version) return Unexpected<MudError>{version.error()};
  if ((*version)->as_integer() != 1)
    return fail("must be 1 (the only version RFC 8520 defines)", join(p, "mud-version"));
  auto url = string_member(m, p, "mud-url", true);
  if (!url) return Unexpected<MudError>{url.error()};
  // RFC 8520 section 3.3: MUD URLs MUST use https.
  if (url->substr(0, 8) != "https://") return fail("must be an https URL", join(p, "mud-url"));
  out.url = *url;
  auto update = string_member(m, p, "last-update", true);
  if (!update) return Unexpected<MudError>{update.error()};
  out.last_update = *update;
  if (const JsonValue* cv = m.find("cache-validity")) {
    auto n = integer(*cv, join(p, "cache-validity"), 1, 168);  // hours, RFC 8520 range
    if (!n) return Unexpected<MudError>{n.error()};
    out.cache_validity = static_cast<std::uint32_t>(*n);
  }
  auto supported = member(m, p, "is-supported", JsonValue::Type::kBool, true);
  if (!supported) return Unexpected<MudError>{supported.error()};
  out.is_supported = (*supported)->as_bool();
  struct Text {
    std::string_view key;
    std::string* dst;
  };
  const Text texts[] = {{"systeminfo", &out.systeminfo},      {"mfg-name", &out.mfg_name},
                        {"model-name", &out.model_name},      {"firmware-rev", &out.firmware_rev},
                        {"software-rev", &out.software_rev},  {"mud-signature", &out.signature},
                        {"documentation", &out.documentation}};
  for (const auto& t : texts) {
    auto s = string_member(m, p, t.key, false);
    if (!s) return Unexpected<MudError>{s.error()};
    *t.dst = *s;
  }
  auto st = policy(m, p, "from-device-policy", out.from_device_policy);
  if (!st) return st;
  return policy(m, p, "to-device-policy", out.to_device_policy);
}

}  // namespace

const Acl* MudFile::find_acl(std::string_view name) const {
  for (const auto& a : acls)
    if (a.name == name) return &a;
  return nullptr;
}

Result<MudFile, MudError> parse_mud(std::string_view json) {
  JsonLimits limits;
  limits.max_bytes = kMaxMudBytes;
  auto doc = parse_json(json, limits);
  if (!doc)
    return fail("not valid JSON: " + std::string(doc.error().reason) + " at byte " +
                    std::to_string(doc.error().offset),
                "");
  if (!doc->is_object()) return fail("a MUD file is a JSON object", "");
  // The draft schema (draft-ietf-opsawg-mud before RFC 8520; osMUD's examples) reads like a MUD
  // file but its ACLs would silently match nothing here: say what it is instead.
  std::string draft_path;
  if (find_draft_key(*doc, "", draft_path))
    return fail(
        "pre-RFC 8520 draft MUD schema (\"access-list-entries\", \"rule-name\", \"acl-name\"); "
        "RFC 8520 files use \"aces\"/\"ace\" and \"name\": ask for an RFC 8520 MUD file",
        draft_path);

  MudFile out;
  auto mud = member(*doc, "", "ietf-mud:mud", JsonValue::Type::kObject, true);
  if (!mud) return Unexpected<MudError>{mud.error()};
  auto st = container(**mud, "ietf-mud:mud", out);
  if (!st) return Unexpected<MudError>{st.error()};

  const JsonValue* acls = doc->find("ietf-access-control-list:acls");
  std::string acls_path = "ietf-access-control-list:acls";
  if (const JsonValue* legacy = doc->find("ietf-access-control-list:access-lists")) {
    if (acls) return fail("both \"acls\" and \"access-lists\" containers", "");
    acls = legacy;
    acls_path = "ietf-access-control-list:access-lists";
    out.legacy_acl_container = true;
  }
  if (acls) {
    if (!acls->is_object()) return fail("must be an object", acls_path);
    auto list = member(*acls, acls_path, "acl", JsonValue::Type::kArray, true);
    if (!list) return Unexpected<MudError>{list.error()};
    const std::string lp = join(acls_path, "acl");
    for (std::size_t i = 0; i < (*list)->items().size(); ++i) {
      Acl a;
      auto s = acl((*list)->items()[i], index(lp, i), a);
      if (!s) return Unexpected<MudError>{s.error()};
      if (out.find_acl(a.name))
        return fail("duplicate ACL name \"" + a.name + "\"", join(index(lp, i), "name"));
      out.acls.push_back(std::move(a));
    }
  }
  // Every named ACL must exist: a policy that names a missing list cannot mean "allow
  // nothing" or "allow anything" without guessing.
  const std::pair<const std::vector<std::string>*, const char*> policies[] = {
      {&out.from_device_policy, "ietf-mud:mud.from-device-policy.access-lists.access-list"},
      {&out.to_device_policy, "ietf-mud:mud.to-device-policy.access-lists.access-list"}};
  for (const auto& [names, path] : policies) {
    for (std::size_t i = 0; i < names->size(); ++i) {
      if (!out.find_acl((*names)[i]))
        return fail("names access list \"" + (*names)[i] + "\", which the file does not define",
                    index(path, i) + ".name");
    }
  }
  return out;
}

std::vector<std::string> dns_names(const MudFile& mud) {
  std::vector<std::string> names;
  for (const auto& a : mud.acls) {
    for (const auto& e : a.aces) {
      if (!e.src_dnsname.empty()) names.push_back(e.src_dnsname);
      if (!e.dst_dnsname.empty()) names.push_back(e.dst_dnsname);
    }
  }
  // DNS names are case-insensitive (RFC 4343) and MUDgee copies the 0x20-randomised case of
  // the queries it saw ("Dc.cONnECt.smArTthINgS.com"): one lookup per name, in lower case.
  for (auto& n : names) {
    for (auto& c : n) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

namespace {

std::string port_text(const PortMatch& p) {
  switch (p.op) {
    case PortMatch::Op::kEq:
      return std::to_string(p.port);
    case PortMatch::Op::kNeq:
      return "!" + std::to_string(p.port);
    case PortMatch::Op::kLte:
      return "<=" + std::to_string(p.port);
    case PortMatch::Op::kGte:
      return ">=" + std::to_string(p.port);
    case PortMatch::Op::kRange:
      return std::to_string(p.port) + "-" + std::to_string(p.upper);
  }
  return {};
}

std::string peer_text(const Ace& a, bool from_device) {
  std::vector<std::string> parts;
  const std::string& dns = from_device ? a.dst_dnsname : a.src_dnsname;
  const std::string& net = from_device ? a.dst_network : a.src_network;
  const std::string& mac = from_device ? a.dst_mac : a.src_mac;
  if (!dns.empty()) parts.push_back("dns:" + dns);
  if (!net.empty()) parts.push_back(net);
  if (!mac.empty()) parts.push_back("mac:" + mac);
  if (a.mud.local_networks) parts.emplace_back("local-networks");
  if (a.mud.same_manufacturer) parts.emplace_back("same-manufacturer");
  if (a.mud.my_controller) parts.emplace_back("my-controller");
  if (!a.mud.manufacturer.empty()) parts.push_back("manufacturer:" + a.mud.manufacturer);
  if (!a.mud.model.empty()) parts.push_back("model:" + a.mud.model);
  if (!a.mud.controller.empty()) parts.push_back("controller:" + a.mud.controller);
  if (parts.empty()) return "any";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

}  // namespace

std::string describe(const Ace& a, bool from_device) {
  std::string out;
  // The remote port is the destination port for traffic from the device, the source port for
  // traffic to it.
  const auto& remote_port = from_device ? a.dst_port : a.src_port;
  const auto& local_port = from_device ? a.src_port : a.dst_port;
  switch (a.transport) {
    case Transport::kTcp:
      out += "tcp";
      break;
    case Transport::kUdp:
      out += "udp";
      break;
    case Transport::kIcmp:
      out += "icmp";
      if (a.icmp_type) out += " type " + std::to_string(*a.icmp_type);
      if (a.icmp_code) out += " code " + std::to_string(*a.icmp_code);
      break;
    case Transport::kNone:
      if (a.protocol)
        out += "protocol " + std::to_string(*a.protocol);
      else if (a.ethertype) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "ethertype 0x%04x", *a.ethertype);
        out += buf;
      } else
        out += "all traffic";
      break;
  }
  if (remote_port) out += "/" + port_text(*remote_port);
  out += from_device ? " to " : " from ";
  out += peer_text(a, from_device);
  if (local_port) out += " (device port " + port_text(*local_port) + ")";
  if (a.initiated == Initiated::kFromDevice) out += " (device opens)";
  if (a.initiated == Initiated::kToDevice) out += " (peer opens)";
  return out;
}

std::string summary(const MudFile& mud) {
  std::string out = "MUD file for " + mud.url + "\n";
  if (!mud.systeminfo.empty()) out += "  systeminfo: " + mud.systeminfo + "\n";
  if (!mud.mfg_name.empty()) out += "  manufacturer: " + mud.mfg_name + "\n";
  if (!mud.model_name.empty()) out += "  model: " + mud.model_name + "\n";
  if (!mud.last_update.empty()) out += "  last update: " + mud.last_update + "\n";
  if (mud.is_supported && !*mud.is_supported) out += "  the manufacturer no longer supports it\n";
  if (mud.legacy_acl_container)
    out +=
        "  note: ACLs are under \"ietf-access-control-list:access-lists\" (MUDgee's name); "
        "RFC 8519 says \"acls\"\n";
  for (const auto& a : mud.acls) {
    if (a.mixed_eth)
      out += "  note: ACL " + a.name +
             " mixes Ethernet matches into an IP ACL (RFC 8519 would say mixed-eth-ipv4-acl-type)"
             "; enforced as written\n";
  }
  const std::pair<const std::vector<std::string>*, bool> dirs[] = {{&mud.from_device_policy, true},
                                                                   {&mud.to_device_policy, false}};
  for (const auto& [names, from] : dirs) {
    std::size_t n = 0;
    for (const auto& name : *names) n += mud.find_acl(name)->aces.size();
    out += std::string("  ") + (from ? "from device" : "to device") + ": " + std::to_string(n) +
           " rule(s)";
    for (const auto& name : *names) {
      for (const auto& a : mud.find_acl(name)->aces) {
        out += a.forwarding == Forwarding::kAccept ? "\n    allow "
               : a.forwarding == Forwarding::kDrop ? "\n    drop "
                                                   : "\n    reject ";
        out += describe(a, from);
      }
    }
    out += "\n";
  }
  auto names = dns_names(mud);
  out += "  DNS names to resolve (" + std::to_string(names.size()) + ")";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : ": ") + names[i];
  out += "\n";
  return out;
}

}  // namespace warden::mud
