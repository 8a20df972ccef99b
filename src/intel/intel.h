// Threat intelligence: sets of indicators (IP addresses and CIDR blocks, domain names, JA3
// fingerprints) loaded from lists in the formats public feeds use, and matched on the data
// path. Lookups are hash-set probes: one per distinct prefix length for addresses (feeds use a
// handful of lengths), one per label for domains (a listed domain covers its subdomains), one
// for JA3. Each indicator remembers which list it came from, so an alert can say so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/net.h"
#include "core/result.h"

namespace warden::intel {

enum class Kind : std::uint8_t { kAuto, kIp, kDomain, kJa3 };

struct ListOptions {
  std::string name;         // the list's name in alerts ("abuse.ch feodo", a file name...)
  Kind kind = Kind::kAuto;  // force every entry to one kind, or detect per entry
  // CSV: the column holding the indicator, by 0-based index or by header name; empty/-1
  // means the first field. Lines are split on ',' when a column is given or the line has one.
  int column = -1;
  std::string column_name;
  std::size_t max_indicators = 5'000'000;
};

struct ListStats {
  std::size_t ips = 0, cidrs = 0, domains = 0, ja3 = 0;
  std::size_t skipped = 0;  // lines that held no recognisable indicator
  std::size_t first_bad_line = 0;
  std::size_t total() const { return ips + cidrs + domains + ja3; }
};

struct Match {
  std::string_view list;  // name of the list it came from
  std::string indicator;  // the listed value that matched (e.g. "evil.com" for a.evil.com)
};

class IntelSet {
 public:
  // Parses a list's text and adds its indicators. Lines that are comments (#, ;, //) or blank
  // are ignored; lines with nothing usable are counted as skipped, never fatal.
  ParseResult<ListStats> add_list(std::string_view text, const ListOptions& options);

  std::optional<Match> match_ip(const IpAddr& ip) const;
  std::optional<Match> match_domain(std::string_view name) const;
  std::optional<Match> match_ja3(std::string_view md5_hex) const;

  std::size_t size() const;
  bool empty() const { return size() == 0; }
  // Approximate bytes held per indicator (hash nodes, strings), for capacity planning.
  std::size_t memory_bytes() const;
  const std::vector<std::string>& lists() const { return names_; }

 private:
  struct IpKey {
    IpAddr prefix;
    std::uint8_t bits;
    bool operator==(const IpKey&) const = default;
  };
  struct IpKeyHash {
    std::size_t operator()(const IpKey& k) const { return k.prefix.hash() ^ k.bits; }
  };
  std::uint16_t list_id(const std::string& name);
  bool add_ip(std::string_view text, std::uint16_t list, ListStats& st);

  std::vector<std::string> names_;
  std::unordered_map<IpKey, std::uint16_t, IpKeyHash> nets_;
  std::vector<std::uint8_t> v4_lengths_, v6_lengths_;  // distinct prefix lengths present
  std::unordered_map<std::string, std::uint16_t> domains_;
  std::unordered_map<std::string, std::uint16_t> ja3_;
};

// Masks an address to its first `bits` bits (IPv4 bits count within the IPv4 address).
IpAddr mask(const IpAddr& ip, std::uint8_t bits);

}  // namespace warden::intel
