// What the gateway must remember across a restart or a crash, in SQLite (DIR/gateway.db):
// quarantined devices with their reason, the addresses DNS names resolved to (so rules that
// name hosts work again at once, before the devices ask again), and the generation of the
// last ruleset applied. The policies themselves are not stored: they are rebuilt from the
// configuration and MUD files, which are the source of truth.
//
// Every change is its own transaction, committed before the gateway reports the change done:
// a quarantine acknowledged is a quarantine that survives a power cut.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "enforce/ruleset.h"

struct sqlite3;

namespace warden::enforce {

struct StoredState {
  std::vector<QuarantineEntry> quarantine;
  // Learned profiles the user decided on: device name -> "locked" (enforced now) or
  // "relaxed" (not enforced, even when learning ends).
  std::map<std::string, std::string> profiles;
  Resolutions resolved;
  std::uint64_t generation = 0;
};

class StateStore {
 public:
  // Opens or creates the file; a file that is not a warden gateway state is refused by name.
  static Result<std::unique_ptr<StateStore>, std::string> open(const std::string& path);
  ~StateStore();

  Result<StoredState, std::string> load();
  Result<bool, std::string> put_quarantine(const QuarantineEntry& q);
  Result<bool, std::string> remove_quarantine(const std::string& device);
  Result<bool, std::string> put_resolutions(const std::string& name,
                                            const std::vector<IpAddr>& addrs, Timestamp expiry);
  Result<bool, std::string> set_generation(std::uint64_t g);
  Result<bool, std::string> set_profile_state(const std::string& device, const std::string& state);
  // Forgets resolutions that expired before `now`.
  Result<bool, std::string> prune(Timestamp now);

 private:
  explicit StateStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<bool, std::string> exec(const std::string& sql);
  sqlite3* db_;
  std::string path_;
};

}  // namespace warden::enforce
