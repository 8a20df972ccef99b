// The baseline detector: feeds each local device's flows into the BaselineModel (baseline.h)
// and, once the device has finished learning, raises what it never did before: a new internet
// destination (how a botnet's command server shows up on a device whose contacts were stable),
// a new service port, a new application protocol, a new local peer (lateral movement), a new
// served port (a backdoor listening), and an hour whose volume jumps far above its habit.
//
// False alerts are what makes a home user switch a sensor off, so: the network's plumbing
// (DNS, DHCP, NTP, mDNS, SSDP...) is ignored; a kind of item that still grew late in the
// learning period is not "stable" and its novelties do not alert; ephemeral and P2P ports
// (UDP above 1023, anything above 49151) are learned but never alerted; phones, computers and
// routers, which do new things all day, alert at info severity only. Every novelty alerts once:
// it joins the baseline right after. Alerts aggregate per device and kind: one alert whose
// count and examples grow.
#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <unordered_map>

#include "core/text.h"
#include "detect/address_names.h"
#include "detect/detectors.h"
#include "detect/device_traffic.h"

namespace warden::detect {
namespace {

using inventory::DeviceType;

constexpr std::size_t kMaxExamples = 5;         // examples kept per (device, kind) alert
constexpr std::size_t kMaxAlertDevices = 4096;  // devices with alert wording or volume state
constexpr std::uint64_t kMinVolumeHours = 6;    // active hours before volume can jump
constexpr std::uint64_t kFlowsPerHourFloor = 1000;

std::string port_item(const flow::Flow& f) {
  return (f.key.proto == decode::kProtoTcp ? "tcp/" : "udp/") + std::to_string(f.resp_port());
}

// Ports that come and go (ephemeral, P2P): learned, but their novelty means nothing.
bool alertable_port(const flow::Flow& f) {
  return f.key.proto == decode::kProtoTcp ? f.resp_port() < 49152 : f.resp_port() < 1024;
}

// Remote shells, IRC (classic botnet control), proxies, router management: a device that
// starts using one of these is worth a closer look.
bool risky_port(std::uint16_t p) {
  switch (p) {
    case 22:
    case 23:
    case 2323:
    case 1080:
    case 3389:
    case 4444:
    case 5555:
    case 6667:
    case 6697:
    case 7547:
      return true;
    default:
      return false;
  }
}

bool risky_protocol(flow::AppProto a) {
  return a == flow::AppProto::kTelnet || a == flow::AppProto::kSsh || a == flow::AppProto::kSmtp ||
         a == flow::AppProto::kFtp;
}

// Devices used by people (and routers) do new things all day: their novelties are info only.
bool noisy_type(DeviceType t) {
  return t == DeviceType::kPhoneComputer || t == DeviceType::kRouter;
}

// How each kind of novelty is reported: one row per BaselineKind, in its order.
struct NoveltyText {
  const char* detector;
  std::uint32_t sid;
  const char* signature;
  Severity severity;
  const char* verb;  // "<who> <verb> <count> <noun> <never> (<examples>)<meaning>"
  const char* one;
  const char* many;
  const char* never;
  const char* meaning;
  const char* evidence;  // the count's evidence key
};
const NoveltyText kNoveltyText[] = {
    {"baseline.new_destination", kSidBaselineNewDestination,
     "WARDEN ANOMALY device contacts internet destinations new to its baseline", Severity::kLow,
     "reached", "internet destination", "internet destinations",
     "it never contacted while warden learned its habits",
     ". A device whose contacts were stable that starts talking to new servers may have been "
     "taken over, or it was updated.",
     "new_destinations"},
    {"baseline.new_port", kSidBaselineNewPort,
     "WARDEN ANOMALY device uses a service port new to its baseline", Severity::kLow,
     "now connects to", "service port", "service ports", "it never used before",
     "; new kinds of connections from a settled device can mean new firmware, or malware.",
     "new_ports"},
    // Protocols read "<who> started speaking <examples>, which it never did...".
    {"baseline.new_protocol", kSidBaselineNewProtocol,
     "WARDEN ANOMALY device speaks an application protocol new to its baseline", Severity::kLow,
     "started speaking", "", "", "", ", which it never did while warden learned its habits.",
     "new_protocols"},
    {"baseline.new_peer", kSidBaselineNewPeer,
     "WARDEN ANOMALY device talks to local devices new to its baseline", Severity::kLow,
     "contacted", "local device", "local devices", "it never talked to before",
     "; an infected device often probes its neighbours.", "new_peers"},
    {"baseline.new_served_port", kSidBaselineNewServedPort,
     "WARDEN ANOMALY device accepts connections on a port new to its baseline", Severity::kLow,
     "accepted connections on", "port", "ports", "it never served before",
     ": a new service, or a backdoor someone opened.", "new_served_ports"},
    {"baseline.new_country", kSidBaselineNewCountry,
     "WARDEN ANOMALY device contacts a country new to its baseline", Severity::kMedium,
     "reached servers in", "country", "countries",
     "it never contacted while warden learned its habits",
     ". Devices talk to their maker's cloud; a new country is worth a look.", "new_countries"},
    {"baseline.new_network", kSidBaselineNewNetwork,
     "WARDEN ANOMALY device contacts a network (ASN) new to its baseline", Severity::kLow,
     "reached", "network", "networks", "(autonomous systems) it never contacted before", ".",
     "new_networks"},
};
static_assert(std::size(kNoveltyText) == kBaselineKinds, "one row per BaselineKind");

class BaselineDetector : public Detector {
 public:
  // The model is the chain's (DetectorChain always passes one: the caller's or its own), so
  // the beacon detector reads what this one learns.
  explicit BaselineDetector(const DetectConfig& c) : c_(c), model_(c.baseline) {
    assert(model_ != nullptr);
  }
  std::string_view name() const override { return "baseline"; }

