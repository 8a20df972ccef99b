// What the user names as targets: "192.168.77.13", "192.168.77.0/24", "192.168.77.11-17",
// "192.168.77.11-192.168.77.17", or an IPv6 address. Scans touch only these addresses, so the
// parser is strict: a typo is an error, never a wider range.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.h"
#include "core/result.h"

namespace warden::scan {

// At most this many addresses per scan unless the caller raises it: a /16 by mistake would
// otherwise mean an hour of probing someone's network.
inline constexpr std::size_t kMaxTargets = 4096;

// Expands one target expression, appending to `out` (duplicates removed by the caller).
// For CIDR blocks of /30 and wider the network and broadcast addresses are left out.
Result<bool, std::string> expand_target(std::string_view text, std::vector<IpAddr>& out,
                                        std::size_t limit = kMaxTargets);

// Expands all, keeps the first occurrence of each address, in the order given.
Result<std::vector<IpAddr>, std::string> expand_targets(const std::vector<std::string>& texts,
                                                        std::size_t limit = kMaxTargets);

// Parses a port list "22,80,8000-8010" (1-65535). Errors name the bad element.
Result<std::vector<std::uint16_t>, std::string> parse_ports(std::string_view text);

}  // namespace warden::scan
