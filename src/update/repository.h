// The publisher's side of signed updates: a repository directory with private keys and the
// metadata and targets a web server serves.
//
//   <dir>/keys/                 private keys (0700): <role>-<n>.ed25519.pem, <role>-<n>.xmss
//   <dir>/repository/metadata/  N.root.json, root.json, N.targets.json, N.<delegated>.json,
//                               N.snapshot.json, timestamp.json
//   <dir>/repository/targets/   <path>/<sha256>.<name>  (consistent snapshots)
//
// Serve <dir>/repository; move keys/root-* offline after init (they sign only rotations).
// Every change re-signs what it touched and then snapshot and timestamp, writing files in the
// order a client reads them backwards (targets, role metadata, snapshot, timestamp last), so a
// client in the middle of a refresh never sees a timestamp naming files not yet there.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/file.h"
#include "core/result.h"
#include "update/crypto.h"
#include "update/metadata.h"

namespace warden::update {

struct Expiry {  // days each role's metadata stays valid after it is signed
  std::uint32_t root = 365;
  std::uint32_t targets = 90;
  std::uint32_t snapshot = 7;
  std::uint32_t timestamp = 1;
};

struct InitOptions {
  std::uint32_t root_keys = 1, root_threshold = 1;
  std::uint32_t targets_keys = 1, targets_threshold = 1;
  XmssHeight xmss_height = XmssHeight::k10;
  Expiry expiry;
};

struct NewTarget {
  std::string file;                   // where the bytes are now
  std::string name;                   // its name in the repository ("fw/camera.bin")
  std::vector<std::string> hardware;  // hardware ids it is for; empty: any
  std::string version;
};

// One line per signature made, for the user to see where time and XMSS budget go.
struct SignEvent {
  std::string file;
  std::string keyid;
  double seconds = 0;
  std::optional<std::uint64_t> xmss_remaining;
  std::string warning;  // budget warning, if any
};

// Signs `signed_json` (the "signed" part) with every key and returns the whole file. Exposed
// for tools and tests that re-sign by hand.
Result<std::string, std::string> sign_metadata(const std::string& signed_json,
                                               const std::vector<SigningKey*>& keys);

class Repository {
 public:
  static Result<Repository, std::string> init(const std::string& dir, const InitOptions& options,
                                              std::int64_t now);
  static Result<Repository, std::string> open(const std::string& dir);

  // Adds (or replaces) targets in `role` ("targets" or a delegated role) and publishes.
  Result<bool, std::string> add_targets(const std::vector<NewTarget>& targets,
                                        const std::string& role, std::int64_t now);
  Result<bool, std::string> remove_target(const std::string& name, const std::string& role,
                                          std::int64_t now);
  // Delegates `paths` to a new role with its own key(s) (Ed25519 + XMSS) and publishes.
  Result<bool, std::string> delegate(const std::string& name, const std::vector<std::string>& paths,
                                     bool terminating, std::uint32_t keys, std::uint32_t threshold,
                                     std::int64_t now);
  // New timestamp (version + 1, fresh expiry): run from cron well inside its lifetime.
  Result<bool, std::string> refresh_timestamp(std::int64_t now);
  // Replaces `role`'s keys with `keys` fresh ones (threshold as given) in root N+1, signed by
  // a threshold of the old root keys and of the new. Old key files are kept, renamed *.retired.
  Result<bool, std::string> rotate(RoleType role, std::uint32_t keys, std::uint32_t threshold,
                                   std::int64_t now);

  const Root& root() const { return root_; }
  const Targets& targets() const { return targets_; }
  const Snapshot& snapshot() const { return snapshot_; }
  const Timestamp& timestamp() const { return timestamp_; }
  std::string metadata_dir() const { return dir_ + "/repository/metadata"; }
  std::string keys_dir() const { return dir_ + "/keys"; }
  // XMSS budget of each key that has one: "targets-1: 1021 of 1024 left".
  std::vector<std::string> budgets() const;

  // How long newly signed metadata stays valid (set before a change; defaults otherwise).
  Expiry expiry;
  // Called after every signature (progress for the CLI, numbers for the bench).
  std::function<void(const SignEvent&)> on_sign;

 private:
  Repository() = default;
  Result<std::vector<SigningKey*>, std::string> keys_for(const RoleKeys& role,
                                                         const std::string& prefix);
  Result<std::string, std::string> sign_file(const std::string& signed_json,
                                             const std::vector<SigningKey*>& keys,
                                             const std::string& file);
  Result<bool, std::string> write_meta(const std::string& name, const std::string& bytes);
  // Re-signs the changed targets roles, then snapshot and timestamp.
  Result<bool, std::string> publish(const std::vector<std::string>& changed_roles,
                                    std::int64_t now);
  Result<bool, std::string> load_keys();
  Targets* targets_role(const std::string& role);  // "targets" or a delegated role, or null

  std::string dir_;
  Root root_;
  Targets targets_;
  std::map<std::string, Targets> delegated_;  // name -> its metadata
  Snapshot snapshot_;
  Timestamp timestamp_;
  std::map<std::string, SigningKey> keys_;  // file base name ("targets-1") -> key
  // <dir>/.lock while open: two publishers would both sign "version N+1" of different
  // contents, and XMSS keys must not be used by two processes at once.
  std::optional<FileLock> lock_;
};

}  // namespace warden::update
