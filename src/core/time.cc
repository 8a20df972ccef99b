#include "core/time.h"

#include <cstdio>
#include <ctime>

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
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(sec),
                static_cast<long long>(usec));
  return buf;
}

std::string format_rfc3339(Timestamp t) {
  std::int64_t sec, usec;
  split(t, sec, usec);
  std::time_t tt = static_cast<std::time_t>(sec);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(usec));
  return buf;
}

}  // namespace warden
