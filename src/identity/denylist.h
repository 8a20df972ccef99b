// The deny-list: revoked device keys, device names and whole issuing CAs, as text:
//   spki <64 hex>           SHA-256 of a device's DER SubjectPublicKeyInfo
//   device <tenant>:<dev>   a device name (or <tenant>:* for a whole tenant)
//   ca <64 hex>             SHA-256 of an issuing CA's SPKI: everything it issued
//   # comment
// Keyed on public keys, not certificate fingerprints, so a re-issued certificate for a stolen
// key stays revoked. One file serves both the relay (which cuts live sessions off) and the
// enrollment server (which stops issuing); it lives here so neither service links the other.
// The parser is pure and fuzzed; each reader re-reads the file when it changes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/result.h"

namespace warden::identity {

using Sha256 = std::array<std::uint8_t, 32>;

// 64 hex digits (either case) to bytes.
std::optional<Sha256> parse_sha256_hex(std::string_view hex);
std::string sha256_hex(const Sha256& h);

// Largest deny-list file read_deny_list accepts (a line is about 70 bytes).
inline constexpr std::size_t kMaxDenyListBytes = 16u << 20;

struct DenyListError {
  std::size_t line = 0;  // 1-based; every parse error names its line
  std::string message;
  std::string str() const;  // "line N: message"
};

class DenyList {
 public:
  static Result<DenyList, DenyListError> parse(std::string_view text);

  // Why the device is denied ("spki", "device", "tenant", "ca"), or nullopt.
  std::optional<std::string_view> check(const Sha256& spki, std::string_view tenant,
                                        std::string_view device, const Sha256* ca_spkis,
                                        std::size_t ca_count) const;

  std::size_t size() const {
    return spkis_.size() + devices_.size() + tenants_.size() + cas_.size();
  }

 private:
  std::set<Sha256> spkis_;
  std::set<Sha256> cas_;
  std::set<std::string, std::less<>> devices_;  // "tenant:device"
  std::set<std::string, std::less<>> tenants_;
};

// Reads and parses a deny-list file of at most kMaxDenyListBytes. The error is one sentence
// naming the file ("deny-list deny.list: line 3: ...").
Result<DenyList, std::string> load_deny_list(const std::string& path);

// The line the `revoke` command appends ("spki <hex>", "device t:d", "ca <hex>"), validated.
Result<std::string, std::string> deny_line(std::string_view kind, std::string_view value);

}  // namespace warden::identity
