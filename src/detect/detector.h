// Detector: one named, configurable detection. Detectors see what the pipeline produces
// (ended flows, observations, ARP packets) and raise Alerts into a shared AlertTable. They
// run on the data-plane worker that owns the flows, so they keep their own state unlocked,
// and every piece of per-host state they keep must be bounded.
//
// The list of detectors is explicit (detectors.cc: make_detectors), built once from the
// validated DetectConfig; nothing registers itself.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "decode/decode.h"
#include "detect/address_names.h"
#include "detect/alert.h"
#include "detect/baseline.h"
#include "dissect/observation.h"
#include "flow/flow.h"
#include "geo/geo.h"
#include "intel/intel.h"
#include "inventory/inventory.h"

namespace warden::detect {

struct Context {
  AlertTable& alerts;
  const inventory::DeviceInventory& inventory;
  const geo::GeoDb* geo = nullptr;  // null when no database was given
  // Shared views the chain keeps: the names internet addresses go by (DNS answers, SNI), and
  // the behaviour baselines (one model for every detector; the baseline detector writes it).
  const AddressNames* names = nullptr;
  const BaselineModel* baseline = nullptr;
  // The inventory id for an address/MAC pair ("" when not a known local device).
  std::string device_of(const MacAddr& mac, const IpAddr& ip) const;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view name() const = 0;
  virtual void on_flow_end(const flow::Flow&, Context&) {}
  virtual void on_observation(const dissect::Observation&, Context&) {}
  virtual void on_arp(const decode::DecodedPacket&, Context&) {}
  // A flow still running whose originator packet count just reached 1024, 2048, 4096...: lets
  // a detector judge a long flow (a flood on one 5-tuple) without waiting for it to end.
  virtual void on_flow_progress(const flow::Flow&, Context&) {}
  // An ICMP/ICMPv6 echo request or reply (payload included), after its flow was updated. Echo
  // traffic is rare on a healthy network, so per-packet inspection of it is cheap.
  virtual void on_icmp_echo(const flow::Flow&, flow::Direction, const decode::DecodedPacket&,
                            Context&) {}
  // Called as capture time advances (about once a second) and once at the end with
  // final=true: windowed detectors decide here.
  virtual void on_tick(Timestamp /*now*/, bool /*final*/, Context&) {}
};

struct DetectConfig {
  bool enabled = true;
  // Scans: distinct targets within the window from one source before it is a scan.
  Timestamp scan_window = 60 * kNsPerSec;
  std::size_t horizontal_scan_hosts = 20;
  std::size_t vertical_scan_ports = 20;
  std::size_t arp_sweep_targets = 32;
  std::size_t icmp_sweep_hosts = 10;
  // Brute force: short authentication sessions to one service within the window.
  Timestamp brute_window = 300 * kNsPerSec;
  std::size_t brute_sessions = 10;
  // Beaconing: connections to one destination whose intervals vary less than this.
  std::size_t beacon_min_connections = 10;
  double beacon_max_jitter = 0.25;  // coefficient of variation of the intervals
  // DNS tunnelling: suspicious queries (long or high-entropy labels, NULL/TXT) to one domain.
  std::size_t dns_tunnel_queries = 10;
  // DNS exfiltration: a query name carrying encoded data (base64 with '=' '+' '/', or a long
  // mixed-case random label) is reported even alone, when its domain is not a tunnel already.
  bool dns_exfiltration = true;
  // DGA: NXDOMAIN answers for algorithmic-looking names from one client within the window.
  std::size_t dga_nxdomains = 8;
  Timestamp dga_window = 600 * kNsPerSec;
  // ICMP tunnels: echo packets between two hosts whose payloads are not a ping's pattern.
  std::size_t icmp_tunnel_packets = 20;
  // DDoS participation: packets to one target the target does not answer in kind, counted over
  // the window, at least this many at least this fast.
  Timestamp ddos_window = 10 * kNsPerSec;
  std::uint64_t ddos_min_packets = 1000;
  double ddos_min_pps = 100;
  // Threat-intelligence indicators (owned by the caller, immutable while the pipeline runs);
  // null or empty: no intel matching.
  const intel::IntelSet* intel = nullptr;
  // Country/ASN ranges (owned by the caller, immutable while the pipeline runs); null or empty:
  // alerts carry no geo evidence and baselines learn no countries or networks.
  const geo::GeoDb* geo = nullptr;
  // Behaviour baselines: a device learns for this much capture time from its first sighting,
  // and until it took part in `baseline_min_flows` flows; then deviations alert.
  Timestamp learning_period = 24 * 3600 * kNsPerSec;
  std::size_t baseline_min_flows = 20;
  // An hour's volume is a jump beyond mean + k sd, `volume_factor` times the mean and the floor.
  double volume_sd = 4.0;
  double volume_factor = 10.0;
  std::uint64_t volume_floor_bytes = 10'000'000;
  // The model learned and checked (owned by the caller, who may load and save it; used only
  // by the pipeline's worker while it runs); null: DetectorChain keeps one for the run.
  // make_detectors() wants it set (the chain always sets it before calling).
  BaselineModel* baseline = nullptr;
  // Told of every alert as it is raised, on the pipeline's worker (gateway mode: a high
  // severity finding can quarantine its device). Must be quick; may be empty.
  std::function<void(const Alert&)> alert_listener;
};

std::vector<std::unique_ptr<Detector>> make_detectors(const DetectConfig& config);

// Forgets per-host state that has been idle longer than `horizon`, so bounded tables keep room
// for new hosts in a long-running sensor. Runs at most once per minute of capture time.
template <class Map, class LastSeen>
void prune_idle(Map& m, Timestamp now, Timestamp horizon, Timestamp& next_prune,
                LastSeen last_seen) {
  if (now < next_prune) return;
  next_prune = now + 60 * kNsPerSec;
  for (auto it = m.begin(); it != m.end();) {
    if (last_seen(it->second) + horizon < now)
      it = m.erase(it);
    else
      ++it;
  }
}

// The chain the pipeline calls: fans each event out to every detector.
class DetectorChain {
 public:
  DetectorChain(const DetectConfig& config, const inventory::DeviceInventory& inventory);
  void on_flow_end(const flow::Flow& f);
  void on_observation(const dissect::Observation& o);
  void on_arp(const decode::DecodedPacket& p);
  void on_flow_progress(const flow::Flow& f);
  void on_icmp_echo(const flow::Flow& f, flow::Direction dir, const decode::DecodedPacket& p);
  void on_tick(Timestamp now);
  void finish();
  const AlertTable& alerts() const { return alerts_; }
  std::size_t size() const { return detectors_.size(); }

 private:
  AlertTable alerts_;
  AddressNames names_;
  std::unique_ptr<BaselineModel> own_baseline_;  // when the caller passes none
  Context ctx_;
  std::vector<std::unique_ptr<Detector>> detectors_;
  Timestamp last_tick_ = 0, last_seen_ = 0;
};

}  // namespace warden::detect
