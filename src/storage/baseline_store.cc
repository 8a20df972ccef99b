#include "storage/baseline_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

namespace warden::storage {

namespace {

using detect::BaselineKind;
using detect::kBaselineKinds;

constexpr int kApplicationId = 0x5744424c;  // "WDBL"
// Timestamps are nanoseconds since 1970; anything past 2200 is not one of ours.
constexpr std::int64_t kMaxTimestamp = 7'258'118'400LL * 1'000'000'000LL;
constexpr std::int64_t kMaxCounter = std::int64_t{1} << 62;

// The devices table has one last_new_<kind> column per BaselineKind; the volume columns come
// after them. Kinds beyond the first five shift those columns by this much.
constexpr int kExtraKinds = static_cast<int>(kBaselineKinds) - 5;
static_assert(kBaselineKinds == 7, "a new BaselineKind needs its last_new_ column here");

constexpr const char* kSchema = R"sql(
CREATE TABLE devices(
  id TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  learning_until INTEGER NOT NULL, stable_since INTEGER NOT NULL, flows INTEGER NOT NULL,
  items_dropped INTEGER NOT NULL,
  last_new_destination INTEGER NOT NULL, last_new_service INTEGER NOT NULL,
  last_new_protocol INTEGER NOT NULL, last_new_peer INTEGER NOT NULL,
  last_new_serves INTEGER NOT NULL, last_new_country INTEGER NOT NULL,
  last_new_network INTEGER NOT NULL,
  volume_hours INTEGER NOT NULL, mean_bytes REAL NOT NULL, var_bytes REAL NOT NULL,
  mean_flows REAL NOT NULL, var_flows REAL NOT NULL, hour INTEGER NOT NULL,
  hour_bytes INTEGER NOT NULL, hour_flows INTEGER NOT NULL);
CREATE TABLE items(
  device TEXT NOT NULL REFERENCES devices(id), kind TEXT NOT NULL, value TEXT NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(device, kind, value));
)sql";

constexpr const char* kDeviceColumns =
    "id, first_seen, last_seen, learning_until, stable_since, flows, items_dropped, "
    "last_new_destination, last_new_service, last_new_protocol, last_new_peer, last_new_serves, "
    "last_new_country, last_new_network, "
    "volume_hours, mean_bytes, var_bytes, mean_flows, var_flows, hour, hour_bytes, hour_flows";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Stmt prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) return nullptr;
  return Stmt(s);
}

// One row's columns, read with type and range checks; the first failure is kept.
class RowReader {
 public:
  explicit RowReader(sqlite3_stmt* s) : s_(s) {}
  std::int64_t integer(int col, std::int64_t lo, std::int64_t hi, const char* what) {
    if (sqlite3_column_type(s_, col) != SQLITE_INTEGER) return fail(what, "is not an integer");
    const std::int64_t v = sqlite3_column_int64(s_, col);
    if (v < lo || v > hi) return fail(what, "is out of range");
    return v;
  }
  Timestamp timestamp(int col, const char* what) { return integer(col, 0, kMaxTimestamp, what); }
  std::uint64_t counter(int col, const char* what) {
    return static_cast<std::uint64_t>(integer(col, 0, kMaxCounter, what));
  }
  double real(int col, const char* what) {
    const int t = sqlite3_column_type(s_, col);
    if (t != SQLITE_FLOAT && t != SQLITE_INTEGER) {
      fail(what, "is not a number");
      return 0;
    }
    const double v = sqlite3_column_double(s_, col);
    if (!std::isfinite(v) || v < 0 || v > 1e30) {
      fail(what, "is out of range");
      return 0;
    }
    return v;
  }
  std::string text(int col, const char* what) {
    if (sqlite3_column_type(s_, col) != SQLITE_TEXT) {
      fail(what, "is not text");
      return {};
    }
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    const int n = sqlite3_column_bytes(s_, col);
    if (!p || n < 0 || n > 255) {
      fail(what, "is too long");
      return {};
    }
    return std::string(p, static_cast<std::size_t>(n));
  }
  const std::string& error() const { return error_; }
  void fail_with(std::string e) {
    if (error_.empty()) error_ = std::move(e);
  }

