// Geo and network-owner lookups: which country an internet address is registered in and which
// autonomous system (ASN, organisation) announces it, so a behaviour baseline can say "this
// camera never talked to that country before". Loaded from range lists in the format of the
// free ip-location-db databases (CC0 / CC BY 4.0, one range per line):
//   start,end,CC                 country   (1.0.1.0,1.0.3.255,CN)
//   start,end,ASN,organisation   network   (1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc.")
// with IPv4 or IPv6 addresses, or IPv4 as numbers (the "-num" files). Lookups are a binary
// search over sorted ranges: about 20 steps for a full table of a million ranges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.h"
#include "core/result.h"

namespace warden::geo {

struct GeoInfo {
  std::string_view country;  // ISO 3166 alpha-2, "" when unknown
  std::uint32_t asn = 0;     // 0 when unknown
  std::string_view as_org;   // the organisation holding the ASN
  bool known() const { return !country.empty() || asn != 0; }
};

struct LoadStats {
  std::size_t country_ranges = 0, asn_ranges = 0;
  std::size_t skipped = 0;  // lines that held no usable range
  std::size_t first_bad_line = 0;
};

class GeoDb {
 public:
  // Parses one list and adds its ranges. Blank lines and comments (#) are ignored; lines that
  // are not a range are counted as skipped, never fatal. Fails only on a list past the cap.
  ParseResult<LoadStats> add_csv(std::string_view text);

  GeoInfo lookup(const IpAddr& ip) const;
  std::size_t size() const { return countries_.size() + networks_.size(); }
  bool empty() const { return size() == 0; }
  std::size_t memory_bytes() const;

  static constexpr std::size_t kMaxRanges = 20'000'000;

 private:
  struct Range {
    IpAddr start, end;
    std::uint32_t value;  // country code packed in two bytes, or the ASN
    std::uint32_t org;    // index into orgs_ (networks only)
  };
  static const Range* find(const std::vector<Range>& v, const IpAddr& ip);
  void sort_new(std::vector<Range>& v, std::size_t from);

  std::vector<Range> countries_, networks_;
  std::vector<std::string> orgs_;
  std::vector<std::string> country_names_;  // two-letter codes by packed value, for views
};

}  // namespace warden::geo
