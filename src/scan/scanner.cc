#include "scan/scanner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "scan/checks.h"
#include "scan/portscan.h"
#include "scan/score.h"

namespace warden::scan {
namespace {

std::string read_arp_table() {
  std::ifstream in("/proc/net/arp");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string now_rfc3339() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void assess_host(HostReport& host, const ScanOptions& options, const ScanProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  auto stage = [&](std::string_view s) {
    if (progress.stage) progress.stage(host.addr, s);
  };
  stage("services");
  scan_services(host, options);
  if (host.up && !host.services.empty()) {
    // Cheapest first, and logins last: guessing is the slow part, and by then the TLS and
    // UPnP checks have labelled the services the login checks dispatch on.
    stage("tls");
    check_tls(host, options);
    stage("upnp");
    check_upnp(host, options);
    stage("dns");
    check_dns(host, options);
    stage("snmp");
    check_snmp(host, options);
    stage("logins");
    check_logins(host, options);
    host.add("service.exposed", service_summary(host));
  }
  host.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ScanRun run_scan(const std::vector<IpAddr>& targets, const ScanOptions& options,
                 const ScanProgress& progress) {
  ScanRun run;
  run.started = now_rfc3339();
  run.options = options;
  run.options.credentials.clear();
  run.credential_count = options.credentials.size();
  run.hosts.resize(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) run.hosts[i].addr = targets[i];

  const auto start = std::chrono::steady_clock::now();
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex progress_mu;
  auto worker = [&] {
    for (std::size_t i = next++; i < run.hosts.size(); i = next++) {
      assess_host(run.hosts[i], options, progress);
      std::size_t d = ++done;
      if (progress.host_done) {
        std::lock_guard lock(progress_mu);
        progress.host_done(run.hosts[i], d, run.hosts.size());
      }
    }
  };
  const std::size_t n = std::clamp<std::size_t>(options.parallel_hosts, 1, targets.size());
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  // The neighbour table now holds every LAN host we talked to.
  const std::string arp = read_arp_table();
  for (auto& h : run.hosts) {
    if (h.up && !h.mac) h.mac = mac_from_arp_table(arp, h.addr);
  }
  find_shared_keys(run.hosts);
  for (auto& h : run.hosts) finalize_host(h);
  run.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

}  // namespace warden::scan
