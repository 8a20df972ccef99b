// The relay's deny-list: revoked device keys, device names and whole issuing CAs, as text:
//   spki <64 hex>           SHA-256 of a device's DER SubjectPublicKeyInfo
//   device <tenant>:<dev>   a device name (or <tenant>:* for a whole tenant)
//   ca <64 hex>             SHA-256 of an issuing CA's SPKI: everything it issued
//   # comment
// Keyed on public keys, not certificate fingerprints, so a re-issued certificate for a stolen
// key stays revoked. The parser is pure and fuzzed; the relay re-reads the file when it changes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/result.h"
#include "relay/config.h"

namespace warden::relay {

using Sha256 = std::array<std::uint8_t, 32>;

// 64 hex digits (either case) to bytes.
std::optional<Sha256> parse_sha256_hex(std::string_view hex);
std::string sha256_hex(const Sha256& h);

class DenyList {
 public:
  static Result<DenyList, ConfigError> parse(std::string_view text);

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

// The line the `revoke` command appends ("spki <hex>", "device t:d", "ca <hex>"), validated.
Result<std::string, std::string> deny_line(std::string_view kind, std::string_view value);

}  // namespace warden::relay
