// What a device may do on the network, as the gateway enforces it: an ordered list of rules per
// direction, each naming the remote end by an abstraction (an address, a DNS name, the local
// networks, a controller class, the devices of a manufacturer) that the enforcer turns into
// address sets. A policy comes from a device's MUD file (RFC 8520), from an allow-list in the
// gateway's configuration, or from a profile learned by watching the device. Whatever is not
// allowed is dropped: a policy is an allow-list, and the enforcer appends the default deny.
//
// This layer is pure: no I/O, no nftables. The enforcer (src/enforce) renders it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.h"
#include "core/result.h"
#include "mud/mud.h"

namespace warden::policy {

// An address prefix: "203.0.113.0/24", "2001:db8::/32", or one address (/32, /128).
struct Prefix {
  IpAddr addr;  // the network address (host bits cleared)
  std::uint8_t bits = 0;
  bool v4() const { return addr.is_v4(); }
  std::string to_string() const;  // "203.0.113.0/24"; a host prefix without the length
  auto operator<=>(const Prefix&) const = default;
};
std::optional<Prefix> parse_prefix(std::string_view text);  // address or address/len

enum class Dir : std::uint8_t { kFromDevice, kToDevice };

// The other end of the traffic a rule matches.
struct Peer {
  enum class Kind : std::uint8_t {
    kAny,
    kNetwork,        // value: a prefix
    kDnsName,        // value: a lower-case DNS name, resolved from the answers the gateway sees
    kLocalNetworks,  // the gateway's LAN prefixes
    kController,     // value: a controller class URI; addresses from the configuration
    kMyController,   // the device's own controller(s), from the configuration
    kManufacturer,   // value: a domain; devices whose MUD URL has that authority
    kSameManufacturer,
    kModel,  // value: a MUD URL; devices announcing it
  };
  Kind kind = Kind::kAny;
  std::string value;
  std::optional<Prefix> network;  // kNetwork
  auto operator<=>(const Peer&) const = default;
};
std::string peer_text(const Peer& p);  // "any", "203.0.113.0/24", "dns:example.com", ...

enum class Action : std::uint8_t { kAccept, kDrop, kReject };

struct Rule {
  // Names the rule in counters and listings: "<acl>/<ace>" for MUD, "allow[3]" for the
  // configuration, "learned:tcp/443 to example.com" for profiles. At most 100 bytes.
  std::string id;
  Dir dir = Dir::kFromDevice;
  Action action = Action::kAccept;
  std::optional<std::uint8_t> protocol;  // IP protocol number; unset: any
  std::uint8_t family = 0;               // 4 or 6 to restrict (from a MUD ipv4/ipv6 ACL); 0 both
  Peer peer;
  // Further conditions on the same peer, all of which must hold too (a MUD ACE may combine
  // abstractions: MUDgee writes "local-networks" and "224.0.0.251/32" in one ACE).
  std::vector<Peer> and_peers;
  // Ports as they appear in the packets this rule's direction carries: from the device, the
  // source port is the device's and the destination port the peer's; to the device, reversed.
  std::optional<mud::PortMatch> src_port, dst_port;
  // TCP: who may open the connection (RFC 8520 direction-initiated). Replies of a connection
  // that was allowed pass by connection tracking, never by a rule.
  mud::Initiated initiated = mud::Initiated::kEither;
  std::optional<std::uint8_t> icmp_type, icmp_code;
};
std::string describe(const Rule& r);  // "allow tcp/443 to dns:example.com (device opens)"

struct DevicePolicy {
  enum class Source : std::uint8_t { kMud, kAllowList, kLearned };
  Source source = Source::kAllowList;
  std::string mud_url;  // kMud: the file's URL (its authority is the manufacturer)
  std::vector<Rule> rules;
  // What could not be expressed and was left out (a left-out allow only narrows the policy):
  // Ethernet matches, unresolvable abstractions... Shown by `warden gateway rules`.
  std::vector<std::string> warnings;
};
std::string_view source_name(DevicePolicy::Source s);

// The rules a MUD file gives its device. Refuses (error) only what cannot be made safe; an
// ACE the enforcer cannot express is left out with a warning.
Result<DevicePolicy, std::string> from_mud(const mud::MudFile& mud);

// The host of a URL ("https://lighting.example.com/lightbulb2000" -> "lighting.example.com"),
// lower-cased; empty when it has none. RFC 8520's manufacturer of a MUD URL.
std::string url_authority(std::string_view url);

// Whether a URL's host is a literal local address (loopback, private, link-local, unspecified
// or multicast): a device announcing such a MUD URL would make the gateway fetch from inside
// the network. Host names are not resolved here.
bool url_host_is_local(std::string_view url);

// A DNS name as policies store it: lower case, no trailing dot. Empty when not a valid name.
std::string normalize_dns_name(std::string_view name);

}  // namespace warden::policy
