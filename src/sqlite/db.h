// The SQLite plumbing the stores share (pki's tokens and issued log, the scan's assessments):
// opening a file with its schema, and an owning prepared statement. Each store keeps its own
// schema and queries; this only removes the open/close/bind boilerplate they all wrote.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace warden::sqlite {

struct OpenOptions {
  int busy_timeout_ms = 5000;  // another warden process may be writing the same file
  bool private_file = false;   // create the file (and its WAL) 0600
};

// Opens `path` (creating it), sets the busy timeout and runs `schema` (idempotent SQL: CREATE
// ... IF NOT EXISTS, pragmas). On failure nothing stays open and the error names the path.
Result<sqlite3*, std::string> open(const std::string& path, const char* schema,
                                   const OpenOptions& options = {});

// An owning prepared statement. A statement that failed to prepare is false; binding to it
// and stepping it are harmless no-ops that fail (sqlite3 returns SQLITE_MISUSE).
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  explicit operator bool() const { return s != nullptr; }

  void text(int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void null(int i) { sqlite3_bind_null(s, i); }
  void integer(int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
  // Column i as text ("" for NULL).
  std::string column(int i) {
    const unsigned char* t = sqlite3_column_text(s, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
};

}  // namespace warden::sqlite
