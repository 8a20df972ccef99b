// The gateway's configuration file (JSON): the LAN, the update servers a quarantined device
// may still reach, controller classes, and the devices to enforce with where their policy
// comes from (a MUD file, an allow-list, or the profile learned for them). Untrusted in the
// sense that a typo must produce an error naming the JSON path, never a half-applied policy.
//
//   {
//     "lan_networks": ["10.77.0.0/16"],
//     "update_servers": ["203.0.113.10", "updates.example.com"],
//     "controllers": {"https://example.com/hub": ["10.77.0.5"]},
//     "devices": [
//       {"name": "plug", "mac": "02:77:00:00:00:11", "ipv4": ["10.77.0.11"],
//        "mud": "/etc/warden/mud/plug.json", "my_controller": ["10.77.0.5"]},
//       {"name": "cam", "mac": "02:77:00:00:00:12",
//        "allow": [{"proto": "tcp", "port": 1883, "to": "203.0.113.20"},
//                  {"proto": "tcp", "port": 554, "from": "local-networks"}]},
//       {"name": "tv", "mac": "02:77:00:00:00:13", "profile": "learned"}
//     ]
//   }
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.h"
#include "core/result.h"
#include "policy/policy.h"

namespace warden::policy {

inline constexpr std::size_t kMaxConfigBytes = 8u << 20;
inline constexpr std::size_t kMaxDevices = 16384;

struct DeviceConfig {
  std::string name;  // unique; defaults to the MAC or first address
  std::optional<MacAddr> mac;
  std::vector<IpAddr> addrs;  // IPv4 and IPv6
  // Where the policy comes from: exactly one of these.
  std::string mud;                         // a MUD file path or URL
  std::optional<std::vector<Rule>> allow;  // an explicit allow-list
  bool learned = false;                    // the profile learned by watching the device
  std::vector<IpAddr> my_controller;       // for MUD my-controller
};

struct GatewayConfig {
  std::vector<Prefix> lan_networks;
  std::vector<Prefix> update_servers;     // addresses or networks
  std::vector<std::string> update_names;  // DNS names, resolved from the answers seen
  std::map<std::string, std::vector<IpAddr>> controllers;  // class URI -> addresses
  std::vector<DeviceConfig> devices;
};

// Errors read "devices[2].allow[0].port: must be 1..65535".
Result<GatewayConfig, std::string> parse_gateway_config(std::string_view json);

// One allow entry, {"proto":"tcp","port":443,"to":"example.com"} or
// {"proto":"udp","port":"5000-5010","from":"local-networks"}, as a rule with id `id`.
// `to`/`from` take an address or prefix, a DNS name, "any", "local-networks", or
// "controller:URI"; "to" rules are traffic the device opens, "from" rules traffic to it.
Result<Rule, std::string> parse_allow_spec(std::string_view proto, std::string_view port,
                                           std::string_view peer, Dir dir, std::string id);

}  // namespace warden::policy