  void on_flow_end(const flow::Flow& f, Context& ctx) override {
    if (f.key.proto != decode::kProtoTcp && f.key.proto != decode::kProtoUdp) return;
    const auto* orig = ctx.inventory.find_endpoint(f.orig_mac, f.orig_ip());
    const auto* resp = ctx.inventory.find_endpoint(f.resp_mac, f.resp_ip());
    if (orig == resp) resp = nullptr;  // a device talking to itself has no peer
    if (orig) observe(*orig, resp, f, /*as_client=*/true, ctx);
    if (resp && f.dir[1].packets > 0) observe(*resp, orig, f, /*as_client=*/false, ctx);
  }

 private:
  // What the detector remembers per (device, kind) to word the aggregated alert.
  struct Novelties {
    std::uint64_t count = 0;
    std::vector<std::string> examples;
  };

  void observe(const inventory::Device& dev, const inventory::Device* other, const flow::Flow& f,
               bool as_client, Context& ctx) {
    const Timestamp now = f.last_ts;
    DeviceBaseline* b = model_->device(dev.id, f.first_ts, c_.learning_period);
    if (!b) return;  // the model is full (counted)
    ++b->flows;
    if (now > b->last_seen) b->last_seen = now;
    if (b->learning() && now >= b->learning_until && b->flows >= c_.baseline_min_flows)
      b->stable_since = now;
    const bool learning = b->learning();
    const IpAddr& ip = as_client ? f.orig_ip() : f.resp_ip();

    b->volume.add(now, f.dir[0].ip_bytes + f.dir[1].ip_bytes);
    if (!learning) check_volume(dev, *b, f, ip, ctx);
    if (infrastructure_flow(f)) return;

    const bool ok = answered(f);
    const IpAddr& peer_ip = as_client ? f.resp_ip() : f.orig_ip();
    auto learn = [&](BaselineKind kind, const std::string& value) {
      return model_->learn(*b, kind, value, now) == BaselineModel::Learned::kNew && !learning &&
             b->settled(kind);
    };
    if (as_client) {
      if (other) {
        // Attempts count: a device probing a neighbour it never talked to is the point.
        if (learn(BaselineKind::kPeer, other->id)) {
          raise(dev, ip, f, ctx, BaselineKind::kPeer,
                peer_ip.to_string() + ":" + std::to_string(f.resp_port()), ok);
        }
      } else if (ok && !peer_ip.is_local_unicast()) {
        const std::string dest = ctx.names ? ctx.names->destination(peer_ip) : network_of(peer_ip);
        if (learn(BaselineKind::kDestination, dest)) {
          raise(dev, ip, f, ctx, BaselineKind::kDestination,
                dest.starts_with("net:") ? peer_ip.to_string()
                                         : dest + " (" + peer_ip.to_string() + ")",
                ok);
        }
        // With a geo database: the countries and networks (ASNs) it reaches. A camera that
        // only ever talked to its maker's cloud in one country, now reaching another, is the
        // sign a home user understands best.
        if (ctx.geo) {
          const auto g = ctx.geo->lookup(peer_ip);
          if (!g.country.empty() && learn(BaselineKind::kCountry, std::string(g.country))) {
            raise(dev, ip, f, ctx, BaselineKind::kCountry,
                  std::string(g.country) + " (" + peer_ip.to_string() + ")", ok);
          }
          if (g.asn != 0) {
            const std::string net = "AS" + std::to_string(g.asn);
            if (learn(BaselineKind::kNetwork, net)) {
              raise(dev, ip, f, ctx, BaselineKind::kNetwork,
                    net + (g.as_org.empty() ? "" : " " + std::string(g.as_org)) + " (" +
                        peer_ip.to_string() + ")",
                    ok);
            }
          }
        }
      }
      if (ok && learn(BaselineKind::kService, port_item(f)) && alertable_port(f)) {
        raise(dev, ip, f, ctx, BaselineKind::kService, port_item(f) + " at " + peer_ip.to_string(),
              ok);
      }
    } else if (ok && learn(BaselineKind::kServes, port_item(f)) && alertable_port(f)) {
      raise(dev, ip, f, ctx, BaselineKind::kServes, port_item(f) + " from " + peer_ip.to_string(),
            ok);
    }
    if (ok && f.app != flow::AppProto::kUnknown && !f.app_by_port) {
      const std::string app(flow::app_proto_name(f.app));
      if (learn(BaselineKind::kProtocol, app))
        raise(dev, ip, f, ctx, BaselineKind::kProtocol, app, ok);
    }
  }

