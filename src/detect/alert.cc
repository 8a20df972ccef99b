#include "detect/alert.h"

#include <algorithm>
#include <cstdio>

namespace warden::detect {

void Alert::note(std::string key, double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  evidence.push_back({std::move(key), buf, true});
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kHigh:
      return "high";
    case Severity::kMedium:
      return "medium";
    case Severity::kLow:
      return "low";
    case Severity::kInfo:
      return "info";
  }
  return "info";
}

void AlertTable::raise(Alert a) {
  if (enrich_) enrich_(a);
  if (listen_) listen_(a);
  std::string key = std::to_string(a.signature_id) + "|" + a.src_ip.to_string() + "|" + a.group;
  auto it = index_.find(key);
  if (it == index_.end()) {
    if (alerts_.size() >= max_) {
      ++dropped_;
      return;
    }
    index_.emplace(std::move(key), alerts_.size());
    alerts_.push_back(std::move(a));
    return;
  }
  Alert& e = alerts_[it->second];
  e.first_ts = std::min(e.first_ts, a.first_ts);
  e.last_ts = std::max(e.last_ts, a.last_ts);
  e.count += a.count;
  // The latest raise describes the finding as it stands now (totals so far).
  e.explanation = std::move(a.explanation);
  e.evidence = std::move(a.evidence);
  if (a.rejudged || static_cast<int>(a.severity) < static_cast<int>(e.severity))
    e.severity = a.severity;
}

}  // namespace warden::detect
