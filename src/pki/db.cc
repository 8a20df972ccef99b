#include "pki/db.h"

#include "sqlite/db.h"

namespace warden::pki {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS tokens(
  hash TEXT PRIMARY KEY, device TEXT NOT NULL, hw_serial TEXT, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS issued(
  serial TEXT PRIMARY KEY, device TEXT NOT NULL, spki_sha256 TEXT NOT NULL,
  not_after INTEGER NOT NULL, issued_at INTEGER NOT NULL, how TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS issued_device ON issued(device);
CREATE INDEX IF NOT EXISTS issued_spki ON issued(spki_sha256);
)sql";

}  // namespace

Result<std::unique_ptr<PkiDb>, std::string> PkiDb::open(const std::string& path) {
  // Token hashes are not secrets, but who is enrolled is nobody else's business: 0600. The
  // busy timeout: `warden pki token` may write while the server runs.
  auto db = sqlite::open(path, kSchema, {.busy_timeout_ms = 5000, .private_file = true});
  if (!db) return unexpected(db.error());
  return std::unique_ptr<PkiDb>(new PkiDb(*db));
}

PkiDb::~PkiDb() { sqlite3_close(db_); }

std::string PkiDb::last_error() const { return sqlite3_errmsg(db_); }

Result<bool, std::string> PkiDb::record_issued(const IssuedRecord& r) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "INSERT INTO issued(serial, device, spki_sha256, not_after, issued_at, "
                         "how) VALUES(?,?,?,?,?,?)",
                         -1, &st, nullptr) != SQLITE_OK) {
    return unexpected("pki.db: " + last_error());
  }
  sqlite3_bind_text(st, 1, r.serial.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, r.device.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, r.spki_sha256.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, r.not_after);
  sqlite3_bind_int64(st, 5, r.issued_at);
  sqlite3_bind_text(st, 6, r.how.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return unexpected("pki.db: cannot record certificate: " + last_error());
  return true;
}

Result<std::vector<IssuedRecord>, std::string> PkiDb::list_issued() {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT serial, device, spki_sha256, not_after, issued_at, how FROM "
                         "issued ORDER BY issued_at, serial",
                         -1, &st, nullptr) != SQLITE_OK) {
    return unexpected("pki.db: " + last_error());
  }
  std::vector<IssuedRecord> out;
  auto text = [&](int i) {
    const unsigned char* t = sqlite3_column_text(st, i);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back(IssuedRecord{text(0), text(1), text(2), sqlite3_column_int64(st, 3),
                               sqlite3_column_int64(st, 4), text(5)});
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return unexpected("pki.db: " + last_error());
  return out;
}

PkiTransaction::PkiTransaction(PkiDb& db) : db_(db) {
  if (sqlite3_exec(db_.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK) {
    open_ = true;
  } else {
    error_ = "pki.db: cannot begin a transaction: " + db_.last_error();
  }
}

PkiTransaction::~PkiTransaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<bool, std::string> PkiTransaction::commit() {
  if (!open_) return unexpected(error_.empty() ? std::string("no transaction") : error_);
  if (sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    // The destructor rolls back what COMMIT could not write (e.g. SQLITE_BUSY).
    return unexpected("pki.db: cannot commit: " + db_.last_error());
  }
  open_ = false;
  return true;
}

}  // namespace warden::pki
