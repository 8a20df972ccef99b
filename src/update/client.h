// The device side of signed updates: downloads metadata and targets from a directory or an
// HTTP(S) server and verifies them in TUF's order (spec 1.0, section 5):
//   1. root: walk N+1.root.json, each signed by a threshold of the old root AND of itself,
//      version exactly N+1; then refuse an expired root (freeze);
//   2. timestamp: signed by root's timestamp keys, never older than the one trusted (rollback),
//      not expired;
//   3. snapshot: exactly the length and hash timestamp vouches for (mix-and-match), signed,
//      no targets file older than before;
//   4. targets: the version snapshot names, signed (hybrid) by root's targets keys;
//   5. a target: found by a pre-order walk of delegations whose path patterns match, checked
//      against this device's hardware id, downloaded to at most its length, and kept only when
//      both its SHA-256 and SHA-512 match.
// Every trusted file is stored in the state directory, durably, so versions never go back,
// not even across a reboot or a power cut. Every refusal is an UpdateError with a kind (the
// attack it stops) and a sentence.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "update/metadata.h"

namespace warden::update {

enum class Failure : std::uint8_t {
  kFetch,      // could not download (network, missing file)
  kTooLarge,   // bigger than allowed: endless data
  kMalformed,  // not metadata we can read
  kSignature,  // fewer than threshold valid signatures (arbitrary software, missing hybrid half)
  kRollback,   // older than what this device already trusts
  kExpired,    // indefinite freeze
  kMismatch,   // length, hash or version differs from what a signed parent says (mix-and-match)
  kHardware,   // built for another device
  kNotFound,   // no such target (or not delegated to anyone trusted for its path)
  kState,      // the device's own trusted state is missing or damaged
};
std::string_view failure_name(Failure f);

struct UpdateError {
  Failure kind;
  std::string message;
};

template <class T>
using UpdateResult = Result<T, UpdateError>;

// Where the repository is: get() reads a whole (small) metadata file, stream() hands a target
// over in pieces. Both are bounded. `not_found` separates "there is no such file" (the end of
// the root chain) from a network that failed.
class Transport {
 public:
  struct Failed {
    bool not_found = false;
    bool too_large = false;
    std::string message;
  };
  virtual ~Transport() = default;
  virtual Result<std::string, Failed> get(const std::string& path, std::uint64_t max) = 0;
  virtual Result<bool, Failed> stream(const std::string& path, std::uint64_t max,
                                      const std::function<bool(std::string_view)>& sink) = 0;
};
// A directory, or an http://, https:// or file:// URL (libcurl, certificates verified;
// `tls_ca_file` replaces the system's anchors for a private server).
std::unique_ptr<Transport> make_transport(const std::string& repository,
                                          const std::string& tls_ca_file = {});

struct ClientOptions {
  std::string state_dir;    // holds root.json (provisioned at manufacture) and what is learnt
  std::string hardware_id;  // this device's hardware id; targets built for others are refused
  std::uint64_t max_root_bytes = 1u << 20;
  std::uint64_t max_timestamp_bytes = 64u << 10;
  std::uint64_t max_snapshot_bytes = 4u << 20;  // when timestamp gives no length
  std::uint64_t max_targets_bytes = 32u << 20;  // when snapshot gives no length
  std::uint32_t max_root_rotations = 1024;      // per refresh
  std::uint32_t max_delegations = 32;           // roles visited per target search
  // Wall-clock seconds; tests pass a fixed clock to show expiry.
  std::function<std::int64_t()> now;
};

struct RefreshReport {
  std::uint64_t root_version = 0;
  std::uint32_t root_rotations = 0;  // new roots accepted in this refresh
  std::uint64_t timestamp_version = 0;
  std::uint64_t snapshot_version = 0;
  std::uint64_t targets_version = 0;
  bool snapshot_downloaded = false;
  bool targets_downloaded = false;
  std::uint64_t bytes_downloaded = 0;
};

class Client {
 public:
  // Loads the trusted root from the state directory (and checks it against itself).
  static UpdateResult<Client> open(ClientOptions options, std::unique_ptr<Transport> transport);

  // Steps 1-4: brings root, timestamp, snapshot and targets up to date, or says why not.
  UpdateResult<RefreshReport> refresh();

  // Step 5a: the target's signed description, walking delegations. Needs a refresh first.
  UpdateResult<TargetFile> find_target(std::string_view name);
  // The top-level role's targets (delegated ones are looked up by name).
  const std::vector<TargetFile>& targets() const;

  // Step 5b: downloads `target` to `dest` (via dest.part, fsynced, renamed) after the hardware
  // check; kept only when its length and both hashes match.
  UpdateResult<bool> download(const TargetFile& target, const std::string& dest);

  const Root& root() const { return root_; }

 private:
  struct Role;  // a verified delegated targets role
  Client() = default;
  std::int64_t now() const;
  UpdateResult<bool> update_root(RefreshReport& report);
  UpdateResult<bool> update_timestamp(RefreshReport& report);
  UpdateResult<bool> update_snapshot(RefreshReport& report);
  UpdateResult<bool> update_targets(RefreshReport& report);
  UpdateResult<Targets> load_delegated(const DelegatedRole& role, const Targets& parent);
  UpdateResult<std::optional<TargetFile>> search(const Targets& role, std::string_view name,
                                                 std::uint32_t& visits);
  UpdateResult<std::string> fetch_meta(const std::string& path, std::uint64_t max,
                                       RefreshReport* report);
  UpdateResult<bool> persist(const std::string& name, const std::string& bytes);

  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  Root root_;
  std::optional<Timestamp> timestamp_;
  std::optional<Snapshot> snapshot_;
  std::string snapshot_bytes_;
  std::optional<Targets> targets_;
  bool refreshed_ = false;
};

// A root is acceptable only when its root and targets roles use hybrid (post-quantum) keys
// and every key's algorithms are ones this client knows: a rotation cannot quietly downgrade
// the long-lived roles to classical signatures. Empty when acceptable, else why not.
std::string root_policy_problem(const Root& root);

}  // namespace warden::update
