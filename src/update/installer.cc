#include "update/installer.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "core/bytes.h"
#include "core/file.h"
#include "core/json.h"
#include "core/json_reader.h"

namespace warden::update {
namespace {

constexpr std::size_t kChunk = 1u << 20;
constexpr std::size_t kMaxStateBytes = 64u << 10;
constexpr std::int64_t kStateFormat = 1;

// Closes a descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now so that a close() error (possible on some file systems after a write) is seen.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

bool write_all(int fd, const unsigned char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// read(2) that retries on EINTR; -1 on error, 0 at the end.
ssize_t read_some(int fd, unsigned char* buf, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

Result<bool, std::string> fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return unexpected(errno_text("cannot open directory", dir));
  if (::fsync(fd.get()) != 0) return unexpected(errno_text("cannot sync directory", dir));
  return true;
}

Result<bool, std::string> ensure_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) {
    // mkdir applies the umask; a device's umask must not make the slots unreadable.
    if (::chmod(path.c_str(), 0755) != 0) return unexpected(errno_text("cannot chmod", path));
    return true;
  }
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return unexpected(errno_text("cannot stat", path));
    if (!S_ISDIR(st.st_mode)) return unexpected("not a directory: " + path);
    return true;
  }
  return unexpected(errno_text("cannot create directory", path));
}

std::string slot_dir(const std::string& dir, const std::string& slot) {
  return dir + "/slot-" + slot;
}
std::string other_slot(const std::string& slot) { return slot == "a" ? "b" : "a"; }

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string describe(const SlotState& s) {
  std::string out = "slot " + s.slot + " (" + s.target.name;
  if (!s.target.version.empty()) out += " " + s.target.version;
  return out + ")";
}

// The slot `current` names: std::nullopt when there is no `current`. Anything but a symlink to
// "slot-a" or "slot-b" is an error, because the installer would not know what the device runs.
Result<std::optional<std::string>, std::string> read_current(const std::string& dir) {
  const std::string path = dir + "/current";
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return unexpected(errno_text("cannot stat", path));
  }
  if (!S_ISLNK(st.st_mode)) return unexpected(path + " is not a symlink");
  char buf[64];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return unexpected(errno_text("cannot read link", path));
  const std::string_view link(buf, static_cast<std::size_t>(n));
  if (link == "slot-a") return std::optional<std::string>("a");
  if (link == "slot-b") return std::optional<std::string>("b");
  return unexpected(path + " points at an unexpected place: " + printable(link));
}

void write_slot(JsonWriter& w, std::string_view key, const std::optional<SlotState>& s) {
  w.key(key);
  if (!s) {
    w.null();
    return;
  }
  w.begin_object()
      .field("slot", s->slot)
      .field("name", s->target.name)
      .field("length", s->target.length)
      .field("sha256", s->target.sha256_hex)
      .field("version", s->target.version)
      .end_object();
}

std::string state_json(const InstallerStatus& st) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("format", kStateFormat);
  write_slot(w, "active", st.active);
  write_slot(w, "previous", st.previous);
  w.field("pending", st.pending)
      .field("boot_attempts", static_cast<std::uint64_t>(st.boot_attempts))
      .end_object();
  out += '\n';
  return out;
}

// Field readers for parse_state: the reason is a short static text, the caller adds the file.
Result<std::string, std::string> string_field(const JsonValue& obj, std::string_view key) {
  const JsonValue* v = obj.find(key);
  if (!v || !v->is_string()) return unexpected("\"" + std::string(key) + "\" is not a string");
  return v->as_string();
}

Result<std::optional<SlotState>, std::string> parse_slot(const JsonValue& root,
                                                         std::string_view key) {
  const JsonValue* v = root.find(key);
  if (!v) return unexpected("\"" + std::string(key) + "\" is missing");
  if (v->is_null()) return std::optional<SlotState>();
  if (!v->is_object()) return unexpected("\"" + std::string(key) + "\" is not an object");
  SlotState s;
  auto slot = string_field(*v, "slot");
  auto name = string_field(*v, "name");
  auto sha = string_field(*v, "sha256");
  auto version = string_field(*v, "version");
  for (auto* r : {&slot, &name, &sha, &version})
    if (!*r) return unexpected(std::string(key) + ": " + r->error());
  if (*slot != "a" && *slot != "b") return unexpected(std::string(key) + ": slot is not a or b");
  if (!is_sha256_hex(*sha)) return unexpected(std::string(key) + ": sha256 is not 64 hex digits");
  const JsonValue* len = v->find("length");
  const auto length = len ? len->as_integer() : std::nullopt;
  if (!length || *length < 0) return unexpected(std::string(key) + ": length is not a count");
  s.slot = std::move(*slot);
  s.target = InstallTarget{std::move(*name), static_cast<std::uint64_t>(*length), std::move(*sha),
                           std::move(*version)};
  return std::optional<SlotState>(std::move(s));
}

