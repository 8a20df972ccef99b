// RFC 8520 Manufacturer Usage Description files: a typed model of one MUD file (its container,
// the from-device/to-device policies, and the RFC 8519 access lists they name, with the MUD and
// ietf-acldns match augmentations), parsed and validated from untrusted JSON. This is the
// parsing layer only: it resolves no DNS name and enforces nothing; the enforcer consumes a
// MudFile. A parsed MudFile is self-consistent: every ACL a policy names exists, ports and
// protocols are in range, names are non-empty. Errors name the JSON path of the offending
// value so a user can find it in the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace warden::mud {

inline constexpr std::size_t kMaxMudBytes = 1u << 20;

enum class AclType : std::uint8_t { kIpv4, kIpv6, kEth };
enum class Forwarding : std::uint8_t { kAccept, kDrop, kReject };
// ietf-mud:direction-initiated: who may open the TCP connection.
enum class Initiated : std::uint8_t { kEither, kFromDevice, kToDevice };
enum class Transport : std::uint8_t { kNone, kTcp, kUdp, kIcmp };

// RFC 8519 port-range-or-operator: "operator" with "port", or "lower-port"/"upper-port".
struct PortMatch {
  enum class Op : std::uint8_t { kEq, kNeq, kLte, kGte, kRange };
  Op op = Op::kEq;
  std::uint16_t port = 0;   // eq/neq/lte/gte; for kRange the lower bound
  std::uint16_t upper = 0;  // kRange only
};

// The ietf-mud:mud match container: abstractions the MUD manager turns into addresses.
struct MudMatch {
  std::string manufacturer;  // a domain: devices of that manufacturer
  bool same_manufacturer = false;
  std::string model;  // a MUD URL: devices of that model
  bool local_networks = false;
  std::string controller;  // a URI naming a class of controller
  bool my_controller = false;
  bool any() const {
    return !manufacturer.empty() || same_manufacturer || !model.empty() || local_networks ||
           !controller.empty() || my_controller;
  }
};

struct Ace {
  std::string name;
  // Layer 3 (ipv4/ipv6 containers).
  std::optional<std::uint8_t> protocol;
  std::string src_network, dst_network;  // CIDR text as written, validated
  std::string src_dnsname, dst_dnsname;  // ietf-acldns
  // Layer 4.
  Transport transport = Transport::kNone;
  std::optional<PortMatch> src_port, dst_port;
  Initiated initiated = Initiated::kEither;
  std::optional<std::uint8_t> icmp_type, icmp_code;
  // Ethernet.
  std::optional<std::uint16_t> ethertype;
  std::string src_mac, dst_mac;
  MudMatch mud;
  Forwarding forwarding = Forwarding::kAccept;
};

struct Acl {
  std::string name;
  AclType type = AclType::kIpv4;
  std::vector<Ace> aces;
  // An IP ACL with Ethernet matches too (MUDgee writes them); every match is still enforced.
  bool mixed_eth = false;
};

struct MudFile {
  int version = 1;
  std::string url;
  std::string last_update;
  std::optional<std::uint32_t> cache_validity;  // hours, 1..168
  std::optional<bool> is_supported;
  std::string systeminfo, mfg_name, model_name, firmware_rev, software_rev;
  std::string signature, documentation;                           // URLs
  std::vector<std::string> from_device_policy, to_device_policy;  // ACL names, in order
  std::vector<Acl> acls;
  // MUDgee (and so many published files) names the ACL container
  // "ietf-access-control-list:access-lists" instead of RFC 8519's "...:acls", with RFC 8519
  // content inside. Accepted, and remembered so a checker can say so.
  bool legacy_acl_container = false;

  const Acl* find_acl(std::string_view name) const;
};

struct MudError {
  std::string reason;
  std::string path;  // JSON path of the offending value; empty for whole-file errors
  std::string message() const { return path.empty() ? reason : path + ": " + reason; }
};

Result<MudFile, MudError> parse_mud(std::string_view json);

// Every ietf-acldns name the policies use, lower-cased, sorted and unique: what must be
// resolved before the policy can be enforced.
std::vector<std::string> dns_names(const MudFile& mud);

// What one ACE matches, as a short phrase: "tcp/443 to dns:example.com (device opens)" (the
// action is not included; summary() prefixes allow/drop/reject).
std::string describe(const Ace& ace, bool from_device);

// A human summary of the whole file, several lines, for `warden mud check`.
std::string summary(const MudFile& mud);

}  // namespace warden::mud
