// Renders the gateway's state as nftables scripts: the whole table, written as one transaction
// that replaces the previous one atomically, and the small incremental transactions that
// quarantine, release and DNS answers need (a set element, a chain), so a decision is enforced
// in milliseconds without touching the rest of the ruleset.
//
// Shape of table inet warden (priority filter - 5 on the forward hook, so it sees traffic
// before a distribution's own filter; it never touches input/output: the gateway's own DHCP,
// DNS and management keep working whatever happens to a device):
//
//   forward:  the quarantine map by MAC (-> goto <dev>_qo), before connection tracking, so a
//             quarantined device's own packets stop at once, connections open or not;
//             ct state established,related accept (replies of allowed connections): one
//             lookup and this for the bulk of a router's packets;
//             quarantine maps by address (-> <dev>_qo / <dev>_qi): the enforcer deletes the
//             device's conntrack entries when it quarantines it, so every packet of its
//             connections, either way, is new again and reaches these;
//             from-device maps (MAC, or address when no MAC is known) -> jump <dev>_o;
//             to-device maps (address) -> jump <dev>_i; otherwise accept (unmanaged devices).
//   <dev>_o:  the device's rules for traffic it sends; an allow *returns*, so traffic to
//             another managed device is also judged by that device's <dev>_i (a fridge may
//             talk to a camera only if both policies agree); the end drops, counted in
//             the named counter <dev>_drop.
//   <dev>_i:  the rules for traffic to the device; an allow accepts; the end drops.
//   sets:     lan4/lan6 (local-networks), upd4/upd6 (update servers), n<hash>_4/_6 (addresses a
//             DNS name resolved to, with the answer's lifetime as timeout), c<k>_ (controller
//             classes), mf<k>_ (devices of one manufacturer), md<k>_ (devices of one model).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/net.h"
#include "core/time.h"
#include "policy/config.h"
#include "policy/policy.h"

namespace warden::enforce {

inline constexpr const char* kTable = "warden";  // table inet warden

// One device the gateway knows by address: enforced when it has a policy.
struct DeviceEntry {
  std::string name;
  std::optional<MacAddr> mac;
  std::vector<IpAddr> addrs;
  std::optional<policy::DevicePolicy> policy;  // unset: not enforced (only quarantinable)
  std::vector<IpAddr> my_controller;
};

struct QuarantineEntry {
  std::string device;  // the device's name
  std::optional<MacAddr> mac;
  std::vector<IpAddr> addrs;
  std::string reason;
  std::string by;  // "cli", "api", "detection:<detector>"
  Timestamp since = 0;
};

// The addresses a DNS name resolved to, each with its expiry (capture/wall ns).
using Resolutions = std::map<std::string, std::map<IpAddr, Timestamp>, std::less<>>;

struct GatewayState {
  std::vector<policy::Prefix> lan_networks;
  std::vector<policy::Prefix> update_servers;
  std::vector<std::string> update_names;
  std::map<std::string, std::vector<IpAddr>> controllers;
  std::vector<DeviceEntry> devices;
  std::vector<QuarantineEntry> quarantine;
  Resolutions resolved;
};

// The key a device's chains and counter are named by: "m" and the MAC's hex digits, or "a"
// and a hash of its first address when no MAC is known. Stable across restarts, so counters
// and listings keep naming the same device.
std::string device_key(const std::optional<MacAddr>& mac, const std::vector<IpAddr>& addrs);

// Every DNS name the state needs resolved (policies' names and update servers), sorted.
std::vector<std::string> needed_names(const GatewayState& s);

struct Rendered {
  std::string script;
  std::vector<std::string> warnings;  // per device: rules that could not be rendered
  std::size_t rules = 0;              // nft rules written
};

// The whole table, replacing whatever table inet warden holds, as one transaction. `now`
// gives the remaining lifetime of resolved names (expired ones are left out). The table's
// comment records `generation` so a later run (or `warden gateway status`) can tell which
// rules are in force.
Rendered render_table(const GatewayState& s, std::uint64_t generation, Timestamp now);

// Incremental transactions.
std::string render_quarantine(const QuarantineEntry& q, const GatewayState& s);
std::string render_release(const QuarantineEntry& q);
// The set holding the addresses `name` resolved to: "n" and 16 hex digits of its hash, "_4"
// or "_6". Stable: it depends on the name only.
std::string name_set(std::string_view name, bool v4);
// dnsmasq configuration lines (nftset=) that make a dnsmasq resolver on the router fill the
// name sets itself, before it answers: no race between an answer and the first connection.
std::string dnsmasq_nftsets(const GatewayState& s);
// Adds (or refreshes) addresses `name` resolved to, each living `ttl_s` seconds.
std::string render_resolution(std::string_view name, const std::vector<IpAddr>& addrs,
                              std::uint32_t ttl_s);

// Text safe inside an nft comment "..." (at most 120 bytes, no quotes or control bytes).
std::string nft_comment(std::string_view text);

}  // namespace warden::enforce
