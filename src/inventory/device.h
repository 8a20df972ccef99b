// Device: what warden knows about one device on the network, keyed by its MAC address (a
// device that changes IP stays one device). Raw-IP captures carry no MAC; there a device is
// keyed by its local IP address instead, which the `id` makes visible ("ip:10.0.0.5").
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.h"
#include "core/time.h"

namespace warden::inventory {

enum class DeviceType : std::uint8_t {
  kUnknown,
  kCamera,
  kPlug,
  kBulb,
  kHub,
  kSpeaker,
  kTv,
  kPrinter,
  kPhoneComputer,
  kRouter,
  kCount
};
std::string_view device_type_name(DeviceType t);

// One fact that points at a device type, shown to the user so a label can be trusted or not.
struct Evidence {
  std::string source;  // e.g. "dhcp.hostname", "mdns.service", "oui.vendor"
  std::string value;   // what was seen
  DeviceType suggests = DeviceType::kUnknown;
  int weight = 0;
};

struct AddressRecord {
  IpAddr ip;
  Timestamp first_seen = 0, last_seen = 0;
  std::string source;  // how it was learned: "traffic", "arp", "dhcp"
};

// A set with a hard cap: devices on a hostile network must not grow without bound.
class BoundedSet {
 public:
  explicit BoundedSet(std::size_t cap = 32) : cap_(cap) {}
  void insert(std::string_view v);
  const std::set<std::string>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t cap_;
  std::set<std::string> items_;
  std::uint64_t dropped_ = 0;
};

struct Device {
  std::string id;
  bool has_mac = false;
  MacAddr mac;
  bool randomized_mac = false;
  std::string vendor;
  Timestamp first_seen = 0, last_seen = 0;
  std::vector<AddressRecord> addresses;

  std::string hostname;
  std::string dhcp_vendor_class, dhcp_fingerprint, mud_url;
  BoundedSet mdns_names{16}, mdns_services{32};
  std::string ssdp_server;
  BoundedSet ssdp_types{16};
  BoundedSet ssdp_usns{8};  // unique service names: "uuid:...::urn:...", stable per device
  std::string upnp_device_type, upnp_friendly_name, upnp_manufacturer, upnp_model_name,
      upnp_model_number;
  BoundedSet upnp_services{16};
  BoundedSet http_user_agents{8}, http_servers{8};
  BoundedSet tls_ja3{16}, tls_sni{32};
  BoundedSet mqtt_client_ids{8};
  BoundedSet dns_queries{64};
  std::set<std::uint16_t> tcp_server_ports, udp_server_ports;  // bounded in the inventory
  std::set<std::uint16_t> udp_announce_ports;  // UDP ports it broadcasts/multicasts to
  std::uint64_t flows_originated = 0, flows_served = 0;
  std::uint64_t packets_sent = 0, bytes_sent = 0;
  std::set<IpAddr> remote_peers_sample;  // distinct non-local peers, capped: router evidence

  DeviceType type = DeviceType::kUnknown;
  double confidence = 0.0;
  std::vector<Evidence> evidence;

  // The name a person knows it by: its DHCP host name, else its UPnP friendly name, else an
  // mDNS name; empty when it never said.
  std::string_view display_name() const {
    if (!hostname.empty()) return hostname;
    if (!upnp_friendly_name.empty()) return upnp_friendly_name;
    if (!mdns_names.empty()) return *mdns_names.items().begin();
    return {};
  }
};

// What the rule table (rules.cc) makes of a device, without changing it: detectors read the
// inventory while it is being built, before classify_all() has labelled anything.
struct Classification {
  DeviceType type = DeviceType::kUnknown;
  double confidence = 0.0;
  std::vector<Evidence> evidence;
};
Classification classification_of(const Device& d);
// Scores the device against the rule table (rules.cc) and fills type, confidence, evidence.
void classify(Device& d);

}  // namespace warden::inventory
