#include "sqlite/db.h"

#include <sys/stat.h>

namespace warden::sqlite {

Result<sqlite3*, std::string> open(const std::string& path, const char* schema,
                                   const OpenOptions& options) {
  sqlite3* db = nullptr;
  // The umask covers the database and the -wal/-shm files SQLite creates beside it.
  const mode_t old_mask = options.private_file ? ::umask(077) : 0;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (options.private_file) ::umask(old_mask);
  if (rc != SQLITE_OK) {
    std::string err = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return unexpected(path + ": " + err);
  }
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  char* err = nullptr;
  if (sqlite3_exec(db, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = path + ": " + (err ? err : "schema error");
    sqlite3_free(err);
    sqlite3_close(db);
    return unexpected(std::move(msg));
  }
  return db;
}

}  // namespace warden::sqlite
