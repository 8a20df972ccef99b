#include "update/repository.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "core/file.h"

namespace warden::update {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kDay = 86400;

Result<std::string, std::string> read_meta(const std::string& path) {
  return read_file(path, 64u << 20);
}

template <class T, class Parse>
Result<T, std::string> load_role(const std::string& path, RoleType type, Parse parse) {
  auto bytes = read_meta(path);
  if (!bytes) return unexpected(bytes.error());
  auto env = parse_envelope(*bytes, type);
  if (!env) return unexpected(path + ": " + env.error());
  auto parsed = parse(*env, MetadataLimits{});
  if (!parsed) return unexpected(path + ": " + parsed.error());
  return std::move(*parsed);
}

// Copies `src` into `dir` as <sha256>.<base>, hashing while it copies (1 MiB at a time, so an
// image of any size costs 1 MiB of memory), durably: temp file, fsync, rename, fsync dir.
// What is signed is what was written, not a second read of a file that may have changed.
Result<std::pair<std::uint64_t, Hashes>, std::string> copy_hashed(const std::string& src,
                                                                  const std::string& dir,
                                                                  const std::string& base) {
  const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return unexpected(errno_text("cannot read", src));
  const std::string tmp = dir + "/.incoming-" + std::to_string(::getpid());
  const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    return unexpected(errno_text("cannot write", tmp));
  }
  Hasher hasher;
  std::string buf(1u << 20, '\0');
  std::string error;
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno_text("cannot read", src);
      break;
    }
    if (n == 0) break;
    hasher.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    for (std::size_t done = 0; done < static_cast<std::size_t>(n);) {
      const ssize_t w = ::write(out, buf.data() + done, static_cast<std::size_t>(n) - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error = errno_text("cannot write", tmp);
        break;
      }
      done += static_cast<std::size_t>(w);
    }
    if (!error.empty()) break;
  }
  ::close(in);
  if (error.empty() && ::fsync(out) != 0) error = errno_text("cannot sync", tmp);
  ::close(out);
  const std::uint64_t length = hasher.length();
  const Hashes hashes = hasher.finish();
  const std::string dest = dir + "/" + hashes.sha256 + "." + base;
  if (error.empty() && ::rename(tmp.c_str(), dest.c_str()) != 0) {
    error = errno_text("cannot rename to", dest);
  }
  if (!error.empty()) {
    ::unlink(tmp.c_str());
    return unexpected(error);
  }
  if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return std::make_pair(length, hashes);
}

Result<bool, std::string> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return unexpected(errno_text("cannot create", path));
  }
  return true;
}

std::string role_file(const std::string& role, std::uint64_t version) {
  return std::to_string(version) + "." + role + ".json";
}

}  // namespace

Result<std::string, std::string> sign_metadata(const std::string& signed_json,
                                               const std::vector<SigningKey*>& keys) {
  auto parsed = parse_json(signed_json);
  if (!parsed) return unexpected(std::string("metadata to sign is not JSON"));
  const std::string message = signing_message(to_json(*parsed));
  std::vector<Signature> sigs;
  for (SigningKey* key : keys) {
    auto sig = key->sign(message);
    if (!sig) return unexpected(sig.error());
    sigs.push_back(std::move(*sig));
  }
  return write_envelope(signed_json, sigs);
}

Result<bool, std::string> Repository::load_keys() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(keys_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    constexpr std::string_view kSuffix = ".ed25519.pem";
    if (!name.ends_with(kSuffix)) continue;
    const std::string base = name.substr(0, name.size() - kSuffix.size());
    auto key = SigningKey::open(keys_dir() + "/" + base);
    if (!key) return unexpected(key.error());
    keys_.emplace(base, std::move(*key));
  }
  if (ec) return unexpected("cannot list " + keys_dir() + ": " + ec.message());
  return true;
}

Result<std::vector<SigningKey*>, std::string> Repository::keys_for(const RoleKeys& role,
                                                                   const std::string& what) {
  std::vector<SigningKey*> out;
  for (auto& [base, key] : keys_) {
    if (std::find(role.keyids.begin(), role.keyids.end(), key.keyid()) != role.keyids.end()) {
      out.push_back(&key);
    }
  }
  if (out.size() < role.threshold) {
    return unexpected("signing " + what + " needs " + std::to_string(role.threshold) +
                      " of its keys, " + std::to_string(out.size()) + " are in " + keys_dir() +
                      " (bring the offline keys back for this operation)");
  }
  return out;
}