Result<InstallerStatus, std::string> parse_state(std::string_view text) {
  auto doc = parse_json(text);
  if (!doc) {
    return unexpected("not JSON (" + std::string(doc.error().reason) + " at byte " +
                      std::to_string(doc.error().offset) + ")");
  }
  if (!doc->is_object()) return unexpected(std::string("not a JSON object"));
  const JsonValue* format = doc->find("format");
  if (!format || format->as_integer() != kStateFormat)
    return unexpected(std::string("unknown format (expected \"format\": 1)"));
  InstallerStatus st;
  auto active = parse_slot(*doc, "active");
  if (!active) return unexpected(active.error());
  auto previous = parse_slot(*doc, "previous");
  if (!previous) return unexpected(previous.error());
  const JsonValue* pending = doc->find("pending");
  if (!pending || !pending->is_bool()) return unexpected(std::string("\"pending\" is not a bool"));
  const JsonValue* attempts = doc->find("boot_attempts");
  const auto n = attempts ? attempts->as_integer() : std::nullopt;
  if (!n || *n < 0 || *n > std::int64_t{UINT32_MAX})
    return unexpected(std::string("\"boot_attempts\" is not a count"));
  st.active = std::move(*active);
  st.previous = std::move(*previous);
  st.pending = pending->as_bool();
  st.boot_attempts = static_cast<std::uint32_t>(*n);
  // Invariants every state this code writes keeps; a file that breaks them was not written here.
  if (st.previous && !st.active) return unexpected(std::string("previous without active"));
  if (st.active && st.previous && st.active->slot == st.previous->slot)
    return unexpected(std::string("active and previous in the same slot"));
  if (st.pending && !st.active) return unexpected(std::string("pending without active"));
  return st;
}

}  // namespace

Result<std::string, std::string> sha256_file_hex(const std::string& path, std::uint64_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return unexpected(errno_text("cannot open", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return unexpected(errno_text("cannot stat", path));
  if (!S_ISREG(st.st_mode)) return unexpected("not a regular file: " + path);
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return unexpected(path + ": larger than " + std::to_string(max_bytes) + " bytes");

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return unexpected(std::string("cannot start SHA-256"));
  std::vector<unsigned char> buf(kChunk);  // on the heap: 1 MiB is too much for some stacks
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = read_some(fd.get(), buf.data(), buf.size());
    if (n < 0) return unexpected(errno_text("cannot read", path));
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
    if (total > max_bytes)  // the file grew while we read it
      return unexpected(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    if (EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n)) != 1)
      return unexpected(std::string("SHA-256 failed"));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &md_len) != 1)
    return unexpected(std::string("SHA-256 failed"));
  return to_hex(Bytes(reinterpret_cast<const std::byte*>(md), md_len));
}

Result<Installer, std::string> Installer::open(const std::string& dir) {
  for (const std::string& d : {dir, slot_dir(dir, "a"), slot_dir(dir, "b")}) {
    auto made = ensure_dir(d);
    if (!made) return unexpected(made.error());
  }
  auto lock = FileLock::acquire(dir + "/.lock");
  if (!lock) {
    return unexpected(dir + " is in use by another update agent (" + lock.error() +
                      "); try again when it has finished");
  }
  const std::string state_path = dir + "/state.json";
  auto current = read_current(dir);
  if (!current) return unexpected(current.error());

  InstallerStatus st;
  struct stat sb {};
  if (::lstat(state_path.c_str(), &sb) != 0) {
    if (errno != ENOENT) return unexpected(errno_text("cannot stat", state_path));
    // install() writes state.json before it ever creates `current`, so this is not a crash
    // this code can leave behind: something else set the directory up, or the record was lost.
    if (*current) {
      return unexpected(dir + ": `current` exists but state.json does not; refusing to guess " +
                        "what is installed");
    }
    return Installer(dir, std::move(st), std::move(*lock));
  }
  auto text = read_file(state_path, kMaxStateBytes);
  if (!text) return unexpected("cannot read installer state: " + text.error());
  auto parsed = parse_state(*text);
  if (!parsed) return unexpected(state_path + " is damaged: " + parsed.error());
  st = std::move(*parsed);

  Installer inst(dir, std::move(st), std::move(*lock));
  // Bring `current` back in line with the record (see the header: what was not recorded did not
  // happen). A missing `current` (deleted by hand, or a file system that lost it) is recreated.
  const std::optional<std::string> want =
      inst.status_.active ? std::optional<std::string>(inst.status_.active->slot) : std::nullopt;
  if (*current != want) {
    if (want) {
      const std::string payload = slot_dir(dir, *want) + "/payload";
      struct stat pb {};
      if (::stat(payload.c_str(), &pb) != 0 || !S_ISREG(pb.st_mode) ||
          static_cast<std::uint64_t>(pb.st_size) != inst.status_.active->target.length) {
        return unexpected(state_path + " records " + describe(*inst.status_.active) + " but " +
                          payload + " is missing or has the wrong length");
      }
    }
    auto fixed = inst.point_current(want);
    if (!fixed) return unexpected(fixed.error());
    inst.status_.note = std::string("repaired `current`: it pointed at ") +
                        (*current ? "slot " + **current : std::string("nothing")) +
                        ", state.json records " + (want ? "slot " + *want : "nothing");
  }
  return inst;
}

