#include "storage/sqlite_store.h"

#include <sqlite3.h>

#include "core/time.h"
#include "storage/records.h"

namespace warden::storage {

namespace {
constexpr std::size_t kRowsPerTransaction = 20'000;

constexpr const char* kLivePragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
constexpr const char* kBulkPragmas =
    "PRAGMA page_size=16384; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
    "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY, started TEXT NOT NULL, command TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flows(
  uid TEXT NOT NULL, ts REAL NOT NULL, orig_h TEXT NOT NULL, orig_p INTEGER, resp_h TEXT NOT NULL,
  resp_p INTEGER, proto TEXT NOT NULL, service TEXT, duration REAL, orig_bytes INTEGER,
  resp_bytes INTEGER, conn_state TEXT, orig_pkts INTEGER, resp_pkts INTEGER,
  orig_l2_addr TEXT, resp_l2_addr TEXT, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS observations(
  ts REAL NOT NULL, type TEXT NOT NULL, flow_uid TEXT, src_ip TEXT, dest_ip TEXT, src_mac TEXT,
  record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices(
  id TEXT PRIMARY KEY, mac TEXT, vendor TEXT, type TEXT, confidence REAL, hostname TEXT,
  first_seen REAL, last_seen REAL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts(
  ts REAL NOT NULL, last_ts REAL, signature_id INTEGER NOT NULL, signature TEXT NOT NULL,
  severity INTEGER NOT NULL, detector TEXT NOT NULL, src_ip TEXT, dest_ip TEXT, device TEXT,
  count INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS device_addresses(
  device_id TEXT NOT NULL REFERENCES devices(id), ip TEXT NOT NULL, source TEXT,
  first_seen REAL, last_seen REAL, PRIMARY KEY(device_id, ip));
)sql";

constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS flows_ts ON flows(ts);
CREATE INDEX IF NOT EXISTS flows_orig ON flows(orig_h);
CREATE INDEX IF NOT EXISTS flows_resp ON flows(resp_h);
CREATE INDEX IF NOT EXISTS observations_type ON observations(type);
CREATE INDEX IF NOT EXISTS observations_src_mac ON observations(src_mac);
)sql";

double secs(Timestamp t) { return static_cast<double>(t) / 1e9; }

void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
// For buffers that outlive the sqlite3_step() of the row (the JSON record): no copy.
void bind_static(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
}  // namespace

Result<std::unique_ptr<SqliteStore>, std::string> SqliteStore::open(const std::string& path,
                                                                    bool bulk) {
  std::unique_ptr<SqliteStore> s(new SqliteStore());
  s->path_ = path;
  s->bulk_ = bulk;
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    return unexpected("cannot open database " + path + ": " +
                      (s->db_ ? sqlite3_errmsg(s->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(s->db_, 5000);
  if (!s->exec(bulk ? kBulkPragmas : kLivePragmas) || !s->exec(kSchema) ||
      (!bulk && !s->exec(kIndexes))) {
    return unexpected("cannot create schema in " + path + ": " + s->error_);
  }
  s->indexed_ = !bulk;
  s->flow_stmt_ = s->prepare(
      "INSERT INTO flows VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)");
  s->obs_stmt_ = s->prepare("INSERT INTO observations VALUES(?1,?2,?3,?4,?5,?6,?7)");
  s->dev_stmt_ = s->prepare("INSERT OR REPLACE INTO devices VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)");
  s->addr_stmt_ = s->prepare("INSERT OR REPLACE INTO device_addresses VALUES(?1,?2,?3,?4,?5)");
  s->run_stmt_ = s->prepare("INSERT INTO runs(started, command, summary) VALUES(?1,?2,?3)");
  s->alert_stmt_ = s->prepare("INSERT INTO alerts VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
  if (!s->error_.empty())
    return unexpected("cannot prepare statements in " + path + ": " + s->error_);
  return s;
}

SqliteStore::~SqliteStore() {
  if (in_txn_) exec("COMMIT");
  for (auto* st : {flow_stmt_, obs_stmt_, dev_stmt_, addr_stmt_, run_stmt_, alert_stmt_})
    sqlite3_finalize(st);
  sqlite3_close(db_);
}

sqlite3_stmt* SqliteStore::prepare(const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) note_error("prepare");
  return st;
}

void SqliteStore::note_error(const char* what) {
  if (error_.empty()) error_ = std::string(what) + ": " + sqlite3_errmsg(db_);
}

bool SqliteStore::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    if (error_.empty()) error_ = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return false;
  }
  return true;
}

void SqliteStore::begin_if_needed() {
  if (in_txn_ && pending_ >= kRowsPerTransaction) {
    exec("COMMIT");
    in_txn_ = false;
  }
  if (!in_txn_) {
    in_txn_ = exec("BEGIN");
    pending_ = 0;
  }
  ++pending_;
}

void SqliteStore::add_flow(const flow::Flow& f, std::string_view service, std::string_view json) {
  begin_if_needed();
  sqlite3_stmt* s = flow_stmt_;
  bind_text(s, 1, f.uid());
  sqlite3_bind_double(s, 2, secs(f.first_ts));
  bind_text(s, 3, f.orig_ip().to_string());
  sqlite3_bind_int(s, 4, f.logged_orig_port());
  bind_text(s, 5, f.resp_ip().to_string());
  sqlite3_bind_int(s, 6, f.logged_resp_port());
  bind_text(s, 7, proto_name(f.key.proto));
  bind_text(s, 8, service);
  sqlite3_bind_double(s, 9, secs(f.duration()));
  sqlite3_bind_int64(s, 10, static_cast<sqlite3_int64>(f.dir[0].payload_bytes));
  sqlite3_bind_int64(s, 11, static_cast<sqlite3_int64>(f.dir[1].payload_bytes));
  bind_text(s, 12, f.conn_state());
  sqlite3_bind_int64(s, 13, static_cast<sqlite3_int64>(f.dir[0].packets));
  sqlite3_bind_int64(s, 14, static_cast<sqlite3_int64>(f.dir[1].packets));
  if (f.orig_mac.is_zero())
    sqlite3_bind_null(s, 15);
  else
    bind_text(s, 15, f.orig_mac.to_string());
  if (f.resp_mac.is_zero())
    sqlite3_bind_null(s, 16);
  else
    bind_text(s, 16, f.resp_mac.to_string());
  bind_static(s, 17, json);
  if (sqlite3_step(s) != SQLITE_DONE) note_error("insert flow");
  sqlite3_reset(s);
}

void SqliteStore::add_observation(const dissect::Observation& o, std::string_view json) {
  begin_if_needed();
  sqlite3_stmt* s = obs_stmt_;
  sqlite3_bind_double(s, 1, secs(o.ctx.ts));
  bind_text(s, 2, dissect::observation_type(o));
  if (o.ctx.flow_uid == 0)
    sqlite3_bind_null(s, 3);
  else
    bind_text(s, 3, flow::uid_text(o.ctx.flow_uid));
  if (o.ctx.has_ip) {
    bind_text(s, 4, o.ctx.src_ip.to_string());
    bind_text(s, 5, o.ctx.dst_ip.to_string());
  } else {
    sqlite3_bind_null(s, 4);
    sqlite3_bind_null(s, 5);
  }
  if (o.ctx.has_src_mac)
    bind_text(s, 6, o.ctx.src_mac.to_string());
  else
    sqlite3_bind_null(s, 6);
  bind_static(s, 7, json);
  if (sqlite3_step(s) != SQLITE_DONE) note_error("insert observation");
  sqlite3_reset(s);
}

void SqliteStore::replace_devices(const std::vector<std::unique_ptr<inventory::Device>>& devices,
                                  const std::vector<std::string>& json) {
  begin_if_needed();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto& d = *devices[i];
    sqlite3_stmt* s = dev_stmt_;
    bind_text(s, 1, d.id);
    if (d.has_mac)
      bind_text(s, 2, d.mac.to_string());
    else
      sqlite3_bind_null(s, 2);
    bind_text(s, 3, d.vendor);
    bind_text(s, 4, inventory::device_type_name(d.type));
    sqlite3_bind_double(s, 5, d.confidence);
    bind_text(s, 6, d.hostname);
    sqlite3_bind_double(s, 7, secs(d.first_seen));
    sqlite3_bind_double(s, 8, secs(d.last_seen));
    bind_text(s, 9, json[i]);
    if (sqlite3_step(s) != SQLITE_DONE) note_error("insert device");
    sqlite3_reset(s);
    for (const auto& a : d.addresses) {
      sqlite3_stmt* t = addr_stmt_;
      bind_text(t, 1, d.id);
      bind_text(t, 2, a.ip.to_string());
      bind_text(t, 3, a.source);
      sqlite3_bind_double(t, 4, secs(a.first_seen));
      sqlite3_bind_double(t, 5, secs(a.last_seen));
      if (sqlite3_step(t) != SQLITE_DONE) note_error("insert address");
      sqlite3_reset(t);
    }
  }
}

void SqliteStore::replace_alerts(const std::vector<detect::Alert>& alerts,
                                 const std::vector<std::string>& json) {
  begin_if_needed();
  exec("DELETE FROM alerts");
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    const auto& a = alerts[i];
    sqlite3_stmt* s = alert_stmt_;
    sqlite3_bind_double(s, 1, secs(a.first_ts));
    sqlite3_bind_double(s, 2, secs(a.last_ts));
    sqlite3_bind_int64(s, 3, a.signature_id);
    bind_text(s, 4, a.signature);
    sqlite3_bind_int(s, 5, static_cast<int>(a.severity));
    bind_text(s, 6, a.detector);
    bind_text(s, 7, a.src_ip.to_string());
    bind_text(s, 8, a.dest_ip.to_string());
    bind_text(s, 9, a.device);
    sqlite3_bind_int64(s, 10, static_cast<sqlite3_int64>(a.count));
    bind_static(s, 11, json[i]);
    if (sqlite3_step(s) != SQLITE_DONE) note_error("insert alert");
    sqlite3_reset(s);
  }
}

void SqliteStore::add_run(std::string_view started, std::string_view command,
                          std::string_view summary_json) {
  begin_if_needed();
  bind_text(run_stmt_, 1, started);
  bind_text(run_stmt_, 2, command);
  bind_text(run_stmt_, 3, summary_json);
  if (sqlite3_step(run_stmt_) != SQLITE_DONE) note_error("insert run");
  sqlite3_reset(run_stmt_);
}

Result<bool, std::string> SqliteStore::commit() {
  if (in_txn_) {
    exec("COMMIT");
    in_txn_ = false;
  }
  if (!indexed_) {
    exec(kIndexes);
    indexed_ = true;
  }
  if (!error_.empty()) return unexpected(path_ + ": " + error_);
  return true;
}

}  // namespace warden::storage
