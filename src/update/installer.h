// Installer: the device side of a signed update, A/B with commit and rollback (as Mender does
// with partitions), done on files. One directory owns everything:
//   slot-a/payload, slot-b/payload   the two installed copies
//   current -> slot-a | slot-b       a relative symlink: what the device runs from
//   state.json                       which target is in which slot, and whether the switch is
//                                    still on probation (pending)
// A new target is copied into the slot `current` does not point at, fsynced, re-read and checked
// against the verified length and SHA-256, renamed into place, and only then is `current`
// swapped by rename(2) of a fresh symlink, so at every instant `current` names a whole, checked
// payload. state.json is the record: if a crash leaves `current` disagreeing with it (switched
// but not yet recorded), open() points `current` back to what state.json says, i.e. an install
// or rollback that was not recorded did not happen.
// Not for concurrent use: one process (the update agent) owns the directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/file.h"
#include "core/result.h"

namespace warden::update {

struct InstallTarget {
  std::string name;          // the target's name in the repository (for the record only)
  std::uint64_t length = 0;  // verified length
  std::string sha256_hex;    // verified lowercase hex SHA-256 (64 chars)
  std::string version;       // free text shown to users, may be empty
};

struct SlotState {
  std::string slot;  // "a" or "b"
  InstallTarget target;
};

struct InstallerStatus {
  std::optional<SlotState> active;    // what `current` points at
  std::optional<SlotState> previous;  // kept for rollback
  bool pending = false;               // switched, not yet confirmed by a good start
  std::uint32_t boot_attempts = 0;    // starts seen while pending
  // What the call that returned this status did beyond the obvious, for the log (e.g. "rolled
  // back to slot a after 2 unconfirmed starts", or a repair made by open()). Not persisted.
  std::string note;
};

class Installer {
 public:
  // `dir` holds slot-a/, slot-b/, `current` and state.json; it and the slots are created (0755)
  // if missing (the parent of `dir` must exist). A damaged state.json, a `current` that is not
  // a symlink to slot-a or slot-b, or a `current` without a state.json is an error: the
  // installer does not guess what the device runs.
  static Result<Installer, std::string> open(const std::string& dir);

  // Installs `file` (already verified by the caller against `target`) into the inactive slot
  // and switches `current` to it with pending=true; the formerly active slot becomes
  // `previous`, and whatever `previous` held before is gone. Refuses while an earlier install is
  // pending. On any failure `current` and its payload are unchanged.
  Result<InstallerStatus, std::string> install(const std::string& file,
                                               const InstallTarget& target);
  // The new software started well: pending=false; the other slot remains as `previous`.
  // Confirming when nothing is pending changes nothing and succeeds, so a program may confirm
  // at every good start.
  Result<InstallerStatus, std::string> confirm();
  // Switches `current` back to `previous` and records that. The slot rolled back from is
  // dropped from the record (previous becomes empty): a failed target is never a rollback
  // target. Error if there is no previous.
  Result<InstallerStatus, std::string> rollback();
  // Called at every start: if pending, counts a boot attempt; once attempts exceed
  // `max_attempts` (the new software was started that often and never confirmed), rolls back by
  // itself and says so in the returned status's `note`.
  Result<InstallerStatus, std::string> boot(std::uint32_t max_attempts = 1);

  const InstallerStatus& status() const { return status_; }
  std::string payload_path() const;  // <dir>/current/payload
  const std::string& dir() const { return dir_; }

 private:
  // The flock on <dir>/.lock, held while the Installer lives: two update agents (or an agent
  // and a manual `warden update rollback`) must not interleave their renames.
  Installer(std::string dir, InstallerStatus status, FileLock lock)
      : dir_(std::move(dir)), status_(std::move(status)), lock_(std::move(lock)) {}
  Result<bool, std::string> save(const InstallerStatus& status) const;
  Result<bool, std::string> point_current(const std::optional<std::string>& slot) const;

  std::string dir_;
  InstallerStatus status_;
  FileLock lock_;
};

// SHA-256 of a regular file as lowercase hex, read in 1 MiB chunks (never the whole file in
// memory). A file larger than `max_bytes`, also one that grows past it while being read, is an
// error.
Result<std::string, std::string> sha256_file_hex(const std::string& path, std::uint64_t max_bytes);

}  // namespace warden::update
