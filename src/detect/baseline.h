// BaselineModel: what each local device normally does, learned from the flows it takes part
// in: the internet destinations it reaches (a domain when a DNS answer or TLS SNI named the
// address, else the address's /24 or /48 network, so a CDN rotating addresses is one
// destination), the services it uses (protocol/port), the application protocols it speaks, the
// local devices it talks to, the ports it serves, and how much it moves per hour. A device
// learns for a period of capture time from its first sighting and until it has shown a minimum
// of activity; after that, what is new is a deviation (the baseline detector, baseline.cc,
// raises it and then adds the item, so it alerts once).
//
// The model is plain data with no I/O: snapshot() and restore() copy it to and from a
// BaselineSnapshot, which storage/baseline_store.h keeps in SQLite across restarts. Every table
// is capped (devices, items per kind per device); what does not fit is counted, never grown.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace warden::detect {

enum class BaselineKind : std::uint8_t {
  kDestination,  // "example.com" or "net:203.0.113.0/24"
  kService,      // protocol/port it connects to: "tcp/443"
  kProtocol,     // application protocol it speaks (flow::AppProto name): "TLS"
  kPeer,         // local device it talks to (inventory id)
  kServes,       // protocol/port others connect to on it: "tcp/80"
  kCountry,      // country of the internet hosts it reaches, with a geo database: "DE"
  kNetwork,      // autonomous system of those hosts, with a geo database: "AS13335"
  kCount
};
inline constexpr std::size_t kBaselineKinds = static_cast<std::size_t>(BaselineKind::kCount);
std::string_view baseline_kind_name(BaselineKind k);
std::optional<BaselineKind> baseline_kind_from_name(std::string_view name);
// Whether `value` is a well-formed item of `kind`. Files are untrusted: a loader checks each.
bool baseline_value_valid(BaselineKind kind, std::string_view value);
// Whether `id` has the shape of an inventory id: a MAC ("aa:bb:cc:dd:ee:ff") or "ip:<address>".
bool baseline_device_id_valid(std::string_view id);

struct BaselineItem {
  Timestamp first_seen = 0, last_seen = 0;
  std::uint64_t count = 0;  // flows (or observations) that showed it
};

// Volume per hour of capture time, over the hours the device was active (idle hours would
// drag the mean to zero and make every burst look like a jump). Exponentially weighted so a
// device whose habits change slowly is followed.
struct VolumeStats {
  static constexpr double kAlpha = 0.1;  // weight of the newest hour
  std::uint64_t hours = 0;               // active hours folded in
  double mean_bytes = 0, var_bytes = 0, mean_flows = 0, var_flows = 0;
  std::int64_t hour = -1;  // index (capture time / 1 h) of the hour being counted; -1: none
  std::uint64_t hour_bytes = 0, hour_flows = 0;

  // Moves to the hour of `ts`, folding the hour being counted into the means when it is over.
  // Time that steps back (an older capture) counts into the current hour.
  void roll(Timestamp ts);
  void add(Timestamp ts, std::uint64_t bytes);
  double sd_bytes() const;
  double sd_flows() const;
};

struct DeviceBaseline {
  Timestamp first_seen = 0, last_seen = 0;
  Timestamp learning_until = 0;  // first_seen + the learning period in force at first sighting
  Timestamp stable_since = 0;    // when learning ended; 0 while learning
  std::uint64_t flows = 0;       // flows it took part in
  // When the newest item of each kind was learned during learning: a kind that still grew
  // late in the learning period is not stable enough for its novelties to mean anything.
  std::array<Timestamp, kBaselineKinds> last_new{};
  std::array<std::map<std::string, BaselineItem, std::less<>>, kBaselineKinds> items;
  std::uint64_t items_dropped = 0;  // items not learned because their kind was full
  VolumeStats volume;

  bool learning() const { return stable_since == 0; }
  std::size_t item_count() const;
  // Whether the items of `kind` had settled when learning ended (nothing new in the last
  // quarter of the learning time).
  bool settled(BaselineKind kind) const;
};

struct BaselineLimits {
  std::size_t max_devices = 4096;
  // Per device, by BaselineKind: destinations, services, protocols, peers, served ports,
  // countries, networks.
  std::array<std::size_t, kBaselineKinds> max_items = {512, 128, 64, 256, 64, 64, 256};
  // Over all devices: about 120 bytes an item, so at most ~30 MB however many devices misbehave
  // (a typical device holds a few dozen items: ~0.5 KB plus ~0.12 KB an item).
  std::size_t max_total_items = 262'144;
};

// A plain copy of the model: what a store writes and reads back.
struct BaselineSnapshot {
  struct Item {
    BaselineKind kind = BaselineKind::kDestination;
    std::string value;
    BaselineItem stats;
  };
  struct Device {
    std::string id;
    Timestamp first_seen = 0, last_seen = 0, learning_until = 0, stable_since = 0;
    std::uint64_t flows = 0, items_dropped = 0;
    std::array<Timestamp, kBaselineKinds> last_new{};
    VolumeStats volume;
    std::vector<Item> items;
  };
  std::vector<Device> devices;
};

class BaselineModel {
 public:
  explicit BaselineModel(BaselineLimits limits = {}) : limits_(limits) {}

  // The device's baseline, created at its first sighting (learning until now + period). Null
  // when the model is full (counted).
  DeviceBaseline* device(std::string_view id, Timestamp now, Timestamp learning_period);
  const DeviceBaseline* find(std::string_view id) const;

  enum class Learned : std::uint8_t { kKnown, kNew, kFull };
  // Counts `value` for the device; kNew when it was not known (it is known from now on),
  // kFull when it was not known and its kind, or the whole model, is at its cap (counted, not
  // learned).
  Learned learn(DeviceBaseline& d, BaselineKind kind, std::string_view value, Timestamp ts);

  BaselineSnapshot snapshot() const;
  // Replaces the model with a snapshot; what exceeds the limits is dropped and counted.
  void restore(const BaselineSnapshot& s);

  std::size_t size() const { return devices_.size(); }
  std::size_t learning_count() const;  // devices still learning
  std::uint64_t devices_dropped() const { return devices_dropped_; }
  std::uint64_t items_dropped() const;
  std::size_t item_count() const { return total_items_; }
  // Approximate heap bytes held (nodes, strings), for the summary and the docs.
  std::size_t memory_bytes() const;
  // Bumped by every change: a saver can skip writing a model that did not move.
  std::uint64_t version() const { return version_; }

 private:
  BaselineLimits limits_;
  std::map<std::string, DeviceBaseline, std::less<>> devices_;
  std::uint64_t devices_dropped_ = 0;
  std::size_t total_items_ = 0;
  std::uint64_t version_ = 0;
};

}  // namespace warden::detect
