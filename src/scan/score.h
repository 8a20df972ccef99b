// Turning findings into the device's score, and the checks that need every host at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scan/model.h"

namespace warden::scan {

// 0-100. Each finding takes its severity's penalty off 100, and the worst finding caps the
// score (critical at most 20, high 50, medium 75, low 90): a device with one default root
// password must not look "mostly fine" because nothing else is wrong with it.
int score_of(const std::vector<Finding>& findings);
// "A" (90+) .. "F" (under 25).
const char* grade_of(int score);

// Sorts findings worst first (then by port, then id) and sets host.score.
void finalize_host(HostReport& host);

// ETSI 5.4-3: devices sharing a TLS key or SSH host key. Adds key.shared to each host involved,
// naming the others.
void find_shared_keys(std::vector<HostReport>& hosts);

// One line per open service, for the informational service.exposed finding.
std::string service_summary(const HostReport& host);

}  // namespace warden::scan
