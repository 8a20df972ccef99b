#include "enforce/state_store.h"

#include <sqlite3.h>

namespace warden::enforce {
namespace {

constexpr int kApplicationId = 0x57474457;  // "WGDW": warden gateway
constexpr int kFormat = 1;

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

std::string col(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

std::string addrs_text(const std::vector<IpAddr>& addrs) {
  std::string out;
  for (const auto& a : addrs) out += (out.empty() ? "" : " ") + a.to_string();
  return out;
}

}  // namespace

Result<std::unique_ptr<StateStore>, std::string> StateStore::open(const std::string& path) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string err = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return unexpected("cannot open " + path + ": " + err);
  }
  std::unique_ptr<StateStore> st(new StateStore(raw, path));
  sqlite3_busy_timeout(raw, 2000);
  // Statements finalized before anything else runs: an unfinished read would hold a
  // transaction open, and the journal mode cannot change inside one.
  auto pragma_int = [raw](const char* sql) {
    Stmt q;
    int v = 0;
    if (sqlite3_prepare_v2(raw, sql, -1, &q.s, nullptr) == SQLITE_OK &&
        sqlite3_step(q.s) == SQLITE_ROW)
      v = sqlite3_column_int(q.s, 0);
    return v;
  };
  const int app = pragma_int("PRAGMA application_id");
  const int version = pragma_int("PRAGMA user_version");
  if (app == 0 && version == 0) {
    auto ok = st->exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
        "PRAGMA application_id=" +
        std::to_string(kApplicationId) +
        ";"
        "PRAGMA user_version=" +
        std::to_string(kFormat) +
        ";"
        "CREATE TABLE IF NOT EXISTS quarantine(device TEXT PRIMARY KEY, mac TEXT, addrs TEXT,"
        " reason TEXT, by TEXT, since INTEGER);"
        "CREATE TABLE IF NOT EXISTS resolved(name TEXT, addr TEXT, expiry INTEGER,"
        " PRIMARY KEY(name, addr));"
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);"
        "CREATE TABLE IF NOT EXISTS profiles(device TEXT PRIMARY KEY, state TEXT);");
    if (!ok) return unexpected(ok.error());
  } else if (app != kApplicationId) {
    return unexpected(path + " is not a warden gateway state file");
  } else if (version != kFormat) {
    return unexpected(path + " has state format " + std::to_string(version) +
                      ", this warden reads " + std::to_string(kFormat));
  } else {
    auto ok = st->exec("PRAGMA synchronous=FULL;");
    if (!ok) return unexpected(path + ": " + ok.error());
  }
  return st;
}

StateStore::~StateStore() { sqlite3_close(db_); }

Result<bool, std::string> StateStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string e = err ? err : "unknown error";
    sqlite3_free(err);
    return unexpected(path_ + ": " + e);
  }
  return true;
}

Result<StoredState, std::string> StateStore::load() {
  StoredState out;
  Stmt q;
  if (sqlite3_prepare_v2(
          db_, "SELECT device, mac, addrs, reason, by, since FROM quarantine ORDER BY since", -1,
          &q.s, nullptr) != SQLITE_OK)
    return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    QuarantineEntry e;
    e.device = col(q.s, 0);
    if (auto mac = MacAddr::parse(col(q.s, 1))) e.mac = *mac;
    std::string addrs = col(q.s, 2);
    for (std::size_t pos = 0; pos < addrs.size();) {
      auto end = addrs.find(' ', pos);
      if (end == std::string::npos) end = addrs.size();
      if (auto ip = IpAddr::parse(std::string_view(addrs).substr(pos, end - pos)))
        e.addrs.push_back(*ip);
      pos = end + 1;
    }
    e.reason = col(q.s, 3);
    e.by = col(q.s, 4);
    e.since = sqlite3_column_int64(q.s, 5);
    if (e.device.empty() || (!e.mac && e.addrs.empty()))
      return unexpected(path_ + ": a quarantine row names no device address");
    out.quarantine.push_back(std::move(e));
  }
  Stmt r;
  if (sqlite3_prepare_v2(db_, "SELECT name, addr, expiry FROM resolved", -1, &r.s, nullptr) !=
      SQLITE_OK)
    return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  while (sqlite3_step(r.s) == SQLITE_ROW) {
    auto ip = IpAddr::parse(col(r.s, 1));
    if (!ip) continue;
    out.resolved[col(r.s, 0)][*ip] = sqlite3_column_int64(r.s, 2);
  }
  Stmt pr;
  if (sqlite3_prepare_v2(db_, "SELECT device, state FROM profiles", -1, &pr.s, nullptr) !=
      SQLITE_OK)
    return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  while (sqlite3_step(pr.s) == SQLITE_ROW) {
    const std::string st = col(pr.s, 1);
    if (st != "locked" && st != "relaxed")
      return unexpected(path_ + ": bad profile state \"" + st + "\"");
    out.profiles[col(pr.s, 0)] = st;
  }
  Stmt g;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key='generation'", -1, &g.s, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(g.s) == SQLITE_ROW)
    out.generation = static_cast<std::uint64_t>(sqlite3_column_int64(g.s, 0));
  return out;
}

