// The enforcer: the gateway's policy state and the one writer of table inet warden. It owns
// the desired state (devices and their policies, quarantine, resolved names), renders it, and
// applies changes through an NftBackend: a rebuild replaces the table in one transaction; a
// quarantine, a release or a DNS answer is a small transaction of its own, so a decision is
// enforced in about a millisecond whatever the size of the ruleset. Every change to what
// must survive a restart is committed to the StateStore before it is reported done.
//
// Fail mode (docs/architecture.md, "Gateway fail mode"): fail-static. The rules live in the
// kernel, not in this process: if warden stops or crashes, the last ruleset stays in force
// (quarantined devices stay cut off, enforced devices keep their allow-lists, unmanaged
// devices stay open), and the table's comment names the generation that is in force. A new
// run rebuilds from the configuration and the stored state, atomically.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "enforce/conntrack.h"
#include "enforce/nft.h"
#include "enforce/ruleset.h"
#include "enforce/state_store.h"

namespace warden::enforce {

// Addresses remembered per DNS name (the freshest win).
inline constexpr std::size_t kMaxAddrsPerName = 256;

struct Applied {
  std::uint64_t generation = 0;
  std::size_t rules = 0;
  std::size_t enforced_devices = 0;
  std::int64_t apply_us = 0;  // time nft took to commit
  std::vector<std::string> warnings;
};

struct Decision {
  QuarantineEntry entry;
  Timestamp decided_ns = 0, enforced_ns = 0;  // wall clock, around the commit
  std::string warning;  // in force, but something the caller must hear (not persisted)
};

struct DeviceCounters {
  std::string key, name;
  std::uint64_t drop_packets = 0, drop_bytes = 0;
};
struct RuleCounter {
  std::string chain, device, rule;  // device: its name when known, else the chain's key
  std::uint64_t packets = 0, bytes = 0;
};
struct Counters {
  std::string table_comment;  // "warden gateway generation N"
  std::vector<DeviceCounters> devices;
  std::vector<RuleCounter> rules;
};

// Parses `nft -j list table inet warden` output (untrusted only in the sense of being large).
Result<Counters, std::string> parse_counters(std::string_view json);
// What table inet warden says of itself ("warden gateway generation 3"), read from the
// text listing; empty when there is no such table. For status after a crash.
std::string table_comment(NftBackend& nft);

struct EnforcerStats {
  std::uint64_t applies = 0, apply_errors = 0;
  std::uint64_t dns_answers_used = 0, dns_addresses_added = 0;
  std::uint64_t quarantines = 0, releases = 0;
  std::int64_t last_rebuild_us = 0, last_change_us = 0;
  std::uint64_t connections_forgotten = 0, conntrack_errors = 0;
};

class Enforcer {
 public:
  // `store` may be null (nothing persisted: tests, `warden gateway rules`); `conntrack` may be
  // null (connections already open to or from a quarantined address are then cut only in the
  // device's own direction, by its MAC).
  Enforcer(NftBackend& nft, StateStore* store, ConntrackFlusher* conntrack = nullptr)
      : nft_(nft), store_(store), conntrack_(conntrack) {}

  // Takes the desired state, adds what the store remembers (quarantine, resolved names), and
  // applies the whole table.
  Result<Applied, std::string> start(GatewayState state, Timestamp now);
  // Re-renders and replaces the table (after devices or policies changed).
  Result<Applied, std::string> rebuild(Timestamp now);
  // Replaces the devices (a configuration reload, a device that announced its MUD URL) and
  // rebuilds.
  Result<Applied, std::string> set_devices(std::vector<DeviceEntry> devices, Timestamp now);

  // The device a user means: a configured name, a MAC or an address. For a device the
  // configuration does not list, a MAC or an address stands for itself.
  std::optional<QuarantineEntry> resolve(std::string_view ref) const;
  Result<Decision, std::string> quarantine(QuarantineEntry e);
  Result<Decision, std::string> release(std::string_view ref);
  bool quarantined(std::string_view device) const;

  // A DNS answer the gateway saw: when `name` is one the policies use, its addresses are
  // queued for the name's sets, living `ttl_s` (clamped to 10 min .. 1 day: a device may
  // connect long after it resolved). flush() applies what is queued as one transaction.
  void on_dns_answer(std::string_view name, const std::vector<IpAddr>& addrs, std::uint32_t ttl_s,
                     Timestamp now);
  Result<bool, std::string> flush();
  bool pending() const { return !pending_.empty(); }

  // Drop and rule counters since this enforcer started: the kernel's, plus what the tables it
  // replaced had counted. Rules written twice (IPv4 and IPv6) are one counter.
  Result<Counters, std::string> counters();
  // The same in two steps, for a caller that shares the enforcer between threads: reading the
  // kernel's counters touches no enforcer state and may take long (a second at 1,000
  // devices), so it runs without the caller's lock; adding what is carried and naming the
  // devices is quick and needs it.
  Result<Counters, std::string> read_counters() { return raw_counters(); }
  void complete_counters(Counters& c) const;

  // The user's decisions on learned profiles (device -> "locked" / "relaxed"), persisted.
  const std::map<std::string, std::string>& profile_states() const { return profiles_; }
  Result<bool, std::string> set_profile_state(const std::string& device, const std::string& state);

  const GatewayState& state() const { return state_; }
  std::uint64_t generation() const { return generation_; }
  const EnforcerStats& stats() const { return stats_; }

 private:
  Result<bool, std::string> apply(const std::string& script, std::int64_t& us);
  Result<Counters, std::string> raw_counters();
  void forget_connections(const std::vector<IpAddr>& addrs);
  void carry_counters();

  NftBackend& nft_;
  StateStore* store_;
  ConntrackFlusher* conntrack_;
  GatewayState state_;
  std::vector<std::string> names_;  // needed_names(state_), sorted
  std::map<std::string, std::string> profiles_;
  bool applied_once_ = false;
  // Totals of the tables this run replaced, by device key and by "chain|rule".
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> carried_drops_, carried_rules_;
  std::uint64_t generation_ = 0;
  std::string pending_;
  std::vector<std::pair<std::string, std::pair<std::vector<IpAddr>, Timestamp>>> pending_store_;
  EnforcerStats stats_;
};

}  // namespace warden::enforce
