// Fuzzes the LLDP parser: one LLDPDU (the bytes after ethertype 0x88cc) per input. Beyond "no
// crash": an accepted LLDPDU's strings are bounded by the TLV length field (511 bytes).
#include <cstddef>
#include <cstdint>

#include "protocols/lldp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::protocols;
  auto m = parse_lldp(Bytes(reinterpret_cast<const std::byte*>(data), size));
  if (!m) {
    if (m.error().reason.empty() || m.error().offset > size) __builtin_trap();
    return 0;
  }
  for (const std::string* s : {&m->chassis_id, &m->port_id, &m->port_description, &m->system_name,
                               &m->system_description, &m->mud_url}) {
    if (s->size() > 511) __builtin_trap();
  }
  return 0;
}
