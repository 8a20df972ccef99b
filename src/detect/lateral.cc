// Lateral movement by device type: some devices have no business starting conversations with
// some others. A smart plug never needs to open a camera's video stream or a telnet session on
// a neighbour; when it does, it is most likely compromised and spreading (Mirai and its kin
// spread exactly so, from one IoT device to the next). The policy is the table below: who may
// not initiate what, to whom. The first matching row decides; no row: allowed.
//
// Types come from the inventory's classifier and are trusted only with some confidence, and a
// device of unknown type never alerts: a wrong label would make a false alert. Pairs are
// judged when their flow ends and again as capture time passes, since a device often says what
// it is (DHCP, mDNS) only after it has started talking.
#include <algorithm>
#include <array>
#include <initializer_list>
#include <map>
#include <string>
#include <unordered_map>

#include "detect/detectors.h"
#include "detect/device_traffic.h"

namespace warden::detect {
namespace {

using T = inventory::DeviceType;

constexpr double kMinConfidence = 0.5;  // a type label weaker than this is not acted on
constexpr std::size_t kMaxPairs = 4096;
constexpr Timestamp kRecheck = 60 * kNsPerSec;

// A set of device types as a bit mask.
constexpr std::uint32_t types(std::initializer_list<T> ts) {
  std::uint32_t m = 0;
  for (T t : ts) m |= 1u << static_cast<unsigned>(t);
  return m;
}
constexpr bool in(std::uint32_t mask, T t) { return mask & (1u << static_cast<unsigned>(t)); }

// Single-purpose devices: they talk to their cloud, the router and their app, not to peers.
constexpr std::uint32_t kAppliances =
    types({T::kCamera, T::kPlug, T::kBulb, T::kPrinter, T::kTv, T::kSpeaker});
constexpr std::uint32_t kAnyType =
    types({T::kUnknown, T::kCamera, T::kPlug, T::kBulb, T::kHub, T::kSpeaker, T::kTv, T::kPrinter,
           T::kPhoneComputer});  // not the router: everything talks to the router

enum class Ports : std::uint8_t {
  kAny,
  kShell,  // remote shells: telnet (23, 2323), SSH (22)
  kAdmin,  // web administration, video streams and the ports IoT worms exploit
};

bool port_in(Ports p, std::uint16_t port) {
  switch (p) {
    case Ports::kAny:
      return true;
    case Ports::kShell:
      return port == 22 || port == 23 || port == 2323;
    case Ports::kAdmin:
      switch (port) {
        case 80:
        case 443:
        case 554:
        case 8000:
        case 8080:
        case 8081:
        case 8443:
        case 8888:
        case 5555:
        case 7547:
        case 9527:
        case 37215:
        case 52869:
          return true;
        default:
          return false;
      }
  }
  return false;
}

struct PolicyRow {
  std::uint32_t from, to;  // type masks
  Ports ports;
  bool forbid;              // false: an explicit allowance that shadows the rows below it
  bool severe;              // high when the connection was accepted (else medium)
  std::string_view reason;  // completes "a <from> ..." for the explanation
};

// The policy, in one place. Order matters: allowances sit between the rows they carve out of.
constexpr PolicyRow kPolicy[] = {
    {kAppliances, kAnyType, Ports::kShell, true, true,
     "has no reason to open a remote shell on another device"},
    {types({T::kPlug, T::kBulb, T::kPrinter, T::kTv, T::kSpeaker}), types({T::kCamera}),
     Ports::kAny, true, true, "never needs to talk to a camera"},
    // Recorders (labelled cameras) pull their cameras' streams.
    {types({T::kCamera}), types({T::kCamera}), Ports::kAny, false, false, ""},
    // Speakers of one family group with each other (Sonos, Cast groups, AirPlay).
    {types({T::kSpeaker}), types({T::kSpeaker}), Ports::kAny, false, false, ""},
    // Voice assistants and TVs are smart-home controllers and cast targets.
    {types({T::kSpeaker, T::kTv}), types({T::kPlug, T::kBulb, T::kTv, T::kSpeaker}), Ports::kAny,
     false, false, ""},
    {kAppliances, types({T::kCamera, T::kPlug, T::kBulb, T::kPrinter, T::kTv, T::kSpeaker}),
     Ports::kAdmin, true, false, "has no reason to reach another device's administration port"},
};

const PolicyRow* judge(T from, T to, std::uint16_t port) {
  for (const PolicyRow& r : kPolicy) {
    if (in(r.from, from) && in(r.to, to) && port_in(r.ports, port)) return r.forbid ? &r : nullptr;
  }
  return nullptr;
}

class LateralDetector : public Detector {
 public:
  explicit LateralDetector(const DetectConfig&) {}
  std::string_view name() const override { return "lateral"; }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    if (infrastructure_flow(f)) return;
    if (!f.orig_ip().is_local_unicast() || !f.resp_ip().is_local_unicast()) return;
    const auto* from = ctx.inventory.find_endpoint(f.orig_mac, f.orig_ip());
    const auto* to = ctx.inventory.find_endpoint(f.resp_mac, f.resp_ip());
    if (!from || !to || from == to) return;
    const Key key{from->id, to->id, f.key.proto, f.resp_port()};
    auto it = pairs_.find(key);
    if (it == pairs_.end()) {
      if (pairs_.size() >= kMaxPairs) {
        ++pairs_dropped_;
        return;
      }
      it = pairs_.emplace(key, Pair{}).first;
      it->second.first_ts = f.first_ts;
    }
    Pair& p = it->second;
    ++p.attempts;
    p.accepted += answered(f);
    p.last_ts = std::max(p.last_ts, f.last_ts);
    p.from_ip = f.orig_ip();
    p.to_ip = f.resp_ip();
    judge_pair(it->first, p, f.last_ts, ctx);
  }

