#include "scan/store.h"

#include <sqlite3.h>

#include "scan/report.h"
#include "scan/score.h"
#include "sqlite/db.h"

namespace warden::scan {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS assessments(
  id INTEGER PRIMARY KEY, started TEXT NOT NULL, ip TEXT NOT NULL, mac TEXT, device_id TEXT,
  score INTEGER NOT NULL, grade TEXT NOT NULL, worst TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assessment_findings(
  assessment_id INTEGER NOT NULL REFERENCES assessments(id), kind TEXT NOT NULL,
  severity TEXT NOT NULL, port INTEGER, transport TEXT, evidence TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS assessments_device ON assessments(device_id);
CREATE INDEX IF NOT EXISTS assessments_mac ON assessments(mac);
CREATE VIEW IF NOT EXISTS device_scores AS
  SELECT a.* FROM assessments a
  WHERE a.id = (SELECT b.id FROM assessments b
                WHERE COALESCE(b.device_id, b.mac, b.ip) = COALESCE(a.device_id, a.mac, a.ip)
                ORDER BY b.id DESC LIMIT 1);
)sql";

using sqlite::Stmt;

}  // namespace

Result<std::unique_ptr<AssessmentStore>, std::string> AssessmentStore::open(
    const std::string& path) {
  // The busy timeout: a running `warden monitor` may be writing the same file.
  auto db = sqlite::open(path, kSchema);
  if (!db) return unexpected(db.error());
  return std::unique_ptr<AssessmentStore>(new AssessmentStore(*db));
}

AssessmentStore::~AssessmentStore() { sqlite3_close(db_); }

bool AssessmentStore::has_table(const char* name) {
  Stmt st(db_, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
  st.text(1, name);
  return st && sqlite3_step(st.s) == SQLITE_ROW;
}

Result<std::vector<IpAddr>, std::string> AssessmentStore::inventory_targets() {
  std::vector<IpAddr> out;
  if (!has_table("device_addresses")) {
    return unexpected(
        std::string("the database holds no device inventory (run warden analyze "
                    "or monitor with --sqlite first)"));
  }
  Stmt st(db_, "SELECT DISTINCT ip FROM device_addresses ORDER BY ip");
  if (!st) return unexpected(std::string(sqlite3_errmsg(db_)));
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    auto addr = IpAddr::parse(st.column(0));
    if (!addr || addr->is_multicast() || addr->is_broadcast() || addr->is_unspecified() ||
        addr->is_loopback()) {
      continue;
    }
    if (addr->is_private() || addr->is_link_local()) out.push_back(*addr);
  }
  return out;
}

void AssessmentStore::match_devices(std::vector<HostReport>& hosts) {
  if (!has_table("devices")) return;
  const bool have_addresses = has_table("device_addresses");
  for (auto& h : hosts) {
    if (!h.up) continue;
    if (h.mac) {
      Stmt st(db_, "SELECT id, COALESCE(vendor,'') FROM devices WHERE lower(mac)=lower(?) LIMIT 1");
      st.text(1, h.mac->to_string());
      if (st && sqlite3_step(st.s) == SQLITE_ROW) {
        h.device_id = st.column(0);
        if (h.vendor.empty()) h.vendor = st.column(1);
        continue;
      }
    }
    if (!have_addresses) continue;
    Stmt st(db_,
            "SELECT d.id, COALESCE(d.vendor,'') FROM device_addresses a JOIN devices d ON "
            "d.id=a.device_id WHERE a.ip=? ORDER BY a.last_seen DESC LIMIT 1");
    st.text(1, h.addr.to_string());
    if (st && sqlite3_step(st.s) == SQLITE_ROW) {
      h.device_id = st.column(0);
      if (h.vendor.empty()) h.vendor = st.column(1);
    }
  }
}

Result<std::size_t, std::string> AssessmentStore::save(const ScanRun& run) {
  sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
  std::size_t stored = 0;
  for (const auto& h : run.hosts) {
    if (!h.up) continue;
    Stmt st(db_,
            "INSERT INTO assessments(started, ip, mac, device_id, score, grade, worst, record) "
            "VALUES(?,?,?,?,?,?,?,?)");
    if (!st) break;
    st.text(1, run.started);
    st.text(2, h.addr.to_string());
    if (h.mac) {
      st.text(3, h.mac->to_string());
    } else {
      st.null(3);
    }
    if (h.device_id.empty()) {
      st.null(4);
    } else {
      st.text(4, h.device_id);
    }
    st.integer(5, h.score);
    st.text(6, grade_of(h.score));
    st.text(7, h.findings.empty() ? "none" : severity_name(h.findings.front().severity));
    st.text(8, host_json(h));
    if (sqlite3_step(st.s) != SQLITE_DONE) break;
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    for (const auto& f : h.findings) {
      Stmt fs(db_,
              "INSERT INTO assessment_findings(assessment_id, kind, severity, port, transport, "
              "evidence) VALUES(?,?,?,?,?,?)");
      fs.integer(1, id);
      fs.text(2, f.kind->id);
      fs.text(3, severity_name(f.severity));
      fs.integer(4, f.port);
      fs.text(5, f.udp ? "udp" : "tcp");
      fs.text(6, f.evidence);
      sqlite3_step(fs.s);
    }
    ++stored;
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string err = sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return unexpected("storing the assessment: " + err);
  }
  return stored;
}

}  // namespace warden::scan
