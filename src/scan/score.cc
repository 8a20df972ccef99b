#include "scan/score.h"

#include <algorithm>
#include <map>

namespace warden::scan {

int score_of(const std::vector<Finding>& findings) {
  int score = 100;
  Severity worst = Severity::info;
  for (const auto& f : findings) {
    score -= severity_penalty(f.severity);
    worst = std::max(worst, f.severity);
  }
  static constexpr int kCap[] = {100, 90, 75, 50, 20};
  score = std::min(score, kCap[static_cast<int>(worst)]);
  return std::clamp(score, 0, 100);
}

const char* grade_of(int score) {
  if (score >= 90) return "A";
  if (score >= 75) return "B";
  if (score >= 50) return "C";
  if (score >= 25) return "D";
  return "F";
}

void finalize_host(HostReport& host) {
  std::stable_sort(host.findings.begin(), host.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     if (a.severity != b.severity) return a.severity > b.severity;
                     if (a.port != b.port) return a.port < b.port;
                     return a.kind->id < b.kind->id;
                   });
  host.score = score_of(host.findings);
}

void find_shared_keys(std::vector<HostReport>& hosts) {
  // fingerprint -> (host index, key) for every host that presented it
  std::map<std::string, std::vector<std::pair<std::size_t, const KeyFingerprint*>>> seen;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    for (const auto& k : hosts[i].keys) {
      auto& list = seen[k.kind + ":" + k.sha256];
      // One host may present the same key on several ports: count it once.
      if (std::none_of(list.begin(), list.end(), [&](const auto& e) { return e.first == i; })) {
        list.emplace_back(i, &k);
      }
    }
  }
  for (const auto& [fp, list] : seen) {
    if (list.size() < 2) continue;
    for (const auto& [i, key] : list) {
      std::string others;
      for (const auto& [j, other] : list) {
        if (j == i) continue;
        if (!others.empty()) others += ", ";
        others += hosts[j].addr.to_string() + ":" + std::to_string(other->port);
      }
      hosts[i].add("key.shared",
                   key->kind + " " + key->description + " SHA-256 " + key->sha256.substr(0, 16) +
                       "... also on " + others,
                   key->port);
    }
  }
}

std::string service_summary(const HostReport& host) {
  std::string s;
  for (const auto& svc : host.services) {
    if (!s.empty()) s += ", ";
    s += std::to_string(svc.port) + "/" + transport_name(svc.transport) + " " + svc.name;
    if (!svc.product.empty())
      s += " (" + svc.product + (svc.version.empty() ? "" : " " + svc.version) + ")";
  }
  return s;
}

}  // namespace warden::scan