  void check_volume(const inventory::Device& dev, DeviceBaseline& b, const flow::Flow& f,
                    const IpAddr& ip, Context& ctx) {
    const VolumeStats& v = b.volume;
    if (v.hours < kMinVolumeHours) return;
    const double hb = static_cast<double>(v.hour_bytes), hf = static_cast<double>(v.hour_flows);
    const bool bytes_jump = hb > v.mean_bytes + c_.volume_sd * v.sd_bytes() &&
                            hb > c_.volume_factor * v.mean_bytes &&
                            v.hour_bytes > c_.volume_floor_bytes;
    const bool flows_jump = hf > v.mean_flows + c_.volume_sd * v.sd_flows() &&
                            hf > c_.volume_factor * v.mean_flows &&
                            v.hour_flows >= kFlowsPerHourFloor;
    if (!bytes_jump && !flows_jump) return;
    auto [it, fresh] = volume_alerted_.try_emplace(dev.id, -1);
    if (it->second == v.hour) return;  // one alert per device and hour
    if (fresh && volume_alerted_.size() > kMaxAlertDevices) {
      volume_alerted_.erase(it);
      return;
    }
    it->second = v.hour;
    const auto cls = inventory::classification_of(dev);
    Alert a = base(dev, cls.type, ip, f);
    a.detector = "baseline.volume";
    a.signature_id = kSidBaselineVolume;
    a.signature = "WARDEN ANOMALY device traffic volume far above its hourly baseline";
    a.category = "Potentially Bad Traffic";
    a.severity = noisy_type(cls.type) ? Severity::kInfo : Severity::kMedium;
    const double mb = hb / 1e6, mean_mb = v.mean_bytes / 1e6;
    char buf[320];
    if (bytes_jump) {
      std::snprintf(buf, sizeof buf,
                    "moved %.1f MB within one hour, %.0f times its usual %.2f MB per hour: a "
                    "jump like this can be stolen data being uploaded or the device taking part "
                    "in an attack.",
                    mb, v.mean_bytes > 0 ? hb / v.mean_bytes : 0.0, mean_mb);
    } else {
      std::snprintf(buf, sizeof buf,
                    "made %llu connections within one hour, %.0f times its usual %.0f: a jump "
                    "like this can be the device taking part in an attack or spreading.",
                    static_cast<unsigned long long>(v.hour_flows),
                    v.mean_flows > 0 ? hf / v.mean_flows : 0.0, v.mean_flows);
    }
    a.explanation = "Your " + describe_device(cls.type, &dev, ip) + " " + buf;
    a.note("hour_bytes", v.hour_bytes);
    a.note("hour_flows", v.hour_flows);
    a.note("mean_bytes_per_hour", v.mean_bytes, 0);
    a.note("sd_bytes_per_hour", v.sd_bytes(), 0);
    a.note("mean_flows_per_hour", v.mean_flows, 1);
    a.note("hours_learned", v.hours);
    a.group = "device=" + dev.id;
    ctx.alerts.raise(std::move(a));
  }

