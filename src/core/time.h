// Packet time: nanoseconds since the Unix epoch, as a plain integer. Capture formats carry
// micro- or nanosecond resolution; one integer type keeps flow arithmetic exact and cheap.
#pragma once

#include <cstdint>
#include <string>

namespace warden {

using Timestamp = std::int64_t;  // ns since 1970-01-01T00:00:00Z

inline constexpr Timestamp kNsPerSec = 1'000'000'000;

// Seconds with microsecond precision, as Zeek writes them ("1614159102.123456").
std::string format_epoch(Timestamp t);
// RFC 3339 UTC with microseconds ("2021-02-24T09:31:42.123456Z"), as Suricata's EVE does.
std::string format_rfc3339(Timestamp t);

}  // namespace warden