Result<std::string, std::string> Repository::sign_file(const std::string& signed_json,
                                                       const std::vector<SigningKey*>& keys,
                                                       const std::string& file) {
  // Sign the canonical form exactly as a client will rebuild it from the file.
  auto parsed = parse_json(signed_json);
  if (!parsed) return unexpected(std::string("internal: metadata we wrote does not parse"));
  const std::string message = signing_message(to_json(*parsed));
  std::vector<Signature> sigs;
  for (SigningKey* key : keys) {
    const auto start = std::chrono::steady_clock::now();
    auto sig = key->sign(message);
    if (!sig) return unexpected(file + ": " + sig.error());
    if (on_sign) {
      SignEvent ev;
      ev.file = file;
      ev.keyid = key->keyid();
      ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ev.xmss_remaining = key->xmss_remaining();
      ev.warning = key->budget_warning();
      on_sign(ev);
    }
    sigs.push_back(std::move(*sig));
  }
  return write_envelope(signed_json, sigs);
}

Result<bool, std::string> Repository::write_meta(const std::string& name,
                                                 const std::string& bytes) {
  return write_file_durable(metadata_dir() + "/" + name, bytes, 0644);
}

Result<Repository, std::string> Repository::init(const std::string& dir, const InitOptions& options,
                                                 std::int64_t now) {
  if (options.root_threshold < 1 || options.root_threshold > options.root_keys ||
      options.targets_threshold < 1 || options.targets_threshold > options.targets_keys) {
    return unexpected(std::string("a threshold must be between 1 and the number of keys"));
  }
  Repository repo;
  repo.dir_ = dir;
  repo.expiry = options.expiry;
  for (const auto& [path, mode] :
       std::vector<std::pair<std::string, mode_t>>{{dir, 0755},
                                                   {dir + "/keys", 0700},
                                                   {dir + "/repository", 0755},
                                                   {dir + "/repository/metadata", 0755},
                                                   {dir + "/repository/targets", 0755}}) {
    auto made = make_dir(path, mode);
    if (!made) return unexpected(made.error());
  }
  auto lock = FileLock::acquire(dir + "/.lock");
  if (!lock) return unexpected(dir + " is in use by another publisher (" + lock.error() + ")");
  repo.lock_.emplace(std::move(*lock));
  struct stat st {};
  if (::stat((repo.metadata_dir() + "/root.json").c_str(), &st) == 0) {
    return unexpected(dir + " already holds a repository (repository/metadata/root.json)");
  }

  Root& root = repo.root_;
  root.type = RoleType::kRoot;
  root.version = 1;
  root.expires = now + options.expiry.root * kDay;
  auto make = [&](RoleType type, std::uint32_t count, std::uint32_t threshold,
                  bool hybrid) -> Result<bool, std::string> {
    RoleKeys& role = root.role(type);
    role.threshold = threshold;
    for (std::uint32_t i = 1; i <= count; ++i) {
      const std::string base = std::string(role_type_name(type)) + "-" + std::to_string(i);
      auto key = SigningKey::generate(repo.keys_dir() + "/" + base,
                                      hybrid ? std::optional(options.xmss_height) : std::nullopt);
      if (!key) return unexpected(key.error());
      root.keys.emplace(key->keyid(), key->public_key());
      role.keyids.push_back(key->keyid());
      repo.keys_.emplace(base, std::move(*key));
    }
    return true;
  };
  for (auto r : {make(RoleType::kRoot, options.root_keys, options.root_threshold, true),
                 make(RoleType::kTargets, options.targets_keys, options.targets_threshold, true),
                 make(RoleType::kSnapshot, 1, 1, false), make(RoleType::kTimestamp, 1, 1, false)}) {
    if (!r) return unexpected(r.error());
  }
  auto signers = repo.keys_for(root.root, "root");
  if (!signers) return unexpected(signers.error());
  auto bytes = repo.sign_file(write_signed(root), *signers, "1.root.json");
  if (!bytes) return unexpected(bytes.error());
  for (const char* name : {"1.root.json", "root.json"}) {
    auto w = repo.write_meta(name, *bytes);
    if (!w) return unexpected(w.error());
  }
  repo.targets_.type = RoleType::kTargets;
  repo.snapshot_.type = RoleType::kSnapshot;
  repo.timestamp_.type = RoleType::kTimestamp;
  auto published = repo.publish({"targets"}, now);
  if (!published) return unexpected(published.error());
  return repo;
}