 private:
  std::int64_t fail(const char* what, const char* why) {
    fail_with(std::string(what) + " " + why);
    return 0;
  }
  sqlite3_stmt* s_;
  std::string error_;
};

Result<std::int64_t, std::string> pragma_int(sqlite3* db, const char* pragma) {
  Stmt s = prepare(db, std::string("PRAGMA ") + pragma);
  if (!s) return unexpected(std::string(sqlite3_errmsg(db)));
  if (sqlite3_step(s.get()) != SQLITE_ROW) return unexpected(std::string(sqlite3_errmsg(db)));
  return static_cast<std::int64_t>(sqlite3_column_int64(s.get(), 0));
}

Unexpected<std::string> load_error(const std::string& path, const std::string& why) {
  return unexpected("baseline " + path + ": " + why);
}

}  // namespace

Result<detect::BaselineSnapshot, std::string> load_baseline(const std::string& path,
                                                            const detect::BaselineLimits& limits) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return load_error(path,
                      std::string("cannot open: ") + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  // The file may come from anywhere: no schema-defined functions, no writes to the schema.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_VIEW, 0, nullptr);
  auto app_id = pragma_int(db.get(), "application_id");
  if (!app_id) {
    return load_error(path, "not a warden baseline, or a damaged one (" + app_id.error() + ")");
  }
  if (*app_id != kApplicationId) {
    return load_error(path, "not a warden baseline (a SQLite database of another kind)");
  }
  auto version = pragma_int(db.get(), "user_version");
  if (!version || *version != kBaselineFormatVersion) {
    return load_error(path, "baseline format " + (version ? std::to_string(*version) : "?") +
                                " is not the supported " + std::to_string(kBaselineFormatVersion));
  }
  {
    Stmt check = prepare(db.get(), "PRAGMA quick_check");
    if (!check || sqlite3_step(check.get()) != SQLITE_ROW) {
      return load_error(path, std::string("damaged: ") + sqlite3_errmsg(db.get()));
    }
    const auto* ok = reinterpret_cast<const char*>(sqlite3_column_text(check.get(), 0));
    if (!ok || std::strcmp(ok, "ok") != 0) {
      return load_error(path, std::string("damaged: ") + (ok ? ok : "integrity check failed"));
    }
  }

  detect::BaselineSnapshot snap;
  std::map<std::string, std::size_t, std::less<>> index;
  Stmt dev = prepare(db.get(), std::string("SELECT ") + kDeviceColumns +
                                   " FROM devices ORDER BY id LIMIT " +
                                   std::to_string(limits.max_devices + 1));
  if (!dev) return load_error(path, std::string("unreadable: ") + sqlite3_errmsg(db.get()));
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(dev.get())) == SQLITE_ROW) {
    const std::string row = "device row " + std::to_string(snap.devices.size() + 1);
    if (snap.devices.size() >= limits.max_devices) {
      return load_error(path, "holds more than " + std::to_string(limits.max_devices) +
                                  " devices, the most a baseline keeps");
    }
    RowReader r(dev.get());
    detect::BaselineSnapshot::Device d;
    d.id = r.text(0, "id");
    d.first_seen = r.timestamp(1, "first_seen");
    d.last_seen = r.timestamp(2, "last_seen");
    d.learning_until = r.timestamp(3, "learning_until");
    d.stable_since = r.timestamp(4, "stable_since");
    d.flows = r.counter(5, "flows");
    d.items_dropped = r.counter(6, "items_dropped");
    for (std::size_t k = 0; k < kBaselineKinds; ++k)
      d.last_new[k] = r.timestamp(7 + static_cast<int>(k), "last_new");
    d.volume.hours = r.counter(12 + kExtraKinds, "volume_hours");
    d.volume.mean_bytes = r.real(13 + kExtraKinds, "mean_bytes");
    d.volume.var_bytes = r.real(14 + kExtraKinds, "var_bytes");
    d.volume.mean_flows = r.real(15 + kExtraKinds, "mean_flows");
    d.volume.var_flows = r.real(16 + kExtraKinds, "var_flows");
    d.volume.hour = r.integer(17 + kExtraKinds, -1, kMaxTimestamp / (3600 * kNsPerSec), "hour");
    d.volume.hour_bytes = r.counter(18 + kExtraKinds, "hour_bytes");
    d.volume.hour_flows = r.counter(19 + kExtraKinds, "hour_flows");
    if (r.error().empty() && !detect::baseline_device_id_valid(d.id))
      r.fail_with("id is not a device id");
    if (r.error().empty() && (d.last_seen < d.first_seen || d.learning_until < d.first_seen))
      r.fail_with("times are out of order");
    if (!r.error().empty()) return load_error(path, row + ": " + r.error());
    if (!index.emplace(d.id, snap.devices.size()).second)
      return load_error(path, row + ": device " + d.id + " appears twice");
    snap.devices.push_back(std::move(d));
  }
  if (step != SQLITE_DONE)
    return load_error(path, std::string("unreadable: ") + sqlite3_errmsg(db.get()));

  Stmt items =
      prepare(db.get(), "SELECT device, kind, value, first_seen, last_seen, count FROM items");
  if (!items) return load_error(path, std::string("unreadable: ") + sqlite3_errmsg(db.get()));
  std::vector<std::array<std::size_t, kBaselineKinds>> per_kind(snap.devices.size());
  std::size_t n = 0;
  while ((step = sqlite3_step(items.get())) == SQLITE_ROW) {
    const std::string row = "item row " + std::to_string(++n);
    RowReader r(items.get());
    const std::string device = r.text(0, "device");
    const std::string kind_name = r.text(1, "kind");
    detect::BaselineSnapshot::Item item;
    item.value = r.text(2, "value");
    item.stats.first_seen = r.timestamp(3, "first_seen");
    item.stats.last_seen = r.timestamp(4, "last_seen");
    item.stats.count = r.counter(5, "count");
    if (!r.error().empty()) return load_error(path, row + ": " + r.error());
    auto dev_it = index.find(device);
    if (dev_it == index.end()) return load_error(path, row + ": belongs to no device of the file");
    const auto kind = detect::baseline_kind_from_name(kind_name);
    if (!kind) return load_error(path, row + ": unknown kind");
    if (!detect::baseline_value_valid(*kind, item.value))
      return load_error(path, row + ": not a valid " + kind_name);
    const auto k = static_cast<std::size_t>(*kind);
    if (n > limits.max_total_items) {
      return load_error(path, "holds more than the " + std::to_string(limits.max_total_items) +
                                  " items a baseline keeps");
    }
    if (++per_kind[dev_it->second][k] > limits.max_items[k]) {
      return load_error(path, row + ": more " + kind_name + " items for one device than the " +
                                  std::to_string(limits.max_items[k]) + " a baseline keeps");
    }
    item.kind = *kind;
    snap.devices[dev_it->second].items.push_back(std::move(item));
  }
  if (step != SQLITE_DONE)
    return load_error(path, std::string("unreadable: ") + sqlite3_errmsg(db.get()));
  return snap;
}

