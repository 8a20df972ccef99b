#include "core/anomaly.h"

namespace warden {

std::string_view anomaly_name(Anomaly a) {
  static constexpr std::string_view kNames[] = {
#define WARDEN_ANOMALY_NAME(id, name) name,
      WARDEN_ANOMALIES(WARDEN_ANOMALY_NAME)
#undef WARDEN_ANOMALY_NAME
  };
  auto i = static_cast<std::size_t>(a);
  return i < kAnomalyCount ? kNames[i] : "unknown";
}

std::uint64_t AnomalyCounters::total() const {
  std::uint64_t t = 0;
  for (auto v : c_) t += v;
  return t;
}

void AnomalyCounters::merge(const AnomalyCounters& o) {
  for (std::size_t i = 0; i < kAnomalyCount; ++i) c_[i] += o.c_[i];
}

}  // namespace warden