Result<Repository, std::string> Repository::open(const std::string& dir) {
  Repository repo;
  repo.dir_ = dir;
  struct stat st {};
  if (::stat((dir + "/repository/metadata/root.json").c_str(), &st) != 0) {
    return unexpected(dir +
                      " is not an update repository (no repository/metadata/root.json); "
                      "make one with 'warden update init'");
  }
  auto lock = FileLock::acquire(dir + "/.lock");
  if (!lock) return unexpected(dir + " is in use by another publisher (" + lock.error() + ")");
  repo.lock_.emplace(std::move(*lock));
  const std::string meta = repo.metadata_dir() + "/";
  auto root = load_role<Root>(meta + "root.json", RoleType::kRoot, parse_root);
  if (!root) return unexpected(root.error());
  repo.root_ = std::move(*root);
  auto ts = load_role<Timestamp>(meta + "timestamp.json", RoleType::kTimestamp, parse_timestamp);
  if (!ts) return unexpected(ts.error());
  repo.timestamp_ = std::move(*ts);
  auto snap = load_role<Snapshot>(meta + role_file("snapshot", repo.timestamp_.snapshot.version),
                                  RoleType::kSnapshot, parse_snapshot);
  if (!snap) return unexpected(snap.error());
  repo.snapshot_ = std::move(*snap);
  for (const auto& [file, entry] : repo.snapshot_.meta) {
    const std::string role = file.substr(0, file.size() - 5);
    auto t = load_role<Targets>(meta + role_file(role, entry.version), RoleType::kTargets,
                                parse_targets);
    if (!t) return unexpected(t.error());
    if (role == "targets") {
      repo.targets_ = std::move(*t);
    } else {
      repo.delegated_.emplace(role, std::move(*t));
    }
  }
  auto keys = repo.load_keys();
  if (!keys) return unexpected(keys.error());
  return repo;
}

Result<bool, std::string> Repository::publish(const std::vector<std::string>& changed_roles,
                                              std::int64_t now) {
  const std::string meta = metadata_dir() + "/";
  for (const auto& name : changed_roles) {
    Targets* t = nullptr;
    RoleKeys role_keys;
    std::vector<SigningKey*> signers;
    if (name == "targets") {
      t = &targets_;
      auto k = keys_for(root_.targets, "targets");
      if (!k) return unexpected(k.error());
      signers = *k;
      t->expires = now + expiry.targets * kDay;
    } else {
      t = &delegated_.at(name);
      const DelegatedRole* d = nullptr;
      for (const auto& [parent_name, parent] : delegated_) {
        (void)parent_name;
        for (const auto& cand : parent.delegations) {
          if (cand.name == name) d = &cand;
        }
      }
      for (const auto& cand : targets_.delegations) {
        if (cand.name == name) d = &cand;
      }
      if (!d) return unexpected("no role delegates to " + name);
      auto k = keys_for(d->keys, name);
      if (!k) return unexpected(k.error());
      signers = *k;
      t->expires = now + expiry.targets * kDay;
    }
    t->type = RoleType::kTargets;
    ++t->version;
    const std::string file = role_file(name, t->version);
    auto bytes = sign_file(write_signed(*t), signers, file);
    if (!bytes) return unexpected(bytes.error());
    auto w = write_meta(file, *bytes);
    if (!w) return unexpected(w.error());
    MetaFile entry;
    entry.version = t->version;
    entry.length = bytes->size();
    entry.hashes.sha256 = sha256_hex(*bytes);
    snapshot_.meta[name + ".json"] = entry;
  }

  snapshot_.type = RoleType::kSnapshot;
  ++snapshot_.version;
  snapshot_.expires = now + expiry.snapshot * kDay;
  auto snap_keys = keys_for(root_.snapshot, "snapshot");
  if (!snap_keys) return unexpected(snap_keys.error());
  const std::string snap_file = role_file("snapshot", snapshot_.version);
  auto snap = sign_file(write_signed(snapshot_), *snap_keys, snap_file);
  if (!snap) return unexpected(snap.error());
  auto w = write_meta(snap_file, *snap);
  if (!w) return unexpected(w.error());
  timestamp_.snapshot.version = snapshot_.version;
  timestamp_.snapshot.length = snap->size();
  timestamp_.snapshot.hashes.sha256 = sha256_hex(*snap);
  return refresh_timestamp(now);
}

