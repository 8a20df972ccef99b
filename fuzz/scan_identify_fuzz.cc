// Fuzzes service identification in `warden scan`: whatever a device sends as its greeting or
// as its answer to a probe (the bytes are the device's, so hostile). Input layout: port (2 bytes,
// big endian), probe kind (1 byte), then the greeting and the reply separated by the first NUL.
// Also runs the neighbour-table reader on the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scan/identify.h"
#include "scan/portscan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden::scan;
  if (size < 3) return 0;
  Service s;
  s.port = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  const auto probe = static_cast<Probe>(data[2] % 4);
  std::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  auto nul = rest.find('\0');
  std::string_view greeting = rest.substr(0, nul);
  std::string_view reply =
      nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
  identify(greeting, probe, reply, s);
  if (s.banner.size() > 256 || s.name.empty()) __builtin_trap();
  (void)header_value(rest, "Server");
  (void)mac_from_arp_table(rest, *warden::IpAddr::parse("192.168.77.13"));
  return 0;
}