  void on_tick(Timestamp now, bool final, Context& ctx) override {
    // Forget pairs quiet for an hour, so the table keeps room in a long-running sensor.
    prune_idle(pairs_, now, 3600 * kNsPerSec, next_prune_, [](const Pair& p) { return p.last_ts; });
    if (!final && now < next_check_) return;
    next_check_ = now + kRecheck;
    for (auto& [key, p] : pairs_)
      if (p.reported < p.attempts) judge_pair(key, p, now, ctx);
  }

 private:
  struct Key {
    std::string from, to;
    std::uint8_t proto;
    std::uint16_t port;
    auto operator<=>(const Key&) const = default;
  };
  struct Pair {
    Timestamp first_ts = 0, last_ts = 0;
    std::uint64_t attempts = 0, accepted = 0, reported = 0;
    IpAddr from_ip, to_ip;
  };

  // The device's type when the classifier is confident enough, else unknown. Classifying runs
  // the whole rule table, and a busy pair (a hub polling its bulbs) would run it per flow:
  // a device's type is kept for a minute of capture time, which is as often as pairs are
  // re-judged anyway.
  T confident_type(const inventory::Device& d, Timestamp now) {
    auto it = types_.find(d.id);
    if (it != types_.end() && now >= it->second.since && now < it->second.since + kRecheck)
      return it->second.type;
    if (types_.size() >= kMaxPairs) types_.clear();
    const auto c = inventory::classification_of(d);
    const T t = c.confidence >= kMinConfidence ? c.type : T::kUnknown;
    types_[d.id] = CachedType{t, now};
    return t;
  }
  struct CachedType {
    T type;
    Timestamp since;
  };
  std::unordered_map<std::string, CachedType> types_;

  void judge_pair(const Key& key, Pair& p, Timestamp now, Context& ctx) {
    const auto* from = find_by_id(ctx, key.from);
    const auto* to = find_by_id(ctx, key.to);
    if (!from || !to) return;
    const T from_type = confident_type(*from, now);
    if (from_type == T::kUnknown) return;
    const T to_type = confident_type(*to, now);
    const PolicyRow* row = judge(from_type, to_type, key.port);
    if (!row) return;
    Alert a;
    a.first_ts = p.first_ts;
    a.last_ts = p.last_ts;
    a.detector = "lateral.type_policy";
    a.signature_id = kSidLateralTypePolicy;
    a.signature = "WARDEN POLICY device connects to a local device its type should not talk to";
    a.category = "Potentially Bad Traffic";
    a.severity = row->severe && p.accepted > 0 ? Severity::kHigh : Severity::kMedium;
    a.src_ip = p.from_ip;
    a.dest_ip = p.to_ip;
    a.dest_port = key.port;
    a.proto = key.proto;
    a.device = from->id;
    const std::string proto = key.proto == decode::kProtoTcp ? "tcp" : "udp";
    a.explanation = "Your " + describe_device(from_type, from, p.from_ip) +
                    (p.accepted > 0 ? " connected to your " : " tried to connect to your ") +
                    describe_device(to_type, to, p.to_ip) + " on port " + std::to_string(key.port) +
                    ": a " + std::string(type_noun(from_type)) + " " + std::string(row->reason) +
                    "; it may be compromised and spreading.";
    a.note("from_type", inventory::device_type_name(from_type));
    a.note("to_type", inventory::device_type_name(to_type));
    a.note("port", proto + "/" + std::to_string(key.port));
    a.note("attempts", p.attempts);
    a.note("accepted", p.accepted);
    a.count = p.attempts - p.reported;
    p.reported = p.attempts;
    a.group = key.to + "|" + proto + "/" + std::to_string(key.port);
    ctx.alerts.raise(std::move(a));
  }

  static const inventory::Device* find_by_id(Context& ctx, const std::string& id) {
    if (auto mac = MacAddr::parse(id)) return ctx.inventory.find(*mac);
    if (id.starts_with("ip:")) {
      if (auto ip = IpAddr::parse(std::string_view(id).substr(3)))
        return ctx.inventory.find_endpoint(MacAddr{}, *ip);
    }
    return nullptr;
  }

  std::map<Key, Pair> pairs_;
  std::uint64_t pairs_dropped_ = 0;
  Timestamp next_prune_ = 0, next_check_ = 0;
};

}  // namespace

std::unique_ptr<Detector> make_lateral_detector(const DetectConfig& c) {
  return std::make_unique<LateralDetector>(c);
}

}  // namespace warden::detect
