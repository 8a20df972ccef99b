#include "scan/model.h"

#include <algorithm>

namespace warden::scan {

const char* transport_name(Transport t) { return t == Transport::udp ? "udp" : "tcp"; }

Service* HostReport::service(std::uint16_t port, Transport t) {
  for (auto& s : services) {
    if (s.port == port && s.transport == t) return &s;
  }
  return nullptr;
}

const Service* HostReport::service(std::uint16_t port, Transport t) const {
  return const_cast<HostReport*>(this)->service(port, t);
}

Finding& HostReport::add(std::string_view id, std::string evidence, std::uint16_t port,
                         Transport t) {
  const FindingKind* kind = find_kind(id);
  // A check naming a kind that is not in the catalogue is a programming error; keep the finding
  // visible (as service.exposed with the id in the evidence) rather than losing it.
  if (kind == nullptr) {
    kind = find_kind("service.exposed");
    evidence = std::string("unknown finding kind ") + std::string(id) + ": " + evidence;
  }
  findings.push_back(Finding{kind, kind->severity, port, t == Transport::udp, std::move(evidence)});
  return findings.back();
}

bool HostReport::has(std::string_view id) const {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Finding& f) { return f.kind->id == id; });
}

}  // namespace warden::scan