std::string Installer::payload_path() const { return dir_ + "/current/payload"; }

Result<bool, std::string> Installer::save(const InstallerStatus& status) const {
  auto w = write_file_durable(dir_ + "/state.json", state_json(status), 0644);
  if (!w) return unexpected("cannot record installer state: " + w.error());
  return true;
}

// Points `current` at slot-<slot> with one rename(2) of a fresh symlink over it, so a reader
// sees the old target or the new one, never no `current`. std::nullopt removes `current`.
Result<bool, std::string> Installer::point_current(const std::optional<std::string>& slot) const {
  const std::string path = dir_ + "/current";
  if (!slot) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return unexpected(errno_text("cannot remove", path));
    return fsync_dir(dir_);
  }
  const std::string tmp = dir_ + "/.current.tmp" + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // a leftover of a crash
  if (::symlink(("slot-" + *slot).c_str(), tmp.c_str()) != 0)
    return unexpected(errno_text("cannot create symlink", tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = errno_text("cannot rename to", path);
    ::unlink(tmp.c_str());
    return unexpected(std::move(err));
  }
  return fsync_dir(dir_);
}

Result<InstallerStatus, std::string> Installer::install(const std::string& file,
                                                        const InstallTarget& target) {
  if (status_.pending) {
    return unexpected("an install is pending (" + describe(*status_.active) +
                      "): confirm() or rollback() it first");
  }
  if (!is_sha256_hex(target.sha256_hex))
    return unexpected(std::string("target sha256 is not 64 lowercase hex digits"));

  const std::string slot = status_.active ? other_slot(status_.active->slot) : "a";
  const std::string sdir = slot_dir(dir_, slot);
  auto made = ensure_dir(sdir);
  if (!made) return unexpected(made.error());
  const std::string payload = sdir + "/payload";
  const std::string tmp = sdir + "/.payload.tmp" + std::to_string(::getpid());

  // Copy into the temporary name. A source longer than the target is cut off at length + 1
  // bytes: enough to know it is wrong without filling the disk.
  {
    Fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) return unexpected(errno_text("cannot open", file));
    struct stat st {};
    if (::fstat(in.get(), &st) != 0) return unexpected(errno_text("cannot stat", file));
    if (!S_ISREG(st.st_mode)) return unexpected("not a regular file: " + file);
    if (static_cast<std::uint64_t>(st.st_size) != target.length) {
      return unexpected(file + " is " + std::to_string(st.st_size) + " bytes, the target " +
                        std::to_string(target.length));
    }
    // The payload may be a program: keep the source's execute bits, never group/other write.
    const mode_t mode = st.st_mode & 0755;
    ::unlink(tmp.c_str());  // a leftover of a crash; O_EXCL below then refuses any race
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (out.get() < 0) return unexpected(errno_text("cannot create", tmp));
    std::vector<unsigned char> buf(kChunk);
    std::uint64_t total = 0;
    for (;;) {
      const ssize_t n = read_some(in.get(), buf.data(), buf.size());
      if (n < 0) {
        std::string err = errno_text("cannot read", file);
        ::unlink(tmp.c_str());
        return unexpected(std::move(err));
      }
      if (n == 0) break;
      total += static_cast<std::uint64_t>(n);
      if (total > target.length) break;  // re-check below reports it
      if (!write_all(out.get(), buf.data(), static_cast<std::size_t>(n))) {
        std::string err = errno_text("cannot write", tmp);
        ::unlink(tmp.c_str());
        return unexpected(std::move(err));
      }
    }
    if (::fchmod(out.get(), mode) != 0 || ::fsync(out.get()) != 0 || !out.close()) {
      std::string err = errno_text("cannot write", tmp);
      ::unlink(tmp.c_str());
      return unexpected(std::move(err));
    }
    if (total != target.length) {
      ::unlink(tmp.c_str());
      return unexpected(file + " changed while being copied: its length is no longer " +
                        std::to_string(target.length));
    }
  }

  // Re-read what landed on disk, not what we meant to write.
  auto hash = sha256_file_hex(tmp, target.length);
  if (!hash || *hash != target.sha256_hex) {
    ::unlink(tmp.c_str());
    if (!hash) return unexpected("cannot verify the copy: " + hash.error());
    return unexpected("the copy of " + file + " in slot " + slot + " does not match " +
                      target.name + ": SHA-256 " + *hash + ", expected " + target.sha256_hex);
  }

  // The rename below destroys what `previous` recorded in this slot; forget it first, so a
  // crash from here on never leaves a record that promises a rollback to a payload now gone.
  if (status_.previous) {
    InstallerStatus forgotten = status_;
    forgotten.previous.reset();
    forgotten.note.clear();
    auto saved = save(forgotten);
    if (!saved) {
      ::unlink(tmp.c_str());
      return unexpected(saved.error());
    }
    status_ = std::move(forgotten);
  } else if (::access((dir_ + "/state.json").c_str(), F_OK) != 0) {
    // The first install: a state.json must exist before `current` does (see open()).
    auto saved = save(status_);
    if (!saved) {
      ::unlink(tmp.c_str());
      return unexpected(saved.error());
    }
  }

  if (::rename(tmp.c_str(), payload.c_str()) != 0) {
    std::string err = errno_text("cannot rename to", payload);
    ::unlink(tmp.c_str());
    return unexpected(std::move(err));
  }
  auto synced = fsync_dir(sdir);
  if (!synced) return unexpected(synced.error());

  auto switched = point_current(slot);
  if (!switched) return unexpected(switched.error());

  InstallerStatus next;
  next.active = SlotState{slot, target};
  next.previous = status_.active;
  next.pending = true;
  next.boot_attempts = 0;
  auto saved = save(next);
  if (!saved) {
    // Unrecorded means not done: point `current` back (open() would do the same after a crash).
    const std::optional<std::string> back =
        status_.active ? std::optional<std::string>(status_.active->slot) : std::nullopt;
    auto undone = point_current(back);
    if (!undone) return unexpected(saved.error() + "; and " + undone.error());
    return unexpected(saved.error());
  }
  status_ = next;
  return status_;
}

