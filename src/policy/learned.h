// Learned allow-lists: after its learning period, what a device was seen doing (the
// destinations and services of its baseline, detect::DeviceBaseline) becomes its profile.
// The device type from the inventory narrows the default: a plug, a bulb or a speaker never
// needs to open connections to other local devices, so a learned peer of theirs is left out
// (a user can still add it); a hub or a TV keeps its local peers.
#pragma once

#include "detect/baseline.h"
#include "inventory/device.h"
#include "policy/policy.h"

namespace warden::policy {

inline constexpr std::size_t kMaxLearnedRules = 256;

// Whether devices of this type get local peers in their learned profile.
bool type_talks_locally(inventory::DeviceType t);

// The profile: for every learned destination (a DNS name or a network) every learned
// service, traffic the device opens; services it serves, to local networks only. At most
// kMaxLearnedRules rules (a warning says what was cut). `local_peer_addrs` holds the
// addresses of the local peers it learned, when its type may keep them.
DevicePolicy from_baseline(const detect::DeviceBaseline& b, inventory::DeviceType type,
                           const std::vector<IpAddr>& local_peer_addrs);

}  // namespace warden::policy