Result<bool, std::string> Repository::refresh_timestamp(std::int64_t now) {
  timestamp_.type = RoleType::kTimestamp;
  ++timestamp_.version;
  timestamp_.expires = now + expiry.timestamp * kDay;
  auto keys = keys_for(root_.timestamp, "timestamp");
  if (!keys) return unexpected(keys.error());
  auto bytes = sign_file(write_signed(timestamp_), *keys, "timestamp.json");
  if (!bytes) return unexpected(bytes.error());
  return write_meta("timestamp.json", *bytes);
}

Targets* Repository::targets_role(const std::string& role) {
  if (role == "targets") return &targets_;
  auto it = delegated_.find(role);
  return it == delegated_.end() ? nullptr : &it->second;
}

Result<bool, std::string> Repository::add_targets(const std::vector<NewTarget>& files,
                                                  const std::string& role, std::int64_t now) {
  Targets* t = targets_role(role);
  if (!t) return unexpected("no role named " + role);
  for (const auto& f : files) {
    if (!valid_target_name(f.name)) {
      return unexpected("\"" + f.name +
                        "\" is not a target name (relative; letters, digits, . _ - /)");
    }
    if (role != "targets") {
      // The delegating role only trusts this one for its paths; say so before signing.
      bool allowed = false;
      for (const auto& d : targets_.delegations) {
        if (d.name != role) continue;
        for (const auto& p : d.paths) {
          if (::fnmatch(p.c_str(), f.name.c_str(), FNM_PATHNAME) == 0) allowed = true;
        }
      }
      if (!allowed) return unexpected(f.name + " is outside the paths delegated to " + role);
    }
    // Hash while copying into the repository, so what is signed is what is served.
    const std::size_t slash = f.name.rfind('/');
    const std::string sub = slash == std::string::npos ? "" : f.name.substr(0, slash);
    const std::string base = slash == std::string::npos ? f.name : f.name.substr(slash + 1);
    const std::string dir = dir_ + "/repository/targets" + (sub.empty() ? "" : "/" + sub);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return unexpected("cannot create " + dir + ": " + ec.message());
    auto copied = copy_hashed(f.file, dir, base);
    if (!copied) return unexpected(copied.error());
    TargetFile tf;
    tf.name = f.name;
    tf.length = copied->first;
    tf.hashes = copied->second;
    tf.hardware = f.hardware;
    tf.version = f.version;
    auto existing = std::find_if(t->targets.begin(), t->targets.end(),
                                 [&](const TargetFile& x) { return x.name == tf.name; });
    if (existing != t->targets.end()) {
      *existing = std::move(tf);
    } else {
      t->targets.push_back(std::move(tf));
    }
  }
  return publish({role}, now);
}

Result<bool, std::string> Repository::remove_target(const std::string& name,
                                                    const std::string& role, std::int64_t now) {
  Targets* t = targets_role(role);
  if (!t) return unexpected("no role named " + role);
  const auto before = t->targets.size();
  std::erase_if(t->targets, [&](const TargetFile& x) { return x.name == name; });
  if (t->targets.size() == before) return unexpected(role + " has no target named " + name);
  return publish({role}, now);
}

Result<bool, std::string> Repository::delegate(const std::string& name,
                                               const std::vector<std::string>& paths,
                                               bool terminating, std::uint32_t keys,
                                               std::uint32_t threshold, std::int64_t now) {
  if (!valid_role_name(name) || name == "root" || name == "targets" || name == "snapshot" ||
      name == "timestamp") {
    return unexpected("\"" + name + "\" cannot be a delegated role name (a-z, 0-9, '-')");
  }
  if (delegated_.count(name)) return unexpected("role " + name + " exists");
  if (paths.empty()) return unexpected(std::string("a delegation needs at least one path"));
  if (threshold < 1 || threshold > keys) {
    return unexpected(std::string("a threshold must be between 1 and the number of keys"));
  }
  DelegatedRole d;
  d.name = name;
  d.paths = paths;
  d.terminating = terminating;
  d.keys.threshold = threshold;
  // The XMSS height of the targets keys: delegated roles sign as often.
  XmssHeight height = XmssHeight::k10;
  for (auto& [base, key] : keys_) {
    if (base.starts_with("targets-") && key.xmss_capacity()) {
      height = *key.xmss_capacity() == (1u << 20)   ? XmssHeight::k20
               : *key.xmss_capacity() == (1u << 16) ? XmssHeight::k16
                                                    : XmssHeight::k10;
    }
  }
  for (std::uint32_t i = 1; i <= keys; ++i) {
    const std::string base = "deleg-" + name + "-" + std::to_string(i);
    auto key = SigningKey::generate(keys_dir() + "/" + base, height);
    if (!key) return unexpected(key.error());
    targets_.delegation_keys.emplace(key->keyid(), key->public_key());
    d.keys.keyids.push_back(key->keyid());
    keys_.emplace(base, std::move(*key));
  }
  targets_.delegations.push_back(d);
  Targets role;
  role.type = RoleType::kTargets;
  delegated_.emplace(name, std::move(role));
  return publish({name, "targets"}, now);
}

