// SNMP v1/v2c GET (RFC 3416) as a minimal BER encoder and a bounded BER decoder of the answer:
// enough to ask sysDescr.0 with a community and read what comes back. The decoder takes
// untrusted bytes (fuzz target `snmp`): definite lengths only, at most 4 length bytes, nesting
// and varbind count capped, every read bounds-checked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace warden::scan {

inline constexpr std::string_view kOidSysDescr = "1.3.6.1.2.1.1.1.0";
inline constexpr std::size_t kSnmpMaxVarbinds = 64;
inline constexpr std::size_t kSnmpMaxValue = 1024;

enum class SnmpVersion : std::uint8_t { v1 = 0, v2c = 1 };

// A GetRequest for one OID ("1.3.6.1..."); empty for an invalid OID.
std::string build_snmp_get(SnmpVersion version, std::string_view community, std::int32_t request_id,
                           std::string_view oid);

struct SnmpVarbind {
  std::string oid;       // dotted
  std::uint8_t tag = 0;  // BER tag of the value: 0x04 string, 0x02 integer, 0x80 noSuchObject...
  std::string value;     // strings raw (cut at kSnmpMaxValue), numbers in decimal, OIDs dotted
};

struct SnmpMessage {
  std::int64_t version = 0;
  std::string community;
  std::uint8_t pdu_type = 0;  // 0xa2 GetResponse
  std::int64_t request_id = 0;
  std::int64_t error_status = 0;
  std::int64_t error_index = 0;
  std::vector<SnmpVarbind> varbinds;
};

ParseResult<SnmpMessage> parse_snmp(Bytes datagram);

}  // namespace warden::scan
