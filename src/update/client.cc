#include "update/client.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/file.h"
#include "fetch/fetch.h"
#include "update/crypto.h"

namespace warden::update {
namespace {

Unexpected<UpdateError> fail(Failure kind, std::string message) {
  return unexpected(UpdateError{kind, std::move(message)});
}

std::string v(std::uint64_t n) { return "v" + std::to_string(n); }

// Verifies an envelope against a role's keys: at least `threshold` distinct keys, each with
// every one of its algorithms verifying.
UpdateResult<bool> check_signatures(const Envelope& e, const std::map<std::string, PublicKey>& keys,
                                    const RoleKeys& role, const std::string& what,
                                    const std::string& signer) {
  std::string why;
  const std::uint32_t valid = count_valid(keys, role, e.signatures, e.canonical, &why);
  if (valid >= role.threshold) return true;
  return fail(Failure::kSignature, what + " is signed by " + std::to_string(valid) + " of the " +
                                       std::to_string(role.threshold) + " " + signer +
                                       " keys it needs" + (why.empty() ? "" : " (" + why + ")"));
}

UpdateResult<bool> check_expiry(const Common& c, const std::string& what, std::int64_t now) {
  if (now < c.expires) return true;
  return fail(Failure::kExpired, what + " " + v(c.version) + " expired at " +
                                     format_utc(c.expires) +
                                     " (the repository or a mirror is serving stale metadata, "
                                     "or the device clock is wrong)");
}

bool same_keys(const Root& a, const Root& b, RoleType t) {
  const RoleKeys& ra = a.role(t);
  const RoleKeys& rb = b.role(t);
  return ra.keyids == rb.keyids && ra.threshold == rb.threshold;
}

class UrlTransport : public Transport {
 public:
  UrlTransport(std::string base, std::string ca) : base_(std::move(base)), ca_(std::move(ca)) {
    while (base_.size() > 1 && base_.back() == '/') base_.pop_back();
  }

  Result<std::string, Failed> get(const std::string& path, std::uint64_t max) override {
    auto r = fetch::fetch(request(path, max));
    if (!r) return unexpected(failed(path, r.error()));
    return std::move(r->body);
  }

  Result<bool, Failed> stream(const std::string& path, std::uint64_t max,
                              const std::function<bool(std::string_view)>& sink) override {
    auto req = request(path, max);
    req.sink = sink;
    auto r = fetch::fetch(req);
    if (!r) return unexpected(failed(path, r.error()));
    return true;
  }