Result<InstallerStatus, std::string> Installer::confirm() {
  status_.note.clear();
  if (!status_.pending) return status_;
  InstallerStatus next = status_;
  next.pending = false;
  next.boot_attempts = 0;
  auto saved = save(next);
  if (!saved) return unexpected(saved.error());
  status_ = std::move(next);
  return status_;
}

Result<InstallerStatus, std::string> Installer::rollback() {
  status_.note.clear();
  if (!status_.previous) return unexpected(std::string("nothing to roll back to"));
  const SlotState from = *status_.active;
  auto switched = point_current(status_.previous->slot);
  if (!switched) return unexpected(switched.error());
  InstallerStatus next;
  next.active = status_.previous;
  next.pending = false;
  next.boot_attempts = 0;
  next.note = "rolled back from " + describe(from) + " to " + describe(*next.active);
  auto saved = save(next);
  if (!saved) {
    auto undone = point_current(from.slot);
    if (!undone) return unexpected(saved.error() + "; and " + undone.error());
    return unexpected(saved.error());
  }
  status_ = std::move(next);
  return status_;
}

Result<InstallerStatus, std::string> Installer::boot(std::uint32_t max_attempts) {
  status_.note.clear();
  if (!status_.pending) return status_;
  // Compared before adding, so a count near UINT32_MAX cannot wrap round to "never started".
  if (status_.boot_attempts >= max_attempts) {
    const std::string starts = std::to_string(status_.boot_attempts) + " start(s) of " +
                               describe(*status_.active) + " never confirmed";
    if (!status_.previous) {
      // A first install has nothing to go back to; running it beats running nothing.
      status_.note = starts + ", but there is nothing to roll back to";
      return status_;
    }
    auto rolled = rollback();
    if (!rolled) return unexpected(starts + "; cannot roll back: " + rolled.error());
    status_.note = starts + "; " + status_.note;
    return status_;
  }
  InstallerStatus next = status_;
  next.boot_attempts = status_.boot_attempts + 1;
  auto saved = save(next);
  if (!saved) return unexpected(saved.error());
  status_ = std::move(next);
  return status_;
}

}  // namespace warden::update
