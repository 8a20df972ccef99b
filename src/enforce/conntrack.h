// Forgetting connections. The forward chain accepts packets of established connections after
// a single lookup (the quarantine by MAC), so a busy router pays one map lookup per packet,
// not five; when a device is quarantined, the connection-tracking entries of its addresses are
// deleted, so the next packet of each of its connections, either way, is judged as new by the
// ruleset: the quarantine cuts connections that were open, also ones the device only receives.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/net.h"
#include "core/result.h"

namespace warden::enforce {

class ConntrackFlusher {
 public:
  virtual ~ConntrackFlusher() = default;
  // Deletes every entry with one of `addrs` as source or destination (either direction);
  // returns how many were deleted.
  virtual Result<std::size_t, std::string> forget(const std::vector<IpAddr>& addrs) = 0;
};

// The kernel's table, through libnetfilter_conntrack (netlink).
class LibConntrack final : public ConntrackFlusher {
 public:
  Result<std::size_t, std::string> forget(const std::vector<IpAddr>& addrs) override;
};

}  // namespace warden::enforce