 private:
  fetch::FetchRequest request(const std::string& path, std::uint64_t max) const {
    fetch::FetchRequest req;
    req.source = base_ + "/" + path;
    req.max_bytes = max;
    req.user_agent = "warden-update";
    req.tls_ca_file = ca_;
    req.timeout_s = 600;
    return req;
  }
  Failed failed(const std::string& path, const std::string& message) const {
    Failed f;
    f.message = message;
    f.too_large = message.find(" limit") != std::string::npos;
    if (fetch::is_url(base_)) {
      f.not_found = message.starts_with("HTTP 404");
    } else {
      struct stat st {};
      f.not_found = ::stat((base_ + "/" + path).c_str(), &st) != 0 && errno == ENOENT;
    }
    return f;
  }
  std::string base_;
  std::string ca_;
};

}  // namespace

std::string_view failure_name(Failure f) {
  switch (f) {
    case Failure::kFetch:
      return "fetch";
    case Failure::kTooLarge:
      return "too_large";
    case Failure::kMalformed:
      return "malformed";
    case Failure::kSignature:
      return "signature";
    case Failure::kRollback:
      return "rollback";
    case Failure::kExpired:
      return "expired";
    case Failure::kMismatch:
      return "mismatch";
    case Failure::kHardware:
      return "hardware";
    case Failure::kNotFound:
      return "not_found";
    case Failure::kState:
      return "state";
  }
  return "?";
}

std::unique_ptr<Transport> make_transport(const std::string& repository,
                                          const std::string& tls_ca_file) {
  return std::make_unique<UrlTransport>(repository, tls_ca_file);
}

std::string root_policy_problem(const Root& root) {
  for (const auto& [id, key] : root.keys) {
    for (const auto& [alg, raw] : key.parts) {
      if (!known_algorithm(alg)) {
        return "key " + id.substr(0, 8) + " uses algorithm " + alg +
               ", which this client does not know";
      }
    }
  }
  for (RoleType t : {RoleType::kRoot, RoleType::kTargets}) {
    for (const auto& id : root.role(t).keyids) {
      if (!root.keys.at(id).hybrid()) {
        return std::string(role_type_name(t)) + " key " + id.substr(0, 8) +
               " has no post-quantum (XMSS) part; root and targets keys must be hybrid";
      }
    }
  }
  return {};
}

std::int64_t Client::now() const {
  return options_.now ? options_.now() : static_cast<std::int64_t>(std::time(nullptr));
}

UpdateResult<bool> Client::persist(const std::string& name, const std::string& bytes) {
  auto w = write_file_durable(options_.state_dir + "/" + name, bytes, 0644);
  if (!w) return fail(Failure::kState, "cannot store trusted " + name + ": " + w.error());
  return true;
}

UpdateResult<std::string> Client::fetch_meta(const std::string& path, std::uint64_t max,
                                             RefreshReport* report) {
  auto r = transport_->get(path, max);
  if (!r) {
    if (r.error().too_large) {
      return fail(Failure::kTooLarge, path + " is larger than the " + std::to_string(max) +
                                          "-byte limit; refusing endless data");
    }
    return fail(Failure::kFetch, "cannot download " + path + ": " + r.error().message);
  }
  if (report) report->bytes_downloaded += r->size();
  return std::move(*r);
}

UpdateResult<Client> Client::open(ClientOptions options, std::unique_ptr<Transport> transport) {
  Client c;
  c.options_ = std::move(options);
  c.transport_ = std::move(transport);
  const std::string path = c.options_.state_dir + "/root.json";
  auto bytes = read_file(path, c.options_.max_root_bytes);
  if (!bytes) {
    return fail(Failure::kState, "no trusted root: " + bytes.error() +
                                     " (a device is provisioned with the repository's root.json)");
  }
  auto env = parse_envelope(*bytes, RoleType::kRoot);
  if (!env) return fail(Failure::kState, path + ": " + env.error());
  auto root = parse_root(*env);
  if (!root) return fail(Failure::kState, path + ": " + root.error());
  // The trusted root is trusted, but a damaged file should say so rather than fail later.
  auto sig = check_signatures(*env, root->keys, root->root, "trusted root.json", "root");
  if (!sig) return fail(Failure::kState, sig.error().message);
  if (auto problem = root_policy_problem(*root); !problem.empty()) {
    return fail(Failure::kState, "trusted root.json: " + problem);
  }
  c.root_ = std::move(*root);

  // What was trusted before: kept only while the current root still vouches for it.
  auto load = [&](const std::string& name, RoleType type) -> std::optional<Envelope> {
    auto b = read_file(c.options_.state_dir + "/" + name, 64u << 20);
    if (!b) return std::nullopt;
    auto e = parse_envelope(*b, type);
    if (!e) return std::nullopt;
    std::string why;
    if (count_valid(c.root_.keys, c.root_.role(type), e->signatures, e->canonical, &why) <
        c.root_.role(type).threshold) {
      return std::nullopt;
    }
    if (type == RoleType::kSnapshot) c.snapshot_bytes_ = *b;
    return std::move(*e);
  };
  if (auto e = load("timestamp.json", RoleType::kTimestamp)) {
    if (auto t = parse_timestamp(*e)) c.timestamp_ = std::move(*t);
  }
  if (auto e = load("snapshot.json", RoleType::kSnapshot)) {
    if (auto s = parse_snapshot(*e)) c.snapshot_ = std::move(*s);
  }
  if (auto e = load("targets.json", RoleType::kTargets)) {
    if (auto t = parse_targets(*e)) c.targets_ = std::move(*t);
  }
  return c;
}

UpdateResult<bool> Client::update_root(RefreshReport& report) {
  for (std::uint32_t i = 0; i < options_.max_root_rotations; ++i) {
    const std::uint64_t next = root_.version + 1;
    const std::string path = "metadata/" + std::to_string(next) + ".root.json";
    auto got = transport_->get(path, options_.max_root_bytes);
    if (!got) {
      if (got.error().not_found) break;  // no newer root: the chain ends here
      if (got.error().too_large) {
        return fail(Failure::kTooLarge, path + " is larger than the " +
                                            std::to_string(options_.max_root_bytes) +
                                            "-byte limit; refusing endless data");
      }
      return fail(Failure::kFetch, "cannot check for a new root: " + got.error().message);
    }
    report.bytes_downloaded += got->size();
    auto env = parse_envelope(*got, RoleType::kRoot);
    if (!env) return fail(Failure::kMalformed, path + ": " + env.error());
    auto fresh = parse_root(*env);
    if (!fresh) return fail(Failure::kMalformed, path + ": " + fresh.error());
    // Signed by the root we trust (continuity) and by itself (its new keys work).
    auto old_ok =
        check_signatures(*env, root_.keys, root_.root, "root " + v(next), "current root's");
    if (!old_ok) return unexpected(old_ok.error());
    auto self_ok =
        check_signatures(*env, fresh->keys, fresh->root, "root " + v(next), "new root's own");
    if (!self_ok) return unexpected(self_ok.error());
    if (fresh->version != next) {
      return fail(Failure::kRollback, path + " holds root " + v(fresh->version) + ", not " +
                                          v(next) + "; a root version may only move up by one");
    }
    if (auto problem = root_policy_problem(*fresh); !problem.empty()) {
      return fail(Failure::kSignature, "root " + v(next) + " refused: " + problem);
    }
    auto saved = persist("root.json", *got);
    if (!saved) return saved;
    // Keys rotated away from a role invalidate what those keys signed, including versions an
    // attacker with the old key may have pushed sky-high (fast-forward): start afresh.
    const bool ts_rotated = !same_keys(root_, *fresh, RoleType::kTimestamp);
    const bool snap_rotated = !same_keys(root_, *fresh, RoleType::kSnapshot);
    const bool targets_rotated = !same_keys(root_, *fresh, RoleType::kTargets);
    if (ts_rotated || snap_rotated) {
      timestamp_.reset();
      ::unlink((options_.state_dir + "/timestamp.json").c_str());
    }
    if (snap_rotated) {
      snapshot_.reset();
      snapshot_bytes_.clear();
      ::unlink((options_.state_dir + "/snapshot.json").c_str());
    }
    if (targets_rotated) {
      targets_.reset();
      ::unlink((options_.state_dir + "/targets.json").c_str());
    }
    root_ = std::move(*fresh);
    ++report.root_rotations;
  }
  report.root_version = root_.version;
  return check_expiry(root_, "root", now());
}

UpdateResult<bool> Client::update_timestamp(RefreshReport& report) {
  auto bytes = fetch_meta("metadata/timestamp.json", options_.max_timestamp_bytes, &report);
  if (!bytes) return unexpected(bytes.error());
  auto env = parse_envelope(*bytes, RoleType::kTimestamp);
  if (!env) return fail(Failure::kMalformed, "timestamp.json: " + env.error());
  auto ts = parse_timestamp(*env);
  if (!ts) return fail(Failure::kMalformed, ts.error());
  auto sig = check_signatures(*env, root_.keys, root_.timestamp, "timestamp " + v(ts->version),
                              "timestamp");
  if (!sig) return sig;
  if (timestamp_) {
    if (ts->version < timestamp_->version) {
      return fail(Failure::kRollback, "timestamp " + v(ts->version) + " is older than the " +
                                          v(timestamp_->version) + " this device already trusts");
    }
    if (ts->snapshot.version < timestamp_->snapshot.version) {
      return fail(Failure::kRollback, "timestamp names snapshot " + v(ts->snapshot.version) +
                                          ", older than the trusted " +
                                          v(timestamp_->snapshot.version));
    }
  }
  auto fresh = check_expiry(*ts, "timestamp", now());
  if (!fresh) return fresh;
  auto saved = persist("timestamp.json", *bytes);
  if (!saved) return saved;
  report.timestamp_version = ts->version;
  timestamp_ = std::move(*ts);
  return true;
}

UpdateResult<bool> Client::update_snapshot(RefreshReport& report) {
  const MetaFile& want = timestamp_->snapshot;
  std::string bytes;
  if (snapshot_ && snapshot_->version == want.version &&
      sha256_hex(snapshot_bytes_) == want.hashes.sha256) {
    bytes = snapshot_bytes_;  // unchanged: no download
  } else {
    const std::string path = "metadata/" + std::to_string(want.version) + ".snapshot.json";
    auto got = fetch_meta(path, want.length.value_or(options_.max_snapshot_bytes), &report);
    if (!got) {
      if (got.error().kind == Failure::kTooLarge) {
        return fail(Failure::kTooLarge, path + " is longer than the " +
                                            std::to_string(*want.length) +
                                            " bytes timestamp vouches for; refusing endless data");
      }
      return unexpected(got.error());
    }
    bytes = std::move(*got);
    if (want.length && bytes.size() != *want.length) {
      return fail(Failure::kMismatch, path + " is " + std::to_string(bytes.size()) +
                                          " bytes, timestamp vouches for " +
                                          std::to_string(*want.length));
    }
    if (sha256_hex(bytes) != want.hashes.sha256) {
      return fail(Failure::kMismatch, path +
                                          " does not match the hash timestamp vouches for "
                                          "(a mix-and-match of metadata, or a tampered file)");
    }
    report.snapshot_downloaded = true;
  }
  auto env = parse_envelope(bytes, RoleType::kSnapshot);
  if (!env) return fail(Failure::kMalformed, "snapshot: " + env.error());
  auto snap = parse_snapshot(*env);
  if (!snap) return fail(Failure::kMalformed, snap.error());
  auto sig = check_signatures(*env, root_.keys, root_.snapshot, "snapshot " + v(snap->version),
                              "snapshot");
  if (!sig) return sig;
  if (snap->version != want.version) {
    return fail(Failure::kMismatch, "snapshot file holds " + v(snap->version) +
                                        " but timestamp names " + v(want.version));
  }
  if (snapshot_) {
    for (const auto& [name, old] : snapshot_->meta) {
      const auto now_entry = snap->meta.find(name);
      if (now_entry == snap->meta.end()) {
        return fail(Failure::kRollback, "snapshot " + v(snap->version) + " no longer lists " +
                                            name + " (removing a role is a rollback)");
      }
      if (now_entry->second.version < old.version) {
        return fail(Failure::kRollback, "snapshot " + v(snap->version) + " names " + name + " " +
                                            v(now_entry->second.version) +
                                            ", older than the trusted " + v(old.version));
      }
    }
  }
  auto fresh = check_expiry(*snap, "snapshot", now());
  if (!fresh) return fresh;
  if (report.snapshot_downloaded) {
    auto saved = persist("snapshot.json", bytes);
    if (!saved) return saved;
  }
  report.snapshot_version = snap->version;
  snapshot_ = std::move(*snap);
  snapshot_bytes_ = std::move(bytes);
  return true;
}

UpdateResult<bool> Client::update_targets(RefreshReport& report) {
  const MetaFile& want = snapshot_->meta.at("targets.json");
  if (targets_ && targets_->version == want.version) {
    report.targets_version = targets_->version;
    return check_expiry(*targets_, "targets", now());
  }
  const std::string path = "metadata/" + std::to_string(want.version) + ".targets.json";
  auto got = fetch_meta(path, want.length.value_or(options_.max_targets_bytes), &report);
  if (!got) return unexpected(got.error());
  if (want.length && got->size() != *want.length) {
    return fail(Failure::kMismatch, path + " is not the length snapshot vouches for");
  }
  if (!want.hashes.sha256.empty() && sha256_hex(*got) != want.hashes.sha256) {
    return fail(Failure::kMismatch, path + " does not match the hash snapshot vouches for");
  }
  auto env = parse_envelope(*got, RoleType::kTargets);
  if (!env) return fail(Failure::kMalformed, "targets: " + env.error());
  auto t = parse_targets(*env);
  if (!t) return fail(Failure::kMalformed, t.error());
  auto sig =
      check_signatures(*env, root_.keys, root_.targets, "targets " + v(t->version), "targets");
  if (!sig) return sig;
  if (t->version != want.version) {
    return fail(Failure::kMismatch, "targets file holds " + v(t->version) + " but snapshot names " +
                                        v(want.version) + " (a mix-and-match of metadata)");
  }
  if (targets_ && t->version < targets_->version) {
    return fail(Failure::kRollback,
                "targets " + v(t->version) + " is older than the trusted " + v(targets_->version));
  }
  auto fresh = check_expiry(*t, "targets", now());
  if (!fresh) return fresh;
  auto saved = persist("targets.json", *got);
  if (!saved) return saved;
  report.targets_downloaded = true;
  report.targets_version = t->version;
  targets_ = std::move(*t);
  return true;
}

UpdateResult<RefreshReport> Client::refresh() {
  refreshed_ = false;
  RefreshReport report;
  for (auto step : {&Client::update_root, &Client::update_timestamp, &Client::update_snapshot,
                    &Client::update_targets}) {
    auto r = (this->*step)(report);
    if (!r) return unexpected(r.error());
  }
  refreshed_ = true;
  return report;
}

const std::vector<TargetFile>& Client::targets() const {
  static const std::vector<TargetFile> kNone;
  return refreshed_ && targets_ ? targets_->targets : kNone;
}

UpdateResult<Targets> Client::load_delegated(const DelegatedRole& role, const Targets& parent) {
  const std::string file = role.name + ".json";
  const auto entry = snapshot_->meta.find(file);
  if (entry == snapshot_->meta.end()) {
    return fail(Failure::kMismatch, "snapshot does not list delegated role " + role.name);
  }
  const MetaFile& want = entry->second;
  std::string bytes;
  bool downloaded = false;
  if (auto cached = read_file(options_.state_dir + "/delegated/" + file, 64u << 20)) {
    bytes = std::move(*cached);
  }
  auto env = parse_envelope(bytes, RoleType::kTargets);
  if (!env || env->common.version != want.version) {
    const std::string path = "metadata/" + std::to_string(want.version) + "." + file;
    auto got = fetch_meta(path, want.length.value_or(options_.max_targets_bytes), nullptr);
    if (!got) return unexpected(got.error());
    if (!want.hashes.sha256.empty() && sha256_hex(*got) != want.hashes.sha256) {
      return fail(Failure::kMismatch, path + " does not match the hash snapshot vouches for");
    }
    bytes = std::move(*got);
    env = parse_envelope(bytes, RoleType::kTargets);
    if (!env) return fail(Failure::kMalformed, role.name + ": " + env.error());
    downloaded = true;
  }
  auto t = parse_targets(*env);
  if (!t) return fail(Failure::kMalformed, role.name + ": " + t.error());
  // A delegated role vouches for software as the targets role does: hybrid keys only.
  for (const auto& id : role.keys.keyids) {
    const PublicKey& key = parent.delegation_keys.at(id);
    if (!key.hybrid()) {
      return fail(Failure::kSignature, "delegated role " + role.name + " key " + id.substr(0, 8) +
                                           " has no post-quantum (XMSS) part; delegated "
                                           "targets keys must be hybrid");
    }
  }
  auto sig = check_signatures(*env, parent.delegation_keys, role.keys,
                              "delegated role " + role.name + " " + v(t->version),
                              "delegated " + role.name);
  if (!sig) return unexpected(sig.error());
  if (t->version != want.version) {
    return fail(Failure::kMismatch, "delegated role " + role.name + " holds " + v(t->version) +
                                        " but snapshot names " + v(want.version));
  }
  auto fresh = check_expiry(*t, "delegated role " + role.name, now());
  if (!fresh) return unexpected(fresh.error());
  if (downloaded) {
    ::mkdir((options_.state_dir + "/delegated").c_str(), 0755);
    auto saved = persist("delegated/" + file, bytes);
    if (!saved) return unexpected(saved.error());
  }
  return std::move(*t);
}

UpdateResult<std::optional<TargetFile>> Client::search(const Targets& role, std::string_view name,
                                                       std::uint32_t& visits) {
  if (const TargetFile* f = role.find(name)) return std::optional<TargetFile>(*f);
  const std::string wanted(name);
  for (const auto& d : role.delegations) {
    const bool matches = std::any_of(d.paths.begin(), d.paths.end(), [&](const std::string& p) {
      return ::fnmatch(p.c_str(), wanted.c_str(), FNM_PATHNAME) == 0;
    });
    // A role only speaks for the paths delegated to it: what it says about other paths is
    // never read (an extraneous or hijacked target through a side door).
    if (!matches) continue;
    if (++visits > options_.max_delegations) {
      return fail(Failure::kNotFound, "more than " + std::to_string(options_.max_delegations) +
                                          " delegated roles visited looking for " + wanted);
    }
    auto child = load_delegated(d, role);
    if (!child) return unexpected(child.error());
    auto found = search(*child, name, visits);
    if (!found) return found;
    if (*found) return found;
    if (d.terminating) break;
  }
  return std::optional<TargetFile>();
}

UpdateResult<TargetFile> Client::find_target(std::string_view name) {
  if (!refreshed_ || !targets_) {
    return fail(Failure::kState, "metadata is not refreshed; refresh before looking up targets");
  }
  if (!valid_target_name(name)) {
    return fail(Failure::kNotFound,
                "\"" + std::string(name.substr(0, 64)) + "\" is not a valid target name");
  }
  std::uint32_t visits = 0;
  auto found = search(*targets_, name, visits);
  if (!found) return unexpected(found.error());
  if (!*found) {
    return fail(Failure::kNotFound, "no trusted role lists a target named " + std::string(name));
  }
  return std::move(**found);
}

UpdateResult<bool> Client::download(const TargetFile& target, const std::string& dest) {
  if (!target.hardware.empty() && std::find(target.hardware.begin(), target.hardware.end(),
                                            options_.hardware_id) == target.hardware.end()) {
    std::string list;
    for (const auto& h : target.hardware) list += (list.empty() ? "" : ", ") + h;
    return fail(Failure::kHardware,
                target.name + " is built for " + list + "; this device is " +
                    (options_.hardware_id.empty() ? "(no hardware id set)" : options_.hardware_id));
  }
  // targets/<dir>/<sha256>.<basename>: a consistent-snapshot name, so a file being replaced on
  // the server is never half-read as the new version.
  const std::size_t slash = target.name.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : target.name.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? target.name : target.name.substr(slash + 1);
  const std::string path = "targets/" + dir + target.hashes.sha256 + "." + base;

  const std::string part = dest + ".part";
  const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Failure::kState, errno_text("cannot write", part));
  Hasher hasher;
  bool write_failed = false;
  auto sink = [&](std::string_view chunk) {
    hasher.update(chunk);
    while (!chunk.empty()) {
      const ssize_t n = ::write(fd, chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        write_failed = true;
        return false;
      }
      chunk.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  };
  auto got = transport_->stream(path, target.length, sink);
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  auto discard = [&](Failure kind, std::string message) {
    ::unlink(part.c_str());
    return fail(kind, std::move(message));
  };
  if (write_failed || !synced) return discard(Failure::kState, errno_text("cannot write", part));
  if (!got) {
    if (got.error().too_large) {
      return discard(Failure::kTooLarge, target.name + " is longer than its signed length of " +
                                             std::to_string(target.length) +
                                             " bytes; download stopped (endless data)");
    }
    return discard(Failure::kFetch, "cannot download " + target.name + ": " + got.error().message);
  }
  const Hashes h = hasher.finish();
  if (hasher.length() != target.length) {
    return discard(Failure::kMismatch, target.name + " is " + std::to_string(hasher.length()) +
                                           " bytes, its signed length is " +
                                           std::to_string(target.length));
  }
  if (h.sha256 != target.hashes.sha256 || h.sha512 != target.hashes.sha512) {
    return discard(Failure::kMismatch,
                   target.name + " does not match its signed " +
                       (h.sha256 != target.hashes.sha256 ? "SHA-256" : "SHA-512") +
                       " hash: not the software the repository signed");
  }
  if (::rename(part.c_str(), dest.c_str()) != 0) {
    return discard(Failure::kState, errno_text("cannot rename to", dest));
  }
  return true;
}

}  // namespace warden::update
