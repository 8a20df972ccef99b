// OuiDatabase: maker names for MAC address prefixes, loaded from the IEEE registries that
// Debian's ieee-data package installs (MA-L 24-bit, MA-M 28-bit and MA-S 36-bit blocks), so the
// table stays current with the distribution rather than with a hand-copied list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/net.h"
#include "core/result.h"

namespace warden::inventory {

inline constexpr std::string_view kDefaultOuiDir = "/usr/share/ieee-data";

class OuiDatabase {
 public:
  // Loads oui.csv (required), mam.csv and oui36.csv (optional) from dir.
  static Result<OuiDatabase, std::string> load(const std::string& dir);
  // Parses one registry CSV's text; prefix_bits is 24, 28 or 36. Returns entries added.
  std::size_t add_csv(std::string_view csv, int prefix_bits);

  // The organisation for mac, most specific block first; empty when unknown or when the
  // address is locally administered (randomised), where the prefix means nothing.
  std::string_view lookup(const MacAddr& mac) const;
  std::size_t size() const { return l_.size() + m_.size() + s_.size(); }

 private:
  std::unordered_map<std::uint64_t, std::string> l_, m_, s_;
};

}  // namespace warden::inventory
