// Fuzzes the SNMP (BER) answer decoder of check_snmp. Beyond "no crash", checks its caps.
#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "scan/snmp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace warden;
  using namespace warden::scan;
  auto m = parse_snmp(Bytes(reinterpret_cast<const std::byte*>(data), size));
  if (!m) {
    if (m.error().reason.empty() || m.error().offset > size) __builtin_trap();
    return 0;
  }
  if (m->varbinds.size() > kSnmpMaxVarbinds || m->community.size() > kSnmpMaxValue) {
    __builtin_trap();
  }
  for (const auto& vb : m->varbinds) {
    if (vb.value.size() > kSnmpMaxValue + 32 || vb.oid.size() > kSnmpMaxValue + 32)
      __builtin_trap();
  }
  return 0;
}
