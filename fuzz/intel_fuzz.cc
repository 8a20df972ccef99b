// Fuzzes the indicator-list parser (files users download from feeds are untrusted input) and
// the matchers over whatever it loaded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "intel/intel.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  // One initializer: assigning the members one by one trips GCC 12's -Wmaybe-uninitialized
  // at -O3 (a false positive on the small-string buffer).
  const intel::ListOptions o{.name = "fuzz",
                             .kind = static_cast<intel::Kind>(data[0] % 4),
                             .column = (data[0] & 0x10) ? (data[0] >> 5) : -1,
                             .column_name = (data[0] & 0x08) ? std::string("ip") : std::string(),
                             .max_indicators = 10'000};
  intel::IntelSet set;
  auto st = set.add_list(text, o);
  if (st && st->total() > o.max_indicators) __builtin_trap();
  // Probe with pieces of the input itself.
  set.match_domain(text.substr(0, 64));
  set.match_ja3(text.substr(0, 32));
  if (auto ip = IpAddr::parse(text.substr(0, text.find('\n')))) set.match_ip(*ip);
  return 0;
}