Result<bool, std::string> save_baseline(const std::string& path,
                                        const detect::BaselineSnapshot& snapshot) {
  // Per process, so two runs given the same file never write into one temporary file.
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  std::remove(tmp.c_str());
  auto fail = [&](sqlite3* db, const std::string& what) -> Unexpected<std::string> {
    std::string e = "baseline " + path + ": cannot " + what;
    if (db) e += std::string(": ") + sqlite3_errmsg(db);
    return unexpected(std::move(e));
  };
  {
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(tmp.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK) {
      auto e = fail(db.get(), "create " + tmp);
      db.reset();
      std::remove(tmp.c_str());
      return e;
    }
    auto exec = [&](const std::string& sql) {
      return sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    };
    // A fresh file renamed into place afterwards needs no rollback journal; FULL sync makes
    // the commit durable before the rename publishes it.
    bool ok = exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=FULL;") &&
              exec("PRAGMA application_id=" + std::to_string(kApplicationId) +
                   "; PRAGMA user_version=" + std::to_string(kBaselineFormatVersion) + ";") &&
              exec("BEGIN") && exec(kSchema);
    Stmt dev, item;
    if (ok) {
      dev = prepare(db.get(), std::string("INSERT INTO devices(") + kDeviceColumns +
                                  ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
                                  "?16,?17,?18,?19,?20,?21,?22)");
      item = prepare(db.get(), "INSERT INTO items VALUES(?1,?2,?3,?4,?5,?6)");
      ok = dev && item;
    }
    for (const auto& d : snapshot.devices) {
      if (!ok) break;
      sqlite3_stmt* s = dev.get();
      sqlite3_reset(s);
      sqlite3_bind_text(s, 1, d.id.data(), static_cast<int>(d.id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 2, d.first_seen);
      sqlite3_bind_int64(s, 3, d.last_seen);
      sqlite3_bind_int64(s, 4, d.learning_until);
      sqlite3_bind_int64(s, 5, d.stable_since);
      sqlite3_bind_int64(s, 6, static_cast<sqlite3_int64>(d.flows));
      sqlite3_bind_int64(s, 7, static_cast<sqlite3_int64>(d.items_dropped));
      for (std::size_t k = 0; k < kBaselineKinds; ++k)
        sqlite3_bind_int64(s, 8 + static_cast<int>(k), d.last_new[k]);
      sqlite3_bind_int64(s, 13 + kExtraKinds, static_cast<sqlite3_int64>(d.volume.hours));
      sqlite3_bind_double(s, 14 + kExtraKinds, d.volume.mean_bytes);
      sqlite3_bind_double(s, 15 + kExtraKinds, d.volume.var_bytes);
      sqlite3_bind_double(s, 16 + kExtraKinds, d.volume.mean_flows);
      sqlite3_bind_double(s, 17 + kExtraKinds, d.volume.var_flows);
      sqlite3_bind_int64(s, 18 + kExtraKinds, d.volume.hour);
      sqlite3_bind_int64(s, 19 + kExtraKinds, static_cast<sqlite3_int64>(d.volume.hour_bytes));
      sqlite3_bind_int64(s, 20 + kExtraKinds, static_cast<sqlite3_int64>(d.volume.hour_flows));
      ok = sqlite3_step(s) == SQLITE_DONE;
      for (const auto& it : d.items) {
        if (!ok) break;
        sqlite3_stmt* t = item.get();
        sqlite3_reset(t);
        const std::string_view kind = detect::baseline_kind_name(it.kind);
        sqlite3_bind_text(t, 1, d.id.data(), static_cast<int>(d.id.size()), SQLITE_STATIC);
        sqlite3_bind_text(t, 2, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
        sqlite3_bind_text(t, 3, it.value.data(), static_cast<int>(it.value.size()), SQLITE_STATIC);
        sqlite3_bind_int64(t, 4, it.stats.first_seen);
        sqlite3_bind_int64(t, 5, it.stats.last_seen);
        sqlite3_bind_int64(t, 6, static_cast<sqlite3_int64>(it.stats.count));
        ok = sqlite3_step(t) == SQLITE_DONE;
      }
    }
    if (ok) ok = exec("COMMIT");
    if (!ok) {
      auto e = fail(db.get(), "write " + tmp);
      dev.reset();
      item.reset();
      db.reset();
      std::remove(tmp.c_str());
      return e;
    }
    dev.reset();
    item.reset();
    if (sqlite3_close(db.release()) != SQLITE_OK) {
      std::remove(tmp.c_str());
      return fail(nullptr, "close " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return unexpected("baseline " + path + ": cannot replace it with " + tmp + ": " +
                      std::strerror(err));
  }
  // The rename itself survives a power cut only once the folder is synced.
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    fsync(fd);
    close(fd);
  }
  return true;
}

}  // namespace warden::storage
