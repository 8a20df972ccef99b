// SqliteStore: the embedded default store (one file, no set-up). Flows, observations, devices
// and their addresses land in indexed tables, each row also keeping its full JSON record so
// nothing written to the JSON Lines files is lost in the database. Writes are batched into
// transactions; WAL mode lets a reader (the CLI, a dashboard) query while a sensor writes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "detect/alert.h"
#include "dissect/observation.h"
#include "flow/flow.h"
#include "inventory/device.h"

struct sqlite3;
struct sqlite3_stmt;

namespace warden::storage {

class SqliteStore {
 public:
  // bulk: a one-shot load (warden analyze) into a fresh file that a failed run simply
  // recreates: no rollback journal, no fsync, a large page cache, and the indexes built once
  // at commit() instead of maintained row by row. Otherwise (a live sensor): WAL mode, so
  // readers can query while it writes, and indexes from the start.
  static Result<std::unique_ptr<SqliteStore>, std::string> open(const std::string& path,
                                                                bool bulk = false);
  ~SqliteStore();
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void add_flow(const flow::Flow& f, std::string_view service, std::string_view json);
  void add_observation(const dissect::Observation& o, std::string_view json);
  void replace_devices(const std::vector<std::unique_ptr<inventory::Device>>& devices,
                       const std::vector<std::string>& json);
  void replace_alerts(const std::vector<detect::Alert>& alerts,
                      const std::vector<std::string>& json);
  void add_run(std::string_view started, std::string_view command, std::string_view summary_json);
  // Commits the open transaction. Returns the first error seen since opening, if any.
  Result<bool, std::string> commit();
  const std::string& path() const { return path_; }

 private:
  SqliteStore() = default;
  bool exec(const char* sql);
  void begin_if_needed();
  void note_error(const char* what);
  sqlite3_stmt* prepare(const char* sql);

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* flow_stmt_ = nullptr;
  sqlite3_stmt* obs_stmt_ = nullptr;
  sqlite3_stmt* dev_stmt_ = nullptr;
  sqlite3_stmt* addr_stmt_ = nullptr;
  sqlite3_stmt* run_stmt_ = nullptr;
  sqlite3_stmt* alert_stmt_ = nullptr;
  bool in_txn_ = false;
  bool bulk_ = false;
  bool indexed_ = false;
  std::size_t pending_ = 0;
  std::string error_;
};

}  // namespace warden::storage
