#include "detect/detectors.h"

namespace warden::detect {

std::string Context::device_of(const MacAddr& mac, const IpAddr& ip) const {
  if (!ip.is_local_unicast()) return {};
  if (const auto* d = inventory.find(mac)) return d->id;
  return {};
}

// The registry: every detector warden runs, in one list.
std::vector<std::unique_ptr<Detector>> make_detectors(const DetectConfig& config) {
  std::vector<std::unique_ptr<Detector>> v;
  v.push_back(make_scan_detector(config));
  v.push_back(make_sweep_detector(config));
  v.push_back(make_brute_force_detector(config));
  v.push_back(make_beacon_detector(config));
  v.push_back(make_dns_tunnel_detector(config));
  v.push_back(make_exposure_detector(config));
  v.push_back(make_http_cnc_detector(config));
  v.push_back(make_dga_detector(config));
  v.push_back(make_icmp_tunnel_detector(config));
  v.push_back(make_ddos_detector(config));
  v.push_back(make_baseline_detector(config));
  v.push_back(make_lateral_detector(config));
  if (config.intel && !config.intel->empty()) v.push_back(make_intel_detector(*config.intel));
  return v;
}

DetectorChain::DetectorChain(const DetectConfig& config,
                             const inventory::DeviceInventory& inventory)
    : ctx_{alerts_, inventory, config.geo && !config.geo->empty() ? config.geo : nullptr} {
  // One baseline model for all detectors: the beacon detector reads what the baseline
  // detector learned. Without a caller's model (no --baseline), the chain keeps one per run.
  DetectConfig cfg = config;
  if (!cfg.baseline) {
    own_baseline_ = std::make_unique<BaselineModel>();
    cfg.baseline = own_baseline_.get();
  }
  ctx_.names = &names_;
  ctx_.baseline = cfg.baseline;
  if (config.enabled) detectors_ = make_detectors(cfg);
  if (config.alert_listener) alerts_.set_listener(config.alert_listener);
  if (const geo::GeoDb* geo = ctx_.geo) {
    // Where an alert's internet peer is: evidence a person reads first ("a camera talking to a
    // network in another country"), added once here rather than by every detector.
    alerts_.set_enricher([geo](Alert& a) {
      const IpAddr& peer = a.dest_ip.is_local_unicast() ? a.src_ip : a.dest_ip;
      if (peer.is_local_unicast() || peer.is_multicast()) return;
      const auto g = geo->lookup(peer);
      if (!g.country.empty()) a.note("peer_country", g.country);
      if (g.asn != 0) {
        a.note("peer_asn", g.asn);
        if (!g.as_org.empty()) a.note("peer_as_org", g.as_org);
      }
    });
  }
}

void DetectorChain::on_flow_end(const flow::Flow& f) {
  for (auto& d : detectors_) d->on_flow_end(f, ctx_);
}
void DetectorChain::on_observation(const dissect::Observation& o) {
  if (!detectors_.empty()) names_.learn(o);
  for (auto& d : detectors_) d->on_observation(o, ctx_);
}
void DetectorChain::on_arp(const decode::DecodedPacket& p) {
  for (auto& d : detectors_) d->on_arp(p, ctx_);
}
void DetectorChain::on_flow_progress(const flow::Flow& f) {
  for (auto& d : detectors_) d->on_flow_progress(f, ctx_);
}
void DetectorChain::on_icmp_echo(const flow::Flow& f, flow::Direction dir,
                                 const decode::DecodedPacket& p) {
  for (auto& d : detectors_) d->on_icmp_echo(f, dir, p, ctx_);
}
void DetectorChain::on_tick(Timestamp now) {
  if (now > last_seen_) last_seen_ = now;
  if (now < last_tick_ + kNsPerSec) return;
  last_tick_ = now;
  for (auto& d : detectors_) d->on_tick(now, false, ctx_);
}
void DetectorChain::finish() {
  for (auto& d : detectors_) d->on_tick(last_seen_, true, ctx_);
}

}  // namespace warden::detect
