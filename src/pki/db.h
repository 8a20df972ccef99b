// pki.db: the CA directory's SQLite file. Two tables: `tokens` (bootstrap tokens, only their
// SHA-256 is stored) and `issued` (every certificate the CA signed, for `warden pki list` and
// for revocation by public-key hash). One connection per process; callers serialise access.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct sqlite3;

namespace warden::pki {

struct IssuedRecord {
  std::string serial;       // uppercase hex
  std::string device;       // the URN, or "server:<CN>" for a server certificate
  std::string spki_sha256;  // lowercase hex
  std::int64_t not_after = 0;
  std::int64_t issued_at = 0;
  std::string how;  // "token", "birth", "reenroll", "cli"
};

class PkiDb {
 public:
  static Result<std::unique_ptr<PkiDb>, std::string> open(const std::string& path);
  ~PkiDb();
  PkiDb(const PkiDb&) = delete;
  PkiDb& operator=(const PkiDb&) = delete;

  Result<bool, std::string> record_issued(const IssuedRecord& record);
  Result<std::vector<IssuedRecord>, std::string> list_issued();

  sqlite3* handle() { return db_; }
  std::string last_error() const;

 private:
  explicit PkiDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// One write transaction on pki.db: BEGIN IMMEDIATE (so it holds the write lock from the start
// and waits out another writer, up to the busy timeout, instead of failing halfway), rolled back
// unless commit() succeeded. What happens between begin and commit happens entirely or not at
// all: spending a token and recording the certificate it bought go together.
class PkiTransaction {
 public:
  explicit PkiTransaction(PkiDb& db);
  ~PkiTransaction();
  PkiTransaction(const PkiTransaction&) = delete;
  PkiTransaction& operator=(const PkiTransaction&) = delete;

  // Whether BEGIN succeeded; if not, error() says why and nothing else may be done in it.
  bool ok() const { return open_; }
  const std::string& error() const { return error_; }
  Result<bool, std::string> commit();

 private:
  PkiDb& db_;
  bool open_ = false;
  std::string error_;
};

}  // namespace warden::pki
