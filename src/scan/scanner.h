// One assessment run over the named targets: a fixed pool of threads, each taking the next
// host and owning it from the service scan to its last check; then the checks that need all
// hosts (shared keys) and the scores.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.h"
#include "scan/model.h"

namespace warden::scan {

struct ScanRun {
  std::string started;  // RFC 3339, UTC
  double elapsed_s = 0;
  ScanOptions options;  // as used (credentials cleared; their count kept below)
  std::size_t credential_count = 0;
  std::vector<HostReport> hosts;  // every target, in the order named; up == false if silent
};

// What the run reports while it works: a host's stage ("services", "tls", "upnp", "logins")
// as it starts, and each host when it is done.
struct ScanProgress {
  std::function<void(const IpAddr&, std::string_view stage)> stage;
  std::function<void(const HostReport&, std::size_t done, std::size_t total)> host_done;
};

ScanRun run_scan(const std::vector<IpAddr>& targets, const ScanOptions& options,
                 const ScanProgress& progress = {});

// Assesses one host (service scan and every check) into `host`, whose addr is set.
void assess_host(HostReport& host, const ScanOptions& options, const ScanProgress& progress = {});

}  // namespace warden::scan