  Alert base(const inventory::Device& dev, DeviceType type, const IpAddr& ip,
             const flow::Flow& f) const {
    Alert a;
    a.first_ts = f.first_ts;
    a.last_ts = f.last_ts;
    a.src_ip = ip;
    a.dest_ip = ip == f.orig_ip() ? f.resp_ip() : f.orig_ip();
    a.dest_port = f.resp_port();
    a.proto = f.key.proto;
    a.device = dev.id;
    a.note("device_type", inventory::device_type_name(type));
    return a;
  }

  void raise(const inventory::Device& dev, const IpAddr& ip, const flow::Flow& f, Context& ctx,
             BaselineKind kind, const std::string& example, bool answered_flow) {
    const std::string key = dev.id + "|" + std::string(baseline_kind_name(kind));
    auto it = novelties_.find(key);
    if (it == novelties_.end()) {
      if (novelties_.size() >= kMaxAlertDevices * kBaselineKinds) return;
      it = novelties_.emplace(key, Novelties{}).first;
    }
    Novelties& n = it->second;
    ++n.count;
    if (n.examples.size() < kMaxExamples) n.examples.push_back(example);
    std::string examples;
    for (const auto& e : n.examples) examples += (examples.empty() ? "" : ", ") + e;

    const auto cls = inventory::classification_of(dev);
    const std::string who = "Your " + describe_device(cls.type, &dev, ip);
    const std::string count = std::to_string(n.count);
    if (kind >= BaselineKind::kCount) return;
    const NoveltyText& t = kNoveltyText[static_cast<std::size_t>(kind)];
    Alert a = base(dev, cls.type, ip, f);
    a.category = "Potentially Bad Traffic";
    a.detector = t.detector;
    a.signature_id = t.sid;
    a.signature = t.signature;
    a.severity = t.severity;
    if ((kind == BaselineKind::kService || kind == BaselineKind::kServes) &&
        risky_port(f.resp_port()))
      a.severity = Severity::kMedium;
    if (kind == BaselineKind::kProtocol && risky_protocol(f.app)) a.severity = Severity::kMedium;
    a.explanation =
        who + " " + t.verb + " " +
        (kind == BaselineKind::kProtocol ? examples
                                         : count + " " + (n.count == 1 ? t.one : t.many) + " " +
                                               t.never + " (" + examples + ")") +
        t.meaning;
    a.note(t.evidence, n.count);
    a.note("examples", examples);
    if (kind == BaselineKind::kPeer) a.note("answered", answered_flow ? "yes" : "no");
    if (noisy_type(cls.type)) a.severity = Severity::kInfo;
    a.group = "device=" + dev.id;
    ctx.alerts.raise(std::move(a));
  }

  DetectConfig c_;
  BaselineModel* model_;
  std::unordered_map<std::string, Novelties> novelties_;
  std::unordered_map<std::string, std::int64_t> volume_alerted_;
};

}  // namespace

std::unique_ptr<Detector> make_baseline_detector(const DetectConfig& c) {
  return std::make_unique<BaselineDetector>(c);
}

}  // namespace warden::detect