Result<bool, std::string> StateStore::put_quarantine(const QuarantineEntry& e) {
  Stmt s;
  if (sqlite3_prepare_v2(db_,
                         "INSERT OR REPLACE INTO quarantine(device, mac, addrs, reason, by, since)"
                         " VALUES(?,?,?,?,?,?)",
                         -1, &s.s, nullptr) != SQLITE_OK)
    return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  const std::string mac = e.mac ? e.mac->to_string() : "", addrs = addrs_text(e.addrs);
  sqlite3_bind_text(s.s, 1, e.device.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s.s, 2, mac.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s.s, 3, addrs.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s.s, 4, e.reason.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s.s, 5, e.by.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s.s, 6, e.since);
  if (sqlite3_step(s.s) != SQLITE_DONE) return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  return true;
}

Result<bool, std::string> StateStore::remove_quarantine(const std::string& device) {
  Stmt s;
  if (sqlite3_prepare_v2(db_, "DELETE FROM quarantine WHERE device=?", -1, &s.s, nullptr) !=
      SQLITE_OK)
    return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  sqlite3_bind_text(s.s, 1, device.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s.s) != SQLITE_DONE) return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  return true;
}

Result<bool, std::string> StateStore::put_resolutions(const std::string& name,
                                                      const std::vector<IpAddr>& addrs,
                                                      Timestamp expiry) {
  if (auto ok = exec("BEGIN"); !ok) return ok;
  Stmt s;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO resolved(name, addr, expiry) VALUES(?,?,?)",
                         -1, &s.s, nullptr) != SQLITE_OK) {
    (void)exec("ROLLBACK");
    return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  }
  for (const auto& a : addrs) {
    const std::string t = a.to_string();
    sqlite3_reset(s.s);
    sqlite3_bind_text(s.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.s, 2, t.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s.s, 3, expiry);
    if (sqlite3_step(s.s) != SQLITE_DONE) {
      (void)exec("ROLLBACK");
      return unexpected(path_ + ": " + sqlite3_errmsg(db_));
    }
  }
  return exec("COMMIT");
}

Result<bool, std::string> StateStore::set_generation(std::uint64_t g) {
  return exec("INSERT OR REPLACE INTO meta(key, value) VALUES('generation', " + std::to_string(g) +
              ")");
}

Result<bool, std::string> StateStore::set_profile_state(const std::string& device,
                                                        const std::string& state) {
  Stmt s;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO profiles(device, state) VALUES(?,?)", -1,
                         &s.s, nullptr) != SQLITE_OK)
    return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  sqlite3_bind_text(s.s, 1, device.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s.s, 2, state.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s.s) != SQLITE_DONE) return unexpected(path_ + ": " + sqlite3_errmsg(db_));
  return true;
}

Result<bool, std::string> StateStore::prune(Timestamp now) {
  return exec("DELETE FROM resolved WHERE expiry < " + std::to_string(now));
}

}  // namespace warden::enforce