Result<bool, std::string> Repository::rotate(RoleType type, std::uint32_t count,
                                             std::uint32_t threshold, std::int64_t now) {
  if (threshold < 1 || threshold > count) {
    return unexpected(std::string("a threshold must be between 1 and the number of keys"));
  }
  auto old_root_signers = keys_for(root_.root, "root");
  if (!old_root_signers) return unexpected(old_root_signers.error());
  const std::string prefix = std::string(role_type_name(type)) + "-";
  std::uint32_t next = 1;
  std::optional<XmssHeight> height;
  for (auto& [base, key] : keys_) {
    if (!base.starts_with(prefix)) continue;
    next = std::max(next, static_cast<std::uint32_t>(std::stoul(base.substr(prefix.size()))) + 1);
    if (auto cap = key.xmss_capacity()) {
      height = *cap == (1u << 20)   ? XmssHeight::k20
               : *cap == (1u << 16) ? XmssHeight::k16
                                    : XmssHeight::k10;
    }
  }
  if ((type == RoleType::kRoot || type == RoleType::kTargets) && !height) {
    height = XmssHeight::k10;
  }

  Root fresh = root_;
  const std::vector<std::string> retired = fresh.role(type).keyids;
  RoleKeys& role = fresh.role(type);
  role.keyids.clear();
  role.threshold = threshold;
  std::vector<std::string> new_bases;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string base = prefix + std::to_string(next + i);
    auto key = SigningKey::generate(keys_dir() + "/" + base, height);
    if (!key) return unexpected(key.error());
    fresh.keys.emplace(key->keyid(), key->public_key());
    role.keyids.push_back(key->keyid());
    keys_.emplace(base, std::move(*key));
    new_bases.push_back(base);
  }
  // Drop keys no role uses any more.
  std::set<std::string> used;
  for (RoleType t :
       {RoleType::kRoot, RoleType::kTargets, RoleType::kSnapshot, RoleType::kTimestamp}) {
    used.insert(fresh.role(t).keyids.begin(), fresh.role(t).keyids.end());
  }
  std::erase_if(fresh.keys, [&](const auto& kv) { return !used.count(kv.first); });
  ++fresh.version;
  fresh.expires = now + expiry.root * kDay;

  // Signed by the old root's keys (the client's continuity) and, for a root rotation, the new.
  std::vector<SigningKey*> signers = *old_root_signers;
  if (type == RoleType::kRoot) {
    for (const auto& base : new_bases) signers.push_back(&keys_.at(base));
  }
  const std::string file = role_file("root", fresh.version);
  auto bytes = sign_file(write_signed(fresh), signers, file);
  if (!bytes) return unexpected(bytes.error());
  for (const std::string& name : {file, std::string("root.json")}) {
    auto w = write_meta(name, *bytes);
    if (!w) return unexpected(w.error());
  }
  root_ = std::move(fresh);
  // Retire the old key files: kept (an audit may need them), never loaded again.
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (std::find(retired.begin(), retired.end(), it->second.keyid()) != retired.end()) {
      for (const char* ext : {".ed25519.pem", ".xmss", ".xmss.index"}) {
        const std::string from = keys_dir() + "/" + it->first + ext;
        ::rename(from.c_str(), (from + ".retired").c_str());
      }
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<std::string> resign;
  if (type == RoleType::kTargets) resign.push_back("targets");
  return publish(resign, now);
}

std::vector<std::string> Repository::budgets() const {
  std::vector<std::string> out;
  for (const auto& [base, key] : keys_) {
    if (auto cap = key.xmss_capacity()) {
      out.push_back(base + ": " + std::to_string(*key.xmss_remaining()) + " of " +
                    std::to_string(*cap) + " XMSS signatures left");
    }
  }
  return out;
}

}  // namespace warden::update
