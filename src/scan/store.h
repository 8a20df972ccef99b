// Assessment results kept with the device inventory in warden's SQLite database (the file
// `warden analyze`/`monitor` write): hosts are matched to inventory devices by MAC, then by
// address, so a device's score follows it when its address changes. Tables:
//   assessments(id, started, ip, mac, device_id, score, grade, worst, record)   record: JSON
//   assessment_findings(assessment_id, kind, severity, port, transport, evidence)
//   view device_scores: the latest assessment of each device (or address, when unmatched)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/net.h"
#include "core/result.h"
#include "scan/scanner.h"

struct sqlite3;

namespace warden::scan {

class AssessmentStore {
 public:
  static Result<std::unique_ptr<AssessmentStore>, std::string> open(const std::string& path);
  ~AssessmentStore();
  AssessmentStore(const AssessmentStore&) = delete;
  AssessmentStore& operator=(const AssessmentStore&) = delete;

  // The inventory's device addresses (IPv4 and IPv6 unicast, private or link-local only: the
  // inventory also lists the internet hosts devices talked to, which are not ours to scan).
  Result<std::vector<IpAddr>, std::string> inventory_targets();
  // Sets device_id and vendor of the hosts the inventory knows.
  void match_devices(std::vector<HostReport>& hosts);
  // Stores every host that answered; returns how many.
  Result<std::size_t, std::string> save(const ScanRun& run);

 private:
  explicit AssessmentStore(sqlite3* db) : db_(db) {}
  bool has_table(const char* name);
  sqlite3* db_;
};

}  // namespace warden::scan
