#include "policy/learned.h"

#include <charconv>

namespace warden::policy {
namespace {

// "tcp/443" -> protocol and port.
std::optional<std::pair<std::uint8_t, std::uint16_t>> service(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto proto = s.substr(0, slash);
  std::uint8_t p = proto == "tcp" ? 6 : proto == "udp" ? 17 : 0;
  if (!p) return std::nullopt;
  unsigned port = 0;
  auto num = s.substr(slash + 1);
  auto r = std::from_chars(num.data(), num.data() + num.size(), port);
  if (r.ec != std::errc() || r.ptr != num.data() + num.size() || port == 0 || port > 65535)
    return std::nullopt;
  return std::pair{p, static_cast<std::uint16_t>(port)};
}

}  // namespace

bool type_talks_locally(inventory::DeviceType t) {
  using T = inventory::DeviceType;
  switch (t) {
    case T::kPlug:
    case T::kBulb:
    case T::kSpeaker:
    case T::kCamera:
      return false;
    default:
      return true;
  }
}

DevicePolicy from_baseline(const detect::DeviceBaseline& b, inventory::DeviceType type,
                           const std::vector<IpAddr>& local_peer_addrs) {
  using detect::BaselineKind;
  DevicePolicy p;
  p.source = DevicePolicy::Source::kLearned;
  auto items = [&](BaselineKind k) -> const auto& { return b.items[static_cast<std::size_t>(k)]; };
  std::vector<Peer> peers;
  for (const auto& [dest, stats] : items(BaselineKind::kDestination)) {
    Peer peer;
    if (dest.rfind("net:", 0) == 0) {
      auto pre = parse_prefix(std::string_view(dest).substr(4));
      if (!pre) continue;
      peer = {Peer::Kind::kNetwork, pre->to_string(), *pre};
    } else {
      auto name = normalize_dns_name(dest);
      if (name.empty()) continue;
      peer = {Peer::Kind::kDnsName, name, {}};
    }
    peers.push_back(std::move(peer));
  }
  if (type_talks_locally(type)) {
    for (const auto& a : local_peer_addrs) {
      auto pre = parse_prefix(a.to_string());
      if (pre) peers.push_back({Peer::Kind::kNetwork, pre->to_string(), *pre});
    }
  } else if (!items(BaselineKind::kPeer).empty()) {
    p.warnings.push_back(std::string("a ") + std::string(inventory::device_type_name(type)) +
                         " has no business opening connections to other local devices: its " +
                         std::to_string(items(BaselineKind::kPeer).size()) +
                         " learned local peers are left out");
  }
  std::size_t dropped = 0;
  auto add = [&](Rule r) {
    if (p.rules.size() >= kMaxLearnedRules) {
      ++dropped;
      return;
    }
    p.rules.push_back(std::move(r));
  };
  for (const auto& [svc, stats] : items(BaselineKind::kService)) {
    auto s = service(svc);
    if (!s) continue;
    for (const auto& peer : peers) {
      Rule r;
      r.dir = Dir::kFromDevice;
      r.protocol = s->first;
      r.dst_port = mud::PortMatch{mud::PortMatch::Op::kEq, s->second, 0};
      r.initiated = s->first == 6 ? mud::Initiated::kFromDevice : mud::Initiated::kEither;
      r.peer = peer;
      r.id = "learned:" + svc + " to " + peer_text(peer);
      if (r.id.size() > 100) r.id.resize(100);
      add(std::move(r));
    }
  }
  for (const auto& [svc, stats] : items(BaselineKind::kServes)) {
    auto s = service(svc);
    if (!s) continue;
    Rule r;
    r.dir = Dir::kToDevice;
    r.protocol = s->first;
    r.dst_port = mud::PortMatch{mud::PortMatch::Op::kEq, s->second, 0};
    r.initiated = s->first == 6 ? mud::Initiated::kToDevice : mud::Initiated::kEither;
    r.peer = {Peer::Kind::kLocalNetworks, {}, {}};
    r.id = "learned:serves " + svc;
    add(std::move(r));
  }
  if (dropped)
    p.warnings.push_back(std::to_string(dropped) + " learned rules beyond " +
                         std::to_string(kMaxLearnedRules) + " left out");
  return p;
}

}  // namespace warden::policy
