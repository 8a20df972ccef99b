#include "core/time.h"

#include <charconv>

namespace warden {

namespace {
void split(Timestamp t, std::int64_t& sec, std::int64_t& usec) {
  sec = t / kNsPerSec;
  std::int64_t rem = t % kNsPerSec;
  if (rem < 0) {
    rem += kNsPerSec;
    --sec;
  }
  usec = rem / 1000;
}
}  // namespace

std::string format_epoch(Timestamp t) {
  std::int64_t sec, usec;
  split(t, sec, usec);
  char buf[40];
  auto r = std::to_chars(buf, buf + 32, sec);
  char* p = r.ptr;
  *p++ = '.';
  for (int i = 5; i >= 0; --i) {
    p[i] = static_cast<char>('0' + usec % 10);
    usec /= 10;
  }
  return std::string(buf, p + 6);
}

std::string format_rfc3339(Timestamp t) {
  std::int64_t sec, usec;
  split(t, sec, usec);
  // Civil date from days since the epoch (Howard Hinnant's algorithm): no gmtime_r, no printf,
  // since every observation line carries one of these.
  std::int64_t days = sec / 86400, rem = sec % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2);
  std::string out = "0000-00-00T00:00:00.000000Z";
  auto put = [&](std::size_t at, std::int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  if (year < 0 || year > 9999) return format_epoch(t);
  put(0, year, 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, rem / 3600, 2);
  put(14, rem / 60 % 60, 2);
  put(17, rem % 60, 2);
  put(20, usec, 6);
  return out;
}

}  // namespace warden
